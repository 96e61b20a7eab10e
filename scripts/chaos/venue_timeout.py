"""Chaos scenario 4: a venue that accepts orders and answers too late.

The fake Binance (signaldesk-fakes with FAKE_BINANCE_ACCEPT_THEN_DELAY) accepts every order, then
answers after the server's VENUE_TIMEOUT_SECONDS: the server sees a timeout although the order
exists. USERS users (one fake account each) send one alert each, at once. The server must ask the
venue instead of placing again: every client order id sent to the venue once, one order row per
signal, and every signal settled. Prints the counts; exits 1 on any duplicate.

Usage: venue_timeout.py BASE_URL FAKE_BINANCE_URL  (environment: PSQL; FAKE_KEYS: key:secret,...)
"""
import os, sys, threading
from chaoslib import call, query as run_query, user_with_webhook, wait_settled

base, venue = sys.argv[1], sys.argv[2]
keys = [pair.split(":", 1) for pair in os.environ["FAKE_KEYS"].split(",")]
psql = os.environ["PSQL"].split()
query = lambda sql: run_query(psql, sql)


def store_secret(api_key, api_secret):
    def store(token):
        status, _ = call("POST", f"{base}/users/exchange-secrets",
                         {"exchange": "BINANCE", "api_key": api_key, "api_secret": api_secret}, token=token)
        assert status in (200, 201), f"exchange secret: {status}"
    return store


hooks = [user_with_webhook(base, base, f"chaos4.{number}@desk.io", store_secret(api_key, api_secret))
         for number, (api_key, api_secret) in enumerate(keys)]

answers = []
def send(number, uuid, secret):
    body = {"secret": secret, "symbol": "BINANCE:BTCUSDT", "side": "buy", "price": 30000,
            "stop_loss": 29700, "take_profit": 30600, "alert_id": f"chaos4-{number}"}
    answers.append(call("POST", f"{base}/webhooks/tradingview/{uuid}", body)[0])

threads = [threading.Thread(target=send, args=(n, u, s)) for n, (u, s) in enumerate(hooks)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

pending = wait_settled(psql, "chaos4-", 60)

status, book = call("GET", f"{venue}/fake/orders")
orders = int(query("SELECT count(*) FROM orders o JOIN signals s ON s.id = o.signal_id WHERE s.alert_id LIKE 'id:chaos4-%'"))
two_orders = int(query("SELECT count(*) FROM (SELECT signal_id FROM orders WHERE signal_id IS NOT NULL GROUP BY signal_id HAVING count(*) > 1) t"))
outcomes = query("SELECT status || '=' || count(*) FROM signals WHERE alert_id LIKE 'id:chaos4-%' GROUP BY status ORDER BY status").split()
print(f"alerts={len(hooks)} answers={sorted(answers)} still_pending={pending} venue_orders={book.get('orders')} "
      f"venue_placements={book.get('attempts')} client_ids_sent_twice={book.get('client_ids_sent_twice')} "
      f"order_rows={orders} signals_with_two_orders={two_orders} outcomes={outcomes}")
problems = []
if any(a not in (200, 202) for a in answers):
    problems.append("an alert was not acknowledged")
if pending:
    problems.append(f"{pending} signals still CREATED or EXECUTING after 60 s")
if status != 200 or book.get("client_ids_sent_twice") != 0 or book.get("attempts") != book.get("orders"):
    problems.append("an order was sent to the venue twice")
if two_orders or book.get("orders") != len(hooks):
    problems.append("not exactly one venue order per alert")
if problems:
    print("FAIL | " + "; ".join(problems))
    sys.exit(1)
print("PASS | the venue timed out after accepting: each order placed once and found by asking the venue")
