-- wrk script: BODY (a JSON GraphQL request) sent with the shopper tokens of the file TOKENS
-- in turn, one a request, as many shoppers using the shop at once.
dofile(os.getenv("BENCH_LUA") .. "/verdict.lua")
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do
  if line ~= "" then tokens[#tokens + 1] = line end
end
local body = os.getenv("BODY")
local counter = 0
request = function()
  counter = counter + 1
  local token = tokens[((tid or 0) * 7919 + counter) % #tokens + 1]
  return wrk.format("POST", nil, {["content-type"] = "application/json",
    ["authorization"] = "Bearer " .. token}, body)
end
-- PAUSE_MS: each connection waits this long between requests (a steady trickle, not a flood).
local pause = tonumber(os.getenv("PAUSE_MS") or "")
if pause then
  delay = function() return pause end
end
