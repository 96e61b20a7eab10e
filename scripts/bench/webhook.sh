#!/usr/bin/env bash
# Webhook accept benchmark on PostgreSQL (fsync on), loopback only, bounded in time: run.sh with
# only the webhook request, 20 s by default, plus pgbench's single-row INSERT at the same
# concurrency as the physical reference for a one-write request.
# Environment: CONNECTIONS (32), DURATION (20s), SIGNALDESK_BIN (reuse a built binary).
set -euo pipefail
cd "$(dirname "$0")/../.."
ONLY=webhook_accept DURATION="${DURATION:-20s}" exec bash scripts/bench/run.sh
