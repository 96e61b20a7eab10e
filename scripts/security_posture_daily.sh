#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Daily security posture: every user in scope has 2FA and no exchange secret older than
# SECRET_MAX_AGE_DAYS; saves the dashboard summary as security_dashboard_snapshot.json; and the
# preventive rule: fail when the 7-day trend shows errors rising two days running with today's count
# at PREVENTIVE_MIN_ERRORS or more (priority high when pretrade checks blocked in the last 24 h).
#
# Environment (crypto-saas names):
#   BASE_URL (required)
#   ADMIN_EMAIL, ADMIN_PASSWORD (required), ADMIN_OTP | ADMIN_TOTP_SECRET
#   SECRET_MAX_AGE_DAYS (30)     REAL_ONLY (true)     PREVENTIVE_MIN_ERRORS (10)
#   SNAPSHOT_FILE (security_dashboard_snapshot.json)
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
SECRET_MAX_AGE_DAYS="${SECRET_MAX_AGE_DAYS:-30}"
REAL_ONLY="${REAL_ONLY:-true}"
PREVENTIVE_MIN_ERRORS="${PREVENTIVE_MIN_ERRORS:-10}"
SNAPSHOT_FILE="${SNAPSHOT_FILE:-security_dashboard_snapshot.json}"

ops_require BASE_URL ADMIN_EMAIL ADMIN_PASSWORD
[[ "$SECRET_MAX_AGE_DAYS" =~ ^[0-9]+$ ]] || { echo "SECRET_MAX_AGE_DAYS must be a whole number of days" >&2; exit 1; }
ops_number PREVENTIVE_MIN_ERRORS "$PREVENTIVE_MIN_ERRORS"
if ops_bool "$REAL_ONLY"; then real_only=true; else real_only=false; fi
ops_init "$BASE_URL"

echo "== Security Posture Daily =="
echo "BASE_URL=$BASE_URL"
echo "REAL_ONLY=$real_only SECRET_MAX_AGE_DAYS=$SECRET_MAX_AGE_DAYS PREVENTIVE_MIN_ERRORS=$PREVENTIVE_MIN_ERRORS"

section A "Health"
ops_healthz || true

section B "Admin login"
if ops_login admin "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "$ADMIN_OTP" "$ADMIN_TOTP_SECRET"; then
  pass "admin login"
else
  ops_abort "admin login failed: $LOGIN_DETAIL"
fi

section C "Security posture"
api GET "/ops/security/posture?real_only=$real_only&max_secret_age_days=$SECRET_MAX_AGE_DAYS" admin
if [ "$API_STATUS" != "200" ] || ! total_users="$(jget 'int(d["summary"]["total_users"])')"; then
  ops_abort "security posture request failed: $(ops_describe)"
fi
missing_2fa="$(jget 'int(d["summary"]["users_missing_2fa"])' || echo unknown)"
stale="$(jget 'int(d["summary"]["users_with_stale_secrets"])' || echo unknown)"
retired="$(jget 'int(d["summary"].get("secrets_on_retired_keys") or 0)' || echo 0)"

if [ "$total_users" -gt 0 ]; then
  pass "security posture users=$total_users"
else
  fail "security posture has no users in scope (real_only=$real_only)"
fi
if [ "$missing_2fa" = 0 ]; then
  pass "2FA posture ok"
else
  fail "users missing 2FA: $missing_2fa ($(jget '", ".join(u["email"] for u in d["users"] if u.get("role") in ("admin", "trader") and not u.get("two_factor_enabled"))'))"
fi
if [ "$stale" = 0 ]; then
  pass "secret rotation posture ok (no secret older than $SECRET_MAX_AGE_DAYS days)"
else
  fail "users with stale secrets: $stale ($(jget '", ".join("%s (%s days)" % (u["email"], u.get("oldest_secret_age_days")) for u in d["users"] if u.get("stale_secret"))'))"
fi
if [ "$retired" -gt 0 ]; then
  info "$retired sealed value(s) still on a retired key: run the re-encryption (docs/runbook.md, key rotation)"
fi

section D "Dashboard snapshot"
api GET "/ops/dashboard/summary?real_only=$real_only&max_secret_age_days=$SECRET_MAX_AGE_DAYS" admin
if [ "$API_STATUS" = "200" ] && [ "$(jget 'isinstance(d, dict) and isinstance(d.get("trends_7d"), list)')" = "true" ]; then
  cp "$OPS_TMP/body" "$SNAPSHOT_FILE"
  pass "dashboard snapshot saved to $SNAPSHOT_FILE (overall_status=$(jget 'd.get("overall_status")'))"

  section E "Preventive rule"
  verdict="$(ops_preventive_verdict "$SNAPSHOT_FILE" "$PREVENTIVE_MIN_ERRORS" 2>&1 || echo "alert the snapshot could not be read")"
  case "$verdict" in
    ok\ *) pass "preventive error trend: ${verdict#ok }" ;;
    *) fail "preventive error trend: ${verdict#alert }" ;;
  esac
else
  fail "dashboard snapshot failed: $(ops_describe)"
fi

ops_summary
