"""Restock of one item with many waiting back-in-stock subscriptions: statements and time.

Usage: python bench/restock.py [--subscriptions 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

import sqlalchemy as sa
from sqlalchemy import event

from dtc_api import demo
from dtc_api.clock import SystemClock
from dtc_api.marketing import back_in_stock
from dtc_api.shop import geography
from dtc_api.store import tables as t
from dtc_api.store.db import Database
from dtc_api.store.migrate import upgrade


async def main(count: int, database_url: str | None) -> None:
    url = database_url or f"sqlite:///{tempfile.mkdtemp()}/restock.db"
    db = Database(url)
    await upgrade(db)
    await demo.load(db, SystemClock())
    now = SystemClock().now()
    languages = ["en", "sv", "de"]
    async with db.write() as conn:
        await conn.execute(sa.insert(t.back_in_stock_subscriptions), [
            {"email": f"s{n}@example.com", "email_key": f"s{n}@example.com", "item_id": "10-1",
             "country_code": "SE", "state_code": "", "language_code": languages[n % 3],
             "created_at": now} for n in range(count)])
    places = await geography.load(db)
    sent: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute",
                 lambda *args: sent.append(args[2]))
    started = time.perf_counter()
    async with db.write() as conn:
        queued = await back_in_stock.set_stock(conn, places, "10-1", "main", 5, now)
    elapsed = time.perf_counter() - started
    statements = [s for s in sent if not s.startswith(("BEGIN", "COMMIT"))]
    print(f"restock of 10-1 with {count} waiting subscriptions: {queued} e-mails queued in "
          f"{elapsed * 1000:.0f} ms, {len(statements)} SQL statements "
          f"({len(sent)} with BEGIN/COMMIT)")
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    asyncio.run(main(args.subscriptions, args.database_url))
