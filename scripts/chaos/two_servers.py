"""Chaos scenario 3: two server processes and two standalone workers on one PostgreSQL.

SCENARIO3_USERS users each send SCENARIO3_ALERTS webhook alerts with unique ids, alternately to
server A and server B, from 8 clients at once; all the execution workers (one in each server, two
`signaldesk worker` processes) claim from the same table. When every signal has left CREATED/EXECUTING: no signal
may have been claimed twice (lease_count), none may have two orders, and every acknowledged alert
must have its signal. Prints the counts; exits 1 on any violation.

Usage: two_servers.py BASE_A BASE_B  (environment: PSQL; SCENARIO3_USERS (16), SCENARIO3_ALERTS (12) per user)
"""
import os, sys, threading
from chaoslib import call, query as run_query, user_with_webhook, wait_settled

base_a, base_b = sys.argv[1], sys.argv[2]
users, per_user = int(os.environ.get("SCENARIO3_USERS", "16")), int(os.environ.get("SCENARIO3_ALERTS", "12"))
psql = os.environ["PSQL"].split()
query = lambda sql: run_query(psql, sql)

hooks = [user_with_webhook(base_a, base_b, f"chaos3.{number}@desk.io") for number in range(users)]

jobs = [(user, index) for index in range(per_user) for user in range(users)]
lock = threading.Lock()
acknowledged, refused = {}, []

def client(share):
    for user, index in share:
        uuid, secret = hooks[user]
        base = base_a if (user + index) % 2 == 0 else base_b
        alert_id = f"chaos3-{user}-{index}"
        symbol, price = [("BINANCE:BTCUSDT", 30000), ("BINANCE:ETHUSDT", 2000), ("BINANCE:SOLUSDT", 150)][index % 3]
        # Stop and take 1 % and 2 % away: sized by the risk profile, so the first alerts of each
        # user become orders and the rest meet its limits (trades, open positions, cooldown).
        body = {"secret": secret, "symbol": symbol, "side": "buy", "price": price,
                "stop_loss": price * 0.99, "take_profit": price * 1.02, "alert_id": alert_id}
        status, answer = call("POST", f"{base}/webhooks/tradingview/{uuid}", body)
        with lock:
            if status in (200, 202):
                acknowledged[alert_id] = answer.get("signal_id")
            else:
                refused.append((alert_id, status))

threads = [threading.Thread(target=client, args=(jobs[n::8],)) for n in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

pending = wait_settled(psql, "chaos3-", 90)

signals = int(query("SELECT count(*) FROM signals WHERE alert_id LIKE 'id:chaos3-%'"))
claimed_twice = int(query("SELECT count(*) FROM signals WHERE alert_id LIKE 'id:chaos3-%' AND lease_count > 1"))
two_orders = int(query("SELECT count(*) FROM (SELECT signal_id FROM orders WHERE signal_id IS NOT NULL GROUP BY signal_id HAVING count(*) > 1) t"))
orders = int(query("SELECT count(*) FROM orders o JOIN signals s ON s.id = o.signal_id WHERE s.alert_id LIKE 'id:chaos3-%'"))
outcomes = query("SELECT status || '=' || count(*) FROM signals WHERE alert_id LIKE 'id:chaos3-%' GROUP BY status ORDER BY status").split()
missing = [a for a, s in acknowledged.items() if not s]
print(f"alerts={len(jobs)} acknowledged={len(acknowledged)} refused={len(refused)} signals={signals} "
      f"still_pending={pending} claimed_twice={claimed_twice} orders={orders} signals_with_two_orders={two_orders} "
      f"outcomes={outcomes}")
problems = []
if refused:
    problems.append(f"refused alerts: {refused[:5]}")
if signals != len(acknowledged) or missing:
    problems.append("an acknowledged alert has no signal, or a signal no acknowledgement")
if pending:
    problems.append(f"{pending} signals still CREATED or EXECUTING after 90 s")
if claimed_twice or two_orders:
    problems.append("a signal was claimed twice or has two orders")
if problems:
    print("FAIL | " + "; ".join(problems))
    sys.exit(1)
print("PASS | four workers on one PostgreSQL: every signal claimed once, at most one order each")
