-- wrk script: one 2026-07-28 tools/call POST (validate_license_key), headers and _meta, no session.
-- The key and API key come from the environment: TMWS_BENCH_KEY, TMWS_BENCH_API_KEY.
local key = os.getenv("TMWS_BENCH_KEY") or "TMWS-PRO-00000000-0000-4000-8000-000000000000-0000000000000000"
local api_key = os.getenv("TMWS_BENCH_API_KEY") or ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2026-07-28"
wrk.headers["Mcp-Method"] = "tools/call"
wrk.headers["Mcp-Name"] = "validate_license_key"
wrk.headers["Authorization"] = "Bearer " .. api_key
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"validate_license_key","arguments":{"key":"'
  .. key .. '"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'

-- Every answer is checked: a non-200, or a body without VALID (no other verdict code contains it), is
-- counted (per thread, summed at the end).
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) failures = 0 end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, 'VALID', 1, true) then failures = failures + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("failures") or 0) end
  io.write(string.format("requests=%d p50=%.2fms p99=%.2fms not-VALID=%d\n",
    summary.requests, latency:percentile(50) / 1000, latency:percentile(99) / 1000, total))
end
