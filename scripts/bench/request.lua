-- wrk script: one kind of request, configured by the environment (scripts/bench/run.sh sets it).
--   BENCH_METHOD (GET), BENCH_PATH (/), BENCH_BODY (none), BENCH_CONTENT_TYPE (application/json),
--   BENCH_TOKEN (a bearer token, optional)
-- Prints one RESULT line like webhook_accept.lua.
function init(args)
  wrk.method = os.getenv("BENCH_METHOD") or "GET"
  wrk.path = os.getenv("BENCH_PATH") or "/"
  local body = os.getenv("BENCH_BODY")
  if body ~= nil and body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/json"
  end
  local token = os.getenv("BENCH_TOKEN")
  if token ~= nil and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f non2xx=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
