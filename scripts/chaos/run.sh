#!/usr/bin/env bash
# Chaos scenarios against a real server and PostgreSQL, loopback only, bounded.
#   scripts/chaos/run.sh            builds release; ALERTS (2000) alerts for scenario 1
# Scenario 1: the server killed with SIGKILL under webhook load and restarted; unanswered alerts
# re-sent: every alert id must yield exactly one signal and at most one order.
# Scenario 2: PostgreSQL stopped for OUTAGE seconds under load: 503 while down (no hang, no 500),
# recovery without a restart, nothing acknowledged lost; then SIGTERM must stop the server within 10 s.
# Scenario 3: two servers and two `signaldesk worker` processes on one PostgreSQL under webhook
# load: no signal claimed twice, none with two orders.
# Scenario 4: the fake Binance accepts orders and answers after the server's venue timeout (testnet
# mode): every order placed once, found by asking the venue, one order row per signal.
# Scenario 5: SIGTERM while webhook alerts and logins are in flight: exit within 10 s with status
# 0 and no crash, every request the server had in hand answered, nothing acknowledged lost.
# Environment: SCENARIOS ("1 2 3 4 5": which to run), ALERTS (2000), OUTAGE (10), SIGNALDESK_BIN
# (reuse a built binary; the others it needs must sit next to it).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
ensure_packages curl:curl python3:python3 "path=/usr/lib/postgresql:postgresql"
ensure_swift

ALERTS="${ALERTS:-2000}"
SCENARIOS="${SCENARIOS:-1 2 3 4 5}"
wanted() { [[ " $SCENARIOS " == *" $1 "* ]]; }
bench_binaries signaldesk signaldesk-fakes
bench_start
# How every scenario's script reads the database.
export PSQL="$PG_BIN/psql -h 127.0.0.1 -p $PG_PORT -U postgres -d signaldesk_bench -qAt" PGPASSWORD="$PG_PASSWORD"

server_env=(WEBHOOK_RATE_PER_MINUTE=100000 LOG_LEVEL=notice)
bench_serve "${server_env[@]}"

bench_webhook_user chaos@desk.io

if wanted 1; then
echo "== scenario 1: SIGKILL under load ($ALERTS alerts, 8 clients)"
port="${base##*:}"
SERVER_CMD="exec env -i PATH='$PATH' HOME='$work' DATABASE_URL='$bench_url' ${server_env[*]} '$SIGNALDESK_BIN' serve --hostname 127.0.0.1 --port $port"
SERVER_CWD="$work" SERVER_CMD="$SERVER_CMD" SERVER_PID="$server_pid" \
  python3 scripts/chaos/kill_under_load.py "$base" "$ALERTS" | tee "$work/scenario1.txt"
restarted="$(sed -n 's/^restarted_pid=//p' "$work/scenario1.txt")"
[ -n "$restarted" ] && bench_pids+=("$restarted")
grep -q '^PASS' "$work/scenario1.txt"
fi

if wanted 2; then
echo "== scenario 2: PostgreSQL stopped for ${OUTAGE:-10} s under load"
# A fresh server on the same database when scenario 1 stopped the one it restarted.
if wanted 1; then bench_serve "${server_env[@]}"; fi
export -f pg_stop pg_start _pg_as_owner
export PG_DIR PG_BIN PG_PORT PG_EXTRA_OPTS
STOP_DB="pg_stop" START_DB="pg_start" OUTAGE="${OUTAGE:-10}" \
  python3 scripts/chaos/database_outage.py "$base" | tee "$work/scenario2.txt"
grep -q '^PASS' "$work/scenario2.txt"

echo "== graceful shutdown after the outage: SIGTERM, exit within 10 s"
kill -TERM "$server_pid"
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then
  echo "FAIL | the server is still running 10 s after SIGTERM; the end of its log:"
  tail -n 40 "$work/server.log"
  exit 1
fi
echo "PASS | the server exited within 10 s of SIGTERM"
fi

if wanted 3; then
echo "== scenario 3: two servers and two workers on one PostgreSQL"
bench_serve "${server_env[@]}"
base_a="$base"
bench_serve "${server_env[@]}"
base_b="$base"
for _ in 1 2; do
  (cd "$work" && exec env -i PATH="$PATH" HOME="$work" DATABASE_URL="$bench_url" LOG_LEVEL=warning \
    "$SIGNALDESK_BIN" worker >>"$work/workers.log" 2>&1) &
  bench_pids+=("$!")
done
python3 scripts/chaos/two_servers.py "$base_a" "$base_b" | tee "$work/scenario3.txt"
grep -q '^PASS' "$work/scenario3.txt"
fi

if wanted 4; then
echo "== scenario 4: a venue that times out after accepting"
# Only this scenario's server may execute: the earlier ones run paper workers on the same table.
bench_stop_servers
fakes_bin="$(dirname "$SIGNALDESK_BIN")/signaldesk-fakes"
[ -x "$fakes_bin" ] || { echo "signaldesk-fakes not found beside $SIGNALDESK_BIN"; exit 1; }
FAKE_KEYS="$(python3 -c 'import secrets; print(",".join(secrets.token_hex(32) + ":" + secrets.token_hex(32) for _ in range(6)))')"
export FAKE_KEYS
(cd "$work" && exec env -i PATH="$PATH" FAKE_ACCOUNTS="$FAKE_KEYS" FAKE_BINANCE_ACCEPT_THEN_DELAY=4 \
  "$fakes_bin" "$work/fakes.json" >"$work/fakes.log" 2>&1) &
bench_pids+=("$!")
for _ in $(seq 150); do [ -s "$work/fakes.json" ] && break; sleep 0.2; done
fake_url() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/fakes.json" "$1"; }
bench_serve "${server_env[@]}" EXECUTION_MODE=testnet VENUE_TIMEOUT_SECONDS=1.5 \
  BINANCE_TESTNET_BASE_URL="$(fake_url binance)" TELEGRAM_API_BASE_URL="$(fake_url telegram)"
python3 scripts/chaos/venue_timeout.py "$base" "$(fake_url binance)" | tee "$work/scenario4.txt"
grep -q '^PASS' "$work/scenario4.txt"
fi

if wanted 5; then
echo "== scenario 5: SIGTERM with webhook alerts and logins in flight"
bench_stop_servers
bench_serve "${server_env[@]}"
bench_webhook_user term@desk.io
status=0
LOGIN_EMAIL=term@desk.io LOGIN_PASSWORD="$user_password" SERVER_PID="$server_pid" \
  python3 scripts/chaos/graceful_shutdown.py "$base" | tee "$work/scenario5.txt" || true
wait "$server_pid" || status=$?
crash="$(grep -E 'Fatal error|runtime failure|Illegal instruction|Segmentation' "$work/server.log" || true)"
if [ "$status" -ne 0 ] || [ -n "$crash" ]; then
  echo "FAIL | the server's exit status after SIGTERM was $status; the end of its log:"
  grep -v '^0x' "$work/server.log" | tail -n 30
  exit 1
fi
echo "PASS | the server exited with status 0 and no crash"
grep -q '^PASS' "$work/scenario5.txt"
fi
