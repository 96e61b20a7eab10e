#!/usr/bin/env bash
# Compares two (or more) builds on the webhook accept path, interleaved so that the machine's
# drift hits both alike: for each of ROUNDS rounds, each binary in turn gets a fresh throwaway
# PostgreSQL (fsync on), a server with the execution worker off, a 3 s warm-up and a DURATION run
# of wrk at CONNECTIONS connections. Prints one line per run (req/s, p99, server and PostgreSQL
# CPU per request, steal) and the medians per binary. Loopback only, bounded in time.
#   scripts/bench/compare.sh /tmp/signaldesk-old .build/release/signaldesk
# Environment: ROUNDS (3), DURATION (8s), CONNECTIONS (32).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
ensure_packages wrk:wrk curl:curl python3:python3 "path=/usr/lib/postgresql:postgresql"
[ "$#" -ge 2 ] || { echo "usage: $0 BINARY BINARY..." >&2; exit 64; }
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-8s}"
CONNECTIONS="${CONNECTIONS:-32}"
lines="$(mktemp /tmp/signaldesk-compare.XXXXXX)"
trap 'rm -f "$lines"' EXIT

# one_run BINARY: prints "rps p99_ms server_ms_per_request postgres_ms_per_request steal_pct".
one_run() (
  SIGNALDESK_BIN="$1"
  bench_start
  bench_serve WEBHOOK_RATE_PER_MINUTE=100000 WORKER_ENABLED=false
  bench_webhook_user bench@signaldesk.test
  wrk -t2 -c"$CONNECTIONS" -d3s -s scripts/bench/webhook_accept.lua "$base" >/dev/null
  local split result requests cpu
  split="$(cpu_split)"
  result="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s -s scripts/bench/webhook_accept.lua "$base" | grep RESULT)"
  requests="$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$result")"
  cpu="$(cpu_per_request "$split" "$requests")"
  python3 - "$result $cpu" <<'PY'
import sys
fields = dict(p.split("=", 1) for p in sys.argv[1].split()[1:])
print(fields["rps"], fields["p99_ms"], fields["server_ms"], fields["pg_ms"], fields["steal_pct"])
PY
)

printf '%-40s %9s %8s %10s %10s %6s\n' binary req/s "p99 ms" "server ms" "pg ms" steal
for round in $(seq "$ROUNDS"); do
  for binary in "$@"; do
    read -r rps p99 server pg steal < <(one_run "$binary" 2>/dev/null | tail -1)
    printf '%-40s %9s %8s %10s %10s %5s%%  (round %s)\n' "$binary" "$rps" "$p99" "$server" "$pg" "$steal" "$round"
    echo "$binary $rps $p99 $server $pg $steal" >>"$lines"
  done
done
echo "== medians over $ROUNDS rounds"
python3 - "$lines" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    binary, *values = line.split()
    runs[binary].append([float(v) for v in values])
for binary, values in runs.items():
    med = [statistics.median(column) for column in zip(*values)]
    print(f"{binary:<40} {med[0]:>9.0f} {med[1]:>8.1f} {med[2]:>10.3f} {med[3]:>10.3f} {med[4]:>5.1f}%")
PY
