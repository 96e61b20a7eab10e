#!/usr/bin/env bash
# The long lists of issue 21 (item 2), loopback only, bounded in time (about 45 s per binary and
# round after the build): a user with SIGNALS (2,000) signals and AUDIT_ROWS (1,000) audit rows,
# then wrk at CONNECTIONS (32) connections for DURATION (10s) after a 3 s warm-up on
#   signals_500        GET /signals?limit=500                (the issue's case: 500 rows, ~190 KB)
#   signals_500_next   GET /signals?limit=500&before=<the 500th row's id>   (the second page)
#   audit_me_500       GET /ops/audit/me?limit=500
# each on a fresh throwaway PostgreSQL (fsync on) or SQLite (DB=sqlite), binaries interleaved per
# round so that the machine's drift hits them alike. Reports req/s, p50/p99, CPU per request (the
# server's, PostgreSQL's, all busy CPU) and steal, and each req/s as a multiple of crypto-saas's
# rate for the same 500 rows: issue 21 measured SignalDesk at 16-18 req/s = 0.38x crypto-saas,
# so crypto-saas served about CRYPTO_SAAS_RPS (45) req/s, at 32-41 ms of its server's CPU each
# (the target is 5x: 225 req/s). A binary built before paging ignores `before` (its "next page"
# is the first page again).
#   scripts/bench/signals_list.sh                      a release build of this checkout
#   scripts/bench/signals_list.sh OLD_BINARY NEW_BINARY
# Environment: DB, ROUNDS (1), DURATION, CONNECTIONS, SIGNALS, AUDIT_ROWS, CRYPTO_SAAS_RPS, and
# SIGNALS_INDEX=1 to create idx_signals_user_created (user_id, created_at, id) before measuring
# (the list's order as an index; without it every page reads and sorts all of the user's signals).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
ensure_packages wrk:wrk curl:curl python3:python3 "path=/usr/lib/postgresql:postgresql"

DB="${DB:-postgres}"
ROUNDS="${ROUNDS:-1}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
SIGNALS="${SIGNALS:-2000}"
AUDIT_ROWS="${AUDIT_ROWS:-1000}"
CRYPTO_SAAS_RPS="${CRYPTO_SAAS_RPS:-45}"
case "$DB" in postgres | sqlite) ;; *) echo "DB must be postgres or sqlite" >&2; exit 64 ;; esac
[ "$SIGNALS" -gt 500 ] || { echo "SIGNALS must be more than 500 (the second page)" >&2; exit 64; }
if [ "$#" -eq 0 ]; then
  ensure_swift
  bench_binaries signaldesk
  set -- "$SIGNALDESK_BIN"
fi
lines="$(mktemp /tmp/signaldesk-signals-list.XXXXXX)"
trap 'rm -f "$lines"' EXIT

# seed_postgres / seed_sqlite: the benchmark user's signals (one in ten REJECTED with a reason
# code, the others COMPLETED; a minute apart) and audit rows (signal.create, with the entity id in
# upper case as the server writes it).
seed_postgres() {
  bench_psql <<SQL
INSERT INTO signals (id, user_id, symbol, module, side, exchange, source, order_type, action, base_risk_percent,
                     entry_price, stop_loss, take_profit, status, reason_codes, lease_count, created_at, updated_at)
SELECT gen_random_uuid(), u.id, 'BTCUSDT', 'swing', 'LONG', 'BINANCE', 'api', 'market', 'open', 0.5, 30000 + k, 29700,
       30600, CASE WHEN k % 10 = 0 THEN 'REJECTED' ELSE 'COMPLETED' END,
       CASE WHEN k % 10 = 0 THEN '["max_open_positions"]' ELSE '[]' END, 1,
       now() - k * interval '1 minute', now() - k * interval '1 minute' + interval '2 seconds'
FROM users u CROSS JOIN generate_series(1, $SIGNALS) AS k WHERE u.email = 'bench@signaldesk.test';
INSERT INTO audit_log (user_id, action, entity_type, entity_id, details, created_at)
SELECT u.id, 'signal.create', 'signal', upper(gen_random_uuid()::text),
       '{"exchange":"BINANCE","module":"swing","side":"LONG","source":"api","symbol":"BTCUSDT"}',
       now() - k * interval '1 minute'
FROM users u CROSS JOIN generate_series(1, $AUDIT_ROWS) AS k WHERE u.email = 'bench@signaldesk.test';
$([ "${SIGNALS_INDEX:-0}" = 1 ] && echo 'CREATE INDEX IF NOT EXISTS idx_signals_user_created ON signals (user_id, created_at, id);')
ANALYZE;
SQL
  # The sealer chains the new audit rows; measure after it is done.
  while [ "$(bench_psql -c 'SELECT count(*) FROM audit_log WHERE chain_seq IS NULL')" != "0" ]; do sleep 1; done
}

