#!/usr/bin/env bash
# Live check of DYDX as a venue (issue 23): starts signaldesk-fakes (its fake dYdX node and
# indexer) and the built server on SQLite with EXECUTION_MODE=testnet pointed at them, then runs
# scripts/checks/dydx_client.py: a wallet user (eth-account) stores a testnet mnemonic and sends a
# dYdX-format BTC-USD alert; the check follows it to a signed order the fake node verified, an
# OPEN position with TP/SL on the chain, and a close that cancels them. Afterwards the server log
# must not hold the mnemonic.
# Called by scripts/test.sh with SIGNALDESK_BIN; signaldesk-fakes must sit beside it. Installs
# eth-account (in a venv under /tmp) when python3 lacks it. DYDX_DB=postgres runs the server on a
# throwaway PostgreSQL cluster instead (scripts/lib/postgres.sh; PG_EXTRA_OPTS passes through, e.g.
# "-c fsync=on -c synchronous_commit=on" for a benchmark with durable commits).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$here/lib/common.sh"
: "${SIGNALDESK_BIN:?path of the signaldesk binary}"
# shellcheck source=SCRIPTDIR/../lib/checks.sh
source "$here/lib/checks.sh"
FAKES_BIN="$(dirname "$SIGNALDESK_BIN")/signaldesk-fakes"

work="$(mktemp -d /tmp/signaldesk-dydx.XXXXXX)"
chmod 700 "$work"
pids=()
stop_all() {
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  done
  pids=()
}
database=()
case "${DYDX_DB:-sqlite}" in
  sqlite) trap 'stop_all; rm -rf "$work"' EXIT ;;
  postgres)
    # shellcheck source=SCRIPTDIR/../lib/postgres.sh
    source "$here/lib/postgres.sh"
    trap 'stop_all; pg_destroy_cluster; rm -rf "$work"' EXIT
    ensure_packages "path=/usr/lib/postgresql:postgresql" runuser:util-linux
    pg_start_cluster
    pg_create_database signaldesk_dydx
    database=(DATABASE_URL="$(pg_url signaldesk_dydx)")
    ;;
  *) echo "DYDX_DB must be sqlite or postgres" >&2; exit 64 ;;
esac

ensure_packages curl:curl python3:python3

# A python that imports eth_account: python3 itself, else a venv kept under /tmp between runs.
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
if py="$(wallet_python)"; then pass "eth-account is available"; else
  fail "eth-account is available (pip install eth-account failed)"; finish; exit 1
fi
if [ ! -x "$FAKES_BIN" ]; then fail "signaldesk-fakes beside SIGNALDESK_BIN ($FAKES_BIN)"; finish; exit 1; fi

(cd "$work" && exec env -i PATH="$PATH" FAKE_ACCOUNTS="unused-key:unused-secret" "$FAKES_BIN" "$work/fakes.json" \
  >"$work/fakes.log" 2>&1) &
pids+=($!)
for _ in $(seq 1 150); do [ -s "$work/fakes.json" ] && break; sleep 0.2; done
if [ -s "$work/fakes.json" ]; then pass "the fake dYdX node and indexer started"; else
  fail "the fake dYdX node and indexer started"; cat "$work/fakes.log"; finish; exit 1
fi
fake_url() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/fakes.json" "$1"; }
chain="$(fake_url dydx)"

port="$(free_port)"
base="http://127.0.0.1:$port"
(cd "$work" && exec env -i PATH="$PATH" HOME="$work" EXECUTION_MODE=testnet DYDX_NETWORK=testnet \
  DYDX_CHAIN_ID=dydx-testnet-4 DYDX_NODE_REST_URL="$chain" DYDX_INDEXER_URL="$chain" \
  TELEGRAM_API_BASE_URL="$(fake_url telegram)" "${database[@]}" \
  "$SIGNALDESK_BIN" serve --hostname 127.0.0.1 --port "$port" >"$work/server.log" 2>&1) &
pids+=($!)
if wait_for_http "$base/healthz" 60; then pass "serve answers /healthz with EXECUTION_MODE=testnet and the fake chain"; else
  fail "serve answers /healthz with EXECUTION_MODE=testnet and the fake chain"; tail -n 40 "$work/server.log"; finish; exit 1
fi

set +e
DYDX_BENCH_ALERTS="${DYDX_BENCH_ALERTS:-0}" "$py" "$here/checks/dydx_client.py" "$base" "$chain" >"$work/client.out" 2>"$work/client.err"
set -e
cat "$work/client.out"
PASS=$((PASS + $(grep -c '^PASS' "$work/client.out" || true)))
FAIL=$((FAIL + $(grep -c '^FAIL' "$work/client.out" || true)))
if [ -s "$work/client.err" ]; then fail "dydx_client.py ran without errors"; tail -n 20 "$work/client.err"; fi

stop_all
check "the server log holds no mnemonic word" bash -c "! grep -q 'abandon' '$work/server.log'"
finish
