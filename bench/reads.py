"""The read path in-process: the full customer fragment's data, and the token lookup.

Usage: python bench/reads.py [--customers 200] [--rounds 2000] [--database-url postgresql://…]

Builds the benchmark's data (bench/dataset.py: every customer with 10 orders of 3 lines, a
wishlist of 6 items, 2 attributes and a newsletter subscription) and times, per call:

- "customer data": everything the documents' full `customer { ...CustomerFragment }` needs
  before execution (the customer with every part, and 10 orders with their lines and display
  items), as the resolvers load it: one read unit of 12 statements (2 on PostgreSQL, where
  the customer's parts and orders with their lines are read in one batch);
- the same on SQLite with each unit run on a reader thread (one hop there and back per unit)
  instead of inline on the event loop, the alternative the read path was measured against;
- the per-request token lookup (one statement).

With --database-url, the data is built in a new database on that server, dropped at the end.

Prints the median and p99 in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402
from bench.__main__ import Postgres  # noqa: E402
from dtc_api.access import sessions, tokens  # noqa: E402
from dtc_api.accounts import view  # noqa: E402
from dtc_api.shop.geography import GeographyCache  # noqa: E402
from dtc_api.store.db import Database  # noqa: E402
from dtc_api.store.reads import SqliteReader, SqliteReads  # noqa: E402

FRAGMENT_PARTS = ("attributes", "newsletterSubscriptions", "wishlists", "subscriptionContracts",
                  "totalOrders")


def _drive(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends (a unit on a synchronous connection) to its end."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the read unit suspended")


class ThreadedReader:
    """Each unit on a reader thread with its own connection: one hop there and back."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = threading.local()

    def _unit(self, unit: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> Any:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = SqliteReader(self.path)._connect()
        conn.execute("BEGIN")
        try:
            return _drive(unit(SqliteReads(conn), *args))  # type: ignore[arg-type]
        finally:
            conn.execute("COMMIT")

    async def run(self, unit: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        return await asyncio.to_thread(self._unit, unit, args)


async def _time(rounds: int, call: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    for _ in range(min(200, rounds)):
        await call()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter_ns()
        await call()
        samples.append((time.perf_counter_ns() - started) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


async def main(database_url: str | None, customers: int, rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="dtc-reads-"))
    postgres = Postgres(database_url) if database_url else None
    if postgres is None:
        await _measure(f"sqlite:///{work / 'reads.db'}", customers, rounds, work)
        return
    await postgres._run(f'CREATE DATABASE "{postgres.name}"')  # a fresh one, dropped after
    try:
        await _measure(postgres.url, customers, rounds, work)
    finally:
        await postgres._run(f'DROP DATABASE IF EXISTS "{postgres.name}" WITH (FORCE)')


async def _measure(url: str, customers: int, rounds: int, work: Path) -> None:
    data = await dataset.build(url, customers, pool=1, anonymous=1, work=work)
    db = Database(url, pool_size=2)
    geography = await GeographyCache(db).get()
    token = data.logged_in_tokens.read_text().split()[0]
    digest = tokens.token_hash(token)
    row = await db.read_row(sessions.SESSION_BY_TOKEN, digest)
    assert row is not None and row["customer_id"] is not None, "no logged-in session"
    session = {"market_id": row["market_id"], "pricelist_id": row["pricelist_id"]}
    customer_id = row["customer_id"]

    async def customer_data(reader: Any) -> None:
        customer = await reader.run(view.view, geography, customer_id, session, FRAGMENT_PARTS,
                                    (10, 1))
        assert customer is not None and len(customer[view.PRELOADED_ORDERS][1]) == 10

    results = [("customer data (inline)" if db.is_sqlite else "customer data",
                await _time(rounds, lambda: customer_data(db.reader)))]
    if db.is_sqlite:
        threaded = ThreadedReader(db.url.database or "")
        results.append(("customer data (reader thread)",
                        await _time(rounds, lambda: customer_data(threaded))))
    results.append(("token lookup",
                    await _time(rounds, lambda: db.read_row(sessions.SESSION_BY_TOKEN, digest))))
    await db.dispose()
    print(f"{db.dialect}, {customers} customers, {rounds} rounds")
    print(f"{'':32} {'median µs':>10} {'p99 µs':>10}")
    for name, (median, p99) in results:
        print(f"{name:32} {median:10.0f} {p99:10.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.customers, args.rounds))
