"""Newsletter subscriptions: idempotent re-subscription, optional double opt-in, and signed
unsubscribe and confirmation links."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import signing
from dtc_api.core import validate as valid
from dtc_api.core.errors import DomainError, UserError
from dtc_api.mail import outbox
from dtc_api.mail.render import render
from dtc_api.marketing.wording import worded
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t
from dtc_api.store.upsert import upsert

UNSUBSCRIBE = "newsletter-unsubscribe"
CONFIRM = "newsletter-confirm"


def validate(geography: Geography, email: str, info: dict[str, Any]
             ) -> tuple[str, str | None, str | None]:
    """(normalised e-mail, country, language) or a DomainError with the argument paths."""
    errors: list[UserError | None] = []
    try:
        normalised = valid.email(email, "email")
    except DomainError as refused:
        errors.extend(refused.errors)
        normalised = ""
    country = (info.get("countryCode") or "").strip().upper() or None
    if country is not None:
        errors.append(valid.country_error(geography, country, "additionalInfo", "countryCode"))
    language = (info.get("languageCode") or "").strip() or None
    if language is not None:
        errors.append(worded(valid.language_error(
            geography, language, "additionalInfo", "languageCode"), "language not found"))
    refusals = [error for error in errors if error is not None]
    if refusals:
        raise DomainError(*refusals)
    return normalised, country, language


async def subscribe(conn: AsyncConnection, *, email: str, country: str | None,
                    language: str | None, gender: str | None, client: dict[str, Any],
                    logged_in: int | None, now: dt.datetime) -> None:
    """Subscribe (again), linked to the registered customer whose e-mail it is, if any.

    Anyone may sign up any address, as on a paper form, so only the address's owner (logged
    in as the customer with this e-mail) may change an active subscription. Anyone else's
    sign-up of an active address changes nothing; of a new or ended one it starts the
    subscription with their country and language (or, with the client's double opt-in, waits
    for the link e-mailed to the address). The caller answers all of these alike, so the
    answer tells nobody whether or by whom an address is subscribed.
    """
    key = valid.email_key(email)
    owner = await conn.scalar(sa.select(t.customers.c.id).where(
        t.customers.c.email_key == key, t.customers.c.registered))
    table = t.newsletter_subscriptions
    existing = (await conn.execute(sa.select(table).where(table.c.email_key == key)
                                   .with_for_update())).mappings().first()
    active = existing is not None and existing["is_active"]
    if active and (logged_in is None or logged_in != owner):
        return
    double_opt_in = client["newsletter_double_opt_in"] and not active
    values = {
        "email_key": key, "email": email,
        "customer_id": owner or (existing["customer_id"] if existing else None),
        "country_code": country, "language_code": language, "gender": gender,
        "client_id": client["id"], "updated_at": now, "unsubscribed_at": None,
        "is_active": not double_opt_in,
        "confirmed_at": None if double_opt_in else (existing or {}).get("confirmed_at"),
        "created_at": existing["created_at"] if existing else now,
    }
    await upsert(conn, table, [values], ["email_key"])
    if double_opt_in:
        await _send_confirmation(conn, client, key, email, language, now)


async def _send_confirmation(conn: AsyncConnection, client: dict[str, Any], key: str,
                             email: str, language: str | None, now: dt.datetime) -> None:
    secret = await signing.key(conn, now)
    base = (client["frontend_url"] or "").rstrip("/")
    link = f"{base}/newsletter/confirm?{urlencode({'token': signing.sign(secret, CONFIRM, key)})}"
    message = render("newsletter_confirm", language, {"link": link})
    await outbox.enqueue(conn, "newsletter_confirm", email, message, now)
    await conn.execute(sa.update(t.newsletter_subscriptions)
                       .where(t.newsletter_subscriptions.c.email_key == key)
                       .values(confirmation_sent_at=now))


async def record_bot(conn: AsyncConnection, client: dict[str, Any], now: dt.datetime) -> None:
    await conn.execute(sa.insert(t.newsletter_bot_signups).values(
        client_id=client["id"], created_at=now))


async def unsubscribe_token(conn: AsyncConnection, email: str, now: dt.datetime) -> str:
    """The token of a subscriber's unsubscribe link (for the shop's mailer)."""
    return signing.sign(await signing.key(conn, now), UNSUBSCRIBE, valid.email_key(email))


def unsubscribe_link(frontend_url: str, token: str) -> str:
    return f"{frontend_url.rstrip('/')}/newsletter/unsubscribe?{urlencode({'token': token})}"


async def unsubscribe(conn: AsyncConnection, token: str, now: dt.datetime) -> bool:
    key = signing.unsign(await signing.key(conn, now), UNSUBSCRIBE, token)
    if key is None:
        return False
    await conn.execute(sa.update(t.newsletter_subscriptions)
                       .where(t.newsletter_subscriptions.c.email_key == key)
                       .values(is_active=False, unsubscribed_at=now, updated_at=now))
    return True


async def confirm(conn: AsyncConnection, token: str, now: dt.datetime) -> bool:
    key = signing.unsign(await signing.key(conn, now), CONFIRM, token)
    if key is None:
        return False
    table = t.newsletter_subscriptions
    result = await conn.execute(sa.update(table).where(
        table.c.email_key == key, table.c.unsubscribed_at.is_(None),
    ).values(is_active=True, confirmed_at=now, updated_at=now))
    return bool(result.rowcount)


async def link_to_customer(conn: AsyncConnection, customer_id: int, email_key: str) -> None:
    """A guest's subscription joins the account registered later with its e-mail."""
    await conn.execute(sa.update(t.newsletter_subscriptions).where(
        t.newsletter_subscriptions.c.email_key == email_key,
        t.newsletter_subscriptions.c.customer_id.is_(None),
    ).values(customer_id=customer_id))
