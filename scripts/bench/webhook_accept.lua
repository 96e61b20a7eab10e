-- wrk script: TradingView alerts with a unique alert_id per request (no duplicates), to one webhook.
-- Needs WEBHOOK_UUID and WEBHOOK_SECRET in the environment.
local uuid = os.getenv("WEBHOOK_UUID")
local secret = os.getenv("WEBHOOK_SECRET")
local threads = {}
local counter = 0
-- thread_id is a global that setup() gives each thread (thread:set); a `local thread_id` here
-- would shadow it, every thread would send the same ids, and the run would measure duplicates.

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  wrk.path = "/webhooks/tradingview/" .. uuid
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"secret":"%s","symbol":"BINANCE:BTCUSDT","side":"buy","price":30000,"qty":0.001,"alert_id":"bench-%d-%d-%d"}',
    secret, thread_id, counter, os.time())
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
