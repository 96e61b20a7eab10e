#!/usr/bin/env bash
# Live checks of the built server binary: configuration errors, the CLI, health, metrics, docs and
# error bodies on SQLite, and /ready through a PostgreSQL outage and recovery.
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

work="$(mktemp -d /tmp/signaldesk-live.XXXXXX)"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap 'stop_server; rm -rf "$work"' EXIT

# start_server NAME PORT [VAR=VALUE ...]: runs `signaldesk serve` in $work with a clean environment.
start_server() {
  local name="$1" port="$2"; shift 2
  (cd "$work" && exec env -i PATH="$PATH" HOME="$work" "$@" "$SIGNALDESK_BIN" serve --hostname 127.0.0.1 --port "$port" \
    >"$work/$name.log" 2>&1) &
  server_pid=$!
  wait_for_http "http://127.0.0.1:$port/healthz" 60
}

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# --- configuration errors --------------------------------------------------------------------
set +e
out="$(cd "$work" && env -i PATH="$PATH" DATABASE_URL='mysql://u:hunter2@h/db' "$SIGNALDESK_BIN" serve 2>&1)"; code=$?
set -e
check "malformed DATABASE_URL exits 78 with a clear message" \
  test "$code" -eq 78 -a -n "$(grep -F 'DATABASE_URL must be sqlite:PATH or postgres://' <<<"$out")"
check "the malformed DATABASE_URL's password is not echoed" test -z "$(grep -F hunter2 <<<"$out")"

set +e
out="$(cd "$work" && env -i PATH="$PATH" ENCRYPTION_KEYS='k1:abcd' JWT_SECRET="$(printf 'j%.0s' {1..40})" "$SIGNALDESK_BIN" serve 2>&1)"; code=$?
set -e
check "ENCRYPTION_KEYS entry that is not 64 hex exits 78" \
  test "$code" -eq 78 -a -n "$(grep -F "key 'k1' is not 64 hexadecimal characters" <<<"$out")"

mkdir -p "$work/prod"
set +e
out="$(cd "$work/prod" && env -i PATH="$PATH" "$SIGNALDESK_BIN" serve --env production 2>&1)"; code=$?
set -e
check "production refuses to start without JWT_SECRET and ENCRYPTION_KEYS" \
  test "$code" -eq 78 -a -n "$(grep -F 'JWT_SECRET is required' <<<"$out")" -a -n "$(grep -F 'ENCRYPTION_KEYS (or ENCRYPTION_KEY) is required' <<<"$out")"
check "production generated no development secrets" test ! -e "$work/prod/var/dev-secrets.env"

# --- CLI ---------------------------------------------------------------------------------------
# run_cli DIR ARGS...: runs the binary in DIR with a clean environment; sets CLI_OUT, CLI_ERR, CLI_CODE.
run_cli() {
  local dir="$1"; shift
  set +e
  (cd "$dir" && env -i PATH="$PATH" "$SIGNALDESK_BIN" "$@" >"$work/cli.out" 2>"$work/cli.err")
  CLI_CODE=$?
  set -e
  CLI_OUT="$(cat "$work/cli.out")"; CLI_ERR="$(cat "$work/cli.err")"
}
mkdir -p "$work/fresh"
run_cli "$work/fresh" --help
check "--help exits 0 and prints the usage" test "$CLI_CODE" -eq 0 -a "$(head -n 1 <<<"$CLI_OUT")" = "Usage: signaldesk <command>"
for command in serve migrate create-admin keys worker; do
  check "--help lists $command" grep -qE "^ +$command " <<<"$CLI_OUT"
done
check "--help prints nothing else: no log or shutdown lines, nothing on stderr" \
  test -z "$CLI_ERR" -a -z "$(grep -E '^\[ [A-Z]+ \]|Stopp|shut' <<<"$CLI_OUT")"
check "--help creates no development secrets or database" test -z "$(ls -A "$work/fresh")"
run_cli "$work/fresh" foo
check "an unknown command prints one line on stderr and exits 64" \
  test "$CLI_CODE" -eq 64 -a -z "$CLI_OUT" -a \
  "$CLI_ERR" = 'signaldesk: unknown command "foo" (try: serve, migrate, create-admin, keys, worker, subscriptions, routes; signaldesk --help)'
run_cli "$work/fresh" serve --help
check "serve --help lists --env (production)" \
  test "$CLI_CODE" -eq 0 -a -n "$(grep -E '^ +env development \(default\) or production' <<<"$CLI_OUT")"
check "serve --help lists --hostname and --port" grep -q '\[--hostname,-H\] \[--port,-p\]' <<<"$CLI_OUT"
run_cli "$work/fresh" create-admin --email short@signaldesk.test --password short
check "a failing command prints its error once and exits 1" \
  test "$CLI_CODE" -eq 1 -a "$(grep -c 'at least 8 characters' <<<"$CLI_OUT$CLI_ERR")" -eq 1 -a \
  -n "$(grep -Fx 'signaldesk: the password must be at least 8 characters' <<<"$CLI_ERR")"
rm -rf "$work/fresh"

keys="$(cd "$work" && env -i PATH="$PATH" "$SIGNALDESK_BIN" keys generate --id k2026)"
check "keys generate prints an id:hex64 ring entry" grep -qE '^ENCRYPTION_KEYS=k2026:[0-9a-f]{64}$' <<<"$keys"
check "keys generate prints a 64-hex JWT secret" grep -qE '^JWT_SECRET=[0-9a-f]{64}$' <<<"$keys"

