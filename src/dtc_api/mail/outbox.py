"""The transactional outbox: a message is a row written in the same transaction as the change
that causes it, and a delivery loop sends it later — late when SMTP is down, never lost.

Several workers may run (processes on PostgreSQL). A worker claims a few messages at a time
(FOR UPDATE SKIP LOCKED) under a lease: a random token, and an expiry read from the clock when
it claims. Right before a message goes to SMTP the worker renews its lease in one UPDATE that
succeeds only while the token is still its own; a message whose lease ran out and was taken by
another worker is left to that worker. A lease outlasts one SMTP exchange (DTC_MAIL_LEASE is
longer than DTC_SMTP_TIMEOUT), so no one can take a message while it is being sent.

Delivery is at least once: a worker that dies after the server accepted a message, before it
recorded that, leaves the message to be sent again when its lease runs out. Every attempt
carries the same Message-ID, so a mail client can tell the copy for what it is.

A message refused for good (a 5xx to its recipient or content), or failing DTC_MAIL_MAX_ATTEMPTS
times, is marked failed; the operator may send it again. Bodies holding a one-time link are
erased once delivery is over (sent, or failed for good), so no live link stays in the table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import random
import secrets
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api import metrics
from dtc_api.access import signing
from dtc_api.clock import Clock
from dtc_api.mail.render import Rendered
from dtc_api.mail.senders import PermanentFailure, Sender
from dtc_api.store import tables as t
from dtc_api.store.db import Database

log = logging.getLogger("dtc_api.mail")

# Messages claimed at once: a worker that dies strands at most these, each for one lease.
BATCH = 3
FIRST_RETRY = 10.0  # seconds; doubled per attempt, with jitter
MAX_RETRY = 3600.0
# Kinds whose body holds a link that grants something (a password reset, a confirmation).
SECRET_KINDS = frozenset({"password_reset", "newsletter_confirm"})
_ERASED = {"text_body": None, "html_body": None}


async def enqueue(conn: AsyncConnection, kind: str, recipient: str, message: Rendered,
                  now: dt.datetime) -> int:
    result = await conn.execute(sa.insert(t.outbox).values(
        kind=kind, recipient=recipient, subject=message.subject, text_body=message.text,
        html_body=message.html, status="pending", attempts=0, next_attempt_at=now,
        created_at=now,
    ).returning(t.outbox.c.id))
    return int(result.scalar_one())


async def enqueue_many(conn: AsyncConnection, kind: str,
                       messages: list[tuple[str, Rendered]], now: dt.datetime) -> None:
    """Several messages in one statement (executemany)."""
    await conn.execute(sa.insert(t.outbox), [
        {"kind": kind, "recipient": recipient, "subject": message.subject,
         "text_body": message.text, "html_body": message.html, "status": "pending",
         "attempts": 0, "next_attempt_at": now, "created_at": now}
        for recipient, message in messages
    ])


def retry_delay(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempts + 1``: 10, 20, 40, … at most an hour, ±50% jitter
    so that many messages failing together do not retry together."""
    base = min(FIRST_RETRY * 2 ** max(0, attempts - 1), MAX_RETRY)
    return base * (rng or random).uniform(0.5, 1.5)


async def claim(db: Database, now: dt.datetime, lease: dt.timedelta, limit: int = BATCH
                ) -> list[dict[str, Any]]:
    """Up to ``limit`` due messages, under a new lease lasting ``lease`` from ``now``: the time
    of the claim, so a lease taken late in a long pass still runs its full length."""
    table = t.outbox
    token = secrets.token_hex(16)
    async with db.write() as conn:
        due = sa.or_(
            sa.and_(table.c.status == "pending", table.c.next_attempt_at <= now),
            sa.and_(table.c.status == "sending", table.c.claimed_until <= now),
        )
        ids = (await conn.execute(
            sa.select(table.c.id).where(due).order_by(table.c.id).limit(limit)
            .with_for_update(skip_locked=True)
        )).scalars().all()
        if not ids:
            return []
        rows = (await conn.execute(
            sa.update(table).where(table.c.id.in_(ids))
            .values(status="sending", lease=token, claimed_until=now + lease)
            .returning(*table.c)
        )).mappings().all()
        secret = await signing.key(conn, now)
    # Each row carries its lease token: only its holder sends it or records the outcome.
    return sorted(({**row, "message_key": message_key(secret, row)} for row in rows),
                  key=lambda row: row["id"])


def message_key(secret: bytes, row: Mapping[str, Any]) -> str:
    """The unguessable part of a message's Message-ID: the same on every attempt, and different
    for a row of another database or one that reuses an id (a restored backup), since the
    database's own secret and the row's creation time go into it."""
    value = f"message-id:{row['id']}:{row['created_at'].isoformat()}"
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:24]


def _domain(sender_address: str) -> str:
    _, at, domain = parseaddr(sender_address)[1].rpartition("@")
    return domain if at and domain else "localhost"


