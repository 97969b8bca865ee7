-- wrk script: POST the `session` query with the shopper token given in the TOKEN env variable.
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = '{"query":"{ session { country { code name } language { code } market { id name } pricelist { id name currency { code } } loggedIn { id } } }"}'
