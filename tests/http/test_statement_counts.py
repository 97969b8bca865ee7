"""How many SQL statements each request shape of the benchmark sends, pinned.

Reads go through the read path (store/reads.py): the token lookup is one statement without a
transaction around it, and a customer costs a fixed number of statements however many orders,
lines, wishlists or attributes they have. A change that adds a statement to a shape must
change the number here, on purpose.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from dtc_api.orders import orders
from dtc_api.orders.orders import OrderLine
from dtc_api.shop import wishlists
from tests import fragments, support
from tests.documents import CUSTOMER_ORDERS, LISTING, LOGIN, SESSION
from tests.support import Shopper

TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)

TYPENAME = "{ __typename }"
LOGGED_IN_NAME = "{ session { loggedIn { id firstName } } }"
SKIPPED_ORDERS = "{ customer { email orders @include(if: false) { number } } }"
CUSTOMER_FULL = "query Customer { customer { ...CustomerFragment } }" + fragments.FOR_CUSTOMER


@pytest.fixture
def settings(db_url: str) -> Any:
    """Plans only: a verifying run would send every statement twice. No kept answers: the
    shapes are counted as they are built (a kept answer is counted on its own below)."""
    return support.settings_for(db_url, compiled_execution="true", answer_cache_bytes=0)


async def _history(runtime: Any, customer_id: int, order_count: int) -> None:
    """Orders of 3 lines, a wishlist of 3 items and a subscription contract."""
    now = dt.datetime.now(dt.UTC)
    address = {"firstName": "Daniel", "lastName": "Ford", "address1": "Storgatan 1",
               "city": "Stockholm", "zipCode": "111 22", "country": "SE"}
    async with runtime.db.write() as conn:
        for number in range(1, order_count + 1):
            await orders.create(
                conn, number=number, customer_id=customer_id,
                order_date=now - dt.timedelta(days=number), status="CONFIRMED",
                pricelist_id=1, country_code="SE", language_code="en", market_id=1,
                billing_address=address, shipping_address=address,
                lines=[OrderLine("1-1", 2, 29900), OrderLine("4-1", 1, 34900),
                       OrderLine("2-1", 1, 129900)],
                shipping_minor=4900, now=now)
        for display_item in (1, 2, 3):
            await wishlists.add_item(conn, customer_id, display_item, None, now)
        await orders.create_subscription_contract(
            conn, customer_id=customer_id, pricelist_id=1, market_id=1,
            shipping_address=address, now=now)


async def _sent(shopper: Shopper, statements: list[str], query: str) -> list[str]:
    await shopper.gql(query)  # warm the document and geography caches
    statements.clear()
    answer = await shopper.raw(query)
    assert "errors" not in answer, answer
    return list(statements)


@pytest.mark.parametrize(("query", "expected"), [
    (TYPENAME, 1),  # the token lookup
    (SESSION, 1),  # loggedIn is null: nothing to load
], ids=["typename", "session"])
async def test_anonymous_shapes(shopper: Shopper, statements: list[str], query: str,
                                expected: int) -> None:
    sent = await _sent(shopper, statements, query)

    assert len(sent) == expected, sent
    assert not [s for s in sent if TRANSACTION_CONTROL.match(s)]
    assert "token_hash" in sent[0]


@pytest.mark.parametrize(("query", "expected"), [
    # (SQLite, PostgreSQL): on PostgreSQL the parts read by the customer's id alone, and the
    # page of orders with its lines, are read in one batch, one statement, and so are display
    # items with their items
    (TYPENAME, (1, 1)),
    (SESSION, (1, 1)),  # loggedIn { id }: the session names its customer
    (LOGGED_IN_NAME, (2, 2)),  # the token lookup, the customer
    (SKIPPED_ORDERS, (2, 2)),  # orders left out by @include are not read
    # + the customer, and their orders: orders and lines (batched with the customer), display
    # items, items with stock
    (CUSTOMER_ORDERS, (6, 3)),
    # + attributes (dynamic, mapped), newsletter subscriptions, wishlists, their items,
    # subscription contracts, the order count (all batched with the customer); the display
    # items (and their items) of the wishlists and of the orders are read together
    (CUSTOMER_FULL, (13, 3)),
], ids=["typename", "session", "logged-in-name", "skipped-orders", "customer-orders",
         "customer-full"])
async def test_logged_in_shapes(shopper: Shopper, runtime: Any, statements: list[str],
                                query: str, expected: tuple[int, int]) -> None:
    customer = await support.register(shopper, login=True)
    assert customer is not None
    await _history(runtime, int(customer["id"]), order_count=10)

    sent = await _sent(shopper, statements, query)

    assert len(sent) == expected[0 if runtime.db.is_sqlite else 1], sent
    assert all(s.lstrip().upper().startswith("SELECT") for s in sent), sent


async def test_more_orders_cost_no_more_statements(
    shopper: Shopper, runtime: Any, statements: list[str]
) -> None:
    customer = await support.register(shopper, login=True)
    assert customer is not None
    await _history(runtime, int(customer["id"]), order_count=2)
    few = await _sent(shopper, statements, CUSTOMER_FULL)

    await _history(runtime, int(customer["id"]), order_count=0)  # a second wishlist pass
    async with runtime.db.write() as conn:
        now = dt.datetime.now(dt.UTC)
        for number in range(3, 21):
            await orders.create(conn, number=number, customer_id=int(customer["id"]),
                                order_date=now, status="SHIPPED", pricelist_id=1,
                                lines=[OrderLine("1-1", 1, 29900)], now=now)

    assert len(await _sent(shopper, statements, CUSTOMER_FULL)) == len(few)


async def test_a_listing_page(shopper: Shopper, runtime: Any, statements: list[str]) -> None:
    """The token lookup; the catalogue's index (display items, sizes with stock, placements,
    categories and their translations); the page's display items, items with stock and
    bundle contents; their media, plans and localized sizes, read together once. On
    PostgreSQL the display items and their items are one statement, and so are the media,
    plans and sizes."""
    sent = await _sent(shopper, statements, LISTING)

    assert len(sent) == (12 if runtime.db.is_sqlite else 9), sent
    assert all(s.lstrip().upper().startswith("SELECT") for s in sent), sent
    answer = (await shopper.gql(LISTING))["displayItems"]
    assert len(answer["list"]) == answer["pagination"]["total"] == 15  # the demo's
    assert all(item["media"] for item in answer["list"])


async def test_a_login_with_a_new_session(shopper: Shopper, runtime: Any,
                                          statements: list[str]) -> None:
    """The benchmark's login: the API client's session token starts a session (the token
    looked up as a client's, which this process has seen before; the address's new sessions
    counted, the session written), then ``login``: the address's logins counted, both failure counts
    locked and raised (one statement each for both); the customer by e-mail key; after the
    password check, the customer locked with their saved selection, the failure counts
    cleared, the session logged in with its new token (the row returned, locked); the
    customer's e-mail."""
    await support.register(shopper)
    client_token = shopper.credentials.session_token
    await support.post_as(shopper.http, client_token, {"query": LOGIN, "variables": {
        "email": "daniel@example.com", "password": support.PASSWORD}})  # warm the caches
    statements.clear()

    answer = (await support.post_as(shopper.http, client_token, {"query": LOGIN, "variables": {
        "email": "daniel@example.com", "password": support.PASSWORD}})).json()

    assert answer["data"]["login"]["loggedIn"]["email"] == "daniel@example.com", answer
    assert len(statements) == 11, statements
