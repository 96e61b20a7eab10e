#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Quarterly exchange-credential rotation: seeds the NEW_* credentials (when given) for the Binance
# trader (USER1) and the IBKR trader (USER2), validates them with test orders and the security
# posture, and when validation fails rolls back to the ROLLBACK_* credentials and validates again.
# A run whose rotation had to be rolled back still exits 1: the new credentials did not work.
#
# Environment (crypto-saas names):
#   BASE_URL (required)
#   ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_OTP | ADMIN_TOTP_SECRET      (required: email, password)
#   USER1_EMAIL, USER1_PASSWORD, USER1_OTP | USER1_TOTP_SECRET      Binance owner (required)
#   USER2_EMAIL, USER2_PASSWORD, USER2_OTP | USER2_TOTP_SECRET      IBKR owner (required)
#   NEW_USER1_BINANCE_API_KEY, NEW_USER1_BINANCE_API_SECRET         new credentials (optional)
#   NEW_USER2_IBKR_API_KEY, NEW_USER2_IBKR_API_SECRET
#   ROLLBACK_USER1_BINANCE_API_KEY, ROLLBACK_USER1_BINANCE_API_SECRET   previous credentials
#   ROLLBACK_USER2_IBKR_API_KEY, ROLLBACK_USER2_IBKR_API_SECRET
#   BINANCE_SYMBOL (BTCUSDT), BINANCE_QTY (0.01), IBKR_SYMBOL (AAPL), IBKR_QTY (1)
#   ALLOW_BINANCE_451 (true): Binance's geo-restriction answer counts as reachable
#   POSTURE_MAX_SECRET_AGE_DAYS (90): stale-secret bound of the posture validation
# Prints one PASS/FAIL line per step and "Summary: PASS=n FAIL=m"; exits 1 when a step failed.
set -euo pipefail
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/ops.sh
source "$script_dir/lib/ops.sh"

BASE_URL="${BASE_URL:-}"
ADMIN_EMAIL="${ADMIN_EMAIL:-}"
ADMIN_PASSWORD="${ADMIN_PASSWORD:-}"
ADMIN_OTP="${ADMIN_OTP:-}"
ADMIN_TOTP_SECRET="${ADMIN_TOTP_SECRET:-}"
USER1_EMAIL="${USER1_EMAIL:-}"
USER1_PASSWORD="${USER1_PASSWORD:-}"
USER1_OTP="${USER1_OTP:-}"
USER1_TOTP_SECRET="${USER1_TOTP_SECRET:-}"
USER2_EMAIL="${USER2_EMAIL:-}"
USER2_PASSWORD="${USER2_PASSWORD:-}"
USER2_OTP="${USER2_OTP:-}"
USER2_TOTP_SECRET="${USER2_TOTP_SECRET:-}"
NEW_USER1_BINANCE_API_KEY="${NEW_USER1_BINANCE_API_KEY:-}"
NEW_USER1_BINANCE_API_SECRET="${NEW_USER1_BINANCE_API_SECRET:-}"
NEW_USER2_IBKR_API_KEY="${NEW_USER2_IBKR_API_KEY:-}"
NEW_USER2_IBKR_API_SECRET="${NEW_USER2_IBKR_API_SECRET:-}"
ROLLBACK_USER1_BINANCE_API_KEY="${ROLLBACK_USER1_BINANCE_API_KEY:-}"
ROLLBACK_USER1_BINANCE_API_SECRET="${ROLLBACK_USER1_BINANCE_API_SECRET:-}"
ROLLBACK_USER2_IBKR_API_KEY="${ROLLBACK_USER2_IBKR_API_KEY:-}"
ROLLBACK_USER2_IBKR_API_SECRET="${ROLLBACK_USER2_IBKR_API_SECRET:-}"
BINANCE_SYMBOL="${BINANCE_SYMBOL:-BTCUSDT}"
BINANCE_QTY="${BINANCE_QTY:-0.01}"
IBKR_SYMBOL="${IBKR_SYMBOL:-AAPL}"
IBKR_QTY="${IBKR_QTY:-1}"
ALLOW_BINANCE_451="${ALLOW_BINANCE_451:-true}"
POSTURE_MAX_SECRET_AGE_DAYS="${POSTURE_MAX_SECRET_AGE_DAYS:-90}"

ops_require BASE_URL ADMIN_EMAIL ADMIN_PASSWORD USER1_EMAIL USER1_PASSWORD USER2_EMAIL USER2_PASSWORD
ops_symbol BINANCE_SYMBOL "$BINANCE_SYMBOL"
ops_symbol IBKR_SYMBOL "$IBKR_SYMBOL"
ops_number BINANCE_QTY "$BINANCE_QTY"
ops_number IBKR_QTY "$IBKR_QTY"
[[ "$POSTURE_MAX_SECRET_AGE_DAYS" =~ ^[0-9]+$ ]] || { echo "POSTURE_MAX_SECRET_AGE_DAYS must be a whole number" >&2; exit 1; }
ops_init "$BASE_URL"

echo "== Quarterly Rotation =="
echo "BASE_URL=$BASE_URL"
echo "USER1_EMAIL=$USER1_EMAIL (BINANCE)"
echo "USER2_EMAIL=$USER2_EMAIL (IBKR)"

section A "Health"
ops_healthz || true

section B "Login"
login_ok=true
for who in admin user1 user2; do
  prefix="${who^^}"
  email_var="${prefix}_EMAIL" password_var="${prefix}_PASSWORD" otp_var="${prefix}_OTP" totp_var="${prefix}_TOTP_SECRET"
  if ops_login "$who" "${!email_var}" "${!password_var}" "${!otp_var}" "${!totp_var}"; then
    pass "$who login"
  else
    fail "$who login failed: $LOGIN_DETAIL"; login_ok=false
  fi
