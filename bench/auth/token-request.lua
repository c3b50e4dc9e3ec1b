-- wrk script for bench/auth/token-request.bench.ts: POST /token-request with prebuilt requests,
-- cycling through the distinct token requests in the file given as the first argument.
-- Arguments (after `--`): <bodies file> <Firebase ID token> <path>.
local requests = {}
local i = 0
local SIZE = 259

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  local headers = { ["Authorization"] = "Bearer " .. args[2], ["Content-Type"] = "application/private-token-request" }
  for off = 1, #data, SIZE do
    requests[#requests + 1] = wrk.format("POST", args[3], headers, data:sub(off, off + SIZE - 1))
  end
end

function request()
  i = i % #requests + 1
  return requests[i]
end

-- One JSON line the benchmark parses.
function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"non2xx":%d,"errors":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
