-- wrk script: replay pre-signed requests, each exactly once.
--
-- S3V1 needs a fresh nonce (and a signature over it) on every request, and wrk's Lua
-- has no HMAC, so bench/http_load.py signs the requests beforehand and writes them,
-- raw and NUL-separated, to one file per wrk thread: ARG.0, ARG.1, ...
-- A thread that runs out replays its last request (the sidecar refuses it with 401);
-- done() reports how many did, so a short supply never passes unnoticed.
--
-- usage: wrk -t T -c C -d D -s wrk_replay.lua http://127.0.0.1:PORT -- /path/to/requests

local threads = {}

function setup(thread)
   thread:set("thread_id", #threads)
   table.insert(threads, thread)
end

function init(args)
   local handle = assert(io.open(args[1] .. "." .. thread_id, "rb"))
   local data = handle:read("*a")
   handle:close()
   queue = {}
   for raw in string.gmatch(data, "([^%z]+)%z") do
      queue[#queue + 1] = raw
   end
   position = 0
   overflow = 0
end

function request()
   position = position + 1
   if position > #queue then
      overflow = overflow + 1
      return queue[#queue]
   end
   return queue[position]
end

function done(summary, latency, requests)
   local overflowed = 0
   for _, thread in ipairs(threads) do
      overflowed = overflowed + thread:get("overflow")
   end
   local errors = summary.errors
   io.write(string.format(
      'WRK-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "mean_us": %.1f, "overflow": %d}\n',
      summary.requests, summary.duration, summary.bytes, errors.connect, errors.read, errors.write,
      errors.status, errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean, overflowed))
end
