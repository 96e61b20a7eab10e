#!/usr/bin/env python3
"""Live check of wallet sign-in and the dYdX service surface (issue 22), run by wallet.sh.

Signs in with a fresh Ethereum key through eth-account (an independent EIP-191 implementation),
stores a dYdX mnemonic, reads the dashboard and sends a dYdX-format alert. Prints one
`PASS | ...` or `FAIL | ...` line per check; never prints a token, secret or the mnemonic.
Usage: wallet_client.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD_FILE
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from eth_account import Account
from eth_account.messages import encode_defunct

BASE, ADMIN_EMAIL, ADMIN_PASSWORD_FILE = sys.argv[1], sys.argv[2], sys.argv[3]
# REFERENCE.md's vector: this mnemonic's dYdX address at m/44'/118'/0'/0/0.
MNEMONIC = " ".join(["abandon"] * 11 + ["about"])
DYDX_ADDRESS = "dydx19rl4cm2hmr8afy4kldpxz3fka4jguq0a4erelz"
failures = 0


def check(name, ok):
    global failures
    print(("PASS | " if ok else "FAIL | ") + name, flush=True)
    if not ok:
        failures += 1


def call(method, path, body=None, token=None, form=None, headers=None):
    data, all_headers = None, dict(headers or {})
    if body is not None:
        data, all_headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        all_headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, {}


def signed(account, path):
    status, issued = call("GET", "/api/auth/generate-message?wallet_address=" + account.address.lower())
    message = issued.get("message", "")
    signature = Account.sign_message(encode_defunct(text=message), account.key).signature.hex()
    body = {"wallet_address": account.address, "message": message, "signature": signature}
    return status, message, body, call("POST", path, body)


account = Account.create()
status, message, _, (created_status, created) = signed(account, "/api/auth/create-user")
check("generate-message names the EIP-55 address", status == 200 and ("Wallet: " + account.address) in message)
secret = created.get("webhook_secret", "")
uuid = created.get("webhook_uuid", "")
check("create-user answers 201 with a webhook uuid and a 64-hex secret", created_status == 201 and len(secret) == 64)

_, _, login_body, (login_status, login) = signed(account, "/api/auth/login")
token = login.get("access_token", "")
check("login with an eth-account signature answers tokens and user_data",
      login_status == 200 and bool(token) and login.get("user_data", {}).get("wallet_address") == account.address)
replay_status, replay = call("POST", "/api/auth/login", login_body)
check("a replayed login message is 401 Invalid signature",
      replay_status == 401 and replay.get("detail") == "Invalid signature")
other = Account.create()
status, issued = call("GET", "/api/auth/generate-message?wallet_address=" + account.address)
foreign = Account.sign_message(encode_defunct(text=issued.get("message", "")), other.key).signature.hex()
wrong_status, wrong = call("POST", "/api/auth/login",
                           {"wallet_address": account.address, "message": issued.get("message", ""), "signature": foreign})
check("another key's signature is 401 Invalid signature", wrong_status == 401 and wrong.get("detail") == "Invalid signature")

status, verified = call("GET", "/api/auth/verify", token=token)
check("verify answers valid with the address", status == 200 and verified.get("user_address") == account.address)

status, saved = call("POST", "/api/user/credentials", {"dydx_testnet_mnemonic": MNEMONIC}, token=token)
check("a BIP-39 mnemonic is stored", status == 200 and saved.get("updated_fields") == ["dydx_testnet_mnemonic"])
status, refused = call("POST", "/api/user/credentials", {"dydx_testnet_mnemonic": " ".join(["abandon"] * 12)}, token=token)
check("a mnemonic with a bad checksum is 422 and not echoed", status == 422 and "abandon" not in json.dumps(refused))

status, dashboard = call("GET", "/api/user/dashboard", token=token)
profile = dashboard.get("user_profile", {})
check("the dashboard shows the wallet and the derived dYdX address",
      status == 200 and profile.get("wallet_address") == account.address
      and profile.get("dydx_testnet_address") == DYDX_ADDRESS
      and dashboard.get("credentials_status", {}).get("dydx_testnet_configured") is True)

status, tested = call("GET", "/api/webhooks/test/" + uuid, headers={"X-Webhook-Secret": secret})
check("the webhook test accepts the secret", status == 200 and tested.get("status") == "ok")
alert = {"secret": secret, "symbol": "BTC-USD", "side": "buy", "size": 0.01, "price": 60000, "order_type": "market",
         "take_profit": 63000, "stop_loss": 58500, "alert_id": "wallet-live-1"}
status, accepted = call("POST", "/api/webhooks/signal/" + uuid, alert)
check("a dYdX-format alert is accepted (202)", status == 202 and accepted.get("status") == "accepted")
status, duplicate = call("POST", "/webhooks/tradingview/" + uuid, alert)
check("the same alert on the TradingView path is a duplicate (200)", status == 200 and duplicate.get("status") == "duplicate")

with open(ADMIN_PASSWORD_FILE) as handle:
    password = handle.read()
status, admin = call("POST", "/auth/login", form={"username": ADMIN_EMAIL, "password": password})
status, metrics = call("GET", "/api/webhooks/metrics", token=admin.get("access_token"))
check("webhook metrics count the alerts", status == 200 and metrics.get("accepted", 0) >= 1 and metrics.get("duplicates", 0) >= 1)
status, posture = call("GET", "/ops/security/posture", token=admin.get("access_token"))
emails = [user.get("email", "") for user in posture.get("users", [])]
check("the posture lists the wallet user", (account.address.lower() + "@wallet.invalid") in emails)

status, out = call("POST", "/api/auth/logout", {"refresh_token": login.get("refresh_token", "")})
check("logout answers Successfully logged out", status == 200 and out.get("message") == "Successfully logged out")
sys.exit(1 if failures else 0)
