"""The benchmark's data: the demo catalogue, then registered customers with orders, a
wishlist, attributes and a newsletter subscription, and pools of shopper sessions.

Everything is written in bulk, straight into the project's tables (INSERT … executemany in
chunks; COPY on PostgreSQL), not through HTTP: 10,000 customers take seconds instead of an
hour of argon2. Every customer gets the same password hash, computed once with the
deployment's argon2 parameters, so a login verifies exactly as for an account registered
through the API.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import operator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api import demo
from dtc_api.access import tokens
from dtc_api.clock import SystemClock
from dtc_api.config import Settings
from dtc_api.store import tables as t
from dtc_api.store.db import Database
from dtc_api.store.migrate import upgrade

PASSWORD = "correct horse battery"  # noqa: S105 (every benchmark customer's)
ORDERS_PER_CUSTOMER = 10
ORDER_ITEMS = ("1-1", "2-1", "3-1")  # three lines per order, one unit each
WISHLIST_ITEMS = 6  # the first display items of the demo catalogue, products all
COUNTRY = "SE"
CHUNK = 1000  # customers per transaction


def email_of(index: int) -> str:
    return f"bench-{index}@example.com"


def order_number(index: int, order: int) -> int:
    """Order numbers are unique: customer ``index`` has 10·index+1 … 10·index+10."""
    return index * ORDERS_PER_CUSTOMER + order + 1


@dataclass(frozen=True)
class Dataset:
    customers: int
    first_customer_id: int
    logged_in_tokens: Path  # one token a line: session i is logged in as customer i
    anonymous_tokens: Path
    wishlist_items: int
    build_seconds: float

    def customer_id(self, index: int) -> int:
        return self.first_customer_id + index


async def _ids(conn: AsyncConnection) -> dict[str, object]:
    market_id, pricelist_id = (await conn.execute(
        sa.select(t.countries.c.market_id, t.countries.c.pricelist_id)
        .where(t.countries.c.code == COUNTRY))).one()
    currency_id = await conn.scalar(
        sa.select(t.pricelists.c.currency_id).where(t.pricelists.c.id == pricelist_id))
    items = {row.id: row for row in await conn.execute(
        sa.select(t.items.c.id, t.items.c.display_item_id, t.display_items.c.name,
                  t.display_item_prices.c.price_minor)
        .join(t.display_items, t.display_items.c.id == t.items.c.display_item_id)
        .join(t.display_item_prices, sa.and_(
            t.display_item_prices.c.display_item_id == t.items.c.display_item_id,
            t.display_item_prices.c.pricelist_id == pricelist_id))
        .where(t.items.c.id.in_(ORDER_ITEMS)))}
    types = {row.name: row.id for row in await conn.execute(
        sa.select(t.attribute_types.c.name, t.attribute_types.c.id))}
    mapped = await conn.scalar(sa.select(sa.func.min(t.mapped_attributes.c.id)).where(
        t.mapped_attributes.c.attribute_type_id == types["registration_source"]))
    display_items = list(await conn.scalars(
        sa.select(t.display_items.c.id).order_by(t.display_items.c.id).limit(WISHLIST_ITEMS)))
    client_id = await conn.scalar(
        sa.select(t.api_clients.c.id).where(t.api_clients.c.name == "demo"))
    return {"market": market_id, "pricelist": pricelist_id, "currency": currency_id,
            "items": items, "health": types["health"],
            "source": types["registration_source"], "mapped": mapped,
            "display_items": display_items, "client": client_id}


async def _next_id(conn: AsyncConnection, table: sa.Table) -> int:
    return int(await conn.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))) + 1)


async def _insert_chunk(conn: AsyncConnection, ids: dict[str, object], start: int, stop: int,
                        first_customer: int, first_order: int, first_wishlist: int,
                        password_hash: str, now: dt.datetime) -> None:
    items = ids["items"]
    address = {"address1": "Storgatan 1", "city": "Borås", "zipCode": "503 30",
               "country": COUNTRY}
    subtotal = sum(items[item].price_minor for item in ORDER_ITEMS)
    totals = [{"type": "ITEMS_SUBTOTAL", "minor": subtotal}, {"type": "SHIPPING", "minor": 0},
              {"type": "GRAND_TOTAL", "minor": subtotal}]
    customers, orders, lines, wishlists, wished = [], [], [], [], []
    dynamic, mapped, newsletter = [], [], []
    for index in range(start, stop):
        customer_id = first_customer + index
        email = email_of(index)
        customers.append({
            "id": customer_id, "email": email, "email_key": email, "registered": True,
            "password_hash": password_hash, "password_changed_at": now, "login_blocked": False,
            "first_name": "Bench", "last_name": f"Customer {index}",
            "address1": address["address1"], "city": address["city"],
            "zip_code": address["zipCode"], "country_code": COUNTRY, "language_code": "sv",
            "created_at": now, "updated_at": now,
        })
        person = {**address, "firstName": "Bench", "lastName": f"Customer {index}",
                  "email": email}
        for order in range(ORDERS_PER_CUSTOMER):
            order_id = first_order + index * ORDERS_PER_CUSTOMER + order
            orders.append({
                "id": order_id, "number": order_number(index, order),
                "customer_id": customer_id, "order_date": now - dt.timedelta(days=order + 1),
                "status": "SHIPPED", "country_code": COUNTRY, "state_code": None,
                "language_code": "sv", "market_id": ids["market"],
                "pricelist_id": ids["pricelist"], "currency_id": ids["currency"],
                "billing_address": person, "shipping_address": person,
                "totals": totals,
                "comment": None, "created_at": now,
            })
            for item in ORDER_ITEMS:
                row = items[item]
                lines.append({"order_id": order_id, "item_id": item,
                              "display_item_id": row.display_item_id, "name": row.name,
                              "quantity": 1, "unit_price_minor": row.price_minor,
                              "line_value_minor": row.price_minor})
        wishlist_id = first_wishlist + index
        wishlists.append({"id": wishlist_id, "customer_id": customer_id, "name": "Wishlist",
                          "is_default": True, "created_at": now})
        wished += [{"wishlist_id": wishlist_id, "display_item_id": display_item,
                    "created_at": now} for display_item in ids["display_items"]]
        dynamic.append({"customer_id": customer_id, "attribute_type_id": ids["health"],
                        "element_key": "diet", "value": "vegetarian"})
        mapped.append({"customer_id": customer_id, "attribute_type_id": ids["source"],
                       "mapped_attribute_id": ids["mapped"]})
        newsletter.append({"email_key": email, "email": email, "customer_id": customer_id,
                           "country_code": COUNTRY, "language_code": "sv", "is_active": True,
                           "client_id": ids["client"], "created_at": now, "updated_at": now})
    for table, rows in ((t.customers, customers), (t.orders, orders),
                        (t.order_lines, lines), (t.wishlists, wishlists),
                        (t.wishlist_items, wished), (t.customer_dynamic_attributes, dynamic),
                        (t.customer_mapped_attributes, mapped),
                        (t.newsletter_subscriptions, newsletter)):
        if conn.dialect.name == "postgresql":
            await _copy(conn, table, rows)
        else:
            await conn.execute(sa.insert(table), rows)


async def _skip_foreign_key_checks(conn: AsyncConnection) -> None:
    """On PostgreSQL, as a superuser, load without the foreign keys' per-row triggers (as
    pg_restore --disable-triggers does): the rows are consistent by construction, and the
    checks cost more than the rows themselves."""
    if conn.dialect.name != "postgresql":
        return
    if await conn.scalar(sa.text(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
        await conn.execute(sa.text("SET LOCAL session_replication_role = replica"))


async def _copy(conn: AsyncConnection, table: sa.Table, rows: list[dict[str, object]]) -> None:
    """PostgreSQL's COPY, through asyncpg: a million customers load in minutes, where
    INSERT … executemany takes most of an hour."""
    columns = list(rows[0])
    records = list(map(operator.itemgetter(*columns), rows))
    encoded = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, sa.JSON)]
    if encoded:
        texts: dict[int, str] = {}  # by id(): one customer's orders share their address dicts

        def text(value: object) -> str | None:
            if value is None:
                return None
            if id(value) not in texts:
                texts[id(value)] = json.dumps(value)
            return texts[id(value)]

        records = [tuple(text(value) if i in encoded else value
                         for i, value in enumerate(record)) for record in records]
    driver = (await conn.get_raw_connection()).driver_connection
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


async def _sessions(conn: AsyncConnection, ids: dict[str, object], customer_ids: list[int | None],
                    path: Path, now: dt.datetime) -> None:
    """Shopper sessions as `sessions.create` makes them (the demo client's country and
    language), logged in where a customer id is given; their tokens go to ``path``."""
    country = await conn.scalar(sa.select(t.api_clients.c.default_country_code)
                                .where(t.api_clients.c.id == ids["client"]))
    language = await conn.scalar(sa.select(t.api_clients.c.default_language_code)
                                 .where(t.api_clients.c.id == ids["client"]))
    market_id, pricelist_id = (await conn.execute(
        sa.select(t.countries.c.market_id, t.countries.c.pricelist_id)
        .where(t.countries.c.code == country))).one()
    made = [tokens.new_token() for _ in customer_ids]
    await conn.execute(sa.insert(t.sessions), [{
        "token_hash": tokens.token_hash(token), "client_id": ids["client"],
        "country_code": country, "state_code": None, "language_code": language,
        "market_id": market_id, "pricelist_id": pricelist_id, "selection_id": None,
        "customer_id": customer_id, "created_at": now, "last_seen_at": now,
    } for token, customer_id in zip(made, customer_ids, strict=True)])
    await asyncio.to_thread(path.write_text, "\n".join(made) + "\n")


async def _advance_sequences(conn: AsyncConnection) -> None:
    """Rows were given explicit ids: PostgreSQL's sequences must move past them, so that
    registrations during the run get fresh ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in (t.customers, t.orders, t.wishlists):
        await conn.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"))


