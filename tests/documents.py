"""GraphQL documents that several test modules send, each written once.

A document that selects other fields is another document and stays beside its tests.
"""

# The new customer's id, and every userError with its path.
REGISTER = """
mutation($input: CustomerRegisterInput!) {
  registerCustomer(input: $input) { loggedIn { id } userErrors { message path } }
}
"""
# Only the userErrors' messages: for tests that need a customer, not an answer.
REGISTER_ERRORS = """
mutation($input: CustomerRegisterInput!) {
  registerCustomer(input: $input) { userErrors { message } }
}
"""

# The request shapes the statement counts pin and the benchmark drives.
SESSION = ("{ session { country { code name } language { code } market { id name } "
           "pricelist { id name currency { code } } loggedIn { id } } }")
CUSTOMER_ORDERS = ("{ customer { firstName lastName email "
                   "billingAddress { address1 city zipCode country { code } } "
                   "orders(limit: 10) { number status totals { type price { formattedValue } } }"
                   " } }")
LOGIN = ("mutation Login($email: String!, $password: String!) { "
         "login(email: $email, password: $password) { loggedIn { id email } "
         "userErrors { message path } } }")
# A category page of a storefront: 20 display items with media, prices and stock, and filters.
LISTING = ("{ displayItems(limit: 20) { list { id name uri price { formattedValue } "
           "media { source(sizeName: \"1350x0\") { url } } items { id stock { available } } } "
           "pagination { total lastPage } filters { key values { value filterCount } } } }")
