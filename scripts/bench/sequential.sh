#!/usr/bin/env bash
# Issue 21, items 4 and 5, loopback only, bounded in count and time (about 2 minutes per database
# after the build):
#   scripts/bench/sequential.sh            release build, on PostgreSQL (fsync on) and on SQLite
#   DBS=sqlite scripts/bench/sequential.sh one database only
# For each database, a fresh server (execution worker on, paper mode) and two measurements:
# 1. Sequential alerts: one client on ONE keep-alive connection sends ALERTS webhook alerts one
#    after another (each waits for the previous answer), after WARMUP alerts; p50, p99, p99.9
#    and max of the answer time, as the client sees it. Judged by p50 < 3 ms and p99 < 20 ms.
# 2. Idle after a burst: USERS users send BURST alerts from BURST_CONNECTIONS connections; once
#    every signal left CREATED (and EXECUTING) and SETTLE seconds passed, the server's CPU
#    (/proc/PID/stat utime + stime) over IDLE seconds, as % of one core, and on PostgreSQL the
#    statements the server sent meanwhile (per second, from PostgreSQL's statement log) and the
#    cluster's own CPU ("after execution"); then, once no Telegram message is left to send (at most
#    240 s later), the same again ("quiet"). Judged by how close to zero it is: an idle server
#    should do (almost) nothing, and its backlog should be gone soon after the burst.
# Environment: DBS ("postgres sqlite"), ALERTS (200), WARMUP (20), USERS (100), BURST (2000),
# BURST_CONNECTIONS (64), SETTLE (5), IDLE (30), SEQUENTIAL_ONLY (1: measurement 1 only),
# SIGNALDESK_BIN (reuse a release binary), SERVER_ENV (extra VAR=VALUE words for the server).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
ensure_packages curl:curl python3:python3 "path=/usr/lib/postgresql:postgresql"
ensure_swift

DBS="${DBS:-postgres sqlite}"
ALERTS="${ALERTS:-200}"
WARMUP="${WARMUP:-20}"
USERS="${USERS:-100}"
BURST="${BURST:-2000}"
BURST_CONNECTIONS="${BURST_CONNECTIONS:-64}"
SETTLE="${SETTLE:-5}"
IDLE="${IDLE:-30}"
SEQUENTIAL_ONLY="${SEQUENTIAL_ONLY:-0}"
bench_binaries signaldesk
bench_start
results="$work/results.txt"
: >"$results"
echo "machine: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); binary $SIGNALDESK_BIN"

# cpu_steal: "STEAL TOTAL" clock ticks of all CPUs so far (/proc/stat). Not cpu_split: its read of
# every process's stat fails when one ends meanwhile, which on a busy machine ended this script.
cpu_steal() {
  awk '/^cpu / {total = 0; for (i = 2; i <= NF; i++) total += $i; print $9, total}' /proc/stat
}

# steal_since "CPU_STEAL": the share of all CPU time stolen by the hypervisor since then, in %.
steal_since() {
  local steal0 total0 steal1 total1
  read -r steal0 total0 <<<"$1"
  read -r steal1 total1 < <(cpu_steal)
  awk -v s=$((steal1 - steal0)) -v t=$((total1 - total0)) 'BEGIN {printf "%.1f", (t > 0) ? 100 * s / t : 0}'
}

# signal_counts: "created executing total" signals in the server's database.
signal_counts() {
  if [ "$db" = postgres ]; then
    bench_psql -F ' ' -c "SELECT count(*) FILTER (WHERE status = 'CREATED'), count(*) FILTER (WHERE status = 'EXECUTING'), count(*) FROM signals"
  else
    python3 - "$work/bench.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
print(*db.execute("SELECT sum(status = 'CREATED'), sum(status = 'EXECUTING'), count(*) FROM signals").fetchone())
PY
  fi
}

# backlog: open positions, pending outbox messages and unchained audit rows (what the background
# loops still have to do).
backlog() {
  local sql="SELECT (SELECT count(*) FROM positions WHERE status = 'OPEN'), (SELECT count(*) FROM outbox WHERE status = 'PENDING'), (SELECT count(*) FROM audit_log WHERE chain_seq IS NULL)"
  if [ "$db" = postgres ]; then
    bench_psql -F ' ' -c "$sql"
  else
    python3 - "$work/bench.sqlite" "$sql" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
print(*db.execute(sys.argv[2]).fetchone())
PY
  fi | awk '{printf "open_positions=%s pending_messages=%s unchained_audit_rows=%s", $1, $2, $3}'
}