seed_sqlite() {
  python3 - "$work/bench.sqlite" "$SIGNALS" "$AUDIT_ROWS" "${SIGNALS_INDEX:-0}" <<'PY'
import sqlite3, sys, uuid, datetime
db = sqlite3.connect(sys.argv[1], timeout=30)
signals, audit_rows = int(sys.argv[2]), int(sys.argv[3])
user = db.execute("SELECT id FROM users WHERE email = 'bench@signaldesk.test'").fetchone()[0]
now = datetime.datetime.now(datetime.timezone.utc).timestamp()
def new_id():
    # In the form the server stores ids (as the user's id is).
    new = uuid.uuid4()
    return new.bytes if isinstance(user, bytes) else (str(new).upper() if user.isupper() else str(new))
db.executemany("""INSERT INTO signals (id, user_id, symbol, module, side, exchange, source, order_type, action,
    base_risk_percent, entry_price, stop_loss, take_profit, status, reason_codes, lease_count, created_at, updated_at)
    VALUES (?, ?, 'BTCUSDT', 'swing', 'LONG', 'BINANCE', 'api', 'market', 'open', 0.5, ?, 29700, 30600, ?, ?, 1, ?, ?)""",
    [(new_id(), user, 30000 + k, "REJECTED" if k % 10 == 0 else "COMPLETED",
      '["max_open_positions"]' if k % 10 == 0 else "[]", now - 60 * k, now - 60 * k + 2) for k in range(1, signals + 1)])
db.executemany("""INSERT INTO audit_log (user_id, action, entity_type, entity_id, details, created_at)
    VALUES (?, 'signal.create', 'signal', ?, '{"exchange":"BINANCE","module":"swing","side":"LONG","source":"api","symbol":"BTCUSDT"}', ?)""",
    [(user, str(uuid.uuid4()).upper(), now - 60 * k) for k in range(1, audit_rows + 1)])
if sys.argv[4] == "1":
    db.execute("CREATE INDEX IF NOT EXISTS idx_signals_user_created ON signals (user_id, created_at, id)")
db.commit()
PY
}

# one_run BINARY: the three measurements on a fresh database; one "NAME rps p50 p99 server_ms
# pg_ms busy_ms steal_pct" line each.
one_run() (
  SIGNALDESK_BIN="$1"
  bench_start
  server_url="$bench_url"
  [ "$DB" = sqlite ] && server_url="sqlite:$work/bench.sqlite"
  bench_serve DATABASE_URL="$server_url" WORKER_ENABLED=false
  bench_webhook_user bench@signaldesk.test >/dev/null
  "seed_$DB"
  local first cursor
  first="$(curl -fsS -D "$work/headers.txt" "$base/signals?limit=500" -H "Authorization: Bearer $token")"
  cursor="$(python3 -c 'import json, sys; rows = json.load(sys.stdin); print(rows[-1]["id"])' <<<"$first")"
  echo "# $(python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' <<<"$first") rows, ${#first} bytes;" \
    "next page: $(grep -i '^x-next-cursor:' "$work/headers.txt" | tr -d '\r' || echo 'no X-Next-Cursor')" >&2
  measure() {
    local name="$1" path="$2" split result requests
    BENCH_PATH="$path" BENCH_TOKEN="$token" wrk -t2 -c"$CONNECTIONS" -d3s -s scripts/bench/request.lua "$base" >/dev/null
    split="$(cpu_split)"
    result="$(BENCH_PATH="$path" BENCH_TOKEN="$token" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s \
      -s scripts/bench/request.lua "$base" | grep RESULT)"
    requests="$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$result")"
    python3 - "$name" "$result $(cpu_per_request "$split" "$requests")" <<'PY'
import sys
v = dict(p.split("=", 1) for p in sys.argv[2].split()[1:])
if v["non2xx"] != "0" or v["errors"] != "0":
    print(f"# {sys.argv[1]}: {v['non2xx']} answers not 2xx, {v['errors']} errors", file=sys.stderr)
print(sys.argv[1], v["rps"], v["p50_ms"], v["p99_ms"], v["server_ms"], v["pg_ms"], v["busy_ms"], v["steal_pct"])
PY
  }
  measure signals_500 "/signals?limit=500"
  measure signals_500_next "/signals?limit=500&before=$cursor"
  measure audit_me_500 "/ops/audit/me?limit=500"
)

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); server on $DB; $SIGNALS signals" \
  "(idx_signals_user_created: $([ "${SIGNALS_INDEX:-0}" = 1 ] && echo created || echo 'as migrated'));" \
  "$CONNECTIONS connections, $DURATION each; crypto-saas reference $CRYPTO_SAAS_RPS req/s"
printf '%-17s %-34s %8s %7s %8s %8s %7s %7s %6s %6s\n' request binary req/s x_cs "p50 ms" "p99 ms" srv_ms pg_ms all_ms steal
for round in $(seq "$ROUNDS"); do
  for binary in "$@"; do
    while read -r name rps p50 p99 server pg busy steal; do
      printf '%-17s %-34s %8.1f %6.1fx %8.1f %8.1f %7.2f %7.2f %6.2f %5.1f%%  (round %s)\n' "$name" "$binary" "$rps" \
        "$(python3 -c "print($rps / $CRYPTO_SAAS_RPS)")" "$p50" "$p99" "$server" "$pg" "$busy" "$steal" "$round"
      echo "$name $binary $rps $p50 $p99 $server $pg $busy $steal" >>"$lines"
    done < <(one_run "$binary" | grep -E "^(signals|audit)_")
  done
done
if [ "$ROUNDS" -gt 1 ]; then
  echo "== medians over $ROUNDS rounds"
  python3 - "$lines" "$CRYPTO_SAAS_RPS" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, binary, *values = line.split()
    runs[(name, binary)].append([float(v) for v in values])
for (name, binary), values in runs.items():
    m = [statistics.median(column) for column in zip(*values)]
    print(f"{name:<17} {binary:<34} {m[0]:>8.1f} {m[0] / float(sys.argv[2]):>6.1f}x {m[1]:>8.1f} {m[2]:>8.1f} "
          f"{m[3]:>7.2f} {m[4]:>7.2f} {m[5]:>6.2f} {m[6]:>5.1f}%")
PY
fi
