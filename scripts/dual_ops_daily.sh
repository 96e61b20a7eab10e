#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Daily two-trader check: USER1 trades on Binance, USER2 on IBKR, each with the other venue
# disabled by strategy assignment. Logins, optional secret seeding, pretrade checks, test orders,
# exit checks against the expected decision, segregation (403 on the other venue), each user's
# audit trail, and the admin's daily risk comparison listing both.
#
# Environment (crypto-saas names):
#   BASE_URL (required)
#   USER1_EMAIL, USER1_PASSWORD, USER1_OTP | USER1_TOTP_SECRET        Binance trader
#   USER1_SYMBOL_BINANCE (BTCUSDT), USER1_QTY_BINANCE (0.01)
#   USER1_BINANCE_API_KEY, USER1_BINANCE_API_SECRET                   optional: seeded when both set
#   USER1_EXIT_ENTRY_PRICE (50000), USER1_EXIT_CURRENT_PRICE (50750), USER1_EXIT_STOP_LOSS (49500),
#   USER1_EXIT_TAKE_PROFIT (51000), USER1_EXIT_OPENED_MINUTES (180), USER1_EXIT_TREND_BREAK (false),
#   USER1_EXIT_SIGNAL_REVERSE (false), USER1_EXPECT_EXIT (false)
#   USER2_EMAIL, USER2_PASSWORD, USER2_OTP | USER2_TOTP_SECRET        IBKR trader
#   USER2_SYMBOL_IBKR (AAPL), USER2_QTY_IBKR (1), USER2_IBKR_API_KEY, USER2_IBKR_API_SECRET
#   USER2_EXIT_ENTRY_PRICE (180), USER2_EXIT_CURRENT_PRICE (179), USER2_EXIT_STOP_LOSS (178),
#   USER2_EXIT_TAKE_PROFIT (183), USER2_EXIT_OPENED_MINUTES (500), USER2_EXIT_TREND_BREAK (false),
#   USER2_EXIT_SIGNAL_REVERSE (false), USER2_EXIT_MACRO_EVENT_BLOCK (true),
#   USER2_EXIT_EARNINGS_WITHIN_24H (false), USER2_EXPECT_EXIT (true)
#   ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_OTP | ADMIN_TOTP_SECRET
#   BINANCE_GEO_RESTRICT_AS_PASS (true): Binance's 451 "restricted location" counts as reachable
#   DAILY_COMPARE_REAL_ONLY (true)
# Prints one PASS/FAIL line per step and "Summary: PASS=n FAIL=m"; exits 1 when a step failed.
set -euo pipefail
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/ops.sh
source "$script_dir/lib/ops.sh"

BASE_URL="${BASE_URL:-}"
USER1_EMAIL="${USER1_EMAIL:-}"
USER1_PASSWORD="${USER1_PASSWORD:-}"
USER1_OTP="${USER1_OTP:-}"
USER1_TOTP_SECRET="${USER1_TOTP_SECRET:-}"
USER1_SYMBOL_BINANCE="${USER1_SYMBOL_BINANCE:-BTCUSDT}"
USER1_QTY_BINANCE="${USER1_QTY_BINANCE:-0.01}"
USER1_BINANCE_API_KEY="${USER1_BINANCE_API_KEY:-}"
USER1_BINANCE_API_SECRET="${USER1_BINANCE_API_SECRET:-}"
USER1_EXIT_ENTRY_PRICE="${USER1_EXIT_ENTRY_PRICE:-50000}"
USER1_EXIT_CURRENT_PRICE="${USER1_EXIT_CURRENT_PRICE:-50750}"
USER1_EXIT_STOP_LOSS="${USER1_EXIT_STOP_LOSS:-49500}"
USER1_EXIT_TAKE_PROFIT="${USER1_EXIT_TAKE_PROFIT:-51000}"
USER1_EXIT_OPENED_MINUTES="${USER1_EXIT_OPENED_MINUTES:-180}"
USER1_EXIT_TREND_BREAK="${USER1_EXIT_TREND_BREAK:-false}"
USER1_EXIT_SIGNAL_REVERSE="${USER1_EXIT_SIGNAL_REVERSE:-false}"
USER1_EXPECT_EXIT="${USER1_EXPECT_EXIT:-false}"

