"""Chaos scenario 2: PostgreSQL stopped for OUTAGE seconds while 4 clients send webhook alerts.

While the database is down the server must answer 503 (with Retry-After), quickly, never hang and
never 500; afterwards it must accept alerts again by itself; every alert it acknowledged (202, or
200 for a duplicate) must be stored. Prints the counts; exits 1 on any violation.

Usage: database_outage.py BASE_URL  (environment: WEBHOOK_UUID, WEBHOOK_SECRET, PSQL, STOP_DB,
START_DB: shell commands; OUTAGE seconds, default 10)
"""
import json, os, subprocess, sys, threading, time, urllib.error, urllib.request

base = sys.argv[1]
uuid, secret = os.environ["WEBHOOK_UUID"], os.environ["WEBHOOK_SECRET"]
outage = float(os.environ.get("OUTAGE", "10"))
psql = os.environ["PSQL"].split()
lock = threading.Lock()
results = []  # (alert id, status or None, seconds, phase)
phase = {"name": "before"}
stop = threading.Event()

def send(alert_id):
    body = json.dumps({"secret": secret, "symbol": "BINANCE:ETHUSDT", "side": "buy", "price": 2000,
                       "alert_id": alert_id}).encode()
    request = urllib.request.Request(f"{base}/webhooks/tradingview/{uuid}", data=body, headers={"Content-Type": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    except Exception:
        status = None
    return status, time.monotonic() - started

def client(number):
    count = 0
    while not stop.is_set():
        alert_id = f"outage-{number}-{count}"
        count += 1
        current = phase["name"]
        status, seconds = send(alert_id)
        with lock:
            results.append((alert_id, status, seconds, current))
        time.sleep(0.02)

threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
for thread in threads:
    thread.start()
time.sleep(3)
phase["name"] = "stopping"  # pg_ctl stop -m fast is under way: answers may still be 202
subprocess.run(["bash", "-c", os.environ["STOP_DB"]], check=True)
phase["name"] = "down"
time.sleep(outage)
phase["name"] = "starting"  # pg_ctl start is under way: answers may be 202 again
subprocess.run(["bash", "-c", os.environ["START_DB"]], check=True)
phase["name"] = "after"
restarted = time.monotonic()
recovered_after = None
while time.monotonic() - restarted < 30:
    with lock:
        late = [r for r in results if r[3] == "after" and r[1] == 202]
    if late:
        recovered_after = time.monotonic() - restarted
        break
    time.sleep(0.1)
time.sleep(2)
stop.set()
for thread in threads:
    thread.join()

down = [r for r in results if r[3] == "down"]
statuses_down = sorted({str(r[1]) for r in down})
slowest_down = max((r[2] for r in down), default=0)
server_errors = [r for r in results if r[1] is not None and r[1] >= 500 and r[1] != 503]
acknowledged = {r[0] for r in results if r[1] in (200, 202)}
stored = set(subprocess.run(psql + ["-c", "SELECT substr(alert_id, 4) FROM signals WHERE alert_id LIKE 'id:outage-%'"],
                            check=True, capture_output=True, text=True).stdout.split())
lost = acknowledged - stored
print(f"requests={len(results)} during_outage={len(down)} statuses_during_outage={statuses_down} "
      f"slowest_during_outage_s={slowest_down:.2f} other_5xx={len(server_errors)} "
      f"recovered_after_s={recovered_after if recovered_after is None else round(recovered_after, 2)} "
      f"acknowledged={len(acknowledged)} stored={len(stored)} lost={len(lost)}")
ok = (down and set(statuses_down) == {"503"} and slowest_down < 10
      and not server_errors and recovered_after is not None and not lost)
print("PASS | 503 while down, no hang, recovered by itself, nothing acknowledged lost" if ok else "FAIL | outage handling")
sys.exit(0 if ok else 1)
