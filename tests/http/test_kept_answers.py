"""Answers kept between requests (http/answers.py): a logged-in customer's query is answered
again from what was kept, with the token lookup alone, only while nothing it was built from
has changed: every write, through the API or straight into the database, is seen by the
next request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dtc_api.http import answers
from dtc_api.orders import orders
from dtc_api.orders.orders import OrderLine
from dtc_api.store import tables
from tests import support
from tests.support import Shopper

KEPT = """query Account { customer {
  firstName
  orders(limit: 5) { number status }
  wishlists { items { id name price { formattedValue }
                      items { id stock { available } }
                      media { source(sizeName: "1350x0") { url } } } } } }"""
ADD_WISHLIST_ITEM = """mutation($item: Int!) {
  addWishlistItem(displayItemId: $item) { userErrors { message } } }"""
UPDATE_NAME = """mutation($name: String!) {
  updateCustomer(input: {billingAddress: {firstName: $name}}) { userErrors { message } } }"""


async def _customer(shopper: Shopper) -> dict[str, Any]:
    return (await shopper.gql(KEPT))["customer"]  # type: ignore[no-any-return]


async def _logged_in(shopper: Shopper, email: str = "daniel@example.com",
                     first_name: str = "Daniel") -> int:
    customer = await support.register(shopper, email, first_name=first_name, login=True)
    assert customer is not None
    return int(customer["id"])


async def _sql(runtime: Any, statement: str, **values: Any) -> None:
    """A write straight into the database, past the application (an import, another tool)."""
    async with runtime.db.write() as conn:
        await conn.execute(sa.text(statement), values)


def _wished(customer: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(item["id"]): item for w in customer["wishlists"] for item in w["items"]}


async def test_a_kept_answer_costs_the_token_lookup_alone(
    shopper: Shopper, statements: list[str]
) -> None:
    await _logged_in(shopper)
    await shopper.gql(ADD_WISHLIST_ITEM, {"item": 1})
    first = await shopper.raw(KEPT)

    statements.clear()
    again = await shopper.raw(KEPT)

    assert len(statements) == 1 and "token_hash" in statements[0], statements
    assert again["data"] == first["data"]
    assert again["extensions"]["token"] == first["extensions"]["token"] == shopper.token
    assert again["extensions"]["traceId"] != first["extensions"]["traceId"]


async def test_every_write_to_what_an_answer_shows_is_seen_by_the_next_request(
    shopper: Shopper, runtime: Any, http: httpx.AsyncClient, key: str
) -> None:
    customer_id = await _logged_in(shopper)
    await shopper.gql(ADD_WISHLIST_ITEM, {"item": 1})
    before = await _customer(shopper)
    assert before == await _customer(shopper)
    price = _wished(before)[1]["price"]["formattedValue"]

    # the customer, through the API
    await shopper.gql(UPDATE_NAME, {"name": "Dana"})
    assert (await _customer(shopper))["firstName"] == "Dana"
    # what belongs to them, through the API
    await shopper.gql(ADD_WISHLIST_ITEM, {"item": 2})
    assert sorted(_wished(await _customer(shopper))) == [1, 2]
    # an order placed in another transaction, then changed in the database
    now = dt.datetime.now(dt.UTC)
    async with runtime.db.write() as conn:
        await orders.create(conn, number=7001, customer_id=customer_id, order_date=now,
                            status="CONFIRMED", pricelist_id=1,
                            lines=[OrderLine("1-1", 1, 29900)], now=now)
    assert (await _customer(shopper))["orders"] == [{"number": 7001, "status": "CONFIRMED"}]
    await _sql(runtime, "UPDATE orders SET status = 'SHIPPED' WHERE customer_id = :id",
               id=customer_id)
    assert (await _customer(shopper))["orders"] == [{"number": 7001, "status": "SHIPPED"}]
    # the catalogue: stock through the back office, a price and a name in the database
    await support.set_stocks(http, key, [{"item": "1-1", "warehouse": "main", "quantity": 0}])
    items = {i["id"]: i for i in _wished(await _customer(shopper))[1]["items"]}
    assert items["1-1"]["stock"]["available"] is False
    await _sql(runtime, "UPDATE display_item_prices SET price_minor = price_minor + 10000 "
                        "WHERE display_item_id = 1")
    assert _wished(await _customer(shopper))[1]["price"]["formattedValue"] != price
    await _sql(runtime, "UPDATE display_items SET name = 'Renamed tee' WHERE id = 1")
    assert _wished(await _customer(shopper))[1]["name"] == "Renamed tee"
    # the session: its language
    await shopper.gql('mutation { setLanguage(code: "sv") { userErrors { message } } }')
    assert _wished(await _customer(shopper))[1]["name"] == "T-shirt i ekologisk bomull"
    await _sql(runtime, "UPDATE display_item_translations SET name = 'Omdöpt' "
                        "WHERE display_item_id = 1 AND language_code = 'sv'")
    assert _wished(await _customer(shopper))[1]["name"] == "Omdöpt"

    # and the last answer is kept again
    last = await shopper.raw(KEPT)
    assert (await shopper.raw(KEPT))["data"] == last["data"]


async def test_a_session_never_gets_another_customer_s_answer(
    shopper: Shopper, http: httpx.AsyncClient, credentials: Any
) -> None:
    other = Shopper(http, credentials)
    await _logged_in(shopper, "daniel@example.com", "Daniel")
    await _logged_in(other, "ada@example.com", "Ada")

    for _ in range(2):
        assert (await _customer(shopper))["firstName"] == "Daniel"
        assert (await _customer(other))["firstName"] == "Ada"


async def test_after_logout_the_kept_answer_is_not_served(shopper: Shopper) -> None:
    await _logged_in(shopper)
    await _customer(shopper)
    await _customer(shopper)

    await shopper.gql("mutation { logout { session { loggedIn { id } } } }")
    answer = await shopper.raw(KEPT)

    assert answer["data"] == {"customer": None}


async def test_media_urls_follow_the_address_the_client_used(shopper: Shopper) -> None:
    await _logged_in(shopper)
    await shopper.gql(ADD_WISHLIST_ITEM, {"item": 1})

    for host in ("shop.example", "cdn.example", "shop.example"):
        response = await shopper.post(KEPT, host=host)
        media = _wished(response.json()["data"]["customer"])[1]["media"]
        assert media and all(m["source"]["url"].startswith(f"http://{host}/") for m in media)


@pytest.mark.parametrize("variables", [{"limit": 1}, {"limit": 2}])
async def test_variables_are_part_of_what_is_kept(shopper: Shopper, runtime: Any,
                                                  variables: dict[str, Any]) -> None:
    customer_id = await _logged_in(shopper)
    now = dt.datetime.now(dt.UTC)
    async with runtime.db.write() as conn:
        for number in (1, 2, 3):
            await orders.create(conn, number=number, customer_id=customer_id,
                                order_date=now - dt.timedelta(days=number), status="SHIPPED",
                                pricelist_id=1, lines=[OrderLine("1-1", 1, 29900)], now=now)
    query = "query($limit: Int!) { customer { orders(limit: $limit) { number } } }"
    other = {"limit": 3 - variables["limit"]}

    for sent in (variables, other, variables):
        found = (await shopper.gql(query, sent))["customer"]["orders"]
        assert len(found) == sent["limit"]


async def test_every_table_is_versioned_or_read_by_no_kept_answer(runtime: Any) -> None:
    """A table a kept answer could show must raise a version on every write: a new table
    needs its triggers (or, if no kept answer reads it, a place in answers.UNVERSIONED)."""
    async with runtime.db.engine.connect() as conn:
        if runtime.db.is_sqlite:
            found = await conn.execute(sa.text(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger'"))
        else:
            found = await conn.execute(sa.text(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name = 'dtc_versions'"))
        versioned = {row[0] for row in found}

    assert versioned.isdisjoint(answers.UNVERSIONED)
    assert versioned | answers.UNVERSIONED == set(tables.metadata.tables)


@pytest.mark.parametrize(("table", "column", "owner"), [
    ("customers", "first_name", "id"), ("orders", "status", "customer_id"),
    ("wishlists", "name", "customer_id"),
    ("order_lines", "quantity", "(SELECT customer_id FROM orders WHERE id = order_id)"),
    ("wishlist_items", "display_item_id",
     "(SELECT customer_id FROM wishlists WHERE id = wishlist_id)"),
])
async def test_a_write_to_a_customer_s_rows_raises_their_version_alone(
    shopper: Shopper, http: httpx.AsyncClient, credentials: Any, runtime: Any,
    table: str, column: str, owner: str
) -> None:
    mine = await _logged_in(shopper)
    theirs = await _logged_in(Shopper(http, credentials), "ada@example.com", "Ada")
    now = dt.datetime.now(dt.UTC)
    async with runtime.db.write() as conn:
        for customer_id in (mine, theirs):
            await orders.create(conn, number=customer_id * 10, customer_id=customer_id,
                                order_date=now, status="SHIPPED", pricelist_id=1,
                                lines=[OrderLine("1-1", 1, 29900)], now=now)
    await shopper.gql(ADD_WISHLIST_ITEM, {"item": 1})
    before = await _versions(runtime)

    await _sql(runtime, f"UPDATE {table} SET {column} = {column} "  # noqa: S608
                        f"WHERE {owner} = :id", id=mine)

    after = await _versions(runtime)
    assert after[mine] > before[mine]
    assert after[theirs] == before[theirs]
    assert after["catalogue"] == before["catalogue"]


async def test_a_write_to_the_catalogue_raises_its_version(runtime: Any) -> None:
    before = (await _versions(runtime))["catalogue"]
    await _sql(runtime, "UPDATE stock SET quantity = quantity WHERE item_id = '1-1'")
    assert (await _versions(runtime))["catalogue"] > before


async def _versions(runtime: Any) -> dict[Any, int]:
    async with runtime.db.engine.connect() as conn:
        rows = (await conn.execute(sa.text(
            "SELECT customer_id, version FROM customer_versions"))).all()
        catalogue = (await conn.execute(sa.text(
            "SELECT sum(version) FROM catalogue_versions"))).scalar_one()
    return {**{row[0]: row[1] for row in rows}, "catalogue": int(catalogue)}


@pytest.fixture
def settings(db_url: str) -> Any:
    """Plans only, as served (a verifying run builds every answer twice)."""
    return support.settings_for(db_url, compiled_execution="true")


async def test_what_a_request_sends_is_held_as_a_short_digest(app: Any, shopper: Shopper) -> None:
    """Variables the document does not use still name the request; however large, they cost
    the store a digest."""
    await _logged_in(shopper)
    store = app.direct["/graphql"].app.app.answers
    for n in range(5):
        found = await shopper.gql("query { customer { id } }", {"pad": f"{n}" + "x" * 200_000})
        assert found["customer"]["id"]

    assert len(store) == 5
    held = [part for key in store._entries for part in key if isinstance(part, str | bytes)]
    assert max(len(part) for part in held) <= 64  # the token's hash, the request's digest
    assert store.bytes < 5 * 2_000


async def test_a_truncated_customer_table_is_seen(shopper: Shopper, runtime: Any) -> None:
    """TRUNCATE fires no row trigger (PostgreSQL): it raises every customer's version."""
    await _logged_in(shopper)
    await shopper.gql(ADD_WISHLIST_ITEM, {"item": 1})
    assert _wished(await _customer(shopper)) == _wished(await _customer(shopper))

    if runtime.db.is_sqlite:  # SQLite has no TRUNCATE: a DELETE of every row
        await _sql(runtime, "DELETE FROM wishlist_items")
    else:
        await _sql(runtime, "TRUNCATE wishlist_items")

    assert _wished(await _customer(shopper)) == {}