USER2_EMAIL="${USER2_EMAIL:-}"
USER2_PASSWORD="${USER2_PASSWORD:-}"
USER2_OTP="${USER2_OTP:-}"
USER2_TOTP_SECRET="${USER2_TOTP_SECRET:-}"
USER2_SYMBOL_IBKR="${USER2_SYMBOL_IBKR:-AAPL}"
USER2_QTY_IBKR="${USER2_QTY_IBKR:-1}"
USER2_IBKR_API_KEY="${USER2_IBKR_API_KEY:-}"
USER2_IBKR_API_SECRET="${USER2_IBKR_API_SECRET:-}"
USER2_EXIT_ENTRY_PRICE="${USER2_EXIT_ENTRY_PRICE:-180}"
USER2_EXIT_CURRENT_PRICE="${USER2_EXIT_CURRENT_PRICE:-179}"
USER2_EXIT_STOP_LOSS="${USER2_EXIT_STOP_LOSS:-178}"
USER2_EXIT_TAKE_PROFIT="${USER2_EXIT_TAKE_PROFIT:-183}"
USER2_EXIT_OPENED_MINUTES="${USER2_EXIT_OPENED_MINUTES:-500}"
USER2_EXIT_TREND_BREAK="${USER2_EXIT_TREND_BREAK:-false}"
USER2_EXIT_SIGNAL_REVERSE="${USER2_EXIT_SIGNAL_REVERSE:-false}"
USER2_EXIT_MACRO_EVENT_BLOCK="${USER2_EXIT_MACRO_EVENT_BLOCK:-true}"
USER2_EXIT_EARNINGS_WITHIN_24H="${USER2_EXIT_EARNINGS_WITHIN_24H:-false}"
USER2_EXPECT_EXIT="${USER2_EXPECT_EXIT:-true}"

ADMIN_EMAIL="${ADMIN_EMAIL:-}"
ADMIN_PASSWORD="${ADMIN_PASSWORD:-}"
ADMIN_OTP="${ADMIN_OTP:-}"
ADMIN_TOTP_SECRET="${ADMIN_TOTP_SECRET:-}"
BINANCE_GEO_RESTRICT_AS_PASS="${BINANCE_GEO_RESTRICT_AS_PASS:-true}"
DAILY_COMPARE_REAL_ONLY="${DAILY_COMPARE_REAL_ONLY:-true}"

ops_require BASE_URL USER1_EMAIL USER1_PASSWORD USER2_EMAIL USER2_PASSWORD ADMIN_EMAIL ADMIN_PASSWORD
ops_symbol USER1_SYMBOL_BINANCE "$USER1_SYMBOL_BINANCE"
ops_symbol USER2_SYMBOL_IBKR "$USER2_SYMBOL_IBKR"
for name in USER1_QTY_BINANCE USER1_EXIT_ENTRY_PRICE USER1_EXIT_CURRENT_PRICE USER1_EXIT_STOP_LOSS \
  USER1_EXIT_TAKE_PROFIT USER1_EXIT_OPENED_MINUTES USER2_QTY_IBKR USER2_EXIT_ENTRY_PRICE \
  USER2_EXIT_CURRENT_PRICE USER2_EXIT_STOP_LOSS USER2_EXIT_TAKE_PROFIT USER2_EXIT_OPENED_MINUTES; do
  ops_number "$name" "${!name}"
done
json_bool() { if ops_bool "$1"; then echo true; else echo false; fi; }
ops_init "$BASE_URL"

echo "== Dual Ops Daily =="
echo "BASE_URL=$BASE_URL"
echo "USER1_EMAIL=$USER1_EMAIL (BINANCE)"
echo "USER2_EMAIL=$USER2_EMAIL (IBKR)"

section A "Health"
ops_healthz || true

section B "Login"
login_ok=true
if ops_login user1 "$USER1_EMAIL" "$USER1_PASSWORD" "$USER1_OTP" "$USER1_TOTP_SECRET"; then
  pass "user1 login"
else
  fail "user1 login failed: $LOGIN_DETAIL"; login_ok=false
fi
if ops_login user2 "$USER2_EMAIL" "$USER2_PASSWORD" "$USER2_OTP" "$USER2_TOTP_SECRET"; then
  pass "user2 login"
