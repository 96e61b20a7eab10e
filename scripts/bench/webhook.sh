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
source scripts/lib/bench.sh
ensure_packages wrk:wrk curl:curl python3:python3 "path=/usr/lib/postgresql:postgresql"
ensure_swift

CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-20s}"
bench_binaries signaldesk
bench_start
bench_serve WEBHOOK_RATE_PER_MINUTE=100000 WORKER_ENABLED=false

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
signals="$(bench_psql -c 'SELECT count(*) FROM signals')"
echo "signals_stored=$signals"

echo "== pgbench: single-row INSERT, $CONNECTIONS clients, $DURATION"
bench_psql \
  -c 'CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, body text, created_at timestamptz DEFAULT now())'
printf "INSERT INTO bench_insert (body) VALUES ('{\"symbol\":\"BTCUSDT\",\"side\":\"buy\"}');\n" > "$work/insert.sql"
seconds="${DURATION%s}"
PGPASSWORD="$PG_PASSWORD" "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -c "$CONNECTIONS" -j 2 -T "$seconds" \
  -f "$work/insert.sql" signaldesk_bench 2>/dev/null | grep -E "^tps|latency average"
