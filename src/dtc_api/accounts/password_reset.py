"""Forgotten password: request a link by e-mail, verify it, set a new password.

Follows OWASP's Forgot Password cheat sheet: the same answer whether or not the e-mail has an
account, a random single-use hash stored only as SHA-256, a short lifetime, and every session
ended when the password changes.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import tokens
from dtc_api.accounts import profile
from dtc_api.accounts.passwords import PasswordPolicy
from dtc_api.config import Settings
from dtc_api.core.errors import Code, DomainError, UserError, invalid
from dtc_api.core.limits import count, limit
from dtc_api.mail import outbox
from dtc_api.mail.render import duration, render
from dtc_api.store import tables as t

if TYPE_CHECKING:  # the runtime is built with this module's ResetPolicy
    from dtc_api.runtime import Runtime

INVALID_LINK = "the reset link is invalid or has expired"
MAX_URL = 2000
MAX_KEY = 320  # password_reset_requests.email_key


@dataclass(frozen=True)
class ResetPolicy:
    ttl: dt.timedelta  # how long a reset link works (its limits: core.limits)


_PATH = re.compile(r"[A-Za-z0-9._~%/-]+")


def check_url(url: str) -> None:
    """The reset page's path must be a plain relative path: the link may only point into the
    shop, and nothing but the customer's id and hash may be added to it (no query, no text)."""
    if not _PATH.fullmatch(url) or url.startswith("//"):
        raise invalid("url must be a relative path of the shop, like customer/reset-password "
                      "(letters, digits and . _ ~ % / - only)", "url")


def check_request(client: dict[str, Any], url: str) -> None:
    """What a reset request must have, whoever it is for: a page of the shop to link to."""
    check_url(url)
    if not client["frontend_url"]:
        raise invalid("this API client has no frontend URL: set one (dtc-api clients, "
                      "frontendUrl) so reset links can point to the shop", "url",
                      code=Code.NOT_CONFIGURED)
    if len(url) > MAX_URL:
        raise invalid(f"url must be at most {MAX_URL} characters", "url")


def reset_link(frontend_url: str, url: str, customer_id: int, hash_: str) -> str:
    base = f"{frontend_url.rstrip('/')}/{url.lstrip('/')}"
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode({'id': customer_id, 'i': hash_})}"


async def record_request(conn: AsyncConnection, settings: Settings, client: dict[str, Any],
                         email: str, url: str, client_ip: str | None, now: dt.datetime
                         ) -> None:
    """Record a reset request; the delivery worker sends the link if the e-mail has a
    registered account (`process_requests`).

    Every request does exactly the same work here — unknown e-mails, customers who never
    registered (the seed: "auto-registered customers cannot initiate a password reset") and
    requests over a limit included — so neither the answer nor its timing tells them apart.
    """
    key = profile.login_key(email)[:MAX_KEY]
    per_account = await count(
        conn, "passwordResetsPerAccountPerHour",
        limit(settings, client, "passwordResetsPerAccountPerHour"), key, now)
    per_ip = await count(conn, "passwordResetsPerIpPerHour",
                         limit(settings, client, "passwordResetsPerIpPerHour"),
                         client_ip or "unknown", now)
    # Over a limit, nothing is recorded: the limits do not depend on whether the account
    # exists, so skipping the insert tells nothing, and a flood cannot fill the queue.
    if not per_account.over and not per_ip.over:
        await conn.execute(sa.insert(t.password_reset_requests).values(
            email_key=key, url=url, client_id=client["id"], created_at=now, allowed=True))


async def process_requests(runtime: Runtime, batch: int = 100) -> int:
    """Drain the recorded requests (in batches); returns the e-mails queued."""
    queued = 0
    while True:
        done, count = await _process_batch(runtime, batch)
        queued += count
        if done < batch:
            return queued