else
  fail "user2 login failed: $LOGIN_DETAIL"; login_ok=false
fi
if ops_login admin "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "$ADMIN_OTP" "$ADMIN_TOTP_SECRET"; then
  pass "admin login"
else
  fail "admin login failed: $LOGIN_DETAIL"; login_ok=false
fi
[ "$login_ok" = true ] || ops_summary

section C "Optional secret seed"
# seed SESSION EXCHANGE KEY_VAR SECRET_VAR LABEL: upserts the credentials when both are set.
seed() {
  local session="$1" exchange="$2" key_var="$3" secret_var="$4" label="$5"
  if [ -z "${!key_var}" ] || [ -z "${!secret_var}" ]; then
    info "skip secret seed ($label): credentials not provided"
    return 0
  fi
  ops_write_json "$OPS_TMP/seed.json" exchange "$exchange" api_key "${!key_var}" api_secret "${!secret_var}"
  api POST /users/exchange-secrets "$session" "@$OPS_TMP/seed.json"
  rm -f "$OPS_TMP/seed.json"
  if [ "$API_STATUS" = "201" ] || [ "$API_STATUS" = "200" ]; then
    pass "seed $label secret"
  else
    fail "seed $label secret failed: $(ops_describe)"
  fi
}
seed user1 BINANCE USER1_BINANCE_API_KEY USER1_BINANCE_API_SECRET "user1 BINANCE"
seed user2 IBKR USER2_IBKR_API_KEY USER2_IBKR_API_SECRET "user2 IBKR"

section D "Pretrade and test orders"
order1="{\"symbol\":\"$USER1_SYMBOL_BINANCE\",\"side\":\"BUY\",\"qty\":$USER1_QTY_BINANCE}"
order2="{\"symbol\":\"$USER2_SYMBOL_IBKR\",\"side\":\"BUY\",\"qty\":$USER2_QTY_IBKR}"

check_pretrade() {
  local session="$1" venue="$2" body="$3" label="$4"
  api POST "/ops/execution/pretrade/$venue/check" "$session" "$body"
  if [ "$API_STATUS" = "200" ] && [ "$(jget 'd.get("passed")')" = "true" ]; then
    pass "$label pretrade (strategy $(jget 'd.get("strategy_id")'), $(jget 'len(d.get("checks", []))') checks)"
  elif [ "$API_STATUS" = "200" ]; then
    fail "$label pretrade blocked: $(jget '", ".join(c["name"] + " (" + str(c.get("detail")) + ")" for c in d.get("checks", []) if not c.get("passed"))')"
  else
    fail "$label pretrade failed: $(ops_describe)"
  fi
}

check_test_order() {
  local session="$1" venue="$2" body="$3" label="$4" detail
  api POST "/ops/execution/$venue/test-order" "$session" "$body"
  detail="$(jget 'd.get("detail")' 2>/dev/null || true)"
  if [ "$API_STATUS" = "200" ] && [ "$(jget 'd.get("sent")')" = "true" ]; then
    pass "$label test-order sent (mode $(jget 'd.get("mode")'))"
  elif [ "$venue" = binance ] && ops_bool "$BINANCE_GEO_RESTRICT_AS_PASS" &&
    { [[ "$detail" == *"restricted location"* ]] || [[ "$detail" == *"Binance testnet error 451"* ]]; }; then
    pass "$label test-order reachable (Binance geo-restriction controlled): $(ops_describe)"
  else
    fail "$label test-order failed: $(ops_describe)"
  fi
}

check_pretrade user1 binance "$order1" "user1 BINANCE"
check_pretrade user2 ibkr "$order2" "user2 IBKR"
check_test_order user1 binance "$order1" "user1 BINANCE"
check_test_order user2 ibkr "$order2" "user2 IBKR"