async def build(database_url: str, customers: int, pool: int, anonymous: int,
                work: Path) -> Dataset:
    import time

    started = time.perf_counter()
    settings = Settings(database_url=database_url)
    password_hash = PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism).hash(PASSWORD)
    db = Database(database_url, pool_size=2)
    try:
        await upgrade(db)
        await demo.load(db, SystemClock())
        now = dt.datetime.now(dt.UTC)
        async with db.read() as conn:
            ids = await _ids(conn)
            first_customer = await _next_id(conn, t.customers)
            first_order = await _next_id(conn, t.orders)
            first_wishlist = await _next_id(conn, t.wishlists)
        for start in range(0, customers, CHUNK):
            async with db.write() as conn:
                await _skip_foreign_key_checks(conn)
                await _insert_chunk(conn, ids, start, min(start + CHUNK, customers),
                                    first_customer, first_order, first_wishlist,
                                    password_hash, now)
        logged_in, anonymous_path = work / "logged_in.tokens", work / "anonymous.tokens"
        async with db.write() as conn:
            await _advance_sequences(conn)
            # What the triggers (off while loading on PostgreSQL) would have made.
            await conn.execute(sa.text(
                "INSERT INTO customer_versions (customer_id, version) SELECT id, 1 "
                "FROM customers WHERE true ON CONFLICT (customer_id) DO NOTHING"))
            await _sessions(conn, ids, [first_customer + i for i in range(min(pool, customers))],
                            logged_in, now)
            await _sessions(conn, ids, [None] * anonymous, anonymous_path, now)
        # Statistics of the loaded tables, as a database in service has them: without them
        # PostgreSQL plans for the empty tables it last saw (sequential scans, JIT).
        async with db.write() as conn:
            await conn.execute(sa.text("ANALYZE"))
    finally:
        await db.dispose()
    return Dataset(customers, first_customer, logged_in, anonymous_path,
                   len(ids["display_items"]), time.perf_counter() - started)


async def refresh_sessions(database_url: str) -> None:
    """Mark every session as seen just now, as an active shopper's is: otherwise each token
    of a pool would write its last-seen time on its first use of a shape (once a minute)."""
    db = Database(database_url, pool_size=1)
    try:
        async with db.write() as conn:
            await conn.execute(sa.update(t.sessions).values(last_seen_at=dt.datetime.now(dt.UTC)))
    finally:
        await db.dispose()
