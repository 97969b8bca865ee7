"""Wishlists: a default one created on first use; adding and removing are idempotent."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core.errors import Code, invalid
from dtc_api.store import tables as t
from dtc_api.store.upsert import upsert

DEFAULT_NAME = "Wishlist"


async def _owned(conn: AsyncConnection, customer_id: int, wishlist_id: int) -> bool:
    owner = await conn.scalar(
        sa.select(t.wishlists.c.customer_id).where(t.wishlists.c.id == wishlist_id))
    return owner == customer_id


async def _default(conn: AsyncConnection, customer_id: int, now: dt.datetime) -> int:
    query = sa.select(t.wishlists.c.id).where(
        t.wishlists.c.customer_id == customer_id, t.wishlists.c.is_default)
    found = await conn.scalar(query)
    if found is not None:
        return int(found)
    try:
        async with conn.begin_nested():
            return int((await conn.execute(sa.insert(t.wishlists).values(
                customer_id=customer_id, name=DEFAULT_NAME, is_default=True, created_at=now,
            ).returning(t.wishlists.c.id))).scalar_one())
    except IntegrityError:  # another request of the customer created it just now
        return int(await conn.scalar(query))


async def _check_display_item(conn: AsyncConnection, display_item_id: int) -> None:
    exists = await conn.scalar(
        sa.select(t.display_items.c.id).where(t.display_items.c.id == display_item_id))
    if exists is None:
        raise invalid(f"display item {display_item_id} not found", "displayItemId",
                      code=Code.NOT_FOUND)


async def add_item(conn: AsyncConnection, customer_id: int, display_item_id: int,
                   wishlist_id: int | None, now: dt.datetime) -> int:
    """Returns the wishlist's id."""
    await _check_display_item(conn, display_item_id)
    if wishlist_id is None:
        wishlist_id = await _default(conn, customer_id, now)
    elif not await _owned(conn, customer_id, wishlist_id):
        raise invalid(f"wishlist {wishlist_id} not found", "wishlistId", code=Code.NOT_FOUND)
    await upsert(conn, t.wishlist_items, [{"wishlist_id": wishlist_id,
                                           "display_item_id": display_item_id,
                                           "created_at": now}],
                 ["wishlist_id", "display_item_id"], update=False)
    return wishlist_id


async def remove_item(conn: AsyncConnection, customer_id: int, display_item_id: int,
                      wishlist_id: int) -> int:
    await _check_display_item(conn, display_item_id)
    if not await _owned(conn, customer_id, wishlist_id):
        raise invalid(f"wishlist {wishlist_id} not found", "wishlistId", code=Code.NOT_FOUND)
    await conn.execute(sa.delete(t.wishlist_items).where(
        t.wishlist_items.c.wishlist_id == wishlist_id,
        t.wishlist_items.c.display_item_id == display_item_id))
    return wishlist_id
