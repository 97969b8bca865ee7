"""Fragment definitions for the seed's documents, written from the schema's types.

The seed (shared/seed/customer-management.txt) uses these fragments without defining them.
"""

ADDRESS = """
fragment AddressFragment on Address {
  country { code name }
  state { code name }
  address1 address2 city zipCode stateOrProvince
  email firstName lastName phoneNumber cellPhoneNumber companyName vatNumber
}
"""
ATTRIBUTE = """
fragment AttributeFragment on Attribute {
  type { name isMulti }
  elements {
    key
    kind
    # `value` is a ChoiceValue here and a String below: one of them needs an alias.
    ... on AttributeChoiceElement { choice: value { name value } values { name value } }
    ... on AttributeFileElement { url }
    ... on AttributeImageElement { url width height mimeType }
    ... on AttributeStringElement { value translations { language { name code } value } }
  }
  ... on MappedAttribute { id }
}
"""
DISPLAY_ITEM = """
fragment DisplayItemFragment on DisplayItem {
  id name uri productNumber available hasStock
  price { value formattedValue currency { code } }
  items { id name sku GTIN productSizeId preorder stock { available quantity } }
}
"""
ORDER = """
fragment OrderFragment on Order {
  id number orderDate status comment
  totals { type price { value formattedValue } }
  billingAddress { ...AddressFragment }
  shippingAddress { ...AddressFragment }
  country { code name }
  state { code name }
  language { code }
  market { id name }
  lines {
    id name quantity
    item { id sku }
    displayItem { id name }
    lineValue { value formattedValue }
  }
}
"""
SUBSCRIPTION_CONTRACT = """
fragment SubscriptionContractFragment on SubscriptionContract {
  id createdAt updatedAt
  market { id name }
  pricelist { id name currency { code } }
  shippingAddress { ...AddressFragment }
}
"""
# The seed's CustomerFragment, verbatim.
CUSTOMER = """
fragment CustomerFragment on Customer {
id
email
firstName
lastName
cellPhoneNumber
phoneNumber
totalOrders
billingAddress {
...AddressFragment
}
birthdate
websiteUrl
gender
language {
name
code
}
newsletterSubscriptions {
isActive
createdAt
country {
name
code
}
}
attributes {
...AttributeFragment
}
wishlists {
id
name
isDefault
items {
...DisplayItemFragment
}
}
subscriptionContracts {
...SubscriptionContractFragment
}
orders {
...OrderFragment
}
}
"""
SESSION = """
fragment SessionFragment on Session {
  country { code name isEU }
  countryState { code name }
  language { code name default }
  market { id name }
  pricelist { id name currency { code } }
  loggedIn { id email }
}
"""
SELECTION = """
fragment SelectionFragment on Selection {
  id
  lines {
    id name quantity
    item { id }
    displayItem { ...DisplayItemFragment }
    lineValue { value formattedValue }
  }
  grandTotal { value formattedValue }
  language { name code }
  attributes { ...AttributeFragment }
}
"""

FOR_CUSTOMER = CUSTOMER + ADDRESS + ATTRIBUTE + DISPLAY_ITEM + ORDER + SUBSCRIPTION_CONTRACT
FOR_LOGOUT = SESSION + SELECTION + DISPLAY_ITEM + ATTRIBUTE
