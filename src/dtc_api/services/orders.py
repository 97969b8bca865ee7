"""Orders as recorded for a customer (written by the back-office; read in `customer`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.services.errors import invalid
from dtc_api.store import tables as t

STATUSES = {"ARCHIVED", "CONFIRMED", "DELETED", "PENDING", "PROCESSING", "SHIPPED"}


@dataclass(frozen=True)
class OrderLine:
    item_id: str
    quantity: int
    unit_price_minor: int


async def create(
    conn: AsyncConnection,
    *,
    number: int,
    customer_id: int | None,
    order_date: dt.datetime,
    status: str,
    pricelist_id: int,
    lines: Sequence[OrderLine],
    country_code: str | None = None,
    state_code: str | None = None,
    language_code: str | None = None,
    market_id: int | None = None,
    billing_address: Mapping[str, Any] | None = None,
    shipping_address: Mapping[str, Any] | None = None,
    shipping_minor: int = 0,
    comment: str | None = None,
    now: dt.datetime,
) -> int:
    if status not in STATUSES:
        raise invalid(f"status must be one of {', '.join(sorted(STATUSES))}", "status")
    if not lines:
        raise invalid("an order needs at least one line", "lines")
    items = {
        row.id: row for row in await conn.execute(
            sa.select(t.items.c.id, t.items.c.display_item_id, t.display_items.c.name)
            .join(t.display_items, t.display_items.c.id == t.items.c.display_item_id)
            .where(t.items.c.id.in_([line.item_id for line in lines])))
    }
    for index, line in enumerate(lines):
        if line.item_id not in items:
            raise invalid(f"item {line.item_id} not found", "lines", str(index), "item")
        if line.quantity < 1:
            raise invalid("quantity must be positive", "lines", str(index), "quantity")
    currency_id = await conn.scalar(
        sa.select(t.pricelists.c.currency_id).where(t.pricelists.c.id == pricelist_id))
    if currency_id is None:
        raise invalid(f"pricelist {pricelist_id} not found", "pricelist")
    subtotal = sum(line.quantity * line.unit_price_minor for line in lines)
    totals = [{"type": "ITEMS_SUBTOTAL", "minor": subtotal},
              {"type": "SHIPPING", "minor": shipping_minor},
              {"type": "GRAND_TOTAL", "minor": subtotal + shipping_minor}]
    order_id = (await conn.execute(sa.insert(t.orders).values(
        number=number, customer_id=customer_id, order_date=order_date, status=status,
        country_code=country_code, state_code=state_code, language_code=language_code,
        market_id=market_id, pricelist_id=pricelist_id, currency_id=currency_id,
        billing_address=dict(billing_address) if billing_address else None,
        shipping_address=dict(shipping_address) if shipping_address else None,
        totals=totals, comment=comment, created_at=now,
    ).returning(t.orders.c.id))).scalar_one()
    await conn.execute(sa.insert(t.order_lines), [
        {"order_id": order_id, "item_id": line.item_id,
         "display_item_id": items[line.item_id].display_item_id,
         "name": items[line.item_id].name, "quantity": line.quantity,
         "unit_price_minor": line.unit_price_minor,
         "line_value_minor": line.quantity * line.unit_price_minor}
        for line in lines
    ])
    return int(order_id)


async def create_subscription_contract(
    conn: AsyncConnection, *, customer_id: int, pricelist_id: int, market_id: int | None,
    shipping_address: Mapping[str, Any], now: dt.datetime,
) -> int:
    return int((await conn.execute(sa.insert(t.subscription_contracts).values(
        customer_id=customer_id, pricelist_id=pricelist_id, market_id=market_id,
        shipping_address=dict(shipping_address), created_at=now, updated_at=now,
    ).returning(t.subscription_contracts.c.id))).scalar_one())