def build(row: Mapping[str, Any], sender_address: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender_address
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = (f"<outbox-{row['id']}.{row['message_key']}"
                             f"@{_domain(sender_address)}>")
    message["X-Outbox-Id"] = str(row["id"])
    message.set_content(row["text_body"])
    message.add_alternative(row["html_body"], subtype="html")
    return message


async def deliver_due(db: Database, sender: Sender, sender_address: str, clock: Clock,
                      *, lease: dt.timedelta, max_attempts: int) -> tuple[int, int]:
    """Send everything that is due, a few claimed at a time; returns (sent, failed).

    The clock is read at every claim and renewal, never once for the pass: emptying a long
    queue takes longer than a lease."""
    sent = failed = 0
    while rows := await claim(db, clock.now(), lease):
        s, f = await send_claimed(db, sender, sender_address, rows, clock, lease=lease,
                                  max_attempts=max_attempts)
        sent, failed = sent + s, failed + f
    return sent, failed


async def send_claimed(db: Database, sender: Sender, sender_address: str,
                       rows: list[dict[str, Any]], clock: Clock, *, lease: dt.timedelta,
                       max_attempts: int) -> tuple[int, int]:
    """Send claimed messages one after the other, each only once its lease is renewed."""
    sent = failed = 0
    for row in rows:
        if not await _renew(db, row, clock.now() + lease):
            log.info("mail lease lost (taken over after it ran out, or the message deleted); "
                     "not sending", extra={"outboxId": row["id"]})
            continue
        try:
            await sender.send(build(row, sender_address))
        except Exception as error:  # any failure: kept, and retried unless given up
            failed += 1
            await _failed(db, row, error, clock.now(), max_attempts)
        else:
            sent += 1
            metrics.mail_attempt("sent")
            await _record(db, row, status="sent", sent_at=clock.now(),
                          attempts=row["attempts"] + 1, **_ERASED)
    return sent, failed


async def _renew(db: Database, row: Mapping[str, Any], until: dt.datetime) -> bool:
    """Extend our lease on ``row`` to ``until`` if it is still ours, in one statement: the
    check right before the message goes to SMTP. A lease that ran out but that no one took
    is still ours (a claim replaces the token); one that another worker took is not."""
    table = t.outbox
    async with db.write() as conn:
        renewed = await conn.scalar(sa.update(table).where(
            table.c.id == row["id"], table.c.status == "sending", table.c.lease == row["lease"],
        ).values(claimed_until=until).returning(table.c.id))
    return renewed is not None


async def _record(db: Database, row: Mapping[str, Any], **values: Any) -> None:
    """The outcome of an attempt, recorded only while the lease is still ours."""
    async with db.write() as conn:
        result = await conn.execute(sa.update(t.outbox).where(
            t.outbox.c.id == row["id"], t.outbox.c.lease == row["lease"],
        ).values(lease=None, claimed_until=None, **values))
    if not result.rowcount:
        log.warning("mail outcome not recorded: the message's lease was lost", extra={
            "outboxId": row["id"], "outcome": values["status"]})


async def _failed(db: Database, row: Mapping[str, Any], error: Exception, now: dt.datetime,
                  max_attempts: int) -> None:
    attempts = row["attempts"] + 1
    reason = f"{type(error).__name__}: {error}"[:2000]
    if isinstance(error, PermanentFailure) or attempts >= max_attempts:
        log.warning("mail delivery failed for good", extra={
            "outboxId": row["id"], "attempts": attempts, "error": reason})
        metrics.mail_attempt("failed")
        erased = _ERASED if row["kind"] in SECRET_KINDS else {}
        await _record(db, row, status="failed", failed_at=now, attempts=attempts,
                      last_error=reason, **erased)
        return
    metrics.mail_attempt("retry")
    delay = dt.timedelta(seconds=retry_delay(attempts))
    log.warning("mail delivery failed, will retry", extra={
        "outboxId": row["id"], "attempts": attempts, "retryIn": round(delay.total_seconds()),
        "error": reason})
    await _record(db, row, status="pending", attempts=attempts, next_attempt_at=now + delay,
                  last_error=reason)


async def depth(db: Database, now: dt.datetime) -> tuple[dict[str, int], float]:
    """Messages by status, and the age in seconds of the oldest one waiting to be sent."""
    table = t.outbox
    async with db.read() as conn:
        rows = (await conn.execute(sa.select(table.c.status, sa.func.count(), sa.func.min(
            table.c.created_at)).group_by(table.c.status))).all()
    counts = {status: count for status, count, _ in rows}
    # min() keeps the column's type: an aware UTC datetime on both backends.
    oldest = next((first for status, _, first in rows if status == "pending"), None)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return counts, age


async def purge_finished(conn: AsyncConnection, retention: dt.timedelta,
                         now: dt.datetime) -> int:
    """Delete messages sent or failed longer than ``retention`` ago."""
    table, cutoff = t.outbox, now - retention
    result = await conn.execute(sa.delete(table).where(sa.or_(
        sa.and_(table.c.status == "sent", table.c.sent_at < cutoff),
        sa.and_(table.c.status == "failed", table.c.failed_at < cutoff))))
    return result.rowcount or 0
