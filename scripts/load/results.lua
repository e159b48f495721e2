-- PUT /api/v1/tests/{id}/result: each thread enters the results of its own share of the
-- prepared tests (LOAD_TESTS: lines "id version text"), each once; a thread stops when
-- its share is used up. wrk still counts the whole duration then, so a run that used up
-- all its tests says so (used_up=1): its rate is only a lower bound.
dofile(os.getenv("LOAD_DIR") .. "/common.lua")

local mine = {}
local next_one = 1

function init(args)
   local all = lines(os.getenv("LOAD_TESTS"))
   local count = tonumber(os.getenv("LOAD_THREADS"))
   for i, line in ipairs(all) do
      if (i - 1) % count == index then
         table.insert(mine, line)
      end
   end
end

function request()
   local line = mine[next_one]
   next_one = next_one + 1
   if line == nil then
      -- Used up: stop, and meanwhile ask for something harmless.
      wrk.thread:stop()
      return wrk.format("GET", "/api/v1/me", bearer())
   end
   local id, version, text = string.match(line, "^(%d+) (%d+) (.+)$")
   local body = string.format('{"result_text": "%s", "version": %s}', text, version)
   return wrk.format("PUT", "/api/v1/tests/" .. id .. "/result", bearer(), body)
end

function extra(summary)
   local total = #lines(os.getenv("LOAD_TESTS"))
   local used_up = 0
   -- A thread stops at once, so the requests in flight on its other connections are lost.
   if summary.requests >= total - tonumber(os.getenv("LOAD_CONNECTIONS")) then
      used_up = 1
   end
   return string.format(" tests=%d used_up=%d", total, used_up)
end