section E "Exit checks"
check_exit() {
  local session="$1" venue="$2" body="$3" expected="$4" label="$5" got
  expected="$(json_bool "$expected")"
  api POST "/ops/execution/exit/$venue/check" "$session" "$body"
  got="$(jget 'd.get("should_exit")' 2>/dev/null || true)"
  if [ "$API_STATUS" = "200" ] && [ "$got" = "$expected" ]; then
    pass "$label exit-check expected=$expected (reasons: $(jget '",".join(d.get("reasons") or []) or "none"'))"
  elif [ "$API_STATUS" = "200" ]; then
    fail "$label exit-check mismatch expected=$expected got=$got (reasons: $(jget '",".join(d.get("reasons") or []) or "none"'))"
  else
    fail "$label exit-check failed: $(ops_describe)"
  fi
}
check_exit user1 binance "{\"symbol\":\"$USER1_SYMBOL_BINANCE\",\"side\":\"BUY\",\"entry_price\":$USER1_EXIT_ENTRY_PRICE,\"current_price\":$USER1_EXIT_CURRENT_PRICE,\"stop_loss\":$USER1_EXIT_STOP_LOSS,\"take_profit\":$USER1_EXIT_TAKE_PROFIT,\"opened_minutes\":$USER1_EXIT_OPENED_MINUTES,\"trend_break\":$(json_bool "$USER1_EXIT_TREND_BREAK"),\"signal_reverse\":$(json_bool "$USER1_EXIT_SIGNAL_REVERSE")}" \
  "$USER1_EXPECT_EXIT" "user1 BINANCE"
check_exit user2 ibkr "{\"symbol\":\"$USER2_SYMBOL_IBKR\",\"side\":\"BUY\",\"entry_price\":$USER2_EXIT_ENTRY_PRICE,\"current_price\":$USER2_EXIT_CURRENT_PRICE,\"stop_loss\":$USER2_EXIT_STOP_LOSS,\"take_profit\":$USER2_EXIT_TAKE_PROFIT,\"opened_minutes\":$USER2_EXIT_OPENED_MINUTES,\"trend_break\":$(json_bool "$USER2_EXIT_TREND_BREAK"),\"signal_reverse\":$(json_bool "$USER2_EXIT_SIGNAL_REVERSE"),\"macro_event_block\":$(json_bool "$USER2_EXIT_MACRO_EVENT_BLOCK"),\"earnings_within_24h\":$(json_bool "$USER2_EXIT_EARNINGS_WITHIN_24H")}" \
  "$USER2_EXPECT_EXIT" "user2 IBKR"

section F "Segregation"
check_blocked() {
  local session="$1" venue="$2" body="$3" message="$4" label="$5"
  api POST "/ops/execution/$venue/test-order" "$session" "$body"
  if [ "$API_STATUS" = "403" ] && [ "$(jget 'd.get("detail")' 2>/dev/null || true)" = "$message" ]; then
    pass "$label blocked as expected ($message)"
  else
    fail "$label expected 403 \"$message\", got $(ops_describe)"
  fi
}
check_blocked user1 ibkr "$order2" "Exchange IBKR is disabled for this user" "user1 IBKR"
check_blocked user2 binance "$order1" "Exchange BINANCE is disabled for this user" "user2 BINANCE"

section G "Audit"
for n in 1 2; do
  api GET "/ops/audit/me?limit=120" "user$n"
  if [ "$API_STATUS" != "200" ]; then
    fail "audit user$n list failed: $(ops_describe)"
  elif jhas_action exit.check.hold exit.check.triggered; then
    pass "audit user$n exit.check.*"
  else
    fail "audit user$n missing exit.check.*"
  fi
done

section H "Daily compare"
api GET "/ops/risk/daily-compare?real_only=$(json_bool "$DAILY_COMPARE_REAL_ONLY")" admin
if [ "$API_STATUS" = "200" ] && count="$(jget 'len(d["users"])')"; then
  listed="$(jget '[e for e in a if e.lower() not in [str(u.get("email", "")).lower() for u in d["users"]]]' "$USER1_EMAIL" "$USER2_EMAIL" || echo "(unreadable answer)")"
  if [ "$listed" = "[]" ]; then
    pass "daily compare (real_only=$DAILY_COMPARE_REAL_ONLY, day $(jget 'd.get("day")')) lists user1 and user2 among $count users"
  else
    fail "daily compare (real_only=$DAILY_COMPARE_REAL_ONLY) does not list $listed ($count users)"
  fi
else
  fail "daily compare failed: $(ops_describe)"
fi

ops_summary
