-- POST /api/v1/samples: every request registers a new sample (its own batch number).
dofile(os.getenv("LOAD_DIR") .. "/common.lua")

local template
local n = 0

function init(args)
   local f = assert(io.open(os.getenv("LOAD_DATA") .. "/sample.json"))
   template = f:read("*a")
   f:close()
end

function request()
   n = n + 1
   local body = string.gsub(template, "BATCH", string.format("L%d-%d", index, n))
   return wrk.format("POST", "/api/v1/samples", bearer(), body)
end