# cpu_ticks: "SERVER POSTGRES" CPU clock ticks so far: the server's, and this benchmark's PostgreSQL
# cluster's (its postmaster and every process it started; other clusters on the machine are not
# counted, unlike cpu_split's total). Processes that end meanwhile are skipped.
cpu_ticks() {
  local postmaster
  postmaster="$(head -1 "$PG_DIR/data/postmaster.pid")"
  # cat, not awk over the files: mawk stops at a file that is gone (a process that ended).
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v pm="$postmaster" -v server="${server_pid:-0}" '
    { pid = $1; sub(/^[0-9]+ \(.*\) /, "S "); }
    pid == server { srv = $13 + $14 }
    pid == pm || $3 == pm { pg += $13 + $14 + $15 + $16 }
    END { print srv + 0, pg + 0 }'
}

# pg_log_statements on|off: PostgreSQL logs every statement, each line with its client's
# application name ("[unknown]" for the server, "psql" for this script), or stops.
pg_log_statements() {
  if [ "$1" = on ]; then
    bench_psql -c "ALTER SYSTEM SET log_statement = 'all'" -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] app=%a '"
  else
    bench_psql -c "ALTER SYSTEM RESET log_statement" -c "ALTER SYSTEM RESET log_line_prefix"
  fi
  bench_psql -c "SELECT pg_reload_conf()" >/dev/null
}

# server_statements FROM_LINE: statements the server sent since line FROM_LINE of the cluster's log.
server_statements() {
  tail -n +"$1" "$PG_DIR/server.log" | grep -E ' LOG:  (execute|statement)' | grep -c -v ' app=psql ' || true
}

# idle_window LABEL: the idle measurement over IDLE seconds (one line in $results).
idle_window() {
  local label="$1" from=0 ticks split statements=0
  if [ "$db" = postgres ]; then
    pg_log_statements on
    from="$(($(wc -l <"$PG_DIR/server.log") + 1))"
  fi
  split="$(cpu_steal)"
  ticks="$(cpu_ticks)"
  sleep "$IDLE"
  local server0 postgres0 server1 postgres1 steal server_pct pg_pct
  read -r server0 postgres0 <<<"$ticks"
  read -r server1 postgres1 < <(cpu_ticks)
  steal="$(steal_since "$split")"
  if [ "$db" = postgres ]; then
    statements="$(server_statements "$from")"
    pg_log_statements off
  fi
  server_pct="$(awk -v t=$((server1 - server0)) -v hz="$(getconf CLK_TCK)" -v s="$IDLE" 'BEGIN {printf "%.1f", 100 * t / hz / s}')"
  pg_pct="$(awk -v t=$((postgres1 - postgres0)) -v hz="$(getconf CLK_TCK)" -v s="$IDLE" 'BEGIN {printf "%.1f", 100 * t / hz / s}')"
  if [ "$db" = postgres ]; then
    echo "idle_$label db=$db server_cpu_pct=$server_pct pg_cpu_pct=$pg_pct server_statements_per_s=$(awk -v c="$statements" -v s="$IDLE" 'BEGIN {printf "%.1f", c / s}') $(backlog) steal_pct=$steal" | tee -a "$results"
  else
    echo "idle_$label db=$db server_cpu_pct=$server_pct $(backlog) steal_pct=$steal" | tee -a "$results"
  fi
}

run_database() {
  db="$1"
  local server_url="$bench_url"
  # Each database once: PostgreSQL's is the fresh one of bench_start.
  [ "$db" = sqlite ] && server_url="sqlite:$work/bench.sqlite"
  # shellcheck disable=SC2086 # SERVER_ENV is a list of words
  bench_serve DATABASE_URL="$server_url" WEBHOOK_RATE_PER_MINUTE=100000 PAPER_SLIPPAGE_BPS=0 PAPER_FEE_BPS=0 ${SERVER_ENV:-}
  bench_webhook_user sequential@signaldesk.test

  echo "== $db: $ALERTS sequential alerts on one keep-alive connection (after $WARMUP)"
  local split line
  split="$(cpu_steal)"
  line="$(python3 - "$base" "$WARMUP" "$ALERTS" <<'PY'
import http.client, json, os, statistics, sys, time, urllib.parse
base, warmup, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
url = urllib.parse.urlsplit(base)
uuid, secret = os.environ["WEBHOOK_UUID"], os.environ["WEBHOOK_SECRET"]
connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
times = []
for index in range(warmup + count):
    body = json.dumps({"secret": secret, "symbol": "BINANCE:BTCUSDT", "side": "buy", "price": 30000,
                       "stop_loss": 29700, "take_profit": 30600, "alert_id": f"seq-{index}"}).encode()
    started = time.perf_counter()
    # One send: headers and body together (http.client joins them when the body is bytes).
    connection.request("POST", f"/webhooks/tradingview/{uuid}", body=body,
                       headers={"Content-Type": "application/json", "Connection": "keep-alive"})
    answer = connection.getresponse()
    answer.read()
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status != 202:
        sys.exit(f"alert {index}: HTTP {answer.status}")
    if index >= warmup:
        times.append(elapsed)
times.sort()
def pct(p):
    return times[min(len(times) - 1, int(round(p / 100 * (len(times) - 1))))]
print(f"n={len(times)} p50_ms={pct(50):.2f} p90_ms={pct(90):.2f} p99_ms={pct(99):.2f} "
      f"p999_ms={pct(99.9):.2f} max_ms={times[-1]:.2f} mean_ms={statistics.mean(times):.2f}")
PY
)"
  echo "sequential db=$db $line steal_pct=$(steal_since "$split")" | tee -a "$results"
  if [ "$SEQUENTIAL_ONLY" = 1 ]; then
    bench_stop_servers
    return
  fi

  echo "== $db: registering $USERS users"
  python3 - "$base" "$USERS" >"$work/hooks.txt" <<'PY'
