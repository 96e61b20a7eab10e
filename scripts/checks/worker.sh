#!/usr/bin/env bash
# Live check of `signaldesk worker` as a process. A server with WORKER_ENABLED=false accepts 8
# TradingView alerts for 8 symbols from one trader; they stay CREATED while no worker runs. Then
# `signaldesk worker` runs against the same database and executes them: with the default risk
# profile (30 min cooldown) exactly one opens a position and the others are REJECTED. On SQLite one
# worker shares the server's file; on PostgreSQL two workers run at once and every signal is
# executed exactly once (one orders row per executed signal). Every worker stops cleanly on SIGTERM.
# Then, on both databases, `serve` with its own worker gets the 8 alerts at the same moment and
# must open exactly what they would open one after another (1).
# Subscriptions (issue 24), on both databases: with SUBSCRIPTION_REQUIRED=true an expired trader's
# alert is accepted (202) and refused by the worker (`subscription_inactive`, audited), an active
# trader's alert trades, and `signaldesk subscriptions expire` as a process marks an ended period.
# Called by scripts/test.sh with SIGNALDESK_BIN and the throwaway cluster's PG_* variables.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=SCRIPTDIR/../lib/postgres.sh
source "$here/lib/postgres.sh"
: "${SIGNALDESK_BIN:?path of the signaldesk binary}"

# shellcheck source=SCRIPTDIR/../lib/checks.sh
source "$here/lib/checks.sh"

work="$(umask 077 && mktemp -d /tmp/signaldesk-worker.XXXXXX)"
pids=()
# stop PID: SIGTERM, then up to 15 s for the process to exit (SIGKILL after that); its exit status.
stop() {
  local pid="$1" deadline=$((SECONDS + 15))
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  local status=0
  wait "$pid" 2>/dev/null || status=$?
  return "$status"
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && { stop "$pid" || true; }; done
  rm -rf "$work"
}
trap cleanup EXIT

# launch NAME VAR=VALUE... -- ARGS...: runs the binary in $work with a clean environment; sets LAUNCHED.
launch() {
  local name="$1"; shift
  local vars=()
  while [ "$1" != "--" ]; do vars+=("$1"); shift; done
  shift
  (cd "$work" && exec env -i PATH="$PATH" HOME="$work" "${vars[@]}" "$SIGNALDESK_BIN" "$@" >"$work/$name.log" 2>&1) &
  LAUNCHED=$!
  pids+=("$LAUNCHED")
}

# api METHOD PATH [BODY_FILE]: a request with the trader's token (a file, never on a command line);
# the status in STATUS, the body in $work/body.
api() {
  local args=(-sS -X "$1" -o "$work/body" -w '%{http_code}' --max-time 15 -H @"$work/auth")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary @"$3")
  STATUS="$(curl "${args[@]}" "$base$2" || echo 000)"
}

# py EXPR FILE: evaluates EXPR over the JSON document in FILE (as `d`).
py() { python3 -c "import json,sys,collections; d=json.load(open(sys.argv[1])); print($1)" "$2"; }

