"""Back-in-stock subscriptions, and the notification they exist for.

A waiting subscription is notified exactly once: the UPDATE that sets ``notified_at`` only
matches rows where it is still null, and the e-mail is queued in the same transaction, so
repeated or concurrent stock changes (or several workers) cannot notify it twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.accounts import profile
from dtc_api.core.errors import DomainError, UserError
from dtc_api.mail import outbox
from dtc_api.mail.render import render
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t


async def validate(conn: AsyncConnection, geography: Geography, data: dict[str, Any],
                   logged_in_email: str | None) -> dict[str, Any]:
    errors = []
    email = data.get("email")
    if email is None or not email.strip():
        email = logged_in_email
        if email is None:
            errors.append(UserError("email is required unless the shopper is logged in",
                                    ("input", "email")))
    elif len(email) > 254:
        errors.append(UserError("invalid e-mail address: too long", ("input", "email")))
    else:
        try:
            email = profile.normalise_email(email.strip())
        except ValueError as error:
            errors.append(UserError(f"invalid e-mail address: {error}", ("input", "email")))
    item = data["item"]
    exists = await conn.scalar(sa.select(t.items.c.id).where(t.items.c.id == item)) \
        if len(item) <= 64 else None
    if exists is None:
        errors.append(UserError(f"item {item} not found", ("input", "item")))
    ship_to = data["shipTo"]
    country = ship_to["countryCode"].strip().upper()
    state = (ship_to.get("stateCode") or "").strip()
    if country not in geography.countries:
        errors.append(UserError("country not found", ("input", "shipTo", "countryCode")))
    elif state and geography.state(country, state) is None:
        errors.append(UserError("state not found", ("input", "shipTo", "stateCode")))
    language = data.get("languageCode")
    if language is not None and geography.language(language) is None:
        errors.append(UserError("language not found", ("input", "languageCode")))
    if errors:
        raise DomainError(*errors)
    return {"email": email, "email_key": profile.email_key(email), "item_id": item,
            "country_code": country, "state_code": state, "language_code": language}


async def subscribe(conn: AsyncConnection, values: dict[str, Any], customer_id: int | None,
                    client_id: int, now: dt.datetime) -> None:
    """Idempotent: a second identical subscription while the first waits changes nothing."""
    table = t.back_in_stock_subscriptions
    waiting = await conn.scalar(sa.select(table.c.id).where(
        table.c.email_key == values["email_key"], table.c.item_id == values["item_id"],
        table.c.country_code == values["country_code"],
        table.c.state_code == values["state_code"], table.c.notified_at.is_(None)))
    if waiting is not None:
        return
    await conn.execute(sa.insert(table).values(
        **values, customer_id=customer_id, client_id=client_id, created_at=now))


async def notify_available(conn: AsyncConnection, geography: Geography, item_id: str,
                           now: dt.datetime) -> int:
    """Queue one e-mail for each waiting subscription to ``item_id`` whose ship-to country's
    market now has stock; returns how many."""
    markets = await _markets_with_stock(conn, item_id)
    countries = [code for code in geography.countries
                 if geography.market_and_pricelist(code)[0] in markets]
    if not countries:
        return 0
    table = t.back_in_stock_subscriptions
    claimed = (await conn.execute(
        sa.update(table).where(table.c.item_id == item_id, table.c.notified_at.is_(None),
                               table.c.country_code.in_(countries))
        .values(notified_at=now)
        .returning(table.c.email, table.c.language_code, table.c.client_id)
    )).all()
    if not claimed:
        return 0
    product = (await conn.execute(
        sa.select(t.display_items.c.name, t.display_items.c.uri, t.items.c.name.label("size"))
        .join(t.items, t.items.c.display_item_id == t.display_items.c.id)
        .where(t.items.c.id == item_id))).one()
    frontends = dict((await conn.execute(
        sa.select(t.api_clients.c.id, t.api_clients.c.frontend_url))).all())
    messages = []
    for email, language, client_id in claimed:
        base = (frontends.get(client_id) or "").rstrip("/")
        messages.append((email, render("back_in_stock", language, {
            "product": product.name, "size": product.size,
            "link": f"{base}/{product.uri}" if base else product.uri})))
    await outbox.enqueue_many(conn, "back_in_stock", messages, now)
    return len(claimed)


async def _markets_with_stock(conn: AsyncConnection, item_id: str) -> set[int]:
    rows = await conn.execute(
        sa.select(t.warehouse_markets.c.market_id)
        .join(t.stock, t.stock.c.warehouse_id == t.warehouse_markets.c.warehouse_id)
        .where(t.stock.c.item_id == item_id, t.stock.c.quantity > 0).distinct())
    return {row.market_id for row in rows}


async def set_stock(conn: AsyncConnection, geography: Geography, item_id: str,
                    warehouse_key: str, quantity: int, now: dt.datetime) -> int:
    """Set an item's stock in a warehouse; returns the notifications it queued."""
    errors = []
    if quantity < 0:
        errors.append(UserError("quantity must not be negative", ("quantity",)))
    warehouse = await conn.scalar(
        sa.select(t.warehouses.c.id).where(t.warehouses.c.key == warehouse_key))
    if warehouse is None:
        errors.append(UserError(f"warehouse {warehouse_key} not found", ("warehouse",)))
    if await conn.scalar(sa.select(t.items.c.id).where(t.items.c.id == item_id)) is None:
        errors.append(UserError(f"item {item_id} not found", ("item",)))
    if errors:
        raise DomainError(*errors)
    from dtc_api.store.upsert import upsert

    await upsert(conn, t.stock, [{"item_id": item_id, "warehouse_id": warehouse,
                                  "quantity": quantity}], ["item_id", "warehouse_id"])
    return await notify_available(conn, geography, item_id, now) if quantity > 0 else 0


