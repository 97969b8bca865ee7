"""Marketing workflows, one function each, for the storefront, the back-office and the CLI.

Each takes plain values, runs in its own transaction, and returns plain values or raises a
``DomainError`` (nothing was changed) whose paths start below the operation's arguments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from dtc_api.accounts import customers
from dtc_api.config import Settings
from dtc_api.core import limits
from dtc_api.core.errors import Code, DomainError, UserError, invalid
from dtc_api.marketing import admin, back_in_stock, newsletter
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t
from dtc_api.store.db import Database


async def subscribe_to_newsletter(
    db: Database, settings: Settings, places: Geography, *, client: dict[str, Any],
    customer_id: int | None, client_ip: str | None, email: str, info: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Sign ``email`` up (see ``newsletter.subscribe``). ``info`` is the additionalInfo
    argument: countryCode, languageCode, gender and the honeypot ``emailField``."""
    address, country, language = newsletter.validate(places, email, info)
    ceiling = limits.limit(settings, client, "newsletterPerIpPerHour")
    async with db.write() as conn:
        # A bot (honeypot filled in) and a sign-up over the limit get the very answer a real
        # one gets: they must not learn that they failed.
        if (await limits.count(conn, "newsletterPerIpPerHour", ceiling, client_ip, now)).over:
            return
        if info.get("emailField"):
            await newsletter.record_bot(conn, client, now)
            return
        await newsletter.subscribe(conn, email=address, country=country, language=language,
                                   gender=info.get("gender"), client=client,
                                   logged_in=customer_id, now=now)


async def unsubscribe_from_newsletter(db: Database, token: str, now: dt.datetime) -> None:
    """End the subscription that an e-mailed unsubscribe link names."""
    async with db.write() as conn:
        if not await newsletter.unsubscribe(conn, token, now):
            raise _invalid_link()


async def confirm_newsletter_subscription(db: Database, token: str, now: dt.datetime) -> None:
    """Start the subscription that an e-mailed confirmation link names (double opt-in)."""
    async with db.write() as conn:
        if not await newsletter.confirm(conn, token, now):
            raise _invalid_link()


def _invalid_link() -> DomainError:
    return invalid("invalid link", "token", code=Code.INVALID_LINK)


async def newsletter_unsubscribe_link(db: Database, email: str, client_name: str,
                                      now: dt.datetime) -> str:
    """The signed unsubscribe link of ``email`` on the frontend of the API client
    ``client_name`` (for the shop's own mailer)."""
    async with db.write() as conn:
        base = await conn.scalar(sa.select(t.api_clients.c.frontend_url)
                                 .where(t.api_clients.c.name == client_name))
        token = await newsletter.unsubscribe_token(conn, email, now)
    return newsletter.unsubscribe_link(base or "", token)


async def subscribe_to_back_in_stock(
    db: Database, settings: Settings, places: Geography, *, client: dict[str, Any],
    customer_id: int | None, client_ip: str | None, input: dict[str, Any], now: dt.datetime,
) -> None:
    """Wait for an item to be back in stock in a ship-to country (the logged-in customer's
    e-mail unless ``input`` gives one)."""
    ceiling = limits.limit(settings, client, "backInStockPerIpPerHour")
    # A refusal rolls the transaction back, and with it this request's count.
    async with db.write() as conn:
        if (await limits.count(conn, "backInStockPerIpPerHour", ceiling, client_ip, now)).over:
            raise DomainError(UserError(
                "too many subscriptions from this address: try again later", (),
                code=Code.RATE_LIMITED))
        customer = await customers.get_or_none(conn, customer_id)
        values = await back_in_stock.validate(conn, places, input,
                                              customer["email"] if customer else None)
        await back_in_stock.subscribe(conn, values, customer_id, client["id"], now)


async def newsletter_subscriptions(db: Database, since: str | None, limit: int
                                   ) -> dict[str, Any]:
    """The operator's feed of subscription changes after the cursor ``since``."""
    async with db.read() as conn:
        return await admin.newsletter_changes(conn, since, limit)


async def back_in_stock_subscriptions(db: Database, item: str | None, waiting: bool | None,
                                      page: int, limit: int) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return await admin.back_in_stock(conn, item, waiting, page, limit)


async def outbox_messages(db: Database, status: str | None, page: int, limit: int
                          ) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return await admin.outbox(conn, status, page, limit)


async def unsubscribe_newsletter(db: Database, email: str, now: dt.datetime) -> None:
    """The operator ends the subscription of ``email``."""
    async with db.write() as conn:
        await admin.unsubscribe(conn, email, now)


async def retry_outbox_message(db: Database, message_id: int, now: dt.datetime
                               ) -> dict[str, Any]:
    async with db.write() as conn:
        return await admin.retry(conn, message_id, now)
