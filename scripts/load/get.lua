-- GET of one path (LOAD_PATH) with the bearer token: statistics, and the hello world.
dofile(os.getenv("LOAD_DIR") .. "/common.lua")

function request()
   return wrk.format("GET", os.getenv("LOAD_PATH"), bearer())
end
