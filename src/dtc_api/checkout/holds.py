"""Stock held for payments: taken from the market's warehouses when a payment starts, kept
when it is paid, returned when it fails, expires or is overtaken (the cart changed, a new
payment started).

Two checkouts of the last unit end in one hold and one refusal: the warehouse rows are read
locked (PostgreSQL; SQLite has one writer at a time) and every unit is planned before any is
taken.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core.errors import Code, UserError
from dtc_api.store import tables as t
from dtc_api.store.reads import Conn, Query, within

_NEEDED = Query(
    """SELECT l.item_id, l.quantity, i.preorder, NULL AS part_item, 0 AS part_quantity
    FROM selection_lines l JOIN items i ON i.id = l.item_id
    WHERE l.selection_id = $1 AND l.contents = ''
    UNION ALL
    SELECT l.item_id, l.quantity, i.preorder, p.item_id AS part_item, p.quantity AS part_quantity
    FROM selection_lines l JOIN selection_line_parts p ON p.line_id = l.id
    JOIN items i ON i.id = p.item_id WHERE l.selection_id = $1""", preorder="bool")
_STOCK = Query(
    """SELECT s.warehouse_id, s.quantity FROM stock s
    JOIN warehouse_markets w ON w.warehouse_id = s.warehouse_id AND w.market_id = $2
    WHERE s.item_id = $1 AND s.quantity > 0 ORDER BY s.warehouse_id FOR UPDATE OF s""")
_TAKE = Query("""UPDATE stock SET quantity = quantity - $3
    WHERE item_id = $1 AND warehouse_id = $2 AND quantity >= $3""")
_RETURN = Query("""UPDATE stock SET quantity = quantity + $3
    WHERE item_id = $1 AND warehouse_id = $2""")
_RESERVED = Query("SELECT item_id, warehouse_id, quantity FROM stock_reservations "
                  "WHERE payment_id = $1")
PAYMENT = Query(
    """SELECT id, public_id, session_id, selection_id, payment_method_id, plugin, status,
    snapshot, order_id, expires_at FROM payments WHERE public_id = $1 FOR UPDATE""",
    snapshot="json", expires_at="datetime")
_DROP_RESERVED = Query("DELETE FROM stock_reservations WHERE payment_id = $1")
_FINISH = Query("UPDATE payments SET status = $2, finished_at = $3, order_id = $4 WHERE id = $1")
_OPEN = Query("SELECT public_id FROM payments WHERE selection_id = $1 AND status = 'started'")
_DUE = Query("SELECT public_id FROM payments WHERE status = 'started' AND expires_at <= $1 "
             "ORDER BY expires_at LIMIT 100")


async def needed(conn: AsyncConnection, selection_id: int) -> dict[str, int]:
    """Units of each stocked item the selection's lines take (bundles: their parts)."""
    needed: dict[str, int] = defaultdict(int)
    for row in await (await within(conn)).all(_NEEDED, selection_id):
        if row["preorder"]:
            continue  # sold ahead of stock
        if row["part_item"] is None:
            needed[row["item_id"]] += row["quantity"]
        else:
            needed[row["part_item"]] += row["quantity"] * row["part_quantity"]
    return needed


async def reserve(conn: AsyncConnection, payment_id: int, selection_id: int, market_id: int
                  ) -> list[UserError]:
    """Take the selection's units from the market's warehouses (lowest id first). Refused
    as a whole, before anything is taken, when any item falls short."""
    reads = await within(conn)
    plan: list[tuple[str, int, int]] = []
    short = []
    for item_id, units in sorted((await needed(conn, selection_id)).items()):
        left = units
        for row in await reads.all(_STOCK, item_id, market_id):
            taken = min(left, row["quantity"])
            plan.append((item_id, row["warehouse_id"], taken))
            left -= taken
            if not left:
                break
        if left:
            short.append(UserError(f"item {item_id} is not available in the requested "
                                   "quantity", ("selection",), typename="UnavailableItem",
                                   code=Code.UNAVAILABLE,
                                   extra={"originalQuantity": units,
                                          "availableQuantity": units - left,
                                          "unavailableQuantity": left, "itemId": item_id,
                                          "displayItemId": int(item_id.partition("-")[0])}))
    if short:
        return short
    for item_id, warehouse_id, units in plan:
        if await reads.execute(_TAKE, item_id, warehouse_id, units) != 1:
            raise RuntimeError(f"stock of {item_id} changed under its lock")
    if plan:
        await conn.execute(sa.insert(t.stock_reservations), [
            {"payment_id": payment_id, "item_id": i, "warehouse_id": w, "quantity": n}
            for i, w, n in plan])
    return []


async def release(conn: Conn, payment_id: int) -> None:
    reads = await within(conn)
    for row in await reads.all(_RESERVED, payment_id):
        await reads.execute(_RETURN, row["item_id"], row["warehouse_id"], row["quantity"])
    await reads.execute(_DROP_RESERVED, payment_id)


async def finish(conn: Conn, payment: Mapping[str, Any], status: str,
                 now: dt.datetime, order_id: int | None = None) -> None:
    statements = await within(conn)
    if status != "paid":
        await release(statements, payment["id"])
    else:
        await statements.execute(_DROP_RESERVED, payment["id"])
    await statements.execute(_FINISH, payment["id"], status, now, order_id)


async def cancel_open(conn: Conn, selection_id: int, now: dt.datetime) -> None:
    """End the selection's payments still running (a new one starts: the cart may have
    changed), returning their stock."""
    for row in await (await within(conn)).all(_OPEN, selection_id):
        payment = await (await within(conn)).one(PAYMENT, row["public_id"])
        if payment is not None and payment["status"] == "started":
            await finish(conn, payment, "expired", now)


async def expire_due(conn: AsyncConnection, now: dt.datetime) -> int:
    """Expire payments past their time, returning their stock (the job loop)."""
    due = await (await within(conn)).all(_DUE, now)
    for row in due:
        payment = await (await within(conn)).one(PAYMENT, row["public_id"])
        if payment is not None and payment["status"] == "started":
            await finish(conn, payment, "expired", now)
    return len(due)
