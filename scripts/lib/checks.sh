# shellcheck shell=bash
# The counters and verdict lines of a live check (scripts/checks/*.sh): one `PASS | ...` or
# `FAIL | ...` line per check, then `Summary: PASS=n FAIL=m`; `finish` prints it and fails when
# any check failed.
PASS=0
FAIL=0
pass() { PASS=$((PASS + 1)); echo "PASS | $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL | $*"; }
check() { local name="$1"; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
finish() { echo "Summary: PASS=$PASS FAIL=$FAIL"; [ "$FAIL" -eq 0 ]; }
