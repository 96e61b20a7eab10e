#!/usr/bin/env bash
# A bar-close burst (issue 21, item 1), loopback only, bounded in count and time:
#   scripts/bench/burst.sh            release build, PostgreSQL (fsync on)
#   DB=sqlite scripts/bench/burst.sh  the same on SQLite
# TRADERS (100) webhook users send ALERTS (2000) alerts in total, round-robin, from CONNECTIONS (64)
# keep-alive connections at once, with the server's own execution worker on (paper venue). Reports
# how long answering took, when the last signal left CREATED/EXECUTING (from the database:
# signals.updated_at, and by polling), the lag between the last answer and that moment, and the
# worker's rate (signals executed per second from the first alert to the last execution).
# HISTORY (0): prior signals seeded for every trader before the burst (completed opens with their
# closed positions and filled orders, and rejected signals), to show whether execution slows as a
# user's history grows. Environment: DB, TRADERS, ALERTS, CONNECTIONS, HISTORY, WORKER_CONCURRENCY
# (the server's setting, 4 unless given), SIGNALDESK_BIN (reuse a release binary), TIMEOUT (120 s:
# the longest wait for the execution to finish), DRAIN (0): 1 runs the server with its worker off,
# and after the last answer starts one `signaldesk worker` process on the same database: the time
# from its start to the last execution is the worker's own rate, apart from the intake.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
ensure_packages curl:curl python3:python3 "path=/usr/lib/postgresql:postgresql"

DB="${DB:-postgres}"
TRADERS="${TRADERS:-100}"
ALERTS="${ALERTS:-2000}"
CONNECTIONS="${CONNECTIONS:-64}"
HISTORY="${HISTORY:-0}"
DRAIN="${DRAIN:-0}"
TIMEOUT="${TIMEOUT:-120}"
case "$DB" in postgres | sqlite) ;; *) echo "DB must be postgres or sqlite" >&2; exit 64 ;; esac
bench_binaries signaldesk
bench_start
server_url="$bench_url"
[ "$DB" = sqlite ] && server_url="sqlite:$work/bench.sqlite"
worker=(PAPER_SLIPPAGE_BPS=0 PAPER_FEE_BPS=0)
[ -n "${WORKER_CONCURRENCY:-}" ] && worker+=(WORKER_CONCURRENCY="$WORKER_CONCURRENCY")
serve_worker=()
[ "$DRAIN" = 1 ] && serve_worker=(WORKER_ENABLED=false)
bench_serve DATABASE_URL="$server_url" WEBHOOK_RATE_PER_MINUTE=100000 "${worker[@]}" "${serve_worker[@]}"
echo "machine: $(nproc) cores; server on $DB; $TRADERS traders, $ALERTS alerts, $CONNECTIONS connections, history $HISTORY, drain $DRAIN"

echo "== registering $TRADERS traders"
python3 - "$base" "$TRADERS" >"$work/hooks.txt" <<'PY'
import json, secrets, sys, urllib.parse, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, count = sys.argv[1], int(sys.argv[2])
def call(path, data=None, token=None, form=False):
    headers = {}
    if token: headers["Authorization"] = "Bearer " + token
    body = None
    if data is not None:
        body = urllib.parse.urlencode(data).encode() if form else json.dumps(data).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
    request = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.load(answer)
def trader(index):
    email, password = f"burst{index}@signaldesk.test", secrets.token_urlsafe(18)
    call("/auth/register", {"email": email, "password": password})
    token = call("/auth/login", {"username": email, "password": password}, form=True)["access_token"]
    hook = call("/webhooks/secret", token=token)
    return hook["webhook_uuid"], hook["webhook_secret"]
with ThreadPoolExecutor(8) as pool:
    for uuid, secret in pool.map(trader, range(count)):
        print(uuid, secret)
PY

if [ "$HISTORY" -gt 0 ]; then
  echo "== seeding $HISTORY prior signals per trader"
  if [ "$DB" = postgres ]; then
    bench_psql <<SQL
CREATE TEMP TABLE seed AS
SELECT u.id AS user_id, k, gen_random_uuid() AS signal_id, gen_random_uuid() AS position_id,
       now() - (k * interval '1 minute') - interval '1 day' AS at
FROM users u CROSS JOIN generate_series(1, $HISTORY) AS k WHERE u.email LIKE 'burst%';
INSERT INTO signals (id, user_id, symbol, module, side, exchange, source, order_type, action, entry_price,
                     stop_loss, take_profit, status, reason_codes, lease_count, created_at, updated_at)
