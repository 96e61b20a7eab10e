#!/usr/bin/env bash
# The benchmark of issue 11, loopback only, bounded in time (about 4 minutes after the build):
#   scripts/bench/run.sh              release build, server on a throwaway PostgreSQL (fsync on)
#   DB=sqlite scripts/bench/run.sh    the same server on SQLite (PostgreSQL still runs pgbench)
# Measures with wrk, CONNECTIONS (32) connections for DURATION (15s) after a 3 s warm-up each:
# GET /healthz (the HTTP floor: no database), webhook accept (unique alert ids), POST /signals,
# login (LOGIN_CONNECTIONS, 4: Bcrypt is meant to be slow), webhook accept again during a flood of
# LOGIN_FLOOD_CONNECTIONS (8) logins (at full load and paced to about a third of it),
# GET /positions for a user with 1,000 positions, and the dashboard summary over 1,000 seeded
# users (PostgreSQL only; scripts/bench/dashboard.sh seeds the full population). Reports req/s,
# p50, p99 and p99.9 per request, the server's RSS after each, CPU per request (the server's,
# PostgreSQL's, all busy CPU), and pgbench's single-row INSERT rate at the same concurrency as the
# physical reference; every req/s also as a ratio to it.
# Environment: DB, CONNECTIONS, DURATION, LOGIN_CONNECTIONS, LOGIN_FLOOD_CONNECTIONS, ONLY (names of
# the requests to measure, e.g. "webhook_accept login"), SIGNALDESK_BIN (reuse a release binary),
# PROFILE_DIR (an existing directory: `perf record` the server during each measured run, and write
# NAME.self.txt and NAME.inclusive.txt reports there; needs the linux-perf package).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
ensure_packages wrk:wrk curl:curl python3:python3 "path=/usr/lib/postgresql:postgresql"
[ -z "${PROFILE_DIR:-}" ] || ensure_packages perf:linux-perf
ensure_swift

DB="${DB:-postgres}"
CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-15s}"
LOGIN_CONNECTIONS="${LOGIN_CONNECTIONS:-4}"
LOGIN_FLOOD_CONNECTIONS="${LOGIN_FLOOD_CONNECTIONS:-8}"
case "$DB" in postgres | sqlite) ;; *) echo "DB must be postgres or sqlite" >&2; exit 64 ;; esac
bench_binaries signaldesk
bench_start
server_url="$bench_url"
[ "$DB" = sqlite ] && server_url="sqlite:$work/bench.sqlite"

admin_password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
bench_serve DATABASE_URL="$server_url" WEBHOOK_RATE_PER_MINUTE=100000 WORKER_ENABLED=false \
  BOOTSTRAP_ADMIN_EMAIL=bench.admin@desk.io BOOTSTRAP_ADMIN_PASSWORD="$admin_password"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); server on $DB"

bench_webhook_user bench@signaldesk.test
admin_token="$(bench_login bench.admin@desk.io "$admin_password")"

# 1,000 positions for the benchmark user, and 1,000 users with positions and audit rows for the
# dashboard (PostgreSQL: written directly, as scripts/bench/dashboard.sh does at full size).
if [ "$DB" = postgres ]; then
  bench_psql <<SQL
INSERT INTO positions (id, user_id, symbol, exchange, side, qty, entry_price, stop_loss, take_profit, status,
                       opened_at, opened_day, closed_at, closed_day, exit_price, realized_pnl, fees)
SELECT gen_random_uuid(), u.id, 'BTCUSDT', 'BINANCE', 'LONG', 0.01, 30000, 29500, 31000, 'CLOSED',
       now() - k * interval '1 hour', to_char(now() - k * interval '1 hour', 'YYYY-MM-DD'),
       now() - k * interval '1 hour' + interval '10 minutes', to_char(now() - k * interval '1 hour', 'YYYY-MM-DD'),
       30100, 1.0, 0
FROM users u CROSS JOIN generate_series(1, 1000) AS k WHERE u.email = 'bench@signaldesk.test';
INSERT INTO users (id, email, password_hash, role, capital_base_usd, created_at, updated_at)
SELECT gen_random_uuid(), format('trader%s@desk.io', i), 'not-a-login', 'trader', 10000, now() - interval '60 days', now()
FROM generate_series(1, 1000) AS i;
INSERT INTO positions (id, user_id, symbol, exchange, side, qty, entry_price, stop_loss, take_profit, status,
                       opened_at, opened_day, closed_at, closed_day, exit_price, realized_pnl, fees)
SELECT gen_random_uuid(), u.id, 'BTCUSDT', 'BINANCE', 'LONG', 0.01, 30000, 29500, 31000, 'CLOSED',
       now() - k * interval '1 day', to_char(now() - k * interval '1 day', 'YYYY-MM-DD'),
       now() - k * interval '1 day', to_char(now() - k * interval '1 day', 'YYYY-MM-DD'), 30100, 1.0, 0
