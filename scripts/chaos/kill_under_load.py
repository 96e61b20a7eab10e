"""Chaos scenario 1: webhook alerts under load, the server killed with SIGKILL half-way.

8 clients send ALERTS alerts with unique alert ids to one webhook. When half have been answered,
the server gets SIGKILL and is started again; every alert without an answer is sent again
(with the same id) once it is back. Then every alert id must have exactly one signal, and no
signal more than one order. Prints the counts; exits 1 on any loss or duplicate.

Usage: kill_under_load.py BASE_URL ALERTS  (environment: SERVER_CMD, SERVER_CWD, PSQL, WEBHOOK_UUID,
WEBHOOK_SECRET; SERVER_PID of the running server)
"""
import json, os, signal, subprocess, sys, threading, time, urllib.error, urllib.request

base, total = sys.argv[1], int(sys.argv[2])
uuid, secret = os.environ["WEBHOOK_UUID"], os.environ["WEBHOOK_SECRET"]
server_pid = int(os.environ["SERVER_PID"])
psql = os.environ["PSQL"].split()

lock = threading.Lock()
answered = {}   # alert id -> status
half = threading.Event()

def send(alert_id):
    body = json.dumps({"secret": secret, "symbol": "BINANCE:BTCUSDT", "side": "buy", "price": 30000,
                       "stop_loss": 29700, "take_profit": 30600, "alert_id": alert_id}).encode()
    request = urllib.request.Request(f"{base}/webhooks/tradingview/{uuid}", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except Exception:
        return None  # no answer: connection refused or reset, timeout

def client(ids):
    for alert_id in ids:
        status = send(alert_id)
        with lock:
            if status is not None:
                answered[alert_id] = status
            if len(answered) >= total // 2:
                half.set()

ids = [f"chaos-{index:05d}" for index in range(total)]
threads = [threading.Thread(target=client, args=(ids[n::8],)) for n in range(8)]
for thread in threads:
    thread.start()
half.wait(timeout=120)
os.kill(server_pid, signal.SIGKILL)
killed_at = len(answered)
for thread in threads:
    thread.join()

# Start again and wait until it answers.
log = open(os.path.join(os.environ["SERVER_CWD"], "server-restarted.log"), "w")
restarted = subprocess.Popen(os.environ["SERVER_CMD"], shell=True, cwd=os.environ["SERVER_CWD"], stdout=log, stderr=log)
print(f"restarted_pid={restarted.pid}", flush=True)
for _ in range(600):
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=1):
            break
    except Exception:
        time.sleep(0.1)

unanswered = [alert_id for alert_id in ids if alert_id not in answered]
resent_ok = 0
for alert_id in unanswered:
    status = send(alert_id)
    if status in (200, 202):
        resent_ok += 1
        answered[alert_id] = status
bad_status = {status for status in answered.values() if status not in (200, 202)}

def query(sql):
    return subprocess.run(psql + ["-c", sql], check=True, capture_output=True, text=True).stdout.strip()

# Give the worker a moment to finish what it claimed, then count.
time.sleep(3)
signals = int(query("SELECT count(*) FROM signals WHERE alert_id LIKE 'id:chaos-%'"))
distinct = int(query("SELECT count(DISTINCT alert_id) FROM signals WHERE alert_id LIKE 'id:chaos-%'"))
doubled_orders = int(query("SELECT count(*) FROM (SELECT signal_id FROM orders GROUP BY signal_id HAVING count(*) > 1) d"))
orders = int(query("SELECT count(*) FROM orders"))
print(f"alerts={total} answered_before_kill={killed_at} unanswered={len(unanswered)} resent_ok={resent_ok} "
      f"signals={signals} distinct_alert_ids={distinct} orders={orders} signals_with_two_orders={doubled_orders} "
      f"other_statuses={sorted(bad_status)}")
restarted.send_signal(signal.SIGTERM)
restarted.wait(timeout=20)
ok = signals == total and distinct == total and doubled_orders == 0 and resent_ok == len(unanswered) and not bad_status
print("PASS | every alert id has exactly one signal, no signal has two orders" if ok else "FAIL | lost or duplicated alerts")
sys.exit(0 if ok else 1)