check "migrate applies the schema on a new SQLite file" \
  bash -c "cd '$work' && env -i PATH='$PATH' '$SIGNALDESK_BIN' migrate >'$work/migrate.log' 2>&1"
check "development secrets were generated once into var/dev-secrets.env (mode 600)" \
  test "$(stat -c %a "$work/var/dev-secrets.env" 2>/dev/null)" = "600"
first_secret="$(grep '^JWT_SECRET=' "$work/var/dev-secrets.env")"
check "migrate is idempotent" bash -c "cd '$work' && env -i PATH='$PATH' '$SIGNALDESK_BIN' migrate >/dev/null 2>&1"
check "development secrets are reused, not regenerated" test "$(grep '^JWT_SECRET=' "$work/var/dev-secrets.env")" = "$first_secret"
check "create-admin creates an admin" \
  bash -c "cd '$work' && env -i PATH='$PATH' '$SIGNALDESK_BIN' create-admin --email ops@signaldesk.test --password 'correct-horse-9' | grep -q 'Created admin ops@signaldesk.test'"
check "create-admin refuses a duplicate email" \
  bash -c "! (cd '$work' && env -i PATH='$PATH' '$SIGNALDESK_BIN' create-admin --email ops@signaldesk.test --password 'correct-horse-9' >/dev/null 2>&1)"
check "create-admin refuses a short password" \
  bash -c "! (cd '$work' && env -i PATH='$PATH' '$SIGNALDESK_BIN' create-admin --email x@signaldesk.test --password short >/dev/null 2>&1)"

rotate="$(cd "$work" && env -i PATH="$PATH" "$SIGNALDESK_BIN" keys rotate --dry-run 2>/dev/null | tail -n 1)"
check "keys rotate --dry-run reports the active key" \
  test "$(json_field active_key_id <<<"$rotate" 2>/dev/null)" = "dev1" -a "$(json_field dry_run <<<"$rotate" 2>/dev/null)" = "True"

# --- serve on SQLite ---------------------------------------------------------------------------
port="$(free_port)"
base="http://127.0.0.1:$port"
if start_server sqlite "$port" BOOTSTRAP_ADMIN_EMAIL=boot@signaldesk.test BOOTSTRAP_ADMIN_PASSWORD=bootstrap-pw-1; then
  pass "serve answers /healthz on SQLite"
else
  fail "serve answers /healthz on SQLite"; cat "$work/sqlite.log"
fi
check "GET /healthz is {\"status\":\"ok\"}" test "$(curl -fsS "$base/healthz")" = '{"status":"ok"}'
check "GET / names the app and the docs" test "$(curl -fsS "$base/" | json_field docs)" = "/docs"
check "GET /live reports uptime" bash -c "curl -fsS '$base/live' | grep -q uptime_seconds"
check "GET /ready is ready on SQLite" test "$(curl -fsS "$base/ready" | json_field database)" = "connected"
check "GET /openapi.json is OpenAPI 3.1" test "$(curl -fsS "$base/openapi.json" | json_field openapi)" = "3.1.0"
check "GET /docs is an HTML page" bash -c "curl -fsS -D - '$base/docs' -o /dev/null | grep -qi 'content-type: text/html'"
check "unknown path is a JSON 404" \
  test "$(curl -sS -o "$work/404.json" -w '%{http_code}' "$base/nope")" = "404" -a "$(json_field detail <"$work/404.json")" = "Not Found"
check "GET /metrics counts requests by route and status" \
  bash -c "curl -fsS '$base/metrics' | grep -q 'http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}'"
check "BOOTSTRAP_ADMIN_EMAIL created its admin at start-up" \
  bash -c "! (cd '$work' && env -i PATH='$PATH' '$SIGNALDESK_BIN' create-admin --email boot@signaldesk.test --password 'bootstrap-pw-1' >/dev/null 2>&1)"
check "the bootstrap password never reached the log" test -z "$(grep -F bootstrap-pw-1 "$work/sqlite.log")"
stop_server
check "serve stops cleanly on SIGTERM" test -z "$server_pid"

# --- serve on PostgreSQL through an outage -----------------------------------------------------
if [ -n "${PG_DIR:-}" ]; then
  pg_create_database signaldesk_live
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  if start_server postgres "$port" DATABASE_URL="$(pg_url signaldesk_live)"; then
    pass "serve answers /healthz on PostgreSQL (auto-migrated)"
  else
    fail "serve answers /healthz on PostgreSQL (auto-migrated)"; cat "$work/postgres.log"
  fi
  check "GET /ready is ready on PostgreSQL" test "$(curl -sS -o /dev/null -w '%{http_code}' "$base/ready")" = "200"
  pg_stop
  started=$SECONDS
  code="$(curl -sS -o "$work/ready.json" -w '%{http_code}' --max-time 10 "$base/ready" || true)"
  check "GET /ready answers 503 while PostgreSQL is stopped" test "$code" = "503" -a "$(json_field status <"$work/ready.json")" = "not_ready"
  check "...and answers within 5 seconds" test $((SECONDS - started)) -le 5
  check "GET /healthz stays 200 during the outage" test "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$base/healthz")" = "200"
  pg_start
  recovered=no
  for _ in $(seq 1 50); do
    if [ "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$base/ready")" = "200" ]; then recovered=yes; break; fi
    sleep 0.2
  done
  check "GET /ready recovers by itself when PostgreSQL returns" test "$recovered" = yes
  check "no database password in the PostgreSQL server log" test -z "$(grep -F "$PG_PASSWORD" "$work/postgres.log")"
  stop_server
fi

finish
