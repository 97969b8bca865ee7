"""The operator's side of customers: search, block logins, erase a customer's personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core.errors import invalid
from dtc_api.store import tables as t

MAX_LIMIT = 100


def _summary(row: Any, orders: int) -> dict[str, Any]:
    return {"id": row["id"], "email": row["email"], "firstName": row["first_name"],
            "lastName": row["last_name"], "registered": row["registered"],
            "loginBlocked": row["login_blocked"], "createdAt": row["created_at"].isoformat(),
            "totalOrders": orders}


async def search(conn: AsyncConnection, text: str | None, page: int, limit: int
                 ) -> dict[str, Any]:
    """Customers whose e-mail or name contains ``text`` (case-insensitive), newest first."""
    if limit < 1 or limit > MAX_LIMIT:
        raise invalid(f"limit must be between 1 and {MAX_LIMIT}", "limit")
    if page < 1:
        raise invalid("page must be 1 or more", "page")
    customers = t.customers
    where = sa.true()
    if text:
        pattern = f"%{text.casefold().replace('%', '').replace('_', '')}%"
        where = sa.or_(customers.c.email_key.like(pattern),
                       sa.func.lower(customers.c.first_name).like(pattern),
                       sa.func.lower(customers.c.last_name).like(pattern))
    total = await conn.scalar(sa.select(sa.func.count()).select_from(customers).where(where))
    orders = (sa.select(sa.func.count()).select_from(t.orders)
              .where(t.orders.c.customer_id == customers.c.id).scalar_subquery())
    rows = (await conn.execute(
        sa.select(customers, orders.label("orders")).where(where)
        .order_by(customers.c.id.desc()).limit(limit).offset((page - 1) * limit)
    )).mappings().all()
    return {"customers": [_summary(row, row["orders"]) for row in rows], "total": total,
            "page": page, "limit": limit}


async def get(conn: AsyncConnection, customer_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(t.customers).where(t.customers.c.id == customer_id))
           ).mappings().first()
    if row is None:
        return None
    orders = await conn.scalar(sa.select(sa.func.count()).select_from(t.orders)
                               .where(t.orders.c.customer_id == customer_id))
    return _summary(row, orders)


async def set_login_blocked(conn: AsyncConnection, customer_id: int, blocked: bool) -> None:
    """Block (ending every session of the customer) or unblock logins."""
    result = await conn.execute(sa.update(t.customers).where(t.customers.c.id == customer_id)
                                .values(login_blocked=blocked))
    if result.rowcount != 1:
        raise invalid(f"customer {customer_id} not found", "id")
    if blocked:
        await conn.execute(sa.delete(t.sessions).where(t.sessions.c.customer_id == customer_id))


async def erase(conn: AsyncConnection, customer_id: int, now: dt.datetime) -> None:
    """A data-protection erasure: the account and everything that names the person go;
    orders stay for the books, detached and without addresses."""
    row = (await conn.execute(sa.select(t.customers.c.email_key)
                              .where(t.customers.c.id == customer_id))).first()
    if row is None:
        raise invalid(f"customer {customer_id} not found", "id")
    key = row.email_key
    await conn.execute(sa.update(t.orders).where(t.orders.c.customer_id == customer_id)
                       .values(customer_id=None, billing_address=None, shipping_address=None))
    for table in (t.newsletter_subscriptions, t.back_in_stock_subscriptions):
        await conn.execute(sa.delete(table).where(sa.or_(table.c.customer_id == customer_id,
                                                         table.c.email_key == key)))
    await conn.execute(sa.delete(t.login_failures).where(t.login_failures.c.email_key == key))
    await conn.execute(sa.delete(t.password_reset_requests)
                       .where(t.password_reset_requests.c.email_key == key))
    await conn.execute(sa.delete(t.outbox).where(
        sa.func.lower(t.outbox.c.recipient) == key, t.outbox.c.status != "sent"))
    # Sessions, consents, attributes, wishlists, contracts and reset links go with the row.
    await conn.execute(sa.delete(t.customers).where(t.customers.c.id == customer_id))
