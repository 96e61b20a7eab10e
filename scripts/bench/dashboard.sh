#!/usr/bin/env bash
# Dashboard summary and daily compare on a seeded PostgreSQL population, loopback only, bounded.
#   scripts/bench/dashboard.sh          builds release, seeds USERS users and AUDIT_ROWS audit rows
# Environment: USERS (1000), AUDIT_ROWS (100000), REQUESTS (50), SIGNALDESK_BIN (reuse a binary).
# Also reports how fast the audit sealer chains the seeded backlog (it runs before measuring).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/common.sh
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
ensure_packages curl:curl python3:python3 "path=/usr/lib/postgresql:postgresql"
ensure_swift

USERS="${USERS:-1000}"
AUDIT_ROWS="${AUDIT_ROWS:-100000}"
REQUESTS="${REQUESTS:-50}"
bench_binaries signaldesk
bench_start
url="$bench_url"

(cd "$work" && env -i PATH="$PATH" HOME="$work" DATABASE_URL="$url" "$SIGNALDESK_BIN" migrate >/dev/null)

echo "== seeding $USERS users, $AUDIT_ROWS audit rows"
started=$SECONDS
bench_psql <<SQL
INSERT INTO users (id, email, password_hash, role, risk_profile, capital_base_usd, created_at, updated_at)
SELECT gen_random_uuid(),
       CASE WHEN i % 50 = 0 THEN format('smoke.u%s@example.com', i) ELSE format('trader%s@desk.io', i) END,
       'not-a-login', 'trader', CASE WHEN i % 3 = 0 THEN 'modelo_suelto_controlado' END, 10000,
       now() - interval '60 days', now() - interval '1 day'
FROM generate_series(1, $USERS) AS i;
INSERT INTO two_factor (id, user_id, secret_sealed, enabled, created_at, updated_at)
SELECT gen_random_uuid(), id, 'v1.bench.sealed', true, now(), now() FROM users WHERE hashtext(email) % 4 <> 0;
INSERT INTO exchange_secrets (id, user_id, exchange, api_key_sealed, api_secret_sealed, api_key_masked, key_id, created_at, updated_at)
SELECT gen_random_uuid(), id, ex, 'v1.bench.k', 'v1.bench.s', 'abc***xyz', 'bench', now(), now() - (random() * 45) * interval '1 day'
FROM users CROSS JOIN (VALUES ('BINANCE'), ('IBKR')) AS e(ex) WHERE hashtext(email || ex) % 2 = 0;
INSERT INTO positions (id, user_id, symbol, exchange, side, qty, entry_price, stop_loss, take_profit, status,
                       opened_at, opened_day, closed_at, closed_day, exit_price, realized_pnl, fees)
SELECT gen_random_uuid(), u.id, 'BTCUSDT', CASE WHEN k % 2 = 0 THEN 'BINANCE' ELSE 'IBKR' END, 'LONG', 0.01, 30000, 29500, 31000,
       CASE WHEN k = 0 THEN 'OPEN' ELSE 'CLOSED' END,
       now() - k * interval '1 day', to_char((now() - k * interval '1 day') AT TIME ZONE 'America/Bogota', 'YYYY-MM-DD'),
       CASE WHEN k = 0 THEN NULL ELSE now() - (k - 1) * interval '1 day' END,
       CASE WHEN k = 0 THEN NULL ELSE to_char((now() - (k - 1) * interval '1 day') AT TIME ZONE 'America/Bogota', 'YYYY-MM-DD') END,
       CASE WHEN k = 0 THEN NULL ELSE 30100 END, CASE WHEN k = 0 THEN NULL ELSE 1.0 END, 0
