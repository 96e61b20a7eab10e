#!/usr/bin/env bash
# Live check of wallet sign-in and the dYdX service surface (issue 22): starts the built server on
# SQLite with a bootstrap admin, then runs scripts/checks/wallet_client.py, which signs in with a
# fresh Ethereum key through eth-account, stores a dYdX mnemonic, reads the dashboard and sends a
# dYdX-format alert. Afterwards the server log must not hold the mnemonic, the webhook secret or
# any signed message's nonce line.
# Called by scripts/test.sh with SIGNALDESK_BIN. Installs eth-account (in a venv under /tmp) when
# python3 lacks it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$here/lib/common.sh"
: "${SIGNALDESK_BIN:?path of the signaldesk binary}"

# shellcheck source=SCRIPTDIR/../lib/checks.sh
source "$here/lib/checks.sh"

work="$(mktemp -d /tmp/signaldesk-wallet.XXXXXX)"
chmod 700 "$work"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap 'stop_server; rm -rf "$work"' EXIT

ensure_packages curl:curl python3:python3

# Prints a python that imports eth_account: python3 itself, else a venv kept under /tmp between runs.
wallet_python() {
  local venv="${SIGNALDESK_WALLET_VENV:-/tmp/signaldesk-wallet-venv}"
  if python3 -c 'import eth_account' 2>/dev/null; then command -v python3; return 0; fi
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import eth_account' 2>/dev/null; then echo "$venv/bin/python"; return 0; fi
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null && [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null 2>&1 || true
  fi
  rm -rf "$venv"
  if python3 -m venv "$venv" >&2 && "$venv/bin/python" -m pip install -q eth-account >&2; then
    echo "$venv/bin/python"; return 0
  fi
  return 1
}
if py="$(wallet_python)"; then
  pass "eth-account is available"
else
  fail "eth-account is available (pip install eth-account failed)"; finish; exit 1
fi

admin_email="ops.wallet.admin@example.org"
python3 -c 'import secrets; print("Pw-" + secrets.token_urlsafe(18), end="")' >"$work/admin.pw"
port="$(free_port)"
base="http://127.0.0.1:$port"
(cd "$work" && exec env -i PATH="$PATH" HOME="$work" BOOTSTRAP_ADMIN_EMAIL="$admin_email" \
  BOOTSTRAP_ADMIN_PASSWORD="$(cat "$work/admin.pw")" \
  "$SIGNALDESK_BIN" serve --hostname 127.0.0.1 --port "$port" >"$work/server.log" 2>&1) &
server_pid=$!
if wait_for_http "$base/healthz" 60; then
  pass "serve answers /healthz on SQLite with a bootstrap admin"
else
  fail "serve answers /healthz on SQLite with a bootstrap admin"; cat "$work/server.log"; finish; exit 1
fi

set +e
"$py" "$here/checks/wallet_client.py" "$base" "$admin_email" "$work/admin.pw" >"$work/client.out" 2>"$work/client.err"
set -e
cat "$work/client.out"
PASS=$((PASS + $(grep -c '^PASS' "$work/client.out" || true)))
FAIL=$((FAIL + $(grep -c '^FAIL' "$work/client.out" || true)))
if [ -s "$work/client.err" ]; then
  fail "wallet_client.py ran without errors"; tail -n 20 "$work/client.err"
fi

stop_server
check "the server log holds no mnemonic word" bash -c "! grep -q 'abandon' '$work/server.log'"
check "...and no signed message" bash -c "! grep -q 'Nonce: ' '$work/server.log'"
finish
