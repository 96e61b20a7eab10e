#!/usr/bin/env bash
# Webhook accept benchmark on PostgreSQL (fsync on), loopback only, bounded in time.
#   scripts/bench/webhook.sh            builds release, runs 32 connections for 20 s
# Environment: CONNECTIONS (32), DURATION (20s), SIGNALDESK_BIN (reuse a built binary).
# Prints the wrk result, server RSS, and pgbench's single-row INSERT rate at the same concurrency
# as the physical reference for a one-write request.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
ensure_packages wrk:wrk curl:curl python3:python3 "path=/usr/lib/postgresql:postgresql"
ensure_swift

CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-20s}"
if [ -z "${SIGNALDESK_BIN:-}" ]; then
  swift build -c release --product signaldesk
  SIGNALDESK_BIN="$(swift build -c release --show-bin-path)/signaldesk"
fi

work="$(mktemp -d /tmp/signaldesk-bench.XXXXXX)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; then wait "$server_pid" 2>/dev/null || true; fi
  pg_destroy_cluster
  rm -rf "$work"
}
trap cleanup EXIT

PG_EXTRA_OPTS="-c fsync=on -c synchronous_commit=on -c shared_buffers=256MB"
export PG_EXTRA_OPTS
pg_start_cluster
pg_create_database signaldesk_bench
port="$(free_port)"
base="http://127.0.0.1:$port"
(cd "$work" && exec env -i PATH="$PATH" HOME="$work" DATABASE_URL="$(pg_url signaldesk_bench)" \
  WEBHOOK_RATE_PER_MINUTE=100000 WORKER_ENABLED=false LOG_LEVEL=warning \
  "$SIGNALDESK_BIN" serve --hostname 127.0.0.1 --port "$port" >"$work/server.log" 2>&1) &
server_pid=$!
wait_for_http "$base/healthz" 60 || { cat "$work/server.log"; exit 1; }

json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
curl -fsS -o /dev/null -X POST "$base/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"bench@signaldesk.test","password":"bench-password-1"}'
token="$(curl -fsS -X POST "$base/auth/login" --data-urlencode username=bench@signaldesk.test \
  --data-urlencode password=bench-password-1 | json access_token)"
secret_json="$(curl -fsS -X POST "$base/webhooks/secret" -H "Authorization: Bearer $token")"
WEBHOOK_UUID="$(json webhook_uuid <<<"$secret_json")"
WEBHOOK_SECRET="$(json webhook_secret <<<"$secret_json")"
export WEBHOOK_UUID WEBHOOK_SECRET

echo "== warm-up (5 s)"
wrk -t2 -c"$CONNECTIONS" -d5s -s scripts/bench/webhook_accept.lua "$base" >/dev/null
echo "== webhook accept: $CONNECTIONS connections, $DURATION"
wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 5s -s scripts/bench/webhook_accept.lua "$base" | tee "$work/wrk.txt" | grep -E "RESULT|Socket errors" || true
rss_kb="$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")"
echo "RSS_MB=$((rss_kb / 1024))"
signals="$(PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d signaldesk_bench -qAt -c 'SELECT count(*) FROM signals')"
echo "signals_stored=$signals"

echo "== pgbench: single-row INSERT, $CONNECTIONS clients, $DURATION"
PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d signaldesk_bench -qAt \
  -c 'CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, body text, created_at timestamptz DEFAULT now())'
printf "INSERT INTO bench_insert (body) VALUES ('{\"symbol\":\"BTCUSDT\",\"side\":\"buy\"}');\n" > "$work/insert.sql"
seconds="${DURATION%s}"
PGPASSWORD="$PG_PASSWORD" "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -c "$CONNECTIONS" -j 2 -T "$seconds" \
  -f "$work/insert.sql" signaldesk_bench 2>/dev/null | grep -E "^tps|latency average"