FROM users u CROSS JOIN generate_series(1, 7) AS k WHERE u.email LIKE 'trader%';
INSERT INTO audit_log (user_id, action, entity_type, entity_id, details, created_at)
SELECT u.id, (ARRAY['signal.create', 'position.open.blocked.cooldown', 'webhook.auth_failed'])[1 + k % 3], 'bench', k::text,
       '{"n":1}', now() - k * interval '1 hour'
FROM users u CROSS JOIN generate_series(1, 20) AS k WHERE u.email LIKE 'trader%';
ANALYZE;
SQL
  while [ "$(bench_psql -c 'SELECT count(*) FROM audit_log WHERE chain_seq IS NULL')" != "0" ]; do sleep 1; done
else
  # SQLite: the positions through the database file the server uses, with the same columns.
  python3 - "$work/bench.sqlite" <<'PY'
import sqlite3, sys, uuid, datetime
db = sqlite3.connect(sys.argv[1], timeout=30)
user = db.execute("SELECT id FROM users WHERE email = 'bench@signaldesk.test'").fetchone()[0]
now = datetime.datetime.now(datetime.timezone.utc)
rows = []
for k in range(1, 1001):
    opened = now - datetime.timedelta(hours=k)
    new = uuid.uuid4()
    # Ids in the form the server stores them (as the user's id is).
    position_id = new.bytes if isinstance(user, bytes) else (str(new).upper() if user.isupper() else str(new))
    rows.append((position_id, user, opened.timestamp(), opened.strftime("%Y-%m-%d"),
                 (opened + datetime.timedelta(minutes=10)).timestamp(), opened.strftime("%Y-%m-%d")))
db.executemany("""INSERT INTO positions (id, user_id, symbol, exchange, side, qty, entry_price, stop_loss, take_profit,
    status, opened_at, opened_day, closed_at, closed_day, exit_price, realized_pnl, fees)
    VALUES (?, ?, 'BTCUSDT', 'BINANCE', 'LONG', 0.01, 30000, 29500, 31000, 'CLOSED', ?, ?, ?, ?, 30100, 1.0, 0)""", rows)
db.commit()
PY
fi
positions="$(curl -fsS "$base/positions" -H "Authorization: Bearer $token" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
echo "GET /positions returns $positions positions"
[ "$positions" -ge 1000 ] || { echo "seeding the positions failed"; exit 1; }

results="$work/results.txt"
: >"$results"
# selected NAME: whether ONLY (when set) names this measurement.
selected() {
  [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]
}
# measure NAME CONNECTIONS SCRIPT [VAR=VALUE...]: warm-up, measured run, RSS; one line in $results.
measure() {
  local name="$1" connections="$2" script="$3"
  shift 3
  selected "$name" || return 0
  env "$@" wrk -t2 -c"$connections" -d3s -s "$script" "$base" >/dev/null
  local line split perf_pid=""
  if [ -n "${PROFILE_DIR:-}" ]; then
    # The server's stacks during the measured run (which then costs more CPU per request).
    perf record -q -F 499 --call-graph dwarf,32768 -p "$server_pid" -o "$PROFILE_DIR/$name.data" \
      -- sleep "${DURATION%s}" &
    perf_pid=$!
  fi
  split="$(cpu_split)"
  line="$(env "$@" wrk -t2 -c"$connections" -d"$DURATION" --timeout 10s -s "$script" "$base" | grep RESULT)"
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid"
    perf report -q -i "$PROFILE_DIR/$name.data" --no-children --sort symbol --percent-limit 0.5 --stdio \
      -g none >"$PROFILE_DIR/$name.self.txt"
    perf report -q -i "$PROFILE_DIR/$name.data" --children --sort symbol --percent-limit 2 --stdio \
      -g none >"$PROFILE_DIR/$name.inclusive.txt"
  fi
  local rss_kb cpu
  cpu="$(cpu_per_request "$split" "$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$line")")"
  rss_kb="$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")"
  echo "$name connections=$connections ${line#RESULT } rss_mb=$((rss_kb / 1024)) $cpu" |
    tee -a "$results"
}
signal_body='{"symbol":"BTCUSDT","module":"swing","base_risk_percent":0.5,"entry_price":30000,"stop_loss":29700,"take_profit":30600}'
echo "== measuring ($DURATION each)"
# The floor of this server's HTTP path: GET /healthz reaches no database, while every middleware
# (request id, route log, metrics, errors) still runs. No request that reads or writes can
# be faster here, so its ratio to pgbench bounds theirs.
measure healthz_floor "$CONNECTIONS" scripts/bench/request.lua BENCH_PATH=/healthz
measure webhook_accept "$CONNECTIONS" scripts/bench/webhook_accept.lua
measure post_signals "$CONNECTIONS" scripts/bench/request.lua BENCH_METHOD=POST BENCH_PATH=/signals \
  BENCH_TOKEN="$token" BENCH_BODY="$signal_body"
