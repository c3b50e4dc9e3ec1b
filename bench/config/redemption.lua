-- wrk script for bench/config/redemption.bench.ts: POST /vpn/config, one prebuilt request per
-- line of the file given as the first argument ("<token>\t<WireGuard public key>"), each sent
-- once, in order. wrk runs for a duration, not a count: this thread stops itself at the answer
-- that makes <count> (the second argument) and prints one line the benchmark waits for:
--   DONE <ns from the first request to that answer> <2xx among them> <others among them>
-- The file holds a few more requests than <count> (one per connection), so that every connection
-- always has a fresh token to send while the last answers come in; they are sent but not counted.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } phoenix_timespec;
  int clock_gettime(int clock, phoenix_timespec *t);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("phoenix_timespec")
local function now_ns()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
end

local requests = {}
local count = 0
local sent = 0
local answered, ok, other = 0, 0, 0
local started = nil

function init(args)
  count = tonumber(args[2])
  local headers = { ["Content-Type"] = "application/json" }
  for line in io.lines(args[1]) do
    local token, key = line:match("^([^\t]+)\t([^\t]+)$")
    headers["Authorization"] = 'PrivateToken token="' .. token .. '"'
    requests[#requests + 1] = wrk.format("POST", "/vpn/config", headers, '{"location":"de-fra","publicKey":"' .. key .. '"}')
  end
  assert(#requests > count, "the requests file must hold more requests than the count")
end

function request()
  if started == nil then started = now_ns() end
  -- Past the file's end (should the server answer none of the spares): repeat the last, a 409.
  if sent < #requests then sent = sent + 1 end
  return requests[sent]
end

function response(status, _, _)
  answered = answered + 1
  if answered > count then return end
  if status == 200 then ok = ok + 1 else other = other + 1 end
  if answered == count then
    io.write(string.format("DONE %d %d %d\n", now_ns() - started, ok, other))
    io.flush()
    wrk.thread:stop()
  end
end

-- Latency percentiles of every answer (µs), one JSON line.
function done(_, latency, _)
  io.write(string.format('{"p50Us":%d,"p99Us":%d}\n', latency:percentile(50), latency:percentile(99)))
end
