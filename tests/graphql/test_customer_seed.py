"""The seed's Registration, Login, Logout, Update customer and Get customer documents,
verbatim, with the CustomerFragment fully expanded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dtc_api.config import Settings
from dtc_api.orders import orders
from dtc_api.orders.orders import OrderLine
from tests import fragments, support
from tests.support import Shopper

REGISTER = """
mutation {
registerCustomer(
input: {
password: "secret"
billingAddress: {
email: "example@centra.com"
firstName: "Daniel"
lastName: "Ford"
country: "SE"
}
gender: MALE
consents: []
customAttributes: {
dynamicAttributes: [
{
attributeTypeName: "health"
attributeElementKey: "diet"
attributeElementValue: "none"
}
]
mappedAttributes: [
{ attributeTypeName: "registration_source", attributeId: 3 }
]
}
loginOnSuccess: true
}
) {
loggedIn {
...CustomerFragment
}
userErrors {
message
path
}
}
}
""" + fragments.FOR_CUSTOMER

LOGIN = """
mutation {
login(email: "example@centra.com", password: "secret") {
loggedIn {
...CustomerFragment
}
userErrors {
path
message
}
}
}
""" + fragments.FOR_CUSTOMER

LOGOUT = """
mutation {
logout {
session {
...SessionFragment
}
selection {
...SelectionFragment
}
}
}
""" + fragments.FOR_LOGOUT

UPDATE = """
mutation {
updateCustomer(
input: {
password: "new_secret"
billingAddress: {
email: "example@centra.com"
firstName: "Daniel"
lastName: "Ford"
country: "DE"
}
gender: MALE
consents: []
customAttributes: {
dynamicAttributes: [
{
attributeTypeName: "health"
attributeElementKey: "diet"
attributeElementValue: "vegan"
}
]
mappedAttributes: [
{ attributeTypeName: "registration_source", attributeId: 3 }
]
}
}
) {
customer {
...CustomerFragment
}
userErrors {
message
path
}
}
}
""" + fragments.FOR_CUSTOMER

GET_CUSTOMER = """
query {
customer {
...CustomerFragment
}
}
""" + fragments.FOR_CUSTOMER


@pytest.fixture
def settings(db_url: str) -> Settings:
    # The policy `dtc-api serve --demo` runs with: the seed's password is "secret".
    return support.settings_for(db_url, password_min_length=6, password_reject_common=False)


def attributes(customer: dict[str, Any]) -> dict[str, Any]:
    return {
        a["type"]["name"]: (a.get("id"), {e["key"]: e["value"] for e in a["elements"]})
        for a in customer["attributes"]
    }


async def register(shopper: Shopper) -> dict[str, Any]:
    payload = (await shopper.gql(REGISTER))["registerCustomer"]
    assert payload["userErrors"] == []
    return payload["loggedIn"]  # type: ignore[no-any-return]


async def test_seed_registration(shopper: Shopper) -> None:
    guest_token = (await shopper.raw("{ session { country { code } } }"))["extensions"]["token"]
    customer = await register(shopper)
    assert shopper.token != guest_token  # logging in rotated the token
    assert customer["email"] == "example@centra.com"
    assert (customer["firstName"], customer["lastName"], customer["gender"]) == (
        "Daniel", "Ford", "MALE")
    assert customer["billingAddress"]["country"] == {"code": "SE", "name": "Sweden"}
    assert customer["billingAddress"]["email"] == "example@centra.com"
    assert customer["language"] == {"name": "English", "code": "en"}
    assert attributes(customer) == {
        "health": (None, {"diet": "none"}),
        "registration_source": (3, {"source": "Mobile app"}),
    }
    assert customer["totalOrders"] == 0
    assert customer["orders"] == customer["wishlists"] == []
    assert customer["newsletterSubscriptions"] == customer["subscriptionContracts"] == []
    assert (customer["birthdate"], customer["websiteUrl"], customer["phoneNumber"]) == (
        None, None, None)
    session = await shopper.gql("{ session { loggedIn { id email } } }")
    assert session["session"]["loggedIn"] == {"id": customer["id"], "email": customer["email"]}


async def test_seed_login_and_logout(shopper: Shopper, http: Any, credentials: Any) -> None:
    await register(shopper)
    await shopper.gql(LOGOUT)
    before = shopper.token
    payload = (await shopper.gql(LOGIN))["login"]
    assert payload["userErrors"] == []
    assert payload["loggedIn"]["email"] == "example@centra.com"
    assert shopper.token != before
    stale = await http.post("/graphql", json={"query": "{ session { loggedIn { id } } }"},
                            headers={"authorization": f"Bearer {before}"})
    assert stale.json() == {"errors": [{"message": "Unauthorized"}]}

    logged_in = shopper.token
    logout = (await shopper.gql(LOGOUT))["logout"]
    assert logout["session"]["loggedIn"] is None
    assert logout["session"]["country"]["code"] == "SE"
    assert logout["selection"]["lines"] == []
    assert shopper.token != logged_in
    assert (await shopper.gql(GET_CUSTOMER))["customer"] is None


async def test_seed_update_customer(shopper: Shopper) -> None:
    await register(shopper)
    payload = (await shopper.gql(UPDATE))["updateCustomer"]
    assert payload["userErrors"] == []
    customer = payload["customer"]
    assert customer["billingAddress"]["country"] == {"code": "DE", "name": "Germany"}
    assert attributes(customer) == {
        "health": (None, {"diet": "vegan"}),
        "registration_source": (3, {"source": "Mobile app"}),
    }
    await shopper.gql(LOGOUT)
    old = (await shopper.gql(LOGIN))["login"]
    assert old["userErrors"] == [{"path": ["login"], "message": "wrong e-mail or password"}]
    new = (await shopper.gql(LOGIN.replace('password: "secret"', 'password: "new_secret"')))
    assert new["login"]["userErrors"] == []


async def test_seed_get_customer_with_orders_and_wishlists(
    shopper: Shopper, runtime: Any, clock: Any, statements: list[str]
) -> None:
    customer_id = (await register(shopper))["id"]
    await add_history(runtime, clock, customer_id, orders_count=1, wishlists_count=1)
    statements.clear()
    customer = (await shopper.gql(GET_CUSTOMER))["customer"]
    few = len(statements)
    assert customer["totalOrders"] == 1

    await add_history(runtime, clock, customer_id, orders_count=9, wishlists_count=1,
                      first_number=2)
    statements.clear()
    customer = (await shopper.gql(GET_CUSTOMER))["customer"]
    assert len(statements) == few  # batched: no statement per order, line or wishlist
    assert customer["totalOrders"] == 10
    assert [o["number"] for o in customer["orders"]] == list(range(10, 0, -1))
    newest = customer["orders"][0]
    assert newest["status"] == "CONFIRMED"
    assert newest["orderDate"] == "2026-01-11T12:00:00+00:00"
    assert [(row["type"], row["price"]["formattedValue"]) for row in newest["totals"]] == [
        ("ITEMS_SUBTOTAL", "947,00 SEK"), ("SHIPPING", "49,00 SEK"), ("GRAND_TOTAL", "996,00 SEK")]
    assert newest["lines"][0]["item"] == {"id": "1-1", "sku": "TS-100-S"}
    assert newest["lines"][0]["lineValue"]["formattedValue"] == "598,00 SEK"
    assert newest["shippingAddress"]["city"] == "Stockholm"
    assert [w["isDefault"] for w in customer["wishlists"]] == [True, False]
    assert [i["id"] for i in customer["wishlists"][0]["items"]] == [1, 2]
    assert customer["wishlists"][0]["items"][0]["price"]["formattedValue"] == "299,00 SEK"
    assert customer["subscriptionContracts"][0]["pricelist"]["currency"] == {"code": "SEK"}


async def add_history(runtime: Any, clock: Any, customer_id: int, *, orders_count: int,
                      wishlists_count: int, first_number: int = 1) -> None:
    """Orders, wishlists and a subscription contract written through the service layer."""
    from dtc_api.shop import wishlists

    address = {"firstName": "Daniel", "lastName": "Ford", "address1": "Storgatan 1",
               "city": "Stockholm", "zipCode": "111 22", "country": "SE"}
    async with runtime.db.write() as conn:
        for number in range(first_number, first_number + orders_count):
            await orders.create(
                conn, number=number, customer_id=customer_id,
                order_date=dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=number),
                status="CONFIRMED", pricelist_id=1, country_code="SE", language_code="en",
                market_id=1, billing_address=address, shipping_address=address,
                lines=[OrderLine("1-1", 2, 29900), OrderLine("4-1", 1, 34900)],
                shipping_minor=4900, now=clock.now(),
            )
        if first_number == 1:
            await wishlists.add_item(conn, customer_id, 1, None, clock.now())
            await wishlists.add_item(conn, customer_id, 2, None, clock.now())
            await orders.create_subscription_contract(
                conn, customer_id=customer_id, pricelist_id=1, market_id=1,
                shipping_address=address, now=clock.now())
        else:
            from dtc_api.store import tables as t
            for _ in range(wishlists_count):
                wishlist_id = (await conn.execute(t.wishlists.insert().values(
                    customer_id=customer_id, name="Later", is_default=False,
                    created_at=clock.now()).returning(t.wishlists.c.id))).scalar_one()
                await wishlists.add_item(conn, customer_id, 3, wishlist_id, clock.now())