SELECT signal_id, user_id, 'BTCUSDT', 'tradingview', 'LONG', 'BINANCE', 'tradingview', 'market', 'open', 30000,
       29500, 31000, CASE WHEN k % 2 = 0 THEN 'COMPLETED' ELSE 'REJECTED' END,
       CASE WHEN k % 2 = 0 THEN '[]' ELSE '["cooldown_passed"]' END, 1, at, at
FROM seed;
INSERT INTO positions (id, user_id, signal_id, symbol, exchange, side, qty, entry_price, stop_loss, take_profit,
                       status, opened_at, opened_day, closed_at, closed_day, exit_price, realized_pnl, fees)
SELECT position_id, user_id, signal_id, 'BTCUSDT', 'BINANCE', 'LONG', 0.01, 30000, 29500, 31000, 'CLOSED', at,
       to_char(at, 'YYYY-MM-DD'), at + interval '30 seconds', to_char(at, 'YYYY-MM-DD'), 30100, 1.0, 0
FROM seed WHERE k % 2 = 0;
INSERT INTO orders (id, user_id, signal_id, position_id, venue, client_order_id, symbol, side, qty, price,
                    status, filled_qty, average_price, created_at, updated_at)
SELECT gen_random_uuid(), user_id, signal_id, position_id, 'paper', 'sd' || replace(signal_id::text, '-', ''),
       'BTCUSDT', 'LONG', 0.01, 30000, 'FILLED', 0.01, 30000, at, at
FROM seed WHERE k % 2 = 0;
ANALYZE;
SQL
  else
    python3 - "$work/bench.sqlite" "$HISTORY" <<'PY'
import datetime, sqlite3, sys, uuid
db = sqlite3.connect(sys.argv[1], timeout=60)
history = int(sys.argv[2])
def stored(new, like):
    # Ids in the form the server stores them (as the users' ids are).
    return new.bytes if isinstance(like, bytes) else (str(new).upper() if like.isupper() else str(new))
now = datetime.datetime.now(datetime.timezone.utc)
for (user,) in db.execute("SELECT id FROM users WHERE email LIKE 'burst%'").fetchall():
    signals, positions, orders = [], [], []
    for k in range(1, history + 1):
        at = now - datetime.timedelta(days=1, minutes=k)
        signal_id = uuid.uuid4()
        done = k % 2 == 0
        signals.append((stored(signal_id, user), user, "COMPLETED" if done else "REJECTED",
                        "[]" if done else '["cooldown_passed"]', at.timestamp(), at.timestamp()))
        if done:
            position_id = stored(uuid.uuid4(), user)
            day = at.strftime("%Y-%m-%d")
            positions.append((position_id, user, stored(signal_id, user), at.timestamp(), day,
                              at.timestamp() + 30, day))
            orders.append((stored(uuid.uuid4(), user), user, stored(signal_id, user), position_id,
                           "sd" + signal_id.hex, at.timestamp(), at.timestamp()))
    db.executemany("""INSERT INTO signals (id, user_id, symbol, module, side, exchange, source, order_type, action,
        entry_price, stop_loss, take_profit, status, reason_codes, lease_count, created_at, updated_at)
        VALUES (?, ?, 'BTCUSDT', 'tradingview', 'LONG', 'BINANCE', 'tradingview', 'market', 'open', 30000, 29500,
        31000, ?, ?, 1, ?, ?)""", signals)
    db.executemany("""INSERT INTO positions (id, user_id, signal_id, symbol, exchange, side, qty, entry_price,
        stop_loss, take_profit, status, opened_at, opened_day, closed_at, closed_day, exit_price, realized_pnl, fees)
        VALUES (?, ?, ?, 'BTCUSDT', 'BINANCE', 'LONG', 0.01, 30000, 29500, 31000, 'CLOSED', ?, ?, ?, ?, 30100, 1.0, 0)""",
        positions)
    db.executemany("""INSERT INTO orders (id, user_id, signal_id, position_id, venue, client_order_id, symbol, side,
        qty, price, status, filled_qty, average_price, created_at, updated_at)
        VALUES (?, ?, ?, ?, 'paper', ?, 'BTCUSDT', 'LONG', 0.01, 30000, 'FILLED', 0.01, 30000, ?, ?)""", orders)
db.commit()
db.execute("ANALYZE")
db.close()
PY
  fi
fi

echo "== burst"
# The burst client: one keep-alive connection per thread; then it polls the database until no
# signal is CREATED or EXECUTING (or TIMEOUT passes) and prints the report.
# DRAIN=1: the worker process the client starts after the last answer (a clean environment, the
# server's database and settings).
cat >"$work/start_worker.sh" <<WORKER
cd "$work" && exec env -i PATH="$PATH" HOME="$work" DATABASE_URL="$server_url" LOG_LEVEL=warning ${worker[*]} \
  "$SIGNALDESK_BIN" worker >"$work/worker.log" 2>&1
