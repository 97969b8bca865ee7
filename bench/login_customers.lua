-- wrk script: every request starts a new session with the API client's session token
-- (TOKEN) and logs in as the next of the CUSTOMERS customers bench-<i>@example.com, all with
-- the password PASSWORD.
dofile(os.getenv("BENCH_LUA") .. "/verdict.lua")
local query = os.getenv("QUERY")  -- JSON string of the document, with $email and $password
local password = os.getenv("PASSWORD")
local customers = tonumber(os.getenv("CUSTOMERS"))
local counter = 0
request = function()
  counter = counter + 1
  local email = string.format("bench-%d@example.com", ((tid or 0) * 7919 + counter) % customers)
  local body = '{"query":' .. query .. ',"variables":{"email":"' .. email
    .. '","password":"' .. password .. '"}}'
  return wrk.format("POST", nil, {["content-type"] = "application/json",
    ["authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
