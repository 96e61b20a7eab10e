-- wrk script: one kind of request, configured by the environment (scripts/bench/run.sh sets it).
--   BENCH_METHOD (GET), BENCH_PATH (/), BENCH_BODY (none), BENCH_CONTENT_TYPE (application/json),
--   BENCH_TOKEN (a bearer token, optional)
-- Prints the RESULT line of report.lua.
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

-- done(): the shared RESULT line, from report.lua beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "report.lua")
