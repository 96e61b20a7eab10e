#!/usr/bin/env bash
# The short version of scripts/chaos/run.sh, run by scripts/test.sh on the debug build, all five
# scenarios: (1) SIGKILL under load, 400 alerts, every unanswered one re-sent: one signal per alert
# id, at most one order; (2) PostgreSQL stopped for 3 s under load: 503 while down, recovery by
# itself, nothing acknowledged lost, then SIGTERM must stop the server within 10 s; (3) two servers
# and two workers on one PostgreSQL: no signal claimed twice; (4) a venue that times out after
# accepting: no order placed twice; (5) SIGTERM with alerts and logins in flight: exit within
# 10 s with status 0, every request in hand answered, nothing acknowledged lost.
# Environment: SIGNALDESK_BIN (default: the debug build).
set -euo pipefail
cd "$(dirname "$0")/../.."
export SIGNALDESK_BIN="${SIGNALDESK_BIN:-$PWD/.build/debug/signaldesk}"
SCENARIOS="1 2 3 4 5" ALERTS="${ALERTS:-400}" OUTAGE="${OUTAGE:-3}" bash scripts/chaos/run.sh
