#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# End-to-end trading scenario for one user, against a running SignalDesk:
# healthz, register, login, create a signal from signal1.json, claim it, open a position from it
# (a risk block is reported as expected and ends the run with exit 0), close it, read today's risk.
#
# Environment (crypto-saas names):
#   BASE        server URL (default http://127.0.0.1:8080)
#   EMAIL       the scenario user (default smoke.scenario@example.com; registered when absent)
#   PASSWORD    its password (required, 8+ characters)
#   OTP / TOTP_SECRET   a one-time code, or the TOTP secret (base32, otpauth:// URI or secret=...)
#   QTY         position size (default 0.001)
#   EXIT_PRICE  close price (default 50000)
#   FEES        fees charged on close (default 0)
#   SIGNAL_FILE the signal body (default: signal1.json beside this script)
# Prints one PASS/FAIL line per step and "Summary: PASS=n FAIL=m"; exits 1 when a step failed.
# Also prints crypto-saas's marker lines, which its callers grep: "token_ok" once logged in and
# "signal_id=<id>" once the signal exists.
set -euo pipefail
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/ops.sh
source "$script_dir/lib/ops.sh"

BASE="${BASE:-http://127.0.0.1:8080}"
EMAIL="${EMAIL:-smoke.scenario@example.com}"
PASSWORD="${PASSWORD:-}"
OTP="${OTP:-}"
TOTP_SECRET="${TOTP_SECRET:-}"
QTY="${QTY:-0.001}"
EXIT_PRICE="${EXIT_PRICE:-50000}"
FEES="${FEES:-0}"
SIGNAL_FILE="${SIGNAL_FILE:-$script_dir/signal1.json}"

ops_require PASSWORD
ops_number QTY "$QTY"
ops_number EXIT_PRICE "$EXIT_PRICE"
ops_number FEES "$FEES"
[ -r "$SIGNAL_FILE" ] || { echo "SIGNAL_FILE not readable: $SIGNAL_FILE" >&2; exit 1; }
ops_init "$BASE"

echo "== Run Scenario =="
echo "BASE=$BASE"
echo "EMAIL=$EMAIL"

section A "Health"
ops_healthz || ops_summary

section B "Register and login"
ops_write_json "$OPS_TMP/register.json" email "$EMAIL" password "$PASSWORD"
api POST /auth/register "" "@$OPS_TMP/register.json"
if [ "$API_STATUS" = "201" ]; then
  pass "register $EMAIL"
elif [ "$API_STATUS" = "400" ] && [ "$(jget 'd.get("detail")')" = "Email already registered" ]; then
  pass "register: $EMAIL already registered, reusing it"
else
  fail "register failed: $(ops_describe)"
fi
if ops_login user "$EMAIL" "$PASSWORD" "$OTP" "$TOTP_SECRET"; then
  pass "login"
  echo "token_ok"
else
  ops_abort "login failed: $LOGIN_DETAIL"
fi

section C "Signal"
api POST /signals user "@$SIGNAL_FILE"
signal_id="$(jget 'd["id"]' 2>/dev/null || true)"
if [ "$API_STATUS" = "200" ] && [ -n "$signal_id" ] && [ "$(jget 'd["status"]')" = "CREATED" ]; then
  pass "create signal $signal_id ($(jget 'd["symbol"]') $(jget 'd["side"]') status=CREATED)"
  echo "signal_id=$signal_id"
else
  ops_abort "create signal failed: $(ops_describe)"
fi

api POST "/signals/claim?limit=10" user
claimed="$(jget 'len(d)' 2>/dev/null || echo 0)"
if [ "$API_STATUS" = "200" ] && [ "$(jget 'any(s.get("id") == a[0] and s.get("status") == "EXECUTING" for s in d)' "$signal_id")" = "true" ]; then
  pass "claim: signal $signal_id is EXECUTING (claimed $claimed)"
else
  ops_abort "claim did not return signal $signal_id as EXECUTING: $(ops_describe)"
fi

section D "Position"
api POST "/positions/open_from_signal?signal_id=$signal_id&qty=$QTY" user
position_id=""
if [ "$API_STATUS" = "200" ] && position_id="$(jget 'd["id"]')" && [ -n "$position_id" ]; then
  pass "open position $position_id qty=$QTY entry=$(jget 'd["entry_price"]')"
else
  detail="$(jget 'd.get("detail")' 2>/dev/null || true)"
  if [ "$API_STATUS" = "409" ] && [[ "$detail" == "Risk block:"* ]]; then
    pass "open blocked by risk rules (expected): $detail"
  else
    fail "open position failed: $(ops_describe)"
  fi
fi

if [ -n "$position_id" ]; then
  idempotency_key="$("$OPS_PYTHON" -c 'import uuid; print(uuid.uuid4())')"
  api POST "/positions/close?position_id=$position_id&exit_price=$EXIT_PRICE&fees=$FEES" user "" "" \
    "Idempotency-Key: $idempotency_key"
  if [ "$API_STATUS" = "200" ] && [ "$(jget 'd["status"]')" = "CLOSED" ]; then
    pass "close position $position_id exit=$EXIT_PRICE fees=$FEES realized_pnl=$(jget 'd["realized_pnl"]')"
  else
    fail "close position failed: $(ops_describe)"
  fi
fi

section E "Risk today"
api GET /positions/risk/today user
if [ "$API_STATUS" = "200" ] && trades="$(jget 'd["trades_today"]')"; then
  summary="day=$(jget 'd["day"]') profile=$(jget 'd["risk_profile"]') trades_today=$trades/$(jget 'd["max_trades"]') realized_pnl_today=$(jget 'd["realized_pnl_today"]') daily_stop=$(jget 'd["daily_stop"]') remaining_loss_buffer=$(jget 'd["remaining_loss_buffer"]' || true)"
  if [ -n "$position_id" ] && [ "$trades" -lt 1 ]; then
    fail "risk today does not count the closed trade: $summary"
  else
    pass "risk today $summary"
  fi
else
  fail "risk today failed: $(ops_describe)"
fi

ops_summary