WORKER
python3 - "$base" "$work/hooks.txt" "$ALERTS" "$CONNECTIONS" "$DB" "$work/bench.sqlite" "$TIMEOUT" \
  "$PG_BIN/psql" "$PG_PORT" "$PG_PASSWORD" "$DRAIN" "$work/start_worker.sh" "$work/worker.pid" <<'PY'
import http.client, json, os, sqlite3, statistics, subprocess, sys, threading, time, urllib.parse
base, hooks_file, alerts, connections, db_kind, sqlite_path, timeout, psql, pg_port, pg_password = sys.argv[1:11]
drain, start_worker, worker_pid = sys.argv[11] == "1", sys.argv[12], sys.argv[13]
alerts, connections, timeout = int(alerts), int(connections), float(timeout)
hooks = [line.split() for line in open(hooks_file) if line.strip()]
host = urllib.parse.urlparse(base)
bodies = []
for n in range(alerts):
    uuid, secret = hooks[n % len(hooks)]
    bodies.append((uuid, json.dumps({"secret": secret, "symbol": "BTCUSDT", "side": "buy", "price": 30000,
                                     "stop_loss": 29500, "take_profit": 31000, "alert_id": f"burst-{n}"})))
lock = threading.Lock()
next_index = [0]
latencies, statuses = [], {}
def client():
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    while True:
        with lock:
            index = next_index[0]
            next_index[0] += 1
        if index >= alerts:
            break
        uuid, body = bodies[index]
        started = time.monotonic()
        connection.request("POST", f"/webhooks/tradingview/{uuid}", body=body,
                           headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        answer.read()
        with lock:
            latencies.append(time.monotonic() - started)
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
    connection.close()
def query(sql):
    if db_kind == "sqlite":
        database = sqlite3.connect(sqlite_path, timeout=30)
        try:
            return database.execute(sql).fetchall()
        finally:
            database.close()
    out = subprocess.run([psql, "-h", "127.0.0.1", "-p", pg_port, "-U", "postgres", "-d", "signaldesk_bench", "-qAt",
                          "-F", "|", "-c", sql], env={**os.environ, "PGPASSWORD": pg_password}, check=True,
                         capture_output=True, text=True).stdout
    return [tuple(line.split("|")) for line in out.splitlines() if line]
first_wall = time.time()
first = time.monotonic()
threads = [threading.Thread(target=client) for _ in range(connections)]
for thread in threads: thread.start()
for thread in threads: thread.join()
last_answer = time.monotonic()
last_answer_wall = time.time()
worker_started_wall = None
if drain:
    worker_started_wall = time.time()
    worker = subprocess.Popen(["bash", start_worker])
    open(worker_pid, "w").write(str(worker.pid))
pending = None
while time.monotonic() - last_answer < timeout:
    pending = int(query("SELECT count(*) FROM signals WHERE status IN ('CREATED', 'EXECUTING')")[0][0])
    if pending == 0:
        break
    time.sleep(0.05)
polled_done = time.monotonic()
burst = "alert_id LIKE 'id:burst-%'"
if db_kind == "sqlite":
    last_change = float(query(f"SELECT max(updated_at) FROM signals WHERE {burst}")[0][0])
else:
    last_change = float(query(f"SELECT extract(epoch FROM max(updated_at)) FROM signals WHERE {burst}")[0][0])
by_status = dict(query(f"SELECT status, count(*) FROM signals WHERE {burst} GROUP BY status"))
latencies.sort()
p = lambda q: 1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))]
answered = last_answer - first
lag = last_change - last_answer_wall
executed = sum(int(v) for k, v in by_status.items() if k not in ("CREATED", "EXECUTING"))
print(f"answers: {dict(sorted(statuses.items()))} in {answered:.2f} s ({alerts / answered:.0f} req/s), "
      f"p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms")
print(f"signals: {dict(sorted(by_status.items()))}; still pending: {pending}")
print(f"last execution {lag:.2f} s after the last answer (database time; polled: {polled_done - last_answer:.2f} s)")
exec_start = worker_started_wall if drain else first_wall
if drain:
    print(f"the worker process ran {last_change - worker_started_wall:.2f} s from its start to the last execution "
          f"(its start-up included)")
    worker.terminate()
    worker.wait(timeout=20)
print(f"RESULT db={db_kind} alerts={alerts} answer_s={answered:.2f} accept_rps={alerts / answered:.0f} "
      f"lag_s={lag:.2f} executed={executed} exec_rps={executed / (last_change - exec_start):.0f} pending={pending} "
      f"drain={int(drain)}")
PY
echo "server CPU: $(awk '{printf "%.1f s", ($14 + $15) / '"$(getconf CLK_TCK)"'}' "/proc/$server_pid/stat")"
