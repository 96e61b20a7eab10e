#!/usr/bin/env bash
# Alert-to-order and alert-to-Telegram latency on PostgreSQL, loopback only, bounded in count.
#   scripts/bench/execution.sh          builds release, USERS users each send one alert
# Environment: USERS (100), RATE (alerts per second, 20), SIGNALDESK_BIN (reuse a built binary;
# signaldesk-fakes must sit next to it).
# Each user sends one alert (the risk profile's cooldown would reject a second at once); the
# worker executes it on the paper venue and the sender delivers the Telegram message to the local
# fake Bot API. Latencies come from the database: signal created -> order row -> message sent.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
ensure_packages curl:curl python3:python3 "path=/usr/lib/postgresql:postgresql"
ensure_swift

USERS="${USERS:-100}"
RATE="${RATE:-20}"
bench_binaries signaldesk signaldesk-fakes
FAKES_BIN="$(dirname "$SIGNALDESK_BIN")/signaldesk-fakes"
bench_start

FAKE_ACCOUNTS="bench-key-0001:bench-secret-0001" "$FAKES_BIN" "$work/fakes.json" >"$work/fakes.log" 2>&1 &
bench_pids+=("$!")
for _ in $(seq 100); do [ -s "$work/fakes.json" ] && break; sleep 0.1; done
telegram="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["telegram"])' "$work/fakes.json")"

bot_token="123456:$(python3 -c 'print("B" * 35)')"
bench_serve WEBHOOK_RATE_PER_MINUTE=100000 TELEGRAM_API_BASE_URL="$telegram" TELEGRAM_BOT_TOKEN="$bot_token" \
  TELEGRAM_CHAT_ID=-1001 PAPER_SLIPPAGE_BPS=0 PAPER_FEE_BPS=0

echo "== registering $USERS users"
started=$SECONDS
# user INDEX: registers, logs in, rotates the webhook secret; prints "uuid secret".
python3 - "$base" "$USERS" >"$work/hooks.txt" <<'PY'
import json, sys, urllib.parse, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, count = sys.argv[1], int(sys.argv[2])
def call(path, data=None, token=None, form=False):
    headers = {}
    if token: headers["Authorization"] = "Bearer " + token
    body = None
    if data is not None:
        if form:
            body = urllib.parse.urlencode(data).encode(); headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(data).encode(); headers["Content-Type"] = "application/json"
    with urllib.request.urlopen(urllib.request.Request(base + path, data=body, headers=headers, method="POST" if body is not None or path.endswith("secret") else "GET"), timeout=30) as answer:
        return json.load(answer)
def user(index):
    email, password = f"bench{index}@desk.io", f"bench-password-{index}"
    call("/auth/register", {"email": email, "password": password})
    token = call("/auth/login", {"username": email, "password": password}, form=True)["access_token"]
    hook = call("/webhooks/secret", None, token)
    return f'{hook["webhook_uuid"]} {hook["webhook_secret"]}'
with ThreadPoolExecutor(4) as pool:
    for line in pool.map(user, range(count)):
        print(line)
PY
echo "registered in $((SECONDS - started)) s"

echo "== $USERS alerts at $RATE per second"
python3 - "$base" "$RATE" "$work/hooks.txt" <<'PY'
import json, sys, time, urllib.request
base, rate, hooks = sys.argv[1], float(sys.argv[2]), open(sys.argv[3]).read().split("\n")
accepted = 0
for index, line in enumerate(filter(None, hooks)):
    uuid, secret = line.split()
    body = json.dumps({"secret": secret, "symbol": "BINANCE:BTCUSDT", "side": "buy", "price": 30000,
                       "stop_loss": 29700, "take_profit": 30600, "alert_id": f"bench-{index}"}).encode()
    request = urllib.request.Request(f"{base}/webhooks/tradingview/{uuid}", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        accepted += answer.status == 202
    time.sleep(1 / rate)
print(f"accepted={accepted}")
PY

# Wait (bounded) until every alert's message went out or failed.
for _ in $(seq 120); do
  pending="$(bench_psql -c "SELECT count(*) FROM outbox WHERE status = 'PENDING'")"
  opened="$(bench_psql -c "SELECT count(*) FROM signals WHERE status NOT IN ('CREATED', 'EXECUTING')")"
  [ "$pending" = "0" ] && [ "$opened" = "$USERS" ] && break
  sleep 0.5
done
bench_psql <<'SQL'
SELECT 'signals ' || string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM signals GROUP BY status) s;
SELECT 'messages ' || string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM outbox GROUP BY status) s;
WITH lat AS (
  SELECT extract(epoch FROM o.created_at - s.created_at) * 1000 AS to_order,
         extract(epoch FROM p.opened_at - s.created_at) * 1000 AS to_position
  FROM signals s JOIN orders o ON o.signal_id = s.id JOIN positions p ON p.signal_id = s.id)
SELECT format('RESULT alert->order row: n=%s p50_ms=%s p99_ms=%s max_ms=%s', count(*),
  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY to_order)::numeric, 1),
  round(percentile_cont(0.99) WITHIN GROUP (ORDER BY to_order)::numeric, 1), round(max(to_order)::numeric, 1)) FROM lat
UNION ALL
SELECT format('RESULT alert->open position (paper fill committed): n=%s p50_ms=%s p99_ms=%s max_ms=%s', count(*),
  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY to_position)::numeric, 1),
  round(percentile_cont(0.99) WITHIN GROUP (ORDER BY to_position)::numeric, 1), round(max(to_position)::numeric, 1)) FROM lat;
WITH lat AS (
  SELECT extract(epoch FROM m.sent_at - s.created_at) * 1000 AS to_message
  FROM outbox m JOIN signals s ON s.user_id = m.user_id   -- one alert, so one message, per user
  WHERE m.status = 'SENT')
SELECT format('RESULT alert->Telegram message delivered: n=%s p50_ms=%s p99_ms=%s max_ms=%s', count(*),
  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY to_message)::numeric, 1),
  round(percentile_cont(0.99) WITHIN GROUP (ORDER BY to_message)::numeric, 1), round(max(to_message)::numeric, 1)) FROM lat;
SQL
rss_kb="$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")"
echo "RSS_MB=$((rss_kb / 1024))"
