#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Prepares a development checkout: .env from .env.example (mode 600, never overwritten), the system
# packages the build and the scripts need (installed when run as root), and the first build.
#
# Environment:
#   BOOTSTRAP_SKIP_BUILD=1   stop before `swift build` (checks of this script use it)
# Prints one PASS/FAIL line per step and "Summary: PASS=n FAIL=m"; exits 1 when a step failed.
set -euo pipefail
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$script_dir/.." && pwd)"
# shellcheck source=lib/common.sh
source "$script_dir/lib/common.sh"
# shellcheck source=lib/ops.sh
source "$script_dir/lib/ops.sh"
cd "$root"

echo "== Bootstrap dev =="

section A ".env"
if [ -f .env ]; then
  pass ".env already present (left as it is)"
elif [ -f .env.example ]; then
  (umask 077 && cp .env.example .env)
  chmod 600 .env
  pass ".env created from .env.example (mode 600): set BOOTSTRAP_ADMIN_EMAIL/PASSWORD there"
else
  fail ".env.example is missing"
fi

section B "System packages"
if ensure_packages curl:curl python3:python3 pkg-config:pkg-config pkgconfig=liboath:liboath-dev \
  pkgconfig=libsecp256k1:libsecp256k1-dev pkgconfig=botan-2:libbotan-2-dev; then
  pass "system packages: curl, python3, pkg-config, liboath-dev, libsecp256k1-dev, libbotan-2-dev"
else
  fail "system packages missing (see above)"
fi

section C "Build"
if [ "${BOOTSTRAP_SKIP_BUILD:-0}" = "1" ]; then
  info "build skipped (BOOTSTRAP_SKIP_BUILD=1)"
elif ! ensure_swift; then
  fail "swift toolchain not found"
elif swift build; then
  pass "swift build (.build/debug/signaldesk)"
else
  fail "swift build failed"
fi

echo
echo "Next steps:"
echo "  1) scripts/serve.sh                       # http://127.0.0.1:8080, SQLite in var/"
echo "  2) PASSWORD=... scripts/run_scenario.sh   # end-to-end scenario against it"
echo "  3) scripts/test.sh                        # every test and the ops scripts"
ops_summary
