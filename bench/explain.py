"""The plans of the statements the customer query and login run, on a benchmark database.

Usage: python bench/explain.py DATABASE_URL
       (a database built by `python -m bench --keep --database-url postgresql://…`, or any
       dtc-api database with a registered customer who has orders and a session)

On PostgreSQL each statement runs under EXPLAIN (ANALYZE, BUFFERS); on SQLite under EXPLAIN
QUERY PLAN. Prints each plan and exits 1 if a statement reads a customer-sized table
(customers, sessions, orders, order lines, wishlists, newsletter subscriptions, attributes;
with at least 10,000 rows) without an index: its cost would grow with the shop instead of
with the customer.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy.engine import make_url  # noqa: E402

from dtc_api.access import sessions  # noqa: E402
from dtc_api.accounts import customers, view  # noqa: E402
from dtc_api.shop import catalog  # noqa: E402
from dtc_api.store.reads import Query  # noqa: E402

GROWING = ("customers", "sessions", "orders", "order_lines", "wishlists", "wishlist_items",
           "newsletter_subscriptions", "customer_dynamic_attributes",
           "customer_mapped_attributes", "subscription_contracts")

# Picks the customer of the first order, and one of their sessions.
_SUBJECT = Query(
    """SELECT c.id, c.email_key, s.token_hash, s.market_id, s.pricelist_id
    FROM customers c JOIN sessions s ON s.customer_id = c.id
    WHERE c.id = (SELECT customer_id FROM orders WHERE customer_id IS NOT NULL
                  ORDER BY id LIMIT 1)
    LIMIT 1""")


def statements(subject: dict[str, Any], order_ids: list[int], display_ids: list[int]
               ) -> list[tuple[str, Query, tuple[Any, ...]]]:
    customer = subject["id"]
    return [
        ("token lookup", sessions.SESSION_BY_TOKEN, (subject["token_hash"],)),
        ("login: customer by e-mail", customers._REGISTERED, (subject["email_key"],)),
        ("customer", view._CUSTOMER, (customer,)),
        ("dynamic attributes", view._DYNAMIC_ATTRIBUTES, (customer,)),
        ("mapped attributes", view._MAPPED_ATTRIBUTES, (customer,)),
        ("newsletter", view._NEWSLETTER, (customer,)),
        ("wishlists", view._WISHLISTS, (customer,)),
        ("wishlist items", view._WISHLIST_ITEMS, (customer,)),
        ("subscription contracts", view._CONTRACTS, (customer,)),
        ("order count", view._ORDER_COUNT, (customer,)),
        ("orders, newest first", view._ORDERS, (customer, 10, 0)),
        ("order lines", view._ORDER_LINES, (order_ids,)),
        ("display items", catalog._DISPLAY_ITEMS,
         (display_ids, subject["pricelist_id"], "")),
        ("items with stock", catalog._ITEMS, (display_ids, subject["market_id"])),
    ]


# A planner may read a table of a few pages whole, index or not: only larger ones count.
LARGE = 10_000


def unindexed(plan: str, sizes: dict[str, int]) -> list[str]:
    """The large customer-sized tables the plan reads whole (PostgreSQL: a sequential scan;
    SQLite: a SCAN without an index, by table name where the statement gives no alias)."""
    scanned = re.findall(r"Seq Scan on (\w+)", plan) + [
        m.group(1) for m in re.finditer(r"^SCAN (\w+)(?!.*USING)", plan, re.MULTILINE)]
    return [table for table in scanned if sizes.get(table, 0) >= LARGE]


async def postgres(url: str) -> tuple[list[tuple[str, str]], dict[str, int]]:
    import asyncpg

    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql")
                                 .render_as_string(hide_password=False))
    try:
        subject = dict(await conn.fetchrow(_SUBJECT.pg))
        order_ids = [r["id"] for r in await conn.fetch(view._ORDERS.pg, subject["id"], 10, 0)]
        display_ids = [r["display_item_id"] for r in await conn.fetch(
            view._ORDER_LINES.pg, order_ids) if r["display_item_id"] is not None]
        plans = []
        for name, query, args in statements(subject, order_ids, sorted(set(display_ids))):
            rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + query.pg, *args)
            plans.append((name, "\n".join(r[0] for r in rows)))
        sizes = {table: await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
                 for table in GROWING}
        return plans, sizes
    finally:
        await conn.close()


def sqlite(url: str) -> tuple[list[tuple[str, str]], dict[str, int]]:
    conn = sqlite3.connect(make_url(url).database or "")
    conn.row_factory = sqlite3.Row
    subject = dict(conn.execute(_SUBJECT.sqlite).fetchone())
    order_ids = [r["id"] for r in conn.execute(view._ORDERS.sqlite, (subject["id"], 10, 0))]
    display_ids = sorted({r["display_item_id"] for r in conn.execute(
        view._ORDER_LINES.sqlite, view._ORDER_LINES.sqlite_args([order_ids]))
        if r["display_item_id"] is not None})
    plans = []
    for name, query, args in statements(subject, order_ids, display_ids):
        rows = conn.execute("EXPLAIN QUERY PLAN " + query.sqlite, query.sqlite_args(args))
        plans.append((name, "\n".join(r["detail"] for r in rows)))
    sizes = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
             for table in GROWING}
    return plans, sizes


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    url = sys.argv[1]
    plans, sizes = asyncio.run(postgres(url)) if url.startswith("postgres") else sqlite(url)
    print("rows: " + ", ".join(f"{table} {count:,}" for table, count in sizes.items()) + "\n")
    bad = []
    for name, plan in plans:
        print(f"-- {name}\n{plan}\n")
        bad += [f"{name}: {table}" for table in unindexed(plan, sizes)]
    if bad:
        print("read without an index: " + ", ".join(bad))
        return 1
    print(f"{len(plans)} statements, each reads customer-sized tables through an index")
    return 0


if __name__ == "__main__":
    sys.exit(main())
