-- wrk script: QUERY (a JSON string of a document with an $email variable) sent with the
-- bearer TOKEN and a new e-mail address each request: bench-SEED-<thread>-<n>@example.com.
dofile(os.getenv("BENCH_LUA") .. "/verdict.lua")
local query = os.getenv("QUERY")
local seed = os.getenv("SEED")
local token = os.getenv("TOKEN")
local counter = 0
request = function()
  counter = counter + 1
  local email = string.format("bench-%s-%d-%d@example.com", seed, tid or 0, counter)
  local body = '{"query":' .. query .. ',"variables":{"email":"' .. email .. '"}}'
  return wrk.format("POST", nil, {["content-type"] = "application/json",
    ["authorization"] = "Bearer " .. token}, body)
end
