"""From paymentInstructions to a stored order, in-process (the HTTP transport aside).

Usage: python bench/checkout.py [--orders 100] [--database-url postgresql://…/db]

A fresh database with the demo data (SQLite in a temporary directory, or the PostgreSQL
database given, which is emptied first), an API client offering the test payment method,
then per order: a new shopper session, two units in the cart, and the timed part:
``paymentInstructions`` (address, Standard shipping, the test method: stock taken, the
payment started) and ``paymentResult`` with the form's fields (the order made, the selection
emptied, the confirmation queued). Prints the median, p90 and max in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dtc_api import demo  # noqa: E402
from dtc_api.access import clients  # noqa: E402
from dtc_api.app import create_app  # noqa: E402
from dtc_api.clock import SystemClock  # noqa: E402
from dtc_api.config import Settings  # noqa: E402
from dtc_api.shop import imports  # noqa: E402
from dtc_api.store.db import Database  # noqa: E402
from dtc_api.store.migrate import upgrade  # noqa: E402

INSTRUCTIONS = """mutation($input: PaymentInstructionsInput!) { paymentInstructions(input: $input) {
  action { ... on FormPaymentAction { html } } userErrors { message } } }"""
RESULT = """mutation($fields: Map!) { paymentResult(paymentMethodFields: $fields) {
  type ... on PaymentResultSuccessPayload { order { number } } userErrors { message } } }"""
ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
           "address1": "Drottninggatan 5", "city": "Stockholm", "zipCode": "11151",
           "country": "SE"}


async def _reset_postgres(url: str) -> None:
    db = Database(url, pool_size=1)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            await conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        await db.dispose()


async def _prepare(url: str) -> str:
    db = Database(url, pool_size=1)
    try:
        await upgrade(db)
        await demo.load(db, SystemClock())
        async with db.write() as conn:
            credentials = await clients.create(conn, "bench-checkout", SystemClock().now(),
                                               default_country_code="SE")
            await imports.apply(conn, {
                "paymentMethods": [{"id": 90, "client": "bench-checkout", "name": "Card",
                                    "uri": "card", "plugin": "test", "kind": "ADYEN_DROPIN"}],
                "stock": [{"item": "1-2", "warehouse": "main", "quantity": 1_000_000}]},
                SystemClock().now())
        return credentials.session_token
    finally:
        await db.dispose()


async def _call(http: httpx.AsyncClient, token: str, query: str,
                variables: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}},
                               headers={"authorization": f"Bearer {token}"})
    answer = response.json()
    if response.status_code != 200 or "errors" in answer:
        raise RuntimeError(f"{query[:40]}…: {answer}")
    return answer["data"], answer["extensions"]["token"]


async def run(url: str, orders: int) -> list[float]:
    client_token = await _prepare(url)
    settings = Settings(database_url=url, db_pool_size=5)
    app = create_app(settings)
    timings = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for _ in range(orders):
                _, token = await _call(http, client_token, "{ session { country { code } } }")
                await _call(http, token, 'mutation { addItem(item: "1-2", quantity: 2) { '
                                         "userErrors { message } } }")
                started = time.perf_counter()
                data, token = await _call(http, token, INSTRUCTIONS, {"input": {
                    "shippingAddress": ADDRESS, "shippingMethod": 1, "paymentMethod": 90,
                    "termsAndConditions": True,
                    "paymentReturnPage": "https://shop.example/success",
                    "paymentFailedPage": "https://shop.example/failed"}})
                html = data["paymentInstructions"]["action"]["html"]
                key = re.search(r'name="dtcPayment" value="([^"]+)"', html)[1]  # type: ignore[index]
                data, token = await _call(http, token, RESULT, {
                    "fields": {"dtcPayment": key, "result": "confirm"}})
                timings.append((time.perf_counter() - started) * 1000)
                if data["paymentResult"]["type"] != "SUCCESS":
                    raise RuntimeError(data)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        url = args.database_url or f"sqlite+aiosqlite:///{work}/checkout.db"
        if args.database_url:
            asyncio.run(_reset_postgres(url))
        timings = asyncio.run(run(url, args.orders))
    backend = "PostgreSQL" if args.database_url else "SQLite"
    ordered = sorted(timings)
    print(f"{backend}: {len(timings)} orders, paymentInstructions → stored order: "
          f"median {statistics.median(timings):.1f} ms, "
          f"p90 {ordered[int(len(ordered) * 0.9)]:.1f} ms, max {ordered[-1]:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
