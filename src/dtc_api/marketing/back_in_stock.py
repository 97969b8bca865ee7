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

from dtc_api.core import validate as valid
from dtc_api.core.errors import Code, DomainError, UserError
from dtc_api.mail import outbox
from dtc_api.mail.render import render
from dtc_api.marketing.wording import worded
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t


async def validate(conn: AsyncConnection, geography: Geography, data: dict[str, Any],
                   logged_in_email: str | None) -> dict[str, Any]:
    """The subscription's columns, or a DomainError with every refusal at its input path."""
    errors: list[UserError | None] = []
    email = data.get("email")
    if email is None or not email.strip():
        email = logged_in_email
        if email is None:
            errors.append(UserError("email is required unless the shopper is logged in",
                                    ("input", "email"), code=Code.REQUIRED))
    else:
        try:
            email = valid.email(email, "input", "email")
        except DomainError as refused:
            errors.extend(refused.errors)
    item = data["item"]
    if not await _item_exists(conn, item):
        errors.append(UserError(f"item {item} not found", ("input", "item"),
                                code=Code.NOT_FOUND))
    country, state = _ship_to(geography, data["shipTo"], errors)
    language = data.get("languageCode")
    if language is not None:
        errors.append(worded(valid.language_error(geography, language, "input",
                                                  "languageCode"), "language not found"))
    refusals = [error for error in errors if error is not None]
    if refusals:
        raise DomainError(*refusals)
    return {"email": email, "email_key": valid.email_key(email), "item_id": item,
            "country_code": country, "state_code": state, "language_code": language}


def _ship_to(geography: Geography, ship_to: dict[str, Any],
             errors: list[UserError | None]) -> tuple[str, str]:
    """(country, state or ""); a state is checked only when given."""
    country = ship_to["countryCode"].strip().upper()
    state = (ship_to.get("stateCode") or "").strip()
    unknown = valid.country_error(geography, country, "input", "shipTo", "countryCode")
    if unknown is not None:
        errors.append(worded(unknown, "country not found"))
    elif state:
        path = ("input", "shipTo", "stateCode")
        # The shared check ignores a state of a country without states; this one refuses it.
        refused = (valid.state_error(geography, country, state, *path)
                   if geography.states.get(country)
                   else UserError("", path, code=Code.UNKNOWN_STATE))
        errors.append(worded(refused, "state not found"))
    return country, state


async def _item_exists(conn: AsyncConnection, item_id: str) -> bool:
    if len(item_id) > 64:  # items.id: no such item, and no query
        return False
    return await conn.scalar(sa.select(t.items.c.id).where(t.items.c.id == item_id)) \
        is not None


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
