# shellcheck shell=bash
# Shared set-up of the benchmarks in scripts/bench/. Source after common.sh and postgres.sh.

# bench_binaries PRODUCT...: sets SIGNALDESK_BIN to the release `signaldesk`, building the named
# products first unless SIGNALDESK_BIN is already set (then the others must sit next to it).
bench_binaries() {
  if [ -z "${SIGNALDESK_BIN:-}" ]; then
    local product
    for product in "$@"; do swift build -c release --product "$product"; done
    SIGNALDESK_BIN="$(swift build -c release --show-bin-path)/signaldesk"
  fi
}

# bench_start: a scratch directory in $work, a throwaway PostgreSQL cluster with durable commits
# and the database signaldesk_bench ($bench_url), all removed on exit together with every pid
# listed in $bench_pids.
bench_start() {
  work="$(mktemp -d /tmp/signaldesk-bench.XXXXXX)"
  bench_pids=()
  trap bench_cleanup EXIT
  PG_EXTRA_OPTS="-c fsync=on -c synchronous_commit=on -c shared_buffers=256MB"
  export PG_EXTRA_OPTS
  pg_start_cluster
  pg_create_database signaldesk_bench
  bench_url="$(pg_url signaldesk_bench)"
}

# bench_stop_servers: stops every process listed in $bench_pids (servers, workers, fakes).
bench_stop_servers() {
  local pid
  for pid in "${bench_pids[@]}"; do
    if kill "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
  done
  bench_pids=()
}

bench_cleanup() {
  bench_stop_servers
  pg_destroy_cluster
  rm -rf "$work"
}

# bench_serve VAR=VALUE...: starts `signaldesk serve` on a free loopback port with a clean
# environment plus the given variables; sets $base and $server_pid and waits until it answers.
bench_serve() {
  local port
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  (cd "$work" && exec env -i PATH="$PATH" HOME="$work" DATABASE_URL="$bench_url" LOG_LEVEL=warning "$@" \
    "$SIGNALDESK_BIN" serve --hostname 127.0.0.1 --port "$port" >"$work/server.log" 2>&1) &
  server_pid=$!
  bench_pids+=("$server_pid")
  wait_for_http "$base/healthz" 60 || { cat "$work/server.log"; exit 1; }
}

# bench_psql ARGS...: psql on the benchmark database, stopping at the first error.
bench_psql() {
  PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d signaldesk_bench -v ON_ERROR_STOP=1 -qAt "$@"
}

# cpu_split: "SERVER POSTGRES BUSY STEAL TOTAL" CPU time so far in clock ticks: the server's
# ($server_pid, user + system), PostgreSQL's (every live process's own, plus the children the
# postmaster has reaped: pgbench's backends end before the second sample), all CPUs' busy time
# (everything but idle, I/O wait and steal: the load generator and the kernel included), and all
# CPUs' steal and total time (/proc/stat).
cpu_split() {
  local server=0
  [ -n "${server_pid:-}" ] && server="$(awk '{print $14 + $15}' "/proc/$server_pid/stat")"
  local postgres
  postgres="$(cat /proc/[0-9]*/stat 2>/dev/null | awk '$2 == "(postgres)" {total += $14 + $15 + $16 + $17} END {print total + 0}')"
  echo "$server $postgres $(awk '/^cpu / {total = 0; for (i = 2; i <= NF; i++) total += $i; print $2 + $3 + $4 + $7 + $8, $9, total}' /proc/stat)"
}

# cpu_per_request "SPLIT" (from cpu_split, earlier) REQUESTS: "server_ms=... pg_ms=... busy_ms=...
# steal_pct=..." since then: CPU per request in milliseconds, and the share of all CPU time the
# hypervisor gave to other guests. On a shared virtual machine that share (steal) varies, and runs
# with different steal are not comparable, so every measurement reports it.
cpu_per_request() {
  local server0 postgres0 busy0 steal0 total0 server1 postgres1 busy1 steal1 total1
  read -r server0 postgres0 busy0 steal0 total0 <<<"$1"
  read -r server1 postgres1 busy1 steal1 total1 < <(cpu_split)
  awk -v s=$((server1 - server0)) -v p=$((postgres1 - postgres0)) -v b=$((busy1 - busy0)) \
    -v st=$((steal1 - steal0)) -v t=$((total1 - total0)) -v n="$2" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { n = (n > 0) ? n : 1
             printf "server_ms=%.3f pg_ms=%.3f busy_ms=%.3f steal_pct=%.1f", 1000 * s / hz / n, 1000 * p / hz / n,
                    1000 * b / hz / n, (t > 0) ? 100 * st / t : 0 }'
}

# bench_json KEY: the value of KEY in the JSON object on standard input.
bench_json() {
  python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# bench_login EMAIL PASSWORD: an access token from the server at $base (form-encoded login).
bench_login() {
  printf 'username=%s&password=%s' "$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1")" "$2" |
    curl -fsS -X POST "$base/auth/login" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @- | bench_json access_token
}

# bench_webhook_user EMAIL: registers EMAIL with a fresh password ($user_password), logs in
# ($token) and creates its webhook secret (exports WEBHOOK_UUID and WEBHOOK_SECRET for the Lua
# scripts and the chaos clients).
bench_webhook_user() {
  local hook
  user_password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
  printf '{"email":"%s","password":"%s"}' "$1" "$user_password" |
    curl -fsS -o /dev/null -X POST "$base/auth/register" -H 'Content-Type: application/json' --data-binary @-
  token="$(bench_login "$1" "$user_password")"
  hook="$(curl -fsS -X POST "$base/webhooks/secret" -H "Authorization: Bearer $token")"
  WEBHOOK_UUID="$(bench_json webhook_uuid <<<"$hook")"
  WEBHOOK_SECRET="$(bench_json webhook_secret <<<"$hook")"
  export WEBHOOK_UUID WEBHOOK_SECRET
}
