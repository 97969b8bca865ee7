"""SQL statements sent for the seed's `customer { ...CustomerFragment }` query.

Usage: python bench/customer_statements.py [--orders 10] [--wishlists 2]
Runs in-process (ASGI transport) on a scratch SQLite database with the demo data.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dtc_api import demo
from dtc_api.app import create_app
from dtc_api.clock import SystemClock
from dtc_api.config import Settings
from dtc_api.orders import orders
from dtc_api.shop import wishlists
from dtc_api.store import reads
from dtc_api.store import tables as t
from dtc_api.store.db import Database
from dtc_api.store.migrate import upgrade
from tests.fragments import FOR_CUSTOMER

QUERY = "query { customer { ...CustomerFragment } }" + FOR_CUSTOMER


async def main(order_count: int, wishlist_count: int) -> None:
    url = f"sqlite:///{tempfile.mkdtemp()}/statements.db"
    db = Database(url)
    await upgrade(db)
    credentials = await demo.load(db, SystemClock())
    await db.dispose()
    app = create_app(Settings(database_url=url))
    async with LifespanManager(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        async def gql(token: str, query: str) -> dict:
            response = await http.post("/graphql", json={"query": query},
                                       headers={"authorization": f"Bearer {token}"})
            return response.json()

        answer = await gql(credentials.session_token, 'mutation { registerCustomer(input: {'
                           'password: "correct horse battery", loginOnSuccess: true, '
                           'billingAddress: {email: "s@example.com", firstName: "A", '
                           'lastName: "B", country: "SE"}}) { loggedIn { id } } }')
        token = answer["extensions"]["token"]
        customer_id = answer["data"]["registerCustomer"]["loggedIn"]["id"]
        runtime = app.state.runtime
        now = dt.datetime.now(dt.UTC)
        async with runtime.db.write() as conn:
            for number in range(1, order_count + 1):
                await orders.create(conn, number=number, customer_id=customer_id,
                                    order_date=now, status="SHIPPED", pricelist_id=1,
                                    lines=[orders.OrderLine("1-1", 1, 29900),
                                           orders.OrderLine("2-1", 1, 129900)], now=now)
            for index in range(wishlist_count):
                wishlist_id = None if index == 0 else (await conn.execute(
                    t.wishlists.insert().values(customer_id=customer_id, name=f"list {index}",
                                                is_default=False, created_at=now)
                    .returning(t.wishlists.c.id))).scalar_one()
                for display_item in (1, 2, 3):
                    await wishlists.add_item(conn, customer_id, display_item, wishlist_id, now)
        sent: list[str] = []
        event.listen(runtime.db.engine.sync_engine, "before_cursor_execute",
                     lambda *args: sent.append(args[2]))
        reads.observe(sent.append)  # the read path (store/reads.py)
        answer = await gql(token, QUERY)
        assert "errors" not in answer, answer
        queries = [s for s in sent if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
        print(f"customer {{ ...CustomerFragment }} with {order_count} orders and "
              f"{wishlist_count} wishlists: {len(queries)} SELECT statements "
              f"({len(sent)} with BEGIN/COMMIT), "
              f"{len(answer['data']['customer']['orders'])} orders returned")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--wishlists", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.wishlists))
