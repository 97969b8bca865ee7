"""The operator's side of customers: search, block logins, erase a customer's personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access.sessions import end_customer_sessions
from dtc_api.core import validate
from dtc_api.core.errors import Code, DomainError, invalid
from dtc_api.store import tables as t

MAX_LIMIT = 100


def _not_found(customer_id: int) -> DomainError:
    return invalid(f"customer {customer_id} not found", "id", code=Code.NOT_FOUND)


def _summary(row: Any, orders: int) -> dict[str, Any]:
    return {"id": row["id"], "email": row["email"], "firstName": row["first_name"],
            "lastName": row["last_name"], "registered": row["registered"],
            "loginBlocked": row["login_blocked"], "createdAt": row["created_at"].isoformat(),
            "totalOrders": orders}


async def search(conn: AsyncConnection, text: str | None, page: int, limit: int
                 ) -> dict[str, Any]:
    """Customers whose e-mail or name contains ``text`` (case-insensitive), newest first."""
    offset = validate.page(page, limit, MAX_LIMIT)
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
        .order_by(customers.c.id.desc()).limit(limit).offset(offset)
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
        raise _not_found(customer_id)
    if blocked:
        await end_customer_sessions(conn, customer_id)


async def erase(conn: AsyncConnection, customer_id: int, now: dt.datetime) -> None:
    """A data-protection erasure: the account and everything that names the person go;
    orders stay for the books, detached and without addresses."""
    row = (await conn.execute(sa.select(t.customers.c.email_key)
                              .where(t.customers.c.id == customer_id))).first()
    if row is None:
        raise _not_found(customer_id)
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
    await end_customer_sessions(conn, customer_id)
    # Consents, attributes, wishlists, contracts and reset links go with the row.
    await conn.execute(sa.delete(t.customers).where(t.customers.c.id == customer_id))
