"""The operator's customer tools: search, block logins, erase personal data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dtc_api.store import tables as t
from tests.integration.test_integration_api import ORDER, data, order, register
from tests.integration.test_integration_api import key as key
from tests.integration.test_integration_api import settings as settings
from tests.support import Shopper

LOGIN = ('mutation($e: String!) { login(email: $e, password: "correct horse battery staple")'
         " { loggedIn { id } userErrors { message } } }")


async def test_search_pages_through_customers(http: httpx.AsyncClient, key: str,
                                              credentials: Any) -> None:
    for n in range(5):
        await register(Shopper(http, credentials), f"ada{n}@example.com")
    await register(Shopper(http, credentials), "grace@example.com")
    page = (await data(http, key, '{ customers(search: "ADA", limit: 2, page: 2) { total page '
                                  "customers { email registered loginBlocked totalOrders } } }"))
    assert page["customers"]["total"] == 5
    assert [c["email"] for c in page["customers"]["customers"]] == ["ada2@example.com",
                                                                    "ada1@example.com"]
    everyone = await data(http, key, "{ customers { total } }")
    assert everyone["customers"]["total"] == 6
    bad = await http.post("/integration/graphql", json={"query": "{ customers(limit: 1000) "
                                                                 "{ total } }"},
                          headers={"authorization": f"Bearer {key}"})
    assert bad.json()["errors"][0]["message"] == "limit must be between 1 and 100"


async def test_blocking_ends_sessions_and_logins(http: httpx.AsyncClient, key: str,
                                                 shopper: Shopper, credentials: Any) -> None:
    customer_id = await register(shopper, "blocked@example.com")
    blocked = await data(http, key, "mutation($id: Int!) { setCustomerLoginBlocked(id: $id, "
                                    "blocked: true) { customer { loginBlocked } } }",
                         {"id": customer_id})
    assert blocked["setCustomerLoginBlocked"]["customer"] == {"loginBlocked": True}
    stale = await shopper.post("{ session { loggedIn { id } } }")
    assert stale.json() == {"errors": [{"message": "Unauthorized"}]}
    again = await Shopper(http, credentials).gql(LOGIN, {"e": "blocked@example.com"})
    assert again["login"]["userErrors"] == [
        {"message": "this account cannot log in: please contact the shop"}]
    await data(http, key, "mutation($id: Int!) { setCustomerLoginBlocked(id: $id, "
                          "blocked: false) { userErrors { message } } }", {"id": customer_id})
    back = await Shopper(http, credentials).gql(LOGIN, {"e": "blocked@example.com"})
    assert back["login"]["userErrors"] == []


async def test_delete_customer_erases_personal_data(
    http: httpx.AsyncClient, key: str, shopper: Shopper, runtime: Any
) -> None:
    customer_id = await register(shopper, "erase@example.com")
    await shopper.gql('mutation { subscribeToNewsletter(email: "erase@example.com") '
                      "{ subscribed } }")
    await shopper.gql('mutation { backInStockSubscribe(input: {item: "10-1", shipTo: '
                      '{countryCode: "SE"}}) { subscribed } }')
    await shopper.gql("mutation { addWishlistItem(displayItemId: 1) { userErrors { message } } }")
    await data(http, key, ORDER, {"input": order(7001, customerId=customer_id)})
    deleted = await data(http, key, "mutation($id: Int!) { deleteCustomer(id: $id) "
                                    "{ deleted userErrors { message } } }", {"id": customer_id})
    assert deleted["deleteCustomer"] == {"deleted": True, "userErrors": []}
    assert (await shopper.post("{ session { loggedIn { id } } }")).json() == {
        "errors": [{"message": "Unauthorized"}]}
    async with runtime.db.read() as conn:
        for table in (t.customers, t.newsletter_subscriptions, t.back_in_stock_subscriptions,
                      t.wishlists, t.sessions, t.customer_consents):
            count = await conn.scalar(sa.select(sa.func.count()).select_from(table))
            assert count == 0 or table is t.sessions, table.name
        kept = (await conn.execute(sa.select(t.orders))).mappings().one()
    assert (kept["number"], kept["customer_id"], kept["shipping_address"]) == (7001, None, None)
    again = await data(http, key, "mutation($id: Int!) { deleteCustomer(id: $id) "
                                  "{ deleted userErrors { message path } } }", {"id": customer_id})
    assert again["deleteCustomer"] == {"deleted": False, "userErrors": [
        {"message": f"customer {customer_id} not found", "path": ["deleteCustomer", "id"]}]}


@pytest.mark.parametrize("mutation", ["setCustomerLoginBlocked(id: 999, blocked: true) "
                                      "{ userErrors { path } }",
                                      "deleteCustomer(id: 999) { userErrors { path } }"])
async def test_unknown_customer(http: httpx.AsyncClient, key: str, mutation: str) -> None:
    answer = await data(http, key, f"mutation {{ {mutation} }}")
    [payload] = answer.values()
    assert payload["userErrors"][0]["path"][-1] == "id"


async def test_one_customer_with_everything_the_storefront_shows(
    http: httpx.AsyncClient, key: str, shopper: Shopper
) -> None:
    customer_id = await register(shopper, "full@example.com")
    await shopper.gql("mutation { addWishlistItem(displayItemId: 2) { userErrors { message } } }")
    await data(http, key, ORDER, {"input": order(8001, customerId=customer_id)})
    found = (await data(http, key, "query($id: Int!) { customer(id: $id) { email registered "
                                   "totalOrders profile } }", {"id": customer_id}))["customer"]
    assert (found["email"], found["registered"], found["totalOrders"]) == (
        "full@example.com", True, 1)
    profile = found["profile"]
    assert profile["email"] == "full@example.com"
    assert profile["billingAddress"]["country"]["code"] == "SE"
    assert [o["number"] for o in profile["orders"]] == [8001]
    assert profile["orders"][0]["orderDate"].startswith("2026-02-01T09:00:00")
    assert [i["id"] for i in profile["wishlists"][0]["items"]] == [2]
    assert profile["wishlists"][0]["items"][0]["price"]["formattedValue"] == "1 299,00 SEK"
    assert (await data(http, key, "{ customer(id: 999) { email } }"))["customer"] is None
