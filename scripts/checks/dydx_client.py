#!/usr/bin/env python3
"""Live check of DYDX as a venue (issue 23), run by dydx.sh against the built server and the fake
dYdX node and indexer of signaldesk-fakes.

A fresh wallet (eth-account) signs in, stores REFERENCE.md's testnet mnemonic and sends a
dYdX-format BTC-USD alert with TP and SL; the checks read SignalDesk's API and the fake chain's
indexer. Prints one `PASS | ...` or `FAIL | ...` line per check and the alert-to-open time; never
prints a token, secret or the mnemonic.
Usage: dydx_client.py BASE_URL CHAIN_URL
"""
import json
import sys
import time
import urllib.request

from eth_account import Account
from eth_account.messages import encode_defunct

BASE, CHAIN = sys.argv[1], sys.argv[2]
MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
DYDX_ADDRESS = "dydx19rl4cm2hmr8afy4kldpxz3fka4jguq0a4erelz"


def check(name, ok):
    print(("PASS | " if ok else "FAIL | ") + name, flush=True)


def call(method, url, body=None, token=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def signed(account):
    # Sign-in messages are limited to 60 a minute per client IP: the benchmark's users wait.
    for _ in range(120):
        status, issued = call("GET", f"{BASE}/api/auth/generate-message?wallet_address={account.address}")
        if status != 429:
            break
        time.sleep(1)
    signature = Account.sign_message(encode_defunct(text=issued["message"]), account.key).signature.hex()
    return {"wallet_address": account.address, "message": issued["message"], "signature": signature}


def chain_orders():
    _, orders = call("GET", f"{CHAIN}/v4/orders?address={DYDX_ADDRESS}&subaccountNumber=0")
    return orders or []


def wait(condition, seconds=20, step=0.1):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


account = Account.create()
status, created = call("POST", f"{BASE}/api/auth/create-user", signed(account))
check("a wallet user is created (201)", status == 201)
status, login = call("POST", f"{BASE}/api/auth/login", signed(account))
check("the wallet user signs in (200)", status == 200)
token = login["access_token"]
status, _ = call("POST", f"{BASE}/api/user/credentials", {"dydx_testnet_mnemonic": MNEMONIC}, token)
check("the testnet mnemonic is stored", status == 200)

uuid, secret = created["webhook_uuid"], created["webhook_secret"]
alert = {"secret": secret, "symbol": "BTC-USD", "side": "buy", "size": 0.01, "price": 60000,
         "order_type": "market", "take_profit": 63000, "stop_loss": 58500, "alert_id": "live-dydx-1"}
started = time.time()
status, accepted = call("POST", f"{BASE}/api/webhooks/signal/{uuid}", alert)
check("the dYdX-format alert is accepted (202)", status == 202)


def open_position():
    _, positions = call("GET", f"{BASE}/positions", token=token)
    return [p for p in positions or [] if p["status"] == "OPEN" and p["exchange"] == "DYDX"]


opened = wait(open_position)
print(f"INFO | alert to OPEN position: {(time.time() - started) * 1000:.0f} ms", flush=True)
check("the alert opened a DYDX BTC-USD position", bool(opened) and opened[0]["symbol"] == "BTC-USD")
check("...at the fake chain's oracle price for 0.01", bool(opened) and opened[0]["entry_price"] == 60000
      and opened[0]["qty"] == 0.01)
filled = [o for o in chain_orders() if o["orderFlags"] == "0" and o["status"] == "FILLED"]
check("the fake node verified and filled one signed market order", len(filled) == 1)
protection = wait(lambda: [o for o in chain_orders() if o["orderFlags"] == "32"] if len(
    [o for o in chain_orders() if o["orderFlags"] == "32"]) == 2 else None)
check("TP and SL rest on the chain as reduce-only conditional orders",
      bool(protection) and sorted(o["type"] for o in protection) == ["STOP_LOSS", "TAKE_PROFIT"]
      and all(o["reduceOnly"] and o["status"] == "UNTRIGGERED" for o in protection))

close = {"secret": secret, "symbol": "BTC-USD", "side": "close", "price": 60000, "alert_id": "live-dydx-2"}
status, _ = call("POST", f"{BASE}/webhooks/tradingview/{uuid}", close)
check("the close alert is accepted (202)", status == 202)


def closed_position():
    _, positions = call("GET", f"{BASE}/positions", token=token)
    return [p for p in positions or [] if p["status"] == "CLOSED" and p["exchange"] == "DYDX"]


check("the position is closed", bool(wait(closed_position)))
check("the leftover TP and SL are cancelled on the chain", bool(wait(
    lambda: all(o["status"] == "CANCELED" for o in chain_orders() if o["orderFlags"] == "32"))))

# DYDX_BENCH_ALERTS=N (dydx.sh passes it on): N more wallet users, one alert each, one after the
# other; prints the alert-to-OPEN times (accept, sign, broadcast, indexer read, booking) and their
# p50/p99. The fake chain holds one account for the shared mnemonic, so alerts run sequentially.
import os

runs = int(os.environ.get("DYDX_BENCH_ALERTS", "0"))
times = []
for index in range(runs):
    bench = Account.create()
    _, made = call("POST", f"{BASE}/api/auth/create-user", signed(bench))
    _, session = call("POST", f"{BASE}/api/auth/login", signed(bench))
    call("POST", f"{BASE}/api/user/credentials", {"dydx_testnet_mnemonic": MNEMONIC}, session["access_token"])
    body = dict(alert, secret=made["webhook_secret"], alert_id=f"bench-{index}")
    before = len(chain_orders())
    begun = time.time()
    call("POST", f"{BASE}/api/webhooks/signal/{made['webhook_uuid']}", body)

    def bench_open():
        _, positions = call("GET", f"{BASE}/positions", token=session["access_token"])
        return any(p["status"] == "OPEN" for p in positions or [])

    if wait(bench_open, step=0.005):
        times.append((time.time() - begun) * 1000)
    wait(lambda: len(chain_orders()) >= before + 3)  # the TP/SL too, before the next alert
if times:
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"INFO | {len(times)}/{runs} alerts opened; alert to OPEN ms: p50 {p(0.5):.0f} p99 {p(0.99):.0f} "
          f"max {times[-1]:.0f}", flush=True)
    check("every benchmark alert opened a position", len(times) == runs)