FROM users u CROSS JOIN generate_series(0, 7) AS k;
INSERT INTO daily_risk_state (id, user_id, day, trades_count, realized_pnl, updated_at)
SELECT gen_random_uuid(), id, to_char(now() AT TIME ZONE 'America/Bogota', 'YYYY-MM-DD'), 1, 1.0, now() FROM users;
INSERT INTO signals (id, user_id, symbol, module, side, exchange, source, order_type, status, reason_codes, lease_count, created_at, updated_at)
SELECT gen_random_uuid(), id, 'BTCUSDT', 'swing', 'LONG', 'BINANCE', 'tradingview', 'market', s, '[]', 0, now(), now()
FROM users CROSS JOIN (VALUES ('CREATED'), ('FAILED'), ('COMPLETED')) AS v(s);
WITH u AS (SELECT array_agg(id) AS ids FROM users)
INSERT INTO audit_log (user_id, action, entity_type, entity_id, details, created_at)
SELECT u.ids[1 + i % array_length(u.ids, 1)],
       (ARRAY['auth.login.success', 'signal.create', 'position.open', 'position.close', 'position.open.blocked.cooldown',
              'execution.binance.test_order.error', 'pretrade.check.blocked', 'webhook.auth_failed'])[1 + i % 8],
       'bench', i::text, '{"n":1}', now() - (i % 10080) * interval '1 minute'
FROM generate_series(1, $AUDIT_ROWS) AS i, u;
ANALYZE;
SQL
echo "seeded in $((SECONDS - started)) s"

admin_password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
bench_serve WORKER_ENABLED=false BOOTSTRAP_ADMIN_EMAIL=bench.admin@desk.io BOOTSTRAP_ADMIN_PASSWORD="$admin_password"

echo "== audit sealer: chaining the seeded backlog"
started=$(date +%s.%N)
while [ "$(bench_psql -c 'SELECT count(*) FROM audit_log WHERE chain_seq IS NULL')" != "0" ]; do sleep 1; done
python3 -c "import sys; s=float(sys.argv[2]) - float(sys.argv[1]); print(f'SEALER rows={sys.argv[3]} seconds={s:.1f} rows_per_s={int(sys.argv[3]) / s:.0f}')" \
  "$started" "$(date +%s.%N)" "$AUDIT_ROWS"

token="$(printf 'username=bench.admin%%40desk.io&password=%s' "$admin_password" | curl -fsS -X POST "$base/auth/login" --data-binary @- \
  -H 'Content-Type: application/x-www-form-urlencoded' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
printf 'header = "Authorization: Bearer %s"\n' "$token" >"$work/auth.curl"
chmod 600 "$work/auth.curl"

# measure NAME PATH: REQUESTS sequential requests after 5 warm-ups; prints p50, p95, max in ms.
measure() {
  local name="$1" path="$2"
  for _ in 1 2 3 4 5; do curl -fsS -o /dev/null -K "$work/auth.curl" "$base$path"; done
  for _ in $(seq "$REQUESTS"); do
    curl -fsS -o /dev/null -K "$work/auth.curl" -w '%{time_total}\n' "$base$path"
  done | python3 -c '
import sys
name = sys.argv[1]
times = sorted(float(line) * 1000 for line in sys.stdin)
pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
print(f"RESULT {name}: n={len(times)} p50_ms={pick(0.5):.1f} p95_ms={pick(0.95):.1f} max_ms={times[-1]:.1f}")' "$name"
}
measure "summary (real users)" "/ops/dashboard/summary"
measure "summary (everyone, service users)" "/ops/dashboard/summary?real_only=false&include_service_users=true"
measure "summary (BINANCE, email filter)" "/ops/dashboard/summary?exchange=BINANCE&email_contains=trader1"
measure "summary (filter matching nobody: the cost without the user table)" "/ops/dashboard/summary?email_contains=nobody"
measure "daily compare" "/ops/risk/daily-compare"
users_in_summary="$(curl -fsS -K "$work/auth.curl" "$base/ops/dashboard/summary?real_only=false" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["users"]))')"
echo "users_in_summary=$users_in_summary"
rss_kb="$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")"
echo "RSS_MB=$((rss_kb / 1024))"
