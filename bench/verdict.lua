-- Shared by the wrk scripts of `python -m bench` (loaded with dofile): counts the answers
-- that are wrong (a GraphQL "errors" member, a non-empty userErrors, or no EXPECT text) and
-- prints one BENCH line with the run's figures for the Python side to read.
local threads = {}
local expect = os.getenv("EXPECT")
wrong = 0
sample = nil

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if string.find(body, '"errors"', 1, true) or string.find(body, '"userErrors":[{', 1, true)
      or (expect and expect ~= "" and not string.find(body, expect, 1, true)) then
    wrong = wrong + 1
    if sample == nil then sample = string.sub(body, 1, 400) end
  end
end

function done(summary, latency, requests)
  local total, first = 0, nil
  for _, thread in ipairs(threads) do
    total = total + (thread:get("wrong") or 0)
    first = first or thread:get("sample")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,'
      .. '"p50_us":%d,"p99_us":%d,"wrong":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), total))
  if first then io.write("BENCH_SAMPLE " .. first:gsub("\n", " ") .. "\n") end
end
