"""Order and subscription-contract workflows of the back-office, and the customer's own
changes to their subscriptions, one function each.

Each takes plain values, runs in its own transaction, and returns the record as the
back-office shows it, or raises a ``DomainError`` (nothing was changed) whose paths start
below the operation's arguments. An import records its orders with ``orders.record`` inside
its own, single transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.accounts import view
from dtc_api.orders import orders
from dtc_api.shop.geography import Geography
from dtc_api.store.db import Database


async def order_summary(db: Database, places: Geography, number: int) -> dict[str, Any] | None:
    async with db.read() as conn:
        return await orders.summary(conn, places, number)


async def list_orders(db: Database, places: Geography, page: int, limit: int,
                      status: str | None) -> dict[str, Any]:
    """The back-office's ``orders``: newest first, checkout's and recorded ones alike."""
    async with db.read() as conn:
        return await orders.listing(conn, places, page, limit, status)


async def create_order(db: Database, places: Geography, data: dict[str, Any],
                       now: dt.datetime) -> dict[str, Any] | None:
    """Record an order (``data``: an OrderInput); returns its summary."""
    async with db.write() as conn:
        await orders.record(conn, places, data, now)
        return await orders.summary(conn, places, data["number"])


async def update_order_status(db: Database, places: Geography, number: int, status: str
                              ) -> dict[str, Any] | None:
    async with db.write() as conn:
        await orders.update_status(conn, number, status)
        return await orders.summary(conn, places, number)


async def create_subscription_contract(db: Database, places: Geography, data: dict[str, Any],
                                       now: dt.datetime) -> dict[str, Any] | None:
    """Record a subscription contract (``data``: a SubscriptionContractInput)."""
    async with db.write() as conn:
        contract_id = await orders.record_contract(conn, places, data, now)
        return await orders.contract_summary(conn, contract_id)


async def update_subscription_contract(db: Database, places: Geography, contract_id: int,
                                       data: dict[str, Any], now: dt.datetime
                                       ) -> dict[str, Any] | None:
    async with db.write() as conn:
        await orders.update_contract(conn, places, contract_id, data, now)
        return await orders.contract_summary(conn, contract_id)


async def change_subscription(db: Database, geography: Geography, customer_id: int,
                              change: Callable[[AsyncConnection], Awaitable[int]]
                              ) -> dict[str, Any]:
    """One of the customer's changes to their subscriptions (``change(conn)`` returns the
    contract's id): the contract as it is afterwards."""
    async with db.write() as conn:
        contract_id = await change(conn)
    contracts = await db.reads(view.subscription_contracts, geography, customer_id)
    return next(c for c in contracts if c["id"] == contract_id)