# sql QUERY: one value from the PostgreSQL database of the scenario.
sql() { PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DATABASE" -qAt -c "$1"; }

statuses() { api GET /signals; py '" ".join(sorted(s["status"] for s in d))' "$work/body"; }

symbols=(BTCUSDT ETHUSDT SOLUSDT BNBUSDT XRPUSDT ADAUSDT DOGEUSDT LTCUSDT)

# trader NAME: registers and signs in a trader on $base, rotates its webhook secret; sets uuid and
# writes the secret to $work/secret. Fails (and says so) when the secret is not issued.
trader() {
  local name="$1" email="worker-$1@signaldesk.test" password="worker-check-pw-1"
  curl -sS -o /dev/null --max-time 15 -H 'Content-Type: application/json' \
    --data-binary "{\"email\":\"$email\",\"password\":\"$password\"}" "$base/auth/register"
  curl -sS -o "$work/login.json" --max-time 15 --data-urlencode "username=$email" \
    --data-urlencode "password=$password" "$base/auth/login"
  py '"Authorization: Bearer " + d.get("access_token", "")' "$work/login.json" >"$work/auth"
  api POST /webhooks/secret
  if [ "$STATUS" != 200 ]; then
    fail "$name: a registered trader gets a webhook secret (HTTP $STATUS)"
    return 1
  fi
  uuid="$(py 'd["webhook_uuid"]' "$work/body")"
  py 'd["webhook_secret"]' "$work/body" >"$work/secret"
}

# send_alert NAME I: posts the alert for symbols[I] to the trader's webhook; prints the HTTP status.
send_alert() {
  local body="$work/alert-$1-$2.json"
  python3 - "${symbols[$2]}" "$1-$2" "$work/secret" >"$body" <<'PY'
import json, sys
symbol, alert_id, secret_file = sys.argv[1:]
print(json.dumps({"secret": open(secret_file).read().strip(), "symbol": symbol, "side": "buy", "price": 100,
                  "stop_loss": 95, "take_profit": 110, "alert_id": alert_id}))
PY
  curl -sS -o /dev/null -w '%{http_code}' --max-time 15 -H 'Content-Type: application/json' \
    --data-binary @"$body" "$base/webhooks/tradingview/$uuid" || echo 000
}

# settled: waits up to 30 s for every signal to leave CREATED and EXECUTING; true when they did.
settled() {
  local deadline=$((SECONDS + 30)) left=""
  while [ $SECONDS -lt $deadline ]; do
    left="$(statuses | tr ' ' '\n' | grep -cE '^(CREATED|EXECUTING)$' || true)"
    [ "$left" = 0 ] && return 0
    sleep 0.5
  done
  return 1
}

# one_opened NAME: exactly 1 signal OPENED and 7 REJECTED (the cooldown), and 1 position.
one_opened() {
  local final; final="$(statuses || true)"
  echo "INFO | $1: signal statuses: $final"
  check "$1: exactly 1 signal OPENED, the other 7 REJECTED (cooldown)" \
    test "$(tr ' ' '\n' <<<"$final" | grep -c '^OPENED$')" -eq 1 -a "$(tr ' ' '\n' <<<"$final" | grep -c '^REJECTED$')" -eq 7
  api GET /positions
  check "$1: exactly 1 position opened (GET /positions)" test "$(py 'len(d)' "$work/body")" -eq 1
}

# scenario NAME DATABASE_URL WORKERS: the whole check against one database.
scenario() {
  local name="$1" database="$2" workers="$3"
  local port; port="$(free_port)"
  base="http://127.0.0.1:$port"
  launch "$name-serve" DATABASE_URL="$database" WORKER_ENABLED=false -- serve --hostname 127.0.0.1 --port "$port"
  local server="$LAUNCHED"
  if ! wait_for_http "$base/healthz" 60; then
    fail "$name: serve answers /healthz"; cat "$work/$name-serve.log"; stop "$server" || true; return
  fi

  trader "$name" || { stop "$server" || true; return; }
  local accepted=0 i
  for i in "${!symbols[@]}"; do
    code="$(send_alert "$name" "$i")"
    [ "$code" = 202 ] && accepted=$((accepted + 1))
  done
  check "$name: the server accepts 8 alerts for 8 symbols (202)" test "$accepted" -eq 8

  sleep 3
  check "$name: without a worker the 8 signals stay CREATED" \
    test "$(statuses)" = "$(printf 'CREATED %.0s' {1..8} | sed 's/ $//')"

  local worker_pids=() w
  for w in $(seq 1 "$workers"); do
    launch "$name-worker$w" DATABASE_URL="$database" -- worker
    worker_pids+=("$LAUNCHED")
  done

  check "$name: with $workers signaldesk worker(s) running, every signal is executed within 30 s" settled
  one_opened "$name"

  if [ -n "${PG_DIR:-}" ] && [[ "$database" == postgres* ]]; then
    local orders executed duplicated
    orders="$(sql "SELECT count(*) FROM orders")"
    executed="$(sql "SELECT count(*) FROM signals WHERE status NOT IN ('CREATED', 'EXECUTING', 'REJECTED')")"
    duplicated="$(sql "SELECT count(*) FROM (SELECT signal_id FROM orders GROUP BY signal_id HAVING count(*) > 1) AS twice")"
    echo "INFO | $name: orders rows $orders, executed signals (not REJECTED) $executed"
    check "$name: one orders row per executed signal, none executed twice" \
      test "$orders" -eq "$executed" -a "$duplicated" -eq 0
  fi

  for w in "${!worker_pids[@]}"; do
    local started=$SECONDS status=0
    stop "${worker_pids[$w]}" || status=$?
    check "$name: worker $((w + 1)) exits 0 within 10 s of SIGTERM (status $status)" \
      test "$status" -eq 0 -a $((SECONDS - started)) -le 10
    check "$name: worker $((w + 1)) stopped its execution loop before exiting" \
      grep -q 'Stopped Execution worker' "$work/$name-worker$((w + 1)).log"
  done
  check "$name: no secret reached the logs" \
    bash -c "! grep -rqF -f '$work/secret' '$work'/*.log"
  stop "$server" || true
}

# burst NAME DATABASE_URL: `serve` with its own worker (8 executions at a time) gets the 8 alerts
# at the same moment, as at a bar close; the risk limits must hold as if they came one by one.
burst() {
  local name="$1" database="$2"
  local port; port="$(free_port)"
  base="http://127.0.0.1:$port"
  launch "$name-serve" DATABASE_URL="$database" WORKER_CONCURRENCY=8 -- serve --hostname 127.0.0.1 --port "$port"
  local server="$LAUNCHED"
  if ! wait_for_http "$base/healthz" 60; then
    fail "$name: serve answers /healthz"; cat "$work/$name-serve.log"; stop "$server" || true; return
  fi
  trader "$name" || { stop "$server" || true; return; }
  local i senders=()
  for i in "${!symbols[@]}"; do
    send_alert "$name" "$i" >"$work/$name-code-$i" &
    senders+=("$!")
  done
  wait "${senders[@]}"
  check "$name: 8 alerts sent at once are accepted (202)" \
    test "$(grep -lx 202 "$work/$name-code-"* | wc -l)" -eq 8
  check "$name: every signal is executed within 30 s" settled
  one_opened "$name"
  stop "$server" || true
}

# as_admin METHOD PATH [BODY_FILE]: `api` with the bootstrap admin's token.
as_admin() {
  local saved; saved="$(cat "$work/auth")"
  cp "$work/admin-auth" "$work/auth"
  api "$@"
  printf '%s\n' "$saved" >"$work/auth"
}

# subscription NAME DATABASE_URL: `serve` with its worker and SUBSCRIPTION_REQUIRED=true.
subscription() {
  local name="$1" database="$2"
  local port; port="$(free_port)"
  base="http://127.0.0.1:$port"
  local admin_email="subs-admin@signaldesk.test" trader_email="worker-$1@signaldesk.test"
  python3 -c 'import secrets; print("Pw-" + secrets.token_urlsafe(18), end="")' >"$work/admin.pw"
  launch "$name-serve" DATABASE_URL="$database" SUBSCRIPTION_REQUIRED=true BOOTSTRAP_ADMIN_EMAIL="$admin_email" \
    BOOTSTRAP_ADMIN_PASSWORD="$(cat "$work/admin.pw")" -- serve --hostname 127.0.0.1 --port "$port"
  local server="$LAUNCHED"
  if ! wait_for_http "$base/healthz" 60; then
    fail "$name: serve answers /healthz"; cat "$work/$name-serve.log"; stop "$server" || true; return
  fi
  curl -sS -o "$work/admin-login.json" --max-time 15 --data-urlencode "username=$admin_email" \
    --data-urlencode "password@$work/admin.pw" "$base/auth/login"
  py '"Authorization: Bearer " + d.get("access_token", "")' "$work/admin-login.json" >"$work/admin-auth"
  trader "$name" || { stop "$server" || true; return; }

  # set_subscription STATUS END: the admin sets the trader's subscription; END is an ISO instant.
  set_subscription() {
    printf '{"plan":"pro","status":"%s","current_period_end":"%s"}' "$1" "$2" >"$work/subscription.json"
    as_admin PUT "/ops/admin/subscriptions/$trader_email" "$work/subscription.json"
  }
  iso_in() { python3 -c 'import datetime,sys; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"; }

  set_subscription expired "$(iso_in -3600)"
  check "$name: the admin sets an expired subscription (HTTP $STATUS)" test "$STATUS" = 200
  check "$name: an expired trader's alert is accepted (202)" test "$(send_alert "$name" 0)" = 202
  check "$name: the worker settles it within 30 s" settled
  api GET /signals
  check "$name: the alert is REJECTED with subscription_inactive" \
    test "$(py '" ".join(s["status"] + ":" + ",".join(s["reason_codes"]) for s in d)' "$work/body")" = "REJECTED:subscription_inactive"
  as_admin GET "/ops/audit/all?action=execution.blocked.subscription"
  check "$name: the refusal is audited as execution.blocked.subscription" test "$(py 'len(d)' "$work/body")" -eq 1
  api GET /subscription
  check "$name: GET /subscription says expired, 0 days left" \
    test "$(py 'd["status"] + " " + str(d["days_left"])' "$work/body")" = "expired 0"

  set_subscription active "$(iso_in 2592000)"
  check "$name: the admin renews it (HTTP $STATUS)" test "$STATUS" = 200
  check "$name: the renewed trader's next alert is accepted (202)" test "$(send_alert "$name" 1)" = 202
  check "$name: the worker settles it within 30 s" settled
  api GET /positions
  check "$name: the renewed trader's alert opened a position" test "$(py 'len(d)' "$work/body")" -eq 1

  set_subscription active "$(iso_in 2)"
  sleep 3
  local swept
  swept="$(cd "$work" && env -i PATH="$PATH" HOME="$work" DATABASE_URL="$database" "$SIGNALDESK_BIN" subscriptions expire 2>/dev/null | tail -n 1)"
  check "$name: \`signaldesk subscriptions expire\` marks the ended period ($swept)" \
    test "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["expired"])' "$swept" 2>/dev/null)" = 1
  api GET /subscription
  check "$name: GET /subscription says expired after the sweep" test "$(py 'd["status"]' "$work/body")" = expired
  cat "$work/secret" "$work/admin.pw" >"$work/secrets.txt"
  check "$name: no webhook secret or password reached the logs" bash -c "! grep -rqF -f '$work/secrets.txt' '$work'/*.log"
  stop "$server" || true
}

scenario sqlite "sqlite:$work/var/worker.sqlite" 1
burst sqlite-burst "sqlite:$work/var/burst.sqlite"
subscription sqlite-subscriptions "sqlite:$work/var/subscriptions.sqlite"

if [ -n "${PG_DIR:-}" ]; then
  PG_DATABASE="signaldesk_worker_$$"
  pg_create_database "$PG_DATABASE"
  scenario postgres "$(pg_url "$PG_DATABASE")" 2
  pg_create_database "${PG_DATABASE}_burst"
  burst postgres-burst "$(pg_url "${PG_DATABASE}_burst")"
  pg_create_database "${PG_DATABASE}_subscriptions"
  subscription postgres-subscriptions "$(pg_url "${PG_DATABASE}_subscriptions")"
fi

finish