async def _process_batch(runtime: Runtime, limit: int) -> tuple[int, int]:
    """Turn recorded requests into reset links and e-mails: (requests done, e-mails queued).

    The link and its e-mail are written in one transaction; a newer link replaces any
    earlier one of the customer.
    """
    now = runtime.clock.now()
    requests, clients = t.password_reset_requests, t.api_clients
    queued = 0
    async with runtime.db.write() as conn:
        rows = (await conn.execute(
            sa.select(requests, clients.c.frontend_url)
            .join(clients, clients.c.id == requests.c.client_id)
            .order_by(requests.c.id).limit(limit).with_for_update(skip_locked=True,
                                                                  of=requests)
        )).mappings().all()
        accounts = {
            row["email_key"]: dict(row) for row in (await conn.execute(
                sa.select(t.customers).where(
                    t.customers.c.email_key.in_({r["email_key"] for r in rows}),
                    t.customers.c.registered).with_for_update()
            )).mappings()
        } if rows else {}
        for row in rows:
            customer = accounts.get(row["email_key"])
            if customer is not None and row["allowed"] and row["frontend_url"]:
                await _send_link(conn, runtime, customer, row["frontend_url"], row["url"], now)
                queued += 1
        if rows:
            await conn.execute(sa.delete(requests).where(
                requests.c.id.in_([row["id"] for row in rows])))
    return len(rows), queued


async def _send_link(conn: AsyncConnection, runtime: Runtime, customer: dict,
                     frontend_url: str, url: str, now: dt.datetime) -> None:
    policy = runtime.reset_policy
    hash_ = secrets.token_hex(16)  # 128 bits
    await conn.execute(sa.delete(t.password_reset_tokens)
                       .where(t.password_reset_tokens.c.customer_id == customer["id"]))
    await conn.execute(sa.insert(t.password_reset_tokens).values(
        customer_id=customer["id"], token_hash=tokens.token_hash(hash_), created_at=now,
        expires_at=now + policy.ttl))
    language = customer["language_code"]
    message = render("password_reset", language, {
        "name": customer["first_name"] or customer["email"],
        "link": reset_link(frontend_url, url, customer["id"], hash_),
        "hours": duration(int(policy.ttl.total_seconds()), language or "en"),
    })
    await outbox.enqueue(conn, "password_reset", customer["email"], message, now)


def customer_id(raw: str) -> int | None:
    """The customer id of a link (``id``), or None when it cannot be one."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


async def valid_link(conn: AsyncConnection, customer_id: int | None, hash_: str,
                     now: dt.datetime) -> int | None:
    """The id of the unused, unexpired link of the customer with this hash, or None."""
    if customer_id is None or len(hash_) > tokens.MAX_TOKEN_LENGTH:
        return None
    table = t.password_reset_tokens
    return await conn.scalar(sa.select(table.c.id).where(
        table.c.customer_id == customer_id, table.c.token_hash == tokens.token_hash(hash_),
        table.c.used_at.is_(None), table.c.expires_at > now))


def invalid_link() -> UserError:
    return UserError(INVALID_LINK, ("i",), code=Code.INVALID_LINK)


def check_new_password(policy: PasswordPolicy, customer: dict[str, Any] | None,
                       password: str, confirm: str | None) -> dict[str, Any]:
    """The customer of the link, or a refusal with every reason at once: no customer (the
    link is invalid), a confirmation that differs, a password the policy refuses."""
    errors = []
    if customer is None:
        errors.append(invalid_link())
    if confirm is not None and confirm != password:
        errors.append(UserError("confirmPassword does not match password",
                                ("confirmPassword",), code=Code.PASSWORD_MISMATCH))
    if customer is not None:
        errors += policy.problems(password, customer["email"], ("password",))
    if errors or customer is None:
        raise DomainError(*errors)
    return customer


async def use_link(conn: AsyncConnection, link_id: int | None, customer_id: int | None,
                   hash_: str, now: dt.datetime) -> None:
    """Use the link up, exactly once even when two requests race: the loser is refused."""
    table = t.password_reset_tokens
    used = await conn.execute(sa.update(table).where(
        table.c.id == link_id, table.c.customer_id == customer_id,
        table.c.token_hash == tokens.token_hash(hash_), table.c.used_at.is_(None),
        table.c.expires_at > now,
    ).values(used_at=now))
    if used.rowcount != 1:  # another request used it first
        raise DomainError(invalid_link())


async def notify_changed(conn: AsyncConnection, customer: dict[str, Any], now: dt.datetime
                         ) -> None:
    """Queue the notice that the password was changed."""
    message = render("password_changed", customer["language_code"],
                     {"name": customer["first_name"] or customer["email"]})
    await outbox.enqueue(conn, "password_changed", customer["email"], message, now)


async def purge_expired(conn: AsyncConnection, now: dt.datetime) -> int:
    table = t.password_reset_tokens
    result = await conn.execute(sa.delete(table).where(
        sa.or_(table.c.expires_at < now, table.c.used_at.is_not(None))))
    return result.rowcount or 0
