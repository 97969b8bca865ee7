-- wrk script: every request starts a new session with the API client's session token
-- (TOKEN) and logs in as EMAIL / PASSWORD, as a shopper arriving and logging in does.
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = '{"query":"mutation { login(email: \\"' .. os.getenv("EMAIL") .. '\\", password: \\"'
  .. os.getenv("PASSWORD") .. '\\") { loggedIn { id } userErrors { message } } }"}'
