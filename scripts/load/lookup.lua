-- GET /api/v1/samples/{no}: numbers drawn at random from the prepared samples.
dofile(os.getenv("LOAD_DIR") .. "/common.lua")

local numbers

function init(args)
   numbers = lines(os.getenv("LOAD_DATA") .. "/samples.txt")
   math.randomseed(index + 1)
end

function request()
   local no = numbers[math.random(#numbers)]
   return wrk.format("GET", "/api/v1/samples/" .. no, bearer())
end
