#!/usr/bin/env bash
# Live check of the admin page GET /ops/dashboard in headless Chromium (selenium): starts the built
# server on SQLite with a bootstrap admin, turns on the admin's 2FA and seeds traders through the
# API, then runs scripts/checks/dashboard_browser.py, which signs in with email, password and OTP
# and compares the page with GET /ops/dashboard/summary.
# Called by scripts/test.sh with SIGNALDESK_BIN. Installs chromium, chromium-driver and (in a venv
# under /tmp) selenium when they are missing.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$here/lib/common.sh"
: "${SIGNALDESK_BIN:?path of the signaldesk binary}"

# shellcheck source=SCRIPTDIR/../lib/checks.sh
source "$here/lib/checks.sh"

work="$(mktemp -d /tmp/signaldesk-dashboard.XXXXXX)"
chmod 700 "$work"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap 'stop_server; rm -rf "$work"' EXIT

# --- tools: Chromium, its driver, and selenium ---------------------------------------------------
ensure_packages curl:curl python3:python3 chromium:chromium chromedriver:chromium-driver

# Prints a python that imports selenium: python3 itself, else a venv kept under /tmp between runs.
selenium_python() {
  local venv="${SIGNALDESK_SELENIUM_VENV:-/tmp/signaldesk-selenium-venv}"
  if python3 -c 'import selenium' 2>/dev/null; then command -v python3; return 0; fi
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import selenium' 2>/dev/null; then echo "$venv/bin/python"; return 0; fi
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null && [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null 2>&1 || true
  fi
  rm -rf "$venv"
  if python3 -m venv "$venv" >&2 && "$venv/bin/python" -m pip install -q selenium >&2; then
    echo "$venv/bin/python"; return 0
  fi
  echo "selenium: could not install it in a venv; trying pip --user" >&2
  if python3 -m pip install -q --user selenium >&2 || python3 -m pip install -q --break-system-packages selenium >&2; then
    python3 -c 'import selenium' 2>/dev/null && { command -v python3; return 0; }
  fi
  return 1
}
if py="$(selenium_python)"; then
  pass "selenium is available ($("$py" -c 'import selenium; print(selenium.__version__)'))"
else
  fail "selenium is available (pip install selenium failed)"; finish; exit 1
fi

# --- server with a bootstrap admin ---------------------------------------------------------------
admin_email="ops.admin@example.org"
incident_url="https://status.example.org/incident"
# Password files without a trailing newline: curl's --data-urlencode name@file sends them verbatim.
python3 -c 'import secrets; print("Pw-" + secrets.token_urlsafe(18), end="")' >"$work/admin.pw"
python3 -c 'import secrets; print("Pw-" + secrets.token_urlsafe(18), end="")' >"$work/trader.pw"
admin_pw="$(cat "$work/admin.pw")"

port="$(free_port)"
base="http://127.0.0.1:$port"
(cd "$work" && exec env -i PATH="$PATH" HOME="$work" BOOTSTRAP_ADMIN_EMAIL="$admin_email" \
  BOOTSTRAP_ADMIN_PASSWORD="$admin_pw" INCIDENT_URL="$incident_url" \
  "$SIGNALDESK_BIN" serve --hostname 127.0.0.1 --port "$port" >"$work/server.log" 2>&1) &
server_pid=$!
if wait_for_http "$base/healthz" 60; then
  pass "serve answers /healthz on SQLite with a bootstrap admin"
else
  fail "serve answers /healthz on SQLite with a bootstrap admin"; cat "$work/server.log"; finish; exit 1
fi

# api METHOD PATH [TOKEN_FILE] [curl args...]: prints the body, then the status on the last line.
# The token goes through a header file so it never shows in the process list.
api() {
  local method="$1" path="$2" token_file="${3:-}"; shift 3 || shift $#
  local auth=()
  if [ -n "$token_file" ]; then
    printf 'Authorization: Bearer %s\n' "$(cat "$token_file")" >"$work/auth.h"
    auth=(-H "@$work/auth.h")
  fi
  curl -sS -X "$method" "${auth[@]}" -w '\n%{http_code}' --max-time 15 "$@" "$base$path"
}
status_of() { tail -n 1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
# json_get KEY: prints one top-level field of the JSON on stdin.
json_get() { python3 -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$1"; }
# login EMAIL PASSWORD_FILE TOKEN_FILE [OTP]: form-encoded POST /auth/login; keeps the access token.
login() {
  local args=(--data-urlencode "username=$1" --data-urlencode "password@$2")
  [ -n "${4:-}" ] && args+=(--data-urlencode "otp=$4")
  local out; out="$(api POST /auth/login "" "${args[@]}")"
  [ "$(status_of "$out")" = 200 ] || { echo "login $1: HTTP $(status_of "$out") $(body_of "$out")" >&2; return 1; }
  body_of "$out" | json_get access_token >"$3"
}
# totp SECRET_FILE: the current RFC 6238 code (SHA-1, 6 digits, 30 s).
totp() {
  TOTP_FILE="$1" python3 -c '
import base64, hashlib, hmac, os, struct, time
s = open(os.environ["TOTP_FILE"]).read().strip().replace(" ", "").upper()
key = base64.b32decode(s + "=" * (-len(s) % 8))
d = hmac.new(key, struct.pack(">Q", int(time.time() // 30)), hashlib.sha1).digest()
o = d[-1] & 15
print("%06d" % ((struct.unpack(">I", d[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))'
}

# --- the page and the summary's access rules -----------------------------------------------------
curl -sS -D "$work/page.h" -o "$work/page.html" --max-time 10 "$base/ops/dashboard" || true
check "GET /ops/dashboard answers 200 text/html" \
  bash -c "grep -qE '^HTTP/[0-9.]+ 200' '$work/page.h' && grep -qi '^content-type: text/html' '$work/page.h'"
check "...with a Content-Security-Policy that keeps requests on this origin" \
  bash -c "grep -i '^content-security-policy:' '$work/page.h' | grep -q \"connect-src 'self'\""
check "...and is one self-contained file (no external src or href)" \
  bash -c "! grep -Eiq '(src|href)=\"(https?:)?//' '$work/page.html'"
curl -sS -D "$work/icon.h" -o "$work/icon.body" --max-time 10 "$base/favicon.ico" || true
check "GET /favicon.ico answers 200 with an image, without a token" \
  bash -c "grep -qE '^HTTP/[0-9.]+ 200' '$work/icon.h' && grep -qi '^content-type: image/' '$work/icon.h'"
out="$(api GET /ops/health "")"
check "GET /ops/health answers crypto-saas's placeholder without a token" \
  test "$(status_of "$out")" = 200 -a "$(body_of "$out" | json_get system_state 2>/dev/null)" = "OK"
out="$(api GET /ops/dashboard/summary "")"
check "GET /ops/dashboard/summary without a token is 401 Not authenticated" \
  test "$(status_of "$out")" = 401 -a "$(body_of "$out" | json_get detail 2>/dev/null)" = "Not authenticated"

# --- the admin turns on 2FA ------------------------------------------------------------------------
check "the bootstrap admin logs in (form-encoded username/password)" login "$admin_email" "$work/admin.pw" "$work/admin.token"
out="$(api POST /auth/2fa/setup "$work/admin.token")"
if [ "$(status_of "$out")" = 200 ] && body_of "$out" | json_get secret >"$work/totp.secret" 2>/dev/null && [ -s "$work/totp.secret" ]; then
  pass "POST /auth/2fa/setup returns a TOTP secret"
else
  fail "POST /auth/2fa/setup returns a TOTP secret (HTTP $(status_of "$out"))"
fi
otp_step=$(( $(date +%s) / 30 ))
out="$(api POST /auth/2fa/verify-enable "$work/admin.token" -H 'Content-Type: application/json' \
  --data "{\"otp\":\"$(totp "$work/totp.secret" 2>/dev/null)\"}")"
check "POST /auth/2fa/verify-enable turns 2FA on" test "$(status_of "$out")" = 200

# --- seed traders, a credential, a signal and an open position --------------------------------------
for email in ana@trading.co ben@trading.co smoke.bot@example.com ops.bot.monitor@example.org; do
  out="$(api POST /auth/register "" -H 'Content-Type: application/json' \
    --data "{\"email\":\"$email\",\"password\":\"$(cat "$work/trader.pw")\"}")"
  check "register trader $email" test "$(status_of "$out")" = 201
done
# A second admin without 2FA: the red status must name this admin (issue 19, item 8).
out="$(api POST /users "$work/admin.token" -H 'Content-Type: application/json' \
  --data "{\"email\":\"second.admin@example.org\",\"password\":\"$(cat "$work/trader.pw")\",\"role\":\"admin\"}")"
check "the admin creates a second admin (no 2FA)" test "$(status_of "$out")" = 201
check "trader ana@trading.co logs in" login ana@trading.co "$work/trader.pw" "$work/ana.token"
check "trader ben@trading.co logs in" login ben@trading.co "$work/trader.pw" "$work/ben.token"
out="$(api POST /users/exchange-secrets "$work/ana.token" -H 'Content-Type: application/json' \
  --data '{"exchange":"BINANCE","api_key":"dashkey-0001-abcdef","api_secret":"dashsecret-0001-abcdefghij"}')"
check "ana stores BINANCE credentials" test "$(status_of "$out")" = 201
out="$(api POST /signals "$work/ana.token" -H 'Content-Type: application/json' \
  --data '{"symbol":"BTCUSDT","module":"dashboard_check","base_risk_percent":0.5,"entry_price":100,"stop_loss":95,"take_profit":110,"exchange":"BINANCE"}')"
signal_id="$(body_of "$out" | json_get id 2>/dev/null || true)"
check "ana creates a signal (POST /signals)" test "$(status_of "$out")" = 200 -a -n "$signal_id"
out="$(api POST '/signals/claim?limit=1' "$work/ana.token")"
check "ana claims it" test "$(status_of "$out")" = 200
out="$(api POST "/positions/open_from_signal?signal_id=$signal_id&qty=1" "$work/ana.token")"
check "ana opens a position from it" test "$(status_of "$out")" = 200
out="$(api POST /signals "$work/ben.token" -H 'Content-Type: application/json' \
  --data '{"symbol":"ETHUSDT","module":"dashboard_check","base_risk_percent":0.5,"entry_price":2000,"stop_loss":1950,"take_profit":2100}')"
check "ben creates a signal that stays pending" test "$(status_of "$out")" = 200
out="$(api GET /ops/dashboard/summary "$work/ana.token")"
check "a trader gets 403 Insufficient permissions from the summary" \
  test "$(status_of "$out")" = 403 -a "$(body_of "$out" | json_get detail 2>/dev/null)" = "Insufficient permissions"

out="$(api GET /ops/dashboard/summary "$work/admin.token")"
summary="$(body_of "$out")"
check "the admin's summary answers 200 with incident_url = INCIDENT_URL" \
  test "$(status_of "$out")" = 200 -a "$(json_get incident_url <<<"$summary" 2>/dev/null)" = "$incident_url"
check "...lists the real users by default (admins included; no smoke. user, no ops.bot. service user)" \
  test "$(python3 -c 'import json,sys; print(" ".join(sorted(u["email"] for u in json.load(sys.stdin)["users"])))' <<<"$summary" 2>/dev/null)" = "ana@trading.co ben@trading.co ops.admin@example.org second.admin@example.org"
check "...is red, naming the users without 2FA (the second admin among them)" \
  test "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["overall_status"], ",".join(e for r in d["status_reasons"] if r["code"] == "users_missing_2fa" for e in r["emails"]))' <<<"$summary" 2>/dev/null)" = "red ana@trading.co,ben@trading.co,ops.bot.monitor@example.org,second.admin@example.org"
check "...and has 7 trend days" test "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["trends_7d"]))' <<<"$summary" 2>/dev/null)" = 7

# --- the browser ---------------------------------------------------------------------------------
# A TOTP code is accepted once per user: sign in with a code from a later 30 s step than the one
# verify-enable used.
while [ $(( $(date +%s) / 30 )) -le "$otp_step" ]; do sleep 1; done
set +e
BASE_URL="$base" EMAIL="$admin_email" PASSWORD="$admin_pw" TOTP_SECRET="$(cat "$work/totp.secret" 2>/dev/null)" \
  INCIDENT_URL="$incident_url" FILTER_EMAIL=ana EXPECT_BINANCE_USERS=ana@trading.co \
  EXPECT_REASON_EMAILS=ana@trading.co,ben@trading.co,ops.bot.monitor@example.org,second.admin@example.org \
  timeout 300 "$py" "$here/checks/dashboard_browser.py" >"$work/browser.out" 2>"$work/browser.err"
code=$?
set -e
while IFS= read -r line; do
  case "$line" in
    "PASS | "*) PASS=$((PASS + 1)); echo "$line" ;;
    "FAIL | "*) FAIL=$((FAIL + 1)); echo "$line" ;;
    Summary:*) ;;
    *) echo "$line" ;;
  esac
done <"$work/browser.out"
if [ "$code" -ne 0 ] && ! grep -q '^FAIL | ' "$work/browser.out"; then
  fail "dashboard_browser.py exited $code"; tail -n 20 "$work/browser.err"
fi

cat "$work/admin.pw" "$work/trader.pw" "$work/totp.secret" "$work/admin.token" 2>/dev/null | grep -v '^$' >"$work/secrets.pat" || true
check "no password, TOTP secret or token reached the server log" bash -c "! grep -qFf '$work/secrets.pat' '$work/server.log'"
stop_server
check "the server stops cleanly" test -z "$server_pid"
finish
