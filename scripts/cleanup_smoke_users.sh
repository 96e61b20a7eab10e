#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Deletes the smoke-test users (emails starting "smoke.") inactive for more than OLDER_THAN_DAYS,
# through POST /ops/admin/cleanup-smoke-users, saves the answer as cleanup_smoke_users_output.json
# and prints scanned/eligible/deleted.
#
# Environment (crypto-saas names):
#   BASE_URL (required)
#   ADMIN_EMAIL, ADMIN_PASSWORD (required), ADMIN_OTP | ADMIN_TOTP_SECRET
#   OLDER_THAN_DAYS (14)    DRY_RUN (false)
#   OUTPUT_FILE (cleanup_smoke_users_output.json)
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
OLDER_THAN_DAYS="${OLDER_THAN_DAYS:-14}"
DRY_RUN="${DRY_RUN:-false}"
OUTPUT_FILE="${OUTPUT_FILE:-cleanup_smoke_users_output.json}"

ops_require BASE_URL ADMIN_EMAIL ADMIN_PASSWORD
[[ "$OLDER_THAN_DAYS" =~ ^[0-9]+$ ]] || { echo "OLDER_THAN_DAYS must be a whole number of days" >&2; exit 1; }
case "${DRY_RUN,,}" in
  true | 1 | yes | on) dry_run=true ;;
  false | 0 | no | off) dry_run=false ;;
  *) echo "DRY_RUN must be true or false" >&2; exit 1 ;;
esac
ops_init "$BASE_URL"

echo "== Cleanup Smoke Users =="
echo "BASE_URL=$BASE_URL"
echo "OLDER_THAN_DAYS=$OLDER_THAN_DAYS"
echo "DRY_RUN=$dry_run"

section A "Health"
ops_healthz || true

section B "Admin login"
if ops_login admin "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "$ADMIN_OTP" "$ADMIN_TOTP_SECRET"; then
  pass "admin login"
else
  ops_abort "admin login failed: $LOGIN_DETAIL"
fi

section C "Cleanup"
api POST "/ops/admin/cleanup-smoke-users?dry_run=$dry_run&older_than_days=$OLDER_THAN_DAYS" admin
cp "$OPS_TMP/body" "$OUTPUT_FILE"
if [ "$API_STATUS" != "200" ] || [ "$(jget 'isinstance(d, dict) and "scanned" in d')" != "true" ]; then
  ops_abort "cleanup endpoint failed: $(ops_describe)"
fi
scanned="$(jget 'int(d.get("scanned") or 0)' || echo 0)"
eligible="$(jget 'int(d.get("eligible") or 0)' || echo 0)"
deleted="$(jget 'int(d.get("deleted") or 0)' || echo 0)"
answered_dry_run="$(jget 'd.get("dry_run")' || true)"
pass "cleanup scanned=$scanned eligible=$eligible deleted=$deleted dry_run=$answered_dry_run (saved to $OUTPUT_FILE)"
if [ "$answered_dry_run" != "$dry_run" ]; then
  fail "cleanup answered dry_run=$answered_dry_run for a DRY_RUN=$dry_run request"
elif [ "$dry_run" = true ] && [ "$deleted" -ne 0 ]; then
  fail "dry run deleted $deleted user(s)"
elif [ "$dry_run" = false ] && [ "$deleted" -ne "$eligible" ]; then
  fail "cleanup deleted $deleted of $eligible eligible user(s)"
else
  pass "cleanup result consistent ($([ "$dry_run" = true ] && echo "dry run: nothing deleted" || echo "every eligible user deleted"))"
fi

ops_summary
