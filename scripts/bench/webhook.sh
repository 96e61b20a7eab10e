#!/usr/bin/env bash
# Webhook accept benchmark on PostgreSQL (fsync on), loopback only, bounded in time: run.sh with
# only the webhook request, 20 s by default, plus pgbench's single-row INSERT at the same
# concurrency as the physical reference for a one-write request.
# Environment: CONNECTIONS (32), DURATION (8s), SIGNALDESK_BIN (reuse a built binary). 8 s: the
# benchmark's one webhook may take at most 100,000 alerts a minute (WEBHOOK_RATE_PER_MINUTE's
# ceiling), and at 4,000 alerts/s a longer run gets 429 answers (non-2xx) that inflate req/s.
set -euo pipefail
cd "$(dirname "$0")/../.."
ONLY=webhook_accept DURATION="${DURATION:-8s}" exec bash scripts/bench/run.sh
