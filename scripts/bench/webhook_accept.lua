-- wrk script: TradingView alerts with a unique alert_id per request (no duplicates), to one webhook.
-- Needs WEBHOOK_UUID and WEBHOOK_SECRET in the environment. BENCH_DELAY_MS (optional): each
-- connection waits that long before each request, which paces the load below saturation.
local uuid = os.getenv("WEBHOOK_UUID")
local secret = os.getenv("WEBHOOK_SECRET")
local threads = {}
local counter = 0
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
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

if delay_ms ~= nil then
  function delay()
    return delay_ms
  end
end

-- done(): the shared RESULT line, from report.lua beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "report.lua")
