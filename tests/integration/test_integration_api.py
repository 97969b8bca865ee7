"""POST /integration/graphql: keys and scopes, stock, orders, API clients."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dtc_api.access import integration_keys
from dtc_api.access.clients import ClientCredentials
from dtc_api.config import Settings
from dtc_api.jobs import loop
from dtc_api.store import tables as t
from tests import documents, support
from tests.conftest import SmtpServer
from tests.support import UNAUTHORIZED, Shopper

URL = "/integration/graphql"
ORDER = """
mutation($input: OrderInput!) {
  createOrder(input: $input) {
    order { number customerId status currency grandTotal orderDate }
    userErrors { message path }
  }
}
"""


@pytest.fixture
def settings(db_url: str, smtp_server: SmtpServer) -> Settings:
    return support.mail_settings(db_url, smtp_server.url)


async def make_key(runtime: Any, clock: Any, scope: str = "write", name: str = "erp") -> str:
    async with runtime.db.write() as conn:
        return await integration_keys.create(conn, name, scope, clock.now())


@pytest.fixture
async def key(runtime: Any, clock: Any) -> str:
    return await make_key(runtime, clock)


async def call(http: httpx.AsyncClient, key: str | None, query: str,
               variables: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    response = await http.post(URL, json={"query": query, "variables": variables},
                               headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def data(http: httpx.AsyncClient, key: str, query: str,
               variables: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = await call(http, key, query, variables)
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]


def order(number: int, **fields: Any) -> dict[str, Any]:
    return {"number": number, "pricelist": 1, "market": 1, "country": "SE", "language": "en",
            "orderDate": "2026-02-01T10:00:00+01:00",
            "lines": [{"item": "1-1", "quantity": 2, "unitPrice": 299.0}], "shipping": 49.0,
            "shippingAddress": {"firstName": "Ada", "city": "Stockholm", "country": "SE"},
            **fields}


async def test_keys_wrong_revoked_or_missing_are_unauthorized(
    http: httpx.AsyncClient, runtime: Any, clock: Any, key: str, credentials: ClientCredentials
) -> None:
    assert (await call(http, key, "{ apiClients { name } }"))["data"]["apiClients"]
    for wrong in (None, "nope", "x" * 10_000, credentials.session_token,
                  credentials.no_session_token):
        assert await call(http, wrong, "{ apiClients { name } }") == UNAUTHORIZED
    async with runtime.db.write() as conn:
        await integration_keys.revoke(conn, "erp", clock.now())
    assert await call(http, key, "{ apiClients { name } }") == UNAUTHORIZED


async def test_a_read_key_may_query_but_not_mutate(http: httpx.AsyncClient, runtime: Any,
                                                   clock: Any) -> None:
    read = await make_key(runtime, clock, "read", "reports")
    assert (await data(http, read, '{ stock(item: "1-1") { item } }'))["stock"]["item"] == "1-1"
    answer = await call(http, read, 'mutation { setStock(item: "1-1", warehouse: "main", '
                                    "quantity: 1) { notificationsQueued } }")
    assert "data" not in answer
    assert answer["errors"][0]["message"] == (
        "setStock needs an integration key with the write scope; this key is read-only")
    stock = await data(http, read, '{ stock(item: "1-1") { warehouses { warehouse quantity } } }')
    assert {"warehouse": "main", "quantity": 40} in stock["stock"]["warehouses"]


async def test_set_stock_notifies_back_in_stock_subscribers(
    http: httpx.AsyncClient, key: str, shopper: Shopper, runtime: Any,
    smtp_server: SmtpServer,
) -> None:
    subscribed = await shopper.gql('mutation { backInStockSubscribe(input: {email: '
                                   '"wait@example.com", shipTo: {countryCode: "SE"}, item: '
                                   '"10-1"}) { subscribed } }')
    assert subscribed["backInStockSubscribe"]["subscribed"] is True
    payload = (await data(http, key, 'mutation { setStock(item: "10-1", warehouse: "main", '
                                     "quantity: 4) { stock { warehouses { warehouse quantity } }"
                                     " notificationsQueued userErrors { message } } }"))[
        "setStock"]
    assert payload["notificationsQueued"] == 1
    assert {"warehouse": "main", "quantity": 4} in payload["stock"]["warehouses"]
    await loop.deliver_mail_once(runtime)
    assert [m["To"] for m in smtp_server.messages] == ["wait@example.com"]


@pytest.mark.parametrize(("item", "warehouse", "quantity", "path", "message"), [
    ("10-1", "main", -1, ["setStock", "quantity"], "quantity must not be negative"),
    ("404-1", "main", 1, ["setStock", "item"], "item 404-1 not found"),
    ("10-1", "nowhere", 1, ["setStock", "warehouse"], "warehouse nowhere not found"),
])
async def test_set_stock_bad_input(http: httpx.AsyncClient, key: str, item: str,
                                   warehouse: str, quantity: int, path: list[str],
                                   message: str) -> None:
    payload = (await data(http, key, "mutation($i: String!, $w: String!, $q: Int!) { "
                                     "setStock(item: $i, warehouse: $w, quantity: $q) "
                                     "{ stock { item } userErrors { message path } } }",
                          {"i": item, "w": warehouse, "q": quantity}))["setStock"]
    assert payload == {"stock": None, "userErrors": [{"message": message, "path": path}]}


async def test_set_stocks_is_all_or_nothing(http: httpx.AsyncClient, key: str) -> None:
    rows = [{"item": "1-1", "warehouse": "main", "quantity": 7},
            {"item": "1-2", "warehouse": "nowhere", "quantity": 7},
            {"item": "1-3", "warehouse": "main", "quantity": 7}]
    payload = (await data(http, key, "mutation($r: [StockInput!]!) { setStocks(input: $r) "
                                     "{ updated userErrors { message path } } }",
                          {"r": rows}))["setStocks"]
    assert payload == {"updated": 0, "userErrors": [{
        "message": "warehouse nowhere not found", "path": ["setStocks", "input", "1",
                                                           "warehouse"]}]}
    stock = await data(http, key, '{ stock(item: "1-1") { warehouses { warehouse quantity } } }')
    assert {"warehouse": "main", "quantity": 40} in stock["stock"]["warehouses"]
    rows[1]["warehouse"] = "us-east"
    payload = (await data(http, key, "mutation($r: [StockInput!]!) { setStocks(input: $r) "
                                     "{ updated userErrors { message } } }",
                          {"r": rows}))["setStocks"]
    assert payload == {"updated": 3, "userErrors": []}


async def register(shopper: Shopper, email: str) -> int:
    answer = await shopper.gql('mutation($e: String!) { registerCustomer(input: {password: '
                               '"correct horse battery staple", loginOnSuccess: true, '
                               'billingAddress: {email: $e, firstName: "A", lastName: "B", '
                               'country: "SE"}}) { loggedIn { id } userErrors { message } } }',
                               {"e": email})
    return int(answer["registerCustomer"]["loggedIn"]["id"])


async def test_orders_appear_in_the_storefront_customer(http: httpx.AsyncClient, key: str,
                                                        shopper: Shopper) -> None:
    customer_id = await register(shopper, "buyer@example.com")
    first = (await data(http, key, ORDER, {"input": order(1001, customerId=customer_id)}))[
        "createOrder"]
    assert first == {"order": {"number": 1001, "customerId": customer_id,
                               "status": "CONFIRMED", "currency": "SEK", "grandTotal": 647.0,
                               "orderDate": "2026-02-01T09:00:00+00:00"}, "userErrors": []}
    await data(http, key, ORDER, {"input": order(1002, customerId=customer_id,
                                                 status="SHIPPED")})
    shipped = await data(http, key, "mutation { updateOrderStatus(number: 1001, status: "
                                    "ARCHIVED) { order { status } userErrors { message } } }")
    assert shipped["updateOrderStatus"] == {"order": {"status": "ARCHIVED"}, "userErrors": []}
    mine = (await shopper.gql("{ customer { totalOrders orders { number status "
                              "totals { type price { formattedValue } } } } }"))["customer"]
    assert mine["totalOrders"] == 2
    assert [(o["number"], o["status"]) for o in mine["orders"]] == [(1002, "SHIPPED"),
                                                                     (1001, "ARCHIVED")]
    assert mine["orders"][1]["totals"][-1] == {"type": "GRAND_TOTAL",
                                               "price": {"formattedValue": "647,00 SEK"}}


SHIPPING = """{ customer { orders { number shippingMethod {
  id name comment price { value formattedValue } selected } } } }"""


async def test_orders_record_their_shipping_method(http: httpx.AsyncClient, key: str,
                                                   shopper: Shopper) -> None:
    customer_id = await register(shopper, "ships@example.com")
    method = {"id": 3, "name": "Express", "comment": "Before noon"}
    created = await data(http, key, """mutation($input: OrderInput!) { createOrder(input: $input)
        { order { number shippingMethod { id name comment } } userErrors { message } } }""",
                         {"input": order(1101, customerId=customer_id, shippingMethod=method)})
    assert created["createOrder"] == {"order": {"number": 1101, "shippingMethod": method},
                                      "userErrors": []}
    # Recorded without one (an older order, or a system without methods): id 0, no name.
    await data(http, key, ORDER, {"input": order(1100, customerId=customer_id,
                                                 orderDate="2026-01-01T10:00:00+01:00")})
    orders = (await shopper.gql(SHIPPING))["customer"]["orders"]
    assert orders == [
        {"number": 1101, "shippingMethod": {
            **method, "price": {"value": 49.0, "formattedValue": "49,00 SEK"}, "selected": True}},
        {"number": 1100, "shippingMethod": {
            "id": 0, "name": "", "comment": None,
            "price": {"value": 49.0, "formattedValue": "49,00 SEK"}, "selected": True}},
    ]


async def test_guest_orders_share_one_non_registered_customer(
    http: httpx.AsyncClient, key: str, shopper: Shopper, runtime: Any
) -> None:
    one = (await data(http, key, ORDER, {"input": order(2001, email="Guest@Example.com")}))
    two = (await data(http, key, ORDER, {"input": order(2002, email="guest@example.com")}))
    guest = one["createOrder"]["order"]["customerId"]
    assert two["createOrder"]["order"]["customerId"] == guest
    registered = await register(shopper, "guest@example.com")
    assert registered != guest  # separate profiles, as in Centra
    assert (await shopper.gql("{ customer { totalOrders } }"))["customer"]["totalOrders"] == 0
    async with runtime.db.read() as conn:
        rows = (await conn.execute(sa.select(t.customers.c.registered)
                                   .where(t.customers.c.email_key == "guest@example.com"))).all()
    assert sorted(r.registered for r in rows) == [False, True]


@pytest.mark.parametrize(("fields", "path", "message"), [
    ({"pricelist": 99}, ["pricelist"], "pricelist 99 not found"),
    ({"market": 99}, ["market"], "market 99 not found"),
    ({"customerId": 999}, ["customerId"], "customer 999 not found"),
    ({"country": "XX"}, ["country"], "country XX not found"),
    ({"lines": [{"item": "404-1", "quantity": 1, "unitPrice": 1.0}]},
     ["lines", "0", "item"], "item 404-1 not found"),
    ({"lines": [{"item": "1-1", "quantity": 1, "unitPrice": 1.001}]},
     ["lines", "0", "unitPrice"], None),
    ({"orderDate": "yesterday"}, ["orderDate"], None),
    ({"email": "not-an-email"}, ["email"], None),
    ({"shippingMethod": {"id": 0, "name": "Standard"}}, ["shippingMethod", "id"],
     "id must be a positive whole number"),
    ({"shippingMethod": {"id": 1, "name": "  "}}, ["shippingMethod", "name"],
     "name must be 1 to 200 characters"),
    ({"shippingMethod": {"id": 1, "name": "x" * 201}}, ["shippingMethod", "name"], None),
    ({"shippingMethod": {"id": 1, "name": "Standard", "comment": "x" * 1001}},
     ["shippingMethod", "comment"], None),
])
async def test_create_order_bad_input(http: httpx.AsyncClient, key: str, runtime: Any,
                                      fields: dict[str, Any], path: list[str],
                                      message: str | None) -> None:
    input_ = order(3001, **({"email": "g@example.com"} | fields))
    if "customerId" in fields:
        input_.pop("email")
    payload = (await data(http, key, ORDER, {"input": input_}))["createOrder"]
    assert payload["order"] is None
    assert [e["path"] for e in payload["userErrors"]] == [["createOrder", "input", *path]]
    if message:
        assert payload["userErrors"][0]["message"] == message
    async with runtime.db.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(t.orders)) == 0


async def test_duplicate_order_number(http: httpx.AsyncClient, key: str) -> None:
    await data(http, key, ORDER, {"input": order(4001, email="g@example.com")})
    again = (await data(http, key, ORDER, {"input": order(4001, email="g@example.com")}))
    assert again["createOrder"]["userErrors"] == [{"message": "order 4001 exists already",
                                                   "path": ["createOrder", "input", "number"]}]
    missing = await data(http, key, "mutation { updateOrderStatus(number: 9, status: SHIPPED) "
                                    "{ order { number } userErrors { message path } } }")
    assert missing["updateOrderStatus"]["userErrors"] == [
        {"message": "order 9 not found", "path": ["updateOrderStatus", "number"]}]


async def test_api_clients_create_update_rotate(http: httpx.AsyncClient, key: str) -> None:
    created = (await data(http, key, 'mutation { createApiClient(input: {name: "web", '
                                     'frontendUrl: "https://web.example", defaultCountry: "DE"'
                                     "}) { client { name frontendUrl defaultCountry "
                                     "retainSessionAfterLogout } credentials { sessionToken } "
                                     "userErrors { message } } }"))["createApiClient"]
    assert created["client"] == {"name": "web", "frontendUrl": "https://web.example",
                                 "defaultCountry": "DE", "retainSessionAfterLogout": False}
    token = created["credentials"]["sessionToken"]
    first = await http.post("/graphql", json={"query": "{ session { country { code } } }"},
                            headers={"authorization": f"Bearer {token}"})
    assert first.json()["data"] == {"session": {"country": {"code": "DE"}}}
    shopper_token = first.json()["extensions"]["token"]

    updated = (await data(http, key, 'mutation { updateApiClient(input: {name: "web", '
                                     "retainSessionAfterLogout: true}) { client { frontendUrl "
                                     "retainSessionAfterLogout } userErrors { message } } }"))
    assert updated["updateApiClient"]["client"] == {"frontendUrl": "https://web.example",
                                                    "retainSessionAfterLogout": True}
    rotated = (await data(http, key, 'mutation { rotateApiClientTokens(name: "web") { '
                                     "credentials { sessionToken } userErrors { message } } }"))
    new_token = rotated["rotateApiClientTokens"]["credentials"]["sessionToken"]
    old = await http.post("/graphql", json={"query": "{ session { country { code } } }"},
                          headers={"authorization": f"Bearer {token}"})
    assert old.json() == UNAUTHORIZED
    for still in (new_token, shopper_token):  # shopper sessions stay
        answer = await http.post("/graphql", json={"query": "{ session { country { code } } }"},
                                 headers={"authorization": f"Bearer {still}"})
        assert "data" in answer.json()
    names = await data(http, key, "{ apiClients { name } }")
    assert {"name": "web"} in names["apiClients"]
    duplicate = await data(http, key, 'mutation { createApiClient(input: {name: "web"}) '
                                      "{ userErrors { message path } } }")
    assert duplicate["createApiClient"]["userErrors"] == [{
        "message": "an API client named 'web' exists already",
        "path": ["createApiClient", "input", "name"]}]


async def test_subscription_contracts_show_in_the_storefront(
    http: httpx.AsyncClient, key: str, shopper: Shopper
) -> None:
    customer_id = await register(shopper, "sub@example.com")
    address = {"firstName": "Sub", "city": "Malmö", "country": "SE"}
    created = (await data(http, key, "mutation($i: SubscriptionContractInput!) { "
                                     "createSubscriptionContract(input: $i) { contract { id "
                                     "customerId pricelist } userErrors { message path } } }",
                          {"i": {"customerId": customer_id, "pricelist": 1, "market": 1,
                                 "shippingAddress": address}}))["createSubscriptionContract"]
    assert created["userErrors"] == []
    contract_id = created["contract"]["id"]
    updated = await data(http, key, "mutation($id: Int!) { updateSubscriptionContract(id: $id,"
                                    " input: {pricelist: 2}) { contract { pricelist } "
                                    "userErrors { message } } }", {"id": contract_id})
    assert updated["updateSubscriptionContract"] == {"contract": {"pricelist": 2},
                                                     "userErrors": []}
    mine = (await shopper.gql("{ customer { subscriptionContracts { id pricelist { currency "
                              "{ code } } shippingAddress { city } } } }"))["customer"]
    assert mine["subscriptionContracts"] == [{"id": contract_id,
                                              "pricelist": {"currency": {"code": "EUR"}},
                                              "shippingAddress": {"city": "Malmö"}}]
    bad = await data(http, key, "mutation($i: SubscriptionContractInput!) { "
                                "createSubscriptionContract(input: $i) { userErrors { path } } }",
                     {"i": {"customerId": 999, "pricelist": 99, "shippingAddress": address}})
    assert [e["path"] for e in bad["createSubscriptionContract"]["userErrors"]] == [
        ["createSubscriptionContract", "input", "customerId"],
        ["createSubscriptionContract", "input", "pricelist"]]
    missing = await data(http, key, "mutation { updateSubscriptionContract(id: 999, input: {}) "
                                    "{ userErrors { path } } }")
    assert missing["updateSubscriptionContract"]["userErrors"] == [
        {"path": ["updateSubscriptionContract", "id"]}]


async def test_the_storefront_order_query_is_the_latest_order(
    http: httpx.AsyncClient, key: str, shopper: Shopper
) -> None:
    assert (await shopper.gql("{ order { number } }"))["order"] is None
    customer_id = await register(shopper, "latest@example.com")
    assert (await shopper.gql("{ order { number } }"))["order"] is None
    await data(http, key, ORDER, {"input": order(6001, customerId=customer_id)})
    await data(http, key, ORDER, {"input": order(
        6002, customerId=customer_id, orderDate="2026-03-01T10:00:00+00:00")})
    latest = await shopper.gql("{ order { number status lines { quantity } } }")
    assert latest["order"] == {"number": 6002, "status": "CONFIRMED",
                               "lines": [{"quantity": 2}]}


async def test_per_client_rate_limits_override_the_deployment(
    http: httpx.AsyncClient, key: str, credentials: ClientCredentials
) -> None:
    updated = await data(http, key, 'mutation { updateApiClient(input: {name: "storefront", '
                                    "rateLimits: {loginPerIpPerMinute: 2}}) { client { "
                                    "rateLimits { loginPerIpPerMinute newsletterPerIpPerHour } }"
                                    " userErrors { message } } }")
    assert updated["updateApiClient"] == {"client": {"rateLimits": {
        "loginPerIpPerMinute": 2, "newsletterPerIpPerHour": None}}, "userErrors": []}
    login = ('mutation { login(email: "x@example.com", password: "whatever you like") '
             "{ userErrors { message } } }")
    messages = [(await Shopper(http, credentials).gql(login))["login"]["userErrors"][0][
        "message"] for _ in range(3)]
    assert messages[:2] == ["wrong e-mail or password"] * 2
    assert messages[2].startswith("too many login attempts from this address")
    bad = await data(http, key, 'mutation { updateApiClient(input: {name: "storefront", '
                                "rateLimits: {newsletterPerIpPerHour: 0}}) "
                                "{ userErrors { message path } } }")
    assert bad["updateApiClient"]["userErrors"] == [{
        "message": "rate limits must be positive whole numbers: newsletterPerIpPerHour",
        "path": ["updateApiClient", "input", "rateLimits"]}]


async def test_a_client_may_override_the_registration_limit(
    http: httpx.AsyncClient, key: str, credentials: ClientCredentials
) -> None:
    updated = await data(http, key, 'mutation { updateApiClient(input: {name: "storefront", '
                                    "rateLimits: {registrationsPerIpPerHour: 2}}) { client { "
                                    "rateLimits { registrationsPerIpPerHour loginPerIpPerMinute }"
                                    " } userErrors { message } } }")
    assert updated["updateApiClient"] == {"client": {"rateLimits": {
        "registrationsPerIpPerHour": 2, "loginPerIpPerMinute": None}}, "userErrors": []}
    await register(Shopper(http, credentials), "first@example.com")
    await register(Shopper(http, credentials), "second@example.com")
    third = await Shopper(http, credentials).gql(documents.REGISTER, {
        "input": support.registration("third@example.com", first_name="A", last_name="B",
                                      login=True)})
    assert third["registerCustomer"] == {"loggedIn": None, "userErrors": [{
        "message": "too many registrations from this address: try again in 60 minutes",
        "path": ["registerCustomer"]}]}
    created = await data(http, key, 'mutation { createApiClient(input: {name: "kiosk", '
                                    "rateLimits: {registrationsPerIpPerHour: 500}}) { client { "
                                    "rateLimits { registrationsPerIpPerHour } } userErrors "
                                    "{ message } } }")
    assert created["createApiClient"] == {
        "client": {"rateLimits": {"registrationsPerIpPerHour": 500}}, "userErrors": []}
    bad = await data(http, key, 'mutation { updateApiClient(input: {name: "storefront", '
                                "rateLimits: {registrationsPerIpPerHour: -1}}) "
                                "{ userErrors { message path } } }")
    assert bad["updateApiClient"]["userErrors"] == [{
        "message": "rate limits must be positive whole numbers: registrationsPerIpPerHour",
        "path": ["updateApiClient", "input", "rateLimits"]}]