done
[ "$login_ok" = true ] || ops_summary
info "quarterly rotation window: $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# seed SESSION EXCHANGE KEY SECRET LABEL: upserts one user's credentials; 0 when saved.
seed() {
  local session="$1" exchange="$2" key="$3" secret="$4" label="$5"
  ops_write_json "$OPS_TMP/seed.json" exchange "$exchange" api_key "$key" api_secret "$secret"
  api POST /users/exchange-secrets "$session" "@$OPS_TMP/seed.json"
  rm -f "$OPS_TMP/seed.json"
  if [ "$API_STATUS" = "201" ] || [ "$API_STATUS" = "200" ]; then
    pass "$label seeded"
    return 0
  fi
  fail "$label seed failed: $(ops_describe)"
  return 1
}

check_test_order() {
  local session="$1" venue="$2" body="$3" label="$4" detail
  api POST "/ops/execution/$venue/test-order" "$session" "$body"
  detail="$(jget 'd.get("detail")' 2>/dev/null || true)"
  if [ "$API_STATUS" = "200" ] && [ "$(jget 'd.get("sent")')" = "true" ]; then
    pass "$label test-order sent (mode $(jget 'd.get("mode")'))"
  elif [ "$venue" = binance ] && ops_bool "$ALLOW_BINANCE_451" && [[ "$detail" == *"Binance testnet error 451"* ]]; then
    pass "$label test-order reachable (Binance 451 controlled)"
  else
    fail "$label test-order failed: $(ops_describe)"
  fi
}

# validate STAGE: test orders of both users and the security posture; 0 when nothing failed.
validate() {
  local stage="$1" failures_before="$OPS_FAIL"
  section "Validation $stage" "Execution checks"
  check_test_order user1 binance "{\"symbol\":\"$BINANCE_SYMBOL\",\"side\":\"BUY\",\"qty\":$BINANCE_QTY}" "$stage user1 BINANCE"
  check_test_order user2 ibkr "{\"symbol\":\"$IBKR_SYMBOL\",\"side\":\"BUY\",\"qty\":$IBKR_QTY}" "$stage user2 IBKR"

  section "Validation $stage" "Security posture"
  api GET "/ops/security/posture?real_only=true&max_secret_age_days=$POSTURE_MAX_SECRET_AGE_DAYS" admin
  if [ "$API_STATUS" = "200" ] && missing_2fa="$(jget 'int(d["summary"]["users_missing_2fa"])')"; then
    if [ "$missing_2fa" -eq 0 ]; then pass "$stage posture 2FA ok"; else fail "$stage posture users missing 2FA: $missing_2fa"; fi
    stale="$(jget 'int(d["summary"]["users_with_stale_secrets"])' || echo unknown)"
    if [ "$stale" = 0 ]; then
      pass "$stage posture no secret older than $POSTURE_MAX_SECRET_AGE_DAYS days"
    else
      fail "$stage posture users with stale secrets: $stale"
    fi
  else
    fail "$stage posture read failed: $(ops_describe)"
  fi
  [ "$OPS_FAIL" -eq "$failures_before" ]
}

section C "Rotation apply"
rotated=false
if [ -n "$NEW_USER1_BINANCE_API_KEY" ] && [ -n "$NEW_USER1_BINANCE_API_SECRET" ]; then
  seed user1 BINANCE "$NEW_USER1_BINANCE_API_KEY" "$NEW_USER1_BINANCE_API_SECRET" "user1 BINANCE new credentials" || true
  rotated=true
else
  info "skip user1 BINANCE: new credentials not provided"
fi
if [ -n "$NEW_USER2_IBKR_API_KEY" ] && [ -n "$NEW_USER2_IBKR_API_SECRET" ]; then
  seed user2 IBKR "$NEW_USER2_IBKR_API_KEY" "$NEW_USER2_IBKR_API_SECRET" "user2 IBKR new credentials" || true
  rotated=true
else
  info "skip user2 IBKR: new credentials not provided"
fi
if [ "$rotated" = false ]; then
  info "no new exchange credentials were provided: this run validates the current ones only"
fi

if ! validate post-rotation && [ "$rotated" = true ]; then
  section D "Rollback"
  rolled_back=false
  if [ -n "$ROLLBACK_USER1_BINANCE_API_KEY" ] && [ -n "$ROLLBACK_USER1_BINANCE_API_SECRET" ]; then
    seed user1 BINANCE "$ROLLBACK_USER1_BINANCE_API_KEY" "$ROLLBACK_USER1_BINANCE_API_SECRET" "rollback user1 BINANCE" && rolled_back=true
  else
    info "rollback user1 BINANCE credentials not provided"
  fi
  if [ -n "$ROLLBACK_USER2_IBKR_API_KEY" ] && [ -n "$ROLLBACK_USER2_IBKR_API_SECRET" ]; then
    seed user2 IBKR "$ROLLBACK_USER2_IBKR_API_KEY" "$ROLLBACK_USER2_IBKR_API_SECRET" "rollback user2 IBKR" && rolled_back=true
  else
    info "rollback user2 IBKR credentials not provided"
  fi
  if [ "$rolled_back" = true ]; then
    if validate post-rollback; then
      info "rollback restored working credentials; the rotation itself failed and must be redone"
    fi
  else
    fail "rollback unavailable (no ROLLBACK_* credentials configured)"
  fi
fi

ops_summary