async def test_a_customer_without_a_version_is_answered_afresh_until_written(
    shopper: Shopper, runtime: Any, statements: list[str]
) -> None:
    """A customer loaded with the triggers off has no version: nothing of theirs is kept, until
    a write to the customer makes it."""
    await _logged_in(shopper)
    await _sql(runtime, "DELETE FROM customer_versions")
    await _customer(shopper)
    statements.clear()
    await _customer(shopper)
    assert len(statements) > 1  # built again

    await shopper.gql(UPDATE_NAME, {"name": "Dana"})
    await _customer(shopper)
    statements.clear()
    assert (await _customer(shopper))["firstName"] == "Dana"
    assert len(statements) == 1  # kept


SESSION_KEPT = """{ session { country { code name } language { code } market { name }
  pricelist { name currency { code } } loggedIn { firstName } } }"""


async def test_a_guest_s_session_is_kept_and_follows_the_session(
    shopper: Shopper, runtime: Any, statements: list[str]
) -> None:
    first = (await shopper.gql(SESSION_KEPT))["session"]
    statements.clear()
    assert (await shopper.gql(SESSION_KEPT))["session"] == first
    assert len(statements) == 1  # the token lookup

    await shopper.gql('mutation { setLanguage(code: "sv") { userErrors { message } } }')
    assert (await shopper.gql(SESSION_KEPT))["session"]["language"] == {"code": "sv"}
    await shopper.gql('mutation { setCountryState(countryCode: "DE") { userErrors { message } } }')
    assert (await shopper.gql(SESSION_KEPT))["session"]["country"]["code"] == "DE"

    await _sql(runtime, "UPDATE markets SET name = 'Renamed market'")
    runtime.geography.invalidate()  # what a back-office change of the geography does
    assert (await shopper.gql(SESSION_KEPT))["session"]["market"]["name"] == "Renamed market"


