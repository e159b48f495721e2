-- Shared by the wrk scripts of scripts/load.sh: numbers the threads, reads the prepared
-- data and prints one machine-readable line when wrk is done.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("index", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function lines(path)
   local out = {}
   for line in io.lines(path) do
      if line ~= "" then
         table.insert(out, line)
      end
   end
   return out
end

function bearer()
   return { ["Authorization"] = "Bearer " .. os.getenv("LOAD_TOKEN"),
            ["Content-Type"] = "application/json" }
end

bad = 0

function response(status, headers, body)
   if status >= 300 then
      bad = bad + 1
      if bad <= 3 then
         io.stderr:write("status " .. status .. ": " .. string.sub(body, 1, 300) .. "\n")
      end
   end
end

function done(summary, latency, requests)
   local seconds = summary.duration / 1e6
   local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout
   local more = ""
   if extra then
      more = extra(summary)
   end
   io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d%s\n",
      summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
      latency:percentile(99) / 1000, summary.errors.status, errors, more))
end