measure get_positions_1000 "$CONNECTIONS" scripts/bench/request.lua BENCH_PATH=/positions BENCH_TOKEN="$token"
login_request=(BENCH_METHOD=POST BENCH_PATH=/auth/login BENCH_CONTENT_TYPE=application/x-www-form-urlencoded
  BENCH_BODY="username=bench%40signaldesk.test&password=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$user_password")")
measure login "$LOGIN_CONNECTIONS" scripts/bench/request.lua "${login_request[@]}"
# Webhook accept while logins keep Bcrypt busy (DESIGN.md: p99 under 50 ms also then), at full
# load and paced (each connection waits 30 ms before each request: about a third of the
# capacity): a flood of LOGIN_FLOOD_CONNECTIONS logins runs through the warm-up and the measured
# run; its own rate meanwhile is the login_flood line after the measurement's.
measure_during_login_flood() {
  selected "$1" || return 0
  env "${login_request[@]}" wrk -t1 -c"$LOGIN_FLOOD_CONNECTIONS" -d"$((${DURATION%s} + 5))s" --timeout 30s \
    -s scripts/bench/request.lua "$base" >"$work/login_flood.txt" &
  local flood_pid=$!
  measure "$@"
  wait "$flood_pid"
  echo "login_flood connections=$LOGIN_FLOOD_CONNECTIONS $(sed -n 's/^RESULT //p' "$work/login_flood.txt") rss_mb=- server_ms=- pg_ms=- busy_ms=- steal_pct=-" |
    tee -a "$results"
}
measure_during_login_flood webhook_during_logins "$CONNECTIONS" scripts/bench/webhook_accept.lua
measure_during_login_flood webhook_paced_during_logins "$CONNECTIONS" scripts/bench/webhook_accept.lua BENCH_DELAY_MS=30
if [ "$DB" = postgres ]; then
  measure dashboard_summary 4 scripts/bench/request.lua BENCH_PATH=/ops/dashboard/summary BENCH_TOKEN="$admin_token"
fi

echo "== pgbench: single-row INSERT, $CONNECTIONS clients, $DURATION"
bench_psql -c 'CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, body text, created_at timestamptz DEFAULT now())'
printf "INSERT INTO bench_insert (body) VALUES ('{\"symbol\":\"BTCUSDT\",\"side\":\"buy\"}');\n" >"$work/insert.sql"
pgbench_split="$(server_pid='' cpu_split)"
PGPASSWORD="$PG_PASSWORD" "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -c "$CONNECTIONS" -j 2 \
  -T "${DURATION%s}" -f "$work/insert.sql" signaldesk_bench >"$work/pgbench.txt" 2>/dev/null
pgbench_tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.txt")"
pgbench_cpu="$(server_pid='' cpu_per_request "$pgbench_split" \
  "$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/pgbench.txt")")"
echo "pgbench_single_insert_tps=$pgbench_tps $pgbench_cpu"

echo "== summary (server on $DB; ratio = req/s / pgbench single-INSERT tps; steal = CPU time the hypervisor gave to other guests)"
echo "   CPU per request, in ms: srv = the server, pg = PostgreSQL, all = every busy CPU (wrk or pgbench and the kernel included)"
python3 - "$results" "$pgbench_tps $pgbench_cpu" <<'PY'
import sys
pgbench = sys.argv[2].split()
tps = float(pgbench[0])
pg_cpu = dict(p.split("=", 1) for p in pgbench[1:])
print(f"{'request':<27} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'RSS MB':>7} {'ratio':>7} "
      f"{'non-2xx':>8} {'srv':>6} {'pg':>6} {'all':>6} {'steal':>6}")
for line in open(sys.argv[1]):
    name, *pairs = line.split()
    v = dict(p.split("=", 1) for p in pairs)
    print(f"{name:<27} {v['connections']:>5} {float(v['rps']):>9.{0 if float(v['rps']) >= 100 else 1}f} {float(v['p50_ms']):>8.1f} {float(v['p99_ms']):>8.1f} "
          f"{float(v['p999_ms']):>9.1f} {v['rss_mb']:>7} {100 * float(v['rps']) / tps:>6.1f}% {v['non2xx']:>8} "
          f"{v['server_ms']:>6} {v['pg_ms']:>6} {v['busy_ms']:>6} {v['steal_pct']:>5}%")
print(f"{'pgbench insert':<27} {'':>5} {tps:>9.0f} {'':>8} {'':>8} {'':>9} {'':>7} {'':>7} {'':>8} "
      f"{'-':>6} {pg_cpu['pg_ms']:>6} {pg_cpu['busy_ms']:>6} {pg_cpu['steal_pct']:>5}%")
PY