async def test_a_logged_in_session_follows_its_customer(shopper: Shopper) -> None:
    await _logged_in(shopper)
    assert (await shopper.gql(SESSION_KEPT))["session"]["loggedIn"]["firstName"] == "Daniel"
    assert (await shopper.gql(SESSION_KEPT))["session"]["loggedIn"]["firstName"] == "Daniel"

    await shopper.gql(UPDATE_NAME, {"name": "Dana"})
    assert (await shopper.gql(SESSION_KEPT))["session"]["loggedIn"]["firstName"] == "Dana"

    await shopper.gql("mutation { logout { session { loggedIn { id } } } }")
    assert (await shopper.gql(SESSION_KEPT))["session"]["loggedIn"] is None


class TestDocumentsThatLeaveTheDocumentCache:
    @pytest.fixture
    def settings(self, db_url: str) -> Any:
        return support.settings_for(db_url, compiled_execution="true", document_cache_size=1)

    async def test_keep_one_answer_each(self, app: Any, shopper: Shopper,
                                        statements: list[str]) -> None:
        """Parsed again and again (the cache holds one document), each document's answer is
        kept once, not once per parse."""
        queries = [f"query Probe{n} {{ session {{ country {{ code }} }} }}" for n in range(3)]
        for _ in range(3):
            for query in queries:
                await shopper.gql(query)
        store = app.direct["/graphql"].app.app.answers

        assert len(store) == 3
        statements.clear()
        await shopper.gql(queries[0])
        assert len(statements) == 1  # kept, though parsed again
