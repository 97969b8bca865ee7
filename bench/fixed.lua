-- wrk script: the same request every time: BODY (a JSON GraphQL request) with the bearer
-- TOKEN (a shopper token; the transport ceiling ignores it).
dofile(os.getenv("BENCH_LUA") .. "/verdict.lua")
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = os.getenv("BODY")