import json, sys, urllib.parse, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, count = sys.argv[1], int(sys.argv[2])
def call(path, data=None, token=None, form=False):
    headers = {}
    if token: headers["Authorization"] = "Bearer " + token
    body = None
    if data is not None:
        if form:
            body = urllib.parse.urlencode(data).encode(); headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(data).encode(); headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=body, headers=headers,
                                     method="POST" if body is not None or path.endswith("secret") else "GET")
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)
def user(index):
    email, password = f"burst{index}@desk.io", f"burst-password-{index}"
    call("/auth/register", {"email": email, "password": password})
    token = call("/auth/login", {"username": email, "password": password}, form=True)["access_token"]
    hook = call("/webhooks/secret", None, token)
    return f'{hook["webhook_uuid"]} {hook["webhook_secret"]}'
with ThreadPoolExecutor(4) as pool:
    for line in pool.map(user, range(count)):
        print(line)
PY

  echo "== $db: burst of $BURST alerts from $USERS users on $BURST_CONNECTIONS connections"
  python3 - "$base" "$BURST" "$BURST_CONNECTIONS" "$work/hooks.txt" <<'PY'
import http.client, json, sys, threading, time, urllib.parse
base, total, connections = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hooks = [line.split() for line in open(sys.argv[4]) if line.strip()]
url = urllib.parse.urlsplit(base)
symbols = ["BINANCE:BTCUSDT", "BINANCE:ETHUSDT", "BINANCE:SOLUSDT", "BINANCE:BNBUSDT"]
next_index, lock, statuses = [0], threading.Lock(), {}
def client():
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    while True:
        with lock:
            index = next_index[0]
            if index >= total:
                return
            next_index[0] += 1
        uuid, secret = hooks[index % len(hooks)]
        body = json.dumps({"secret": secret, "symbol": symbols[index // len(hooks) % len(symbols)], "side": "buy",
                           "price": 30000, "stop_loss": 29700, "take_profit": 30600,
                           "alert_id": f"burst-{index}"}).encode()
        connection.request("POST", f"/webhooks/tradingview/{uuid}", body=body, headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        answer.read()
        with lock:
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
started = time.perf_counter()
threads = [threading.Thread(target=client) for _ in range(connections)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(f"answered in {time.perf_counter() - started:.2f} s: {statuses}")
PY
  local deadline=$((SECONDS + 180)) counts
  while true; do
    counts="$(signal_counts)"
    read -r created executing total <<<"$counts"
    [ "${created:-0}" = 0 ] && [ "${executing:-0}" = 0 ] && break
    [ $SECONDS -ge $deadline ] && { echo "still $created CREATED, $executing EXECUTING after 180 s"; break; }
    sleep 0.5
  done
  echo "every signal left CREATED/EXECUTING ($total signals); settling $SETTLE s"
  sleep "$SETTLE"

  echo "== $db: idle for $IDLE s after the execution ($(backlog))"
  idle_window after_execution
  local pending deadline=$((SECONDS + 240)) waited=$SECONDS
  while true; do
    pending="$(backlog | sed -n 's/.*pending_messages=\([0-9]*\).*/\1/p')"
    [ "${pending:-0}" = 0 ] && break
    [ $SECONDS -ge $deadline ] && { echo "still $pending messages pending after 240 s"; break; }
    sleep 1
  done
  echo "== $db: no message left to send $((SECONDS - waited)) s later; idle for $IDLE s ($(backlog))"
  idle_window quiet
  bench_stop_servers
}

for db in $DBS; do run_database "$db"; done
echo "== summary (sequential: ms as the one client sees it; idle: % of one core over $IDLE s)"
cat "$results"
