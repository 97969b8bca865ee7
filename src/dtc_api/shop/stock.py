"""Stock levels: units of an item per warehouse, as the back-office and imports set them."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core.errors import Code, DomainError, UserError
from dtc_api.core.progress import EVERY, SILENT, Progress
from dtc_api.marketing import back_in_stock
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t
from dtc_api.store.upsert import upsert


async def stock_of(conn: AsyncConnection, item: str) -> dict[str, Any] | None:
    """The item's units per warehouse (by warehouse key), or None for an unknown item."""
    if await conn.scalar(sa.select(t.items.c.id).where(t.items.c.id == item)) is None:
        return None
    rows = await conn.execute(
        sa.select(t.warehouses.c.key, t.stock.c.quantity)
        .join(t.stock, t.stock.c.warehouse_id == t.warehouses.c.id)
        .where(t.stock.c.item_id == item).order_by(t.warehouses.c.key))
    return {"item": item, "warehouses": [{"warehouse": key, "quantity": quantity}
                                         for key, quantity in rows]}


async def set_quantity(conn: AsyncConnection, item: str, warehouse_key: str,
                       quantity: int) -> None:
    """Set the item's units in a warehouse; refuses (with every reason) and changes nothing
    when the quantity is negative or the item or warehouse is unknown."""
    errors = []
    if quantity < 0:
        errors.append(UserError("quantity must not be negative", ("quantity",),
                                code=Code.OUT_OF_RANGE))
    warehouse = await conn.scalar(
        sa.select(t.warehouses.c.id).where(t.warehouses.c.key == warehouse_key))
    if warehouse is None:
        errors.append(UserError(f"warehouse {warehouse_key} not found", ("warehouse",),
                                code=Code.NOT_FOUND))
    if await conn.scalar(sa.select(t.items.c.id).where(t.items.c.id == item)) is None:
        errors.append(UserError(f"item {item} not found", ("item",), code=Code.NOT_FOUND))
    if errors:
        raise DomainError(*errors)
    await upsert(conn, t.stock, [{"item_id": item, "warehouse_id": warehouse,
                                  "quantity": quantity}], ["item_id", "warehouse_id"])


async def set_stock(conn: AsyncConnection, places: Geography, item: str, warehouse_key: str,
                    quantity: int, now: dt.datetime) -> int:
    """Set the item's units in a warehouse; returns the back-in-stock e-mails it queued."""
    await set_quantity(conn, item, warehouse_key, quantity)
    return await back_in_stock.notify_available(conn, places, item, now) if quantity > 0 else 0


async def set_stocks(conn: AsyncConnection, places: Geography, rows: list[dict[str, Any]],
                     now: dt.datetime, prefix: tuple[str, ...],
                     progress: Progress = SILENT) -> int:
    """``set_stock`` for each row (``item``, ``warehouse``, ``quantity``); an error's path is
    ``(*prefix, row index, field)``. Returns the e-mails queued."""
    queued = 0
    for index, row in enumerate(rows):
        if index % EVERY == 0:
            progress.update(index)
        try:
            queued += await set_stock(conn, places, row["item"], row["warehouse"],
                                      row["quantity"], now)
        except DomainError as refused:
            raise DomainError(*(replace(e, path=(*prefix, str(index), *e.path))
                                for e in refused.errors)) from None
    return queued
