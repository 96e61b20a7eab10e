#!/usr/bin/env bash
# What the webhook accept path costs PostgreSQL alone, without the server: pgbench runs the accept
# path's own statements (the endpoint lookup, then the grouped insert of signals and their
# `webhook.accepted` audit rows, as WebhookStatements writes them) against a throwaway PostgreSQL
# (fsync on), next to pgbench's single-row INSERT, the reference of issue 11's 50 % target.
# Loopback only, bounded in time: ROUNDS (3) rounds of four 10 s runs, interleaved because the
# host's speed drifts within minutes:
#   single_insert         pgbench's single-row INSERT (as in run.sh)
#   accept                the accept statements, GROUP (8) alerts per transaction
#   accept_no_notify      the same with the worker's NOTIFY trigger disabled
#   accept_no_triggers    the same with every trigger disabled (the foreign key check included)
# Prints alerts per second, PostgreSQL's and all busy CPU per alert (ms), steal, and medians. The
# server only migrates the database and creates the webhook; it is stopped before the runs, so the
# audit sealer does not run (its cost is in run.sh's webhook numbers, not here).
# The statements mirror Sources/SignalDeskServer/Services/WebhookStatements.swift; keep them equal.
# Environment: ROUNDS, GROUP, CONNECTIONS (32), SIGNALDESK_BIN (reuse a release binary).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
ensure_packages curl:curl python3:python3 "path=/usr/lib/postgresql:postgresql"
ensure_swift
ROUNDS="${ROUNDS:-3}"
GROUP="${GROUP:-8}"
CONNECTIONS="${CONNECTIONS:-32}"
bench_binaries signaldesk
bench_start
bench_serve WORKER_ENABLED=false
bench_webhook_user bench@signaldesk.test
read -r user_id webhook_id webhook_uuid < <(bench_psql -F ' ' -c "SELECT e.user_id, e.id, e.webhook_uuid
  FROM webhook_endpoints e JOIN users u ON u.id = e.user_id WHERE u.email = 'bench@signaldesk.test'")
bench_stop_servers
server_pid=''

# The pgbench script: the lookup, then GROUP alerts with random alert ids in one statement.
{
  for i in $(seq "$GROUP"); do echo "\\set r$i random(1, 2000000000)"; done
  values=""
  for i in $(seq "$GROUP"); do
    values+="${values:+, }(gen_random_uuid(), '$user_id'::uuid, 'BTCUSDT', 'swing', 'buy', 'BINANCE', 'tradingview',"
    values+=" 'market', 'open', 0.5::float8, 30000::float8, NULL::float8, NULL::float8, 0.001::float8, '$webhook_id'::uuid,"
    values+=" 'floor-' || :r$i || '-' || random(), 'digest'::text, now(), ''::text, '{\"price\":30000}'::text)"
  done
  echo "SELECT e.webhook_uuid, e.id, e.user_id, e.secret_sealed, e.secret_digest, e.enabled, u.role FROM webhook_endpoints e JOIN users u ON u.id = e.user_id WHERE e.webhook_uuid = ANY(ARRAY['$webhook_uuid']);"
  echo "WITH batch (id, user_id, symbol, module, side, exchange, source, order_type, action, base_risk_percent, entry_price, stop_loss, take_profit, qty, webhook_id, alert_id, body_hash, created_at, entity_id, details) AS (VALUES $values), inserted AS (INSERT INTO signals (id, user_id, symbol, module, side, exchange, source, order_type, action, base_risk_percent, entry_price, stop_loss, take_profit, qty, status, reason_codes, webhook_id, alert_id, body_hash, lease_count, created_at, updated_at) SELECT id, user_id, symbol, module, side, exchange, source, order_type, action, base_risk_percent, entry_price, stop_loss, take_profit, qty, 'CREATED', '[]', webhook_id, alert_id, body_hash, 0, created_at, created_at FROM batch ON CONFLICT (webhook_id, alert_id) DO NOTHING RETURNING id) INSERT INTO audit_log (user_id, action, entity_type, entity_id, details, created_at) SELECT b.user_id, 'webhook.accepted', 'signal', b.id::text, b.details, b.created_at FROM batch b JOIN inserted i ON i.id = b.id RETURNING entity_id;"
} >"$work/accept.sql"
bench_psql -c 'CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, body text, created_at timestamptz DEFAULT now())'
printf "INSERT INTO bench_insert (body) VALUES ('{\"symbol\":\"BTCUSDT\",\"side\":\"buy\"}');\n" >"$work/insert.sql"

lines="$work/lines.txt"
: >"$lines"
# run NAME SCRIPT ALERTS_PER_TRANSACTION: one 10 s pgbench run; one line in $lines.
run() {
  local split out transactions tps cpu
  split="$(cpu_split)"
  out="$(PGPASSWORD="$PG_PASSWORD" "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -M prepared \
    -c "$CONNECTIONS" -j 2 -T 10 -f "$2" signaldesk_bench 2>&1)" || { echo "$out" >&2; exit 1; }
  transactions="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")"
  tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")"
  cpu="$(cpu_per_request "$split" "$((transactions * $3))")"
  echo "$1 alerts_per_s=$(awk -v t="$tps" -v n="$3" 'BEGIN {printf "%.0f", t * n}') $cpu" |
    tee -a "$lines"
}
for round in $(seq "$ROUNDS"); do
  echo "== round $round"
  run single_insert "$work/insert.sql" 1
  run accept "$work/accept.sql" "$GROUP"
  bench_psql -c 'ALTER TABLE signals DISABLE TRIGGER signals_ready_insert'
  run accept_no_notify "$work/accept.sql" "$GROUP"
  bench_psql -c 'ALTER TABLE signals DISABLE TRIGGER ALL'
  run accept_no_triggers "$work/accept.sql" "$GROUP"
  bench_psql -c 'ALTER TABLE signals ENABLE TRIGGER ALL'
done
echo "== medians over $ROUNDS rounds ($CONNECTIONS clients; accept: $GROUP alerts per transaction; CPU in ms per alert)"
python3 - "$lines" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, *pairs = line.split()
    runs[name].append({k: float(v) for k, v in (p.split("=", 1) for p in pairs)})
print(f"{'run':<20} {'alerts/s':>9} {'pg ms':>7} {'all ms':>7} {'steal':>6}")
for name, values in runs.items():
    med = {k: statistics.median(v[k] for v in values) for k in values[0]}
    print(f"{name:<20} {med['alerts_per_s']:>9.0f} {med['pg_ms']:>7.3f} {med['busy_ms']:>7.3f} {med['steal_pct']:>5.1f}%")
PY
