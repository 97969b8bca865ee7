-- wrk script: every request starts a new session (TOKEN) and registers a new customer.
local counter = 0
local thread_id = 0
setup = function(thread) thread:set("tid", thread_id); thread_id = thread_id + 1 end
request = function()
  counter = counter + 1
  local email = string.format("bench-%d-%d-%d@example.com", os.time(), tid or 0, counter)
  local body = '{"query":"mutation { registerCustomer(input: {password: \\"correct horse battery\\", '
    .. 'loginOnSuccess: true, billingAddress: {email: \\"' .. email .. '\\", firstName: \\"A\\", '
    .. 'lastName: \\"B\\", country: \\"SE\\"}}) { loggedIn { id } userErrors { message } } }"}'
  return wrk.format("POST", nil, {["content-type"] = "application/json",
    ["authorization"] = "Bearer " .. os.getenv("TOKEN")}, body)
end
