"""The transactional outbox: a message is a row written in the same transaction as the change
that causes it, and a delivery loop sends it later — late when SMTP is down, never lost.

Several workers may run (processes on PostgreSQL): a message is claimed for a while with
FOR UPDATE SKIP LOCKED before it is sent, so no two workers send it at the same time.

A message refused for good (a 5xx to its recipient or content), or failing DTC_MAIL_MAX_ATTEMPTS
times, is marked failed; the operator may send it again. Bodies holding a one-time link are
erased once delivery is over (sent, or failed for good), so no live link stays in the table.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.mail.render import Rendered
from dtc_api.mail.senders import PermanentFailure, Sender
from dtc_api.store import tables as t
from dtc_api.store.db import Database

log = logging.getLogger("dtc_api.mail")

# A claimed message is someone else's until this passes (a worker that died releases it).
CLAIM = dt.timedelta(minutes=5)
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


async def claim(db: Database, now: dt.datetime, limit: int = 5) -> list[dict[str, Any]]:
    table = t.outbox
    async with db.write() as conn:
        due = sa.or_(
            sa.and_(table.c.status == "pending", table.c.next_attempt_at <= now),
            sa.and_(table.c.status == "sending", table.c.claimed_until <= now),
        )
        rows = (await conn.execute(
            sa.select(table).where(due).order_by(table.c.id).limit(limit)
            .with_for_update(skip_locked=True)
        )).mappings().all()
        if rows:
            await conn.execute(sa.update(table).where(table.c.id.in_([r["id"] for r in rows]))
                               .values(status="sending", claimed_until=now + CLAIM))
    # Each row remembers its claim: the outcome is recorded only while the claim is ours.
    return [{**row, "claimed_until": now + CLAIM} for row in rows]


def build(row: dict[str, Any], sender_address: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender_address
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="dtc-api")
    message["X-Outbox-Id"] = str(row["id"])
    message.set_content(row["text_body"])
    message.add_alternative(row["html_body"], subtype="html")
    return message


async def deliver_due(db: Database, sender: Sender, sender_address: str, now: dt.datetime,
                      *, max_attempts: int) -> tuple[int, int]:
    """Send everything that is due, a few claimed at a time; returns (sent, failed)."""
    sent = failed = 0
    while rows := await claim(db, now):
        s, f = await _send_claimed(db, sender, sender_address, rows, now, max_attempts)
        sent, failed = sent + s, failed + f
    return sent, failed


async def _send_claimed(db: Database, sender: Sender, sender_address: str,
                        rows: list[dict[str, Any]], now: dt.datetime, max_attempts: int
                        ) -> tuple[int, int]:
    sent = failed = 0
    for row in rows:
        try:
            await sender.send(build(row, sender_address))
        except Exception as error:  # any failure: kept, and retried unless given up
            failed += 1
            await _failed(db, row, error, now, max_attempts)
        else:
            sent += 1
            await _record(db, row, status="sent", sent_at=now, attempts=row["attempts"] + 1,
                          **_ERASED)
    return sent, failed


async def _record(db: Database, row: dict[str, Any], **values: Any) -> None:
    """The outcome of an attempt, recorded only while the claim is still ours."""
    async with db.write() as conn:
        await conn.execute(sa.update(t.outbox).where(
            t.outbox.c.id == row["id"], t.outbox.c.claimed_until == row["claimed_until"],
        ).values(claimed_until=None, **values))


async def _failed(db: Database, row: dict[str, Any], error: Exception, now: dt.datetime,
                  max_attempts: int) -> None:
    attempts = row["attempts"] + 1
    reason = f"{type(error).__name__}: {error}"[:2000]
    if isinstance(error, PermanentFailure) or attempts >= max_attempts:
        log.warning("mail delivery failed for good", extra={
            "outboxId": row["id"], "attempts": attempts, "error": reason})
        erased = _ERASED if row["kind"] in SECRET_KINDS else {}
        await _record(db, row, status="failed", failed_at=now, attempts=attempts,
                      last_error=reason, **erased)
        return
    delay = dt.timedelta(seconds=retry_delay(attempts))
    log.warning("mail delivery failed, will retry", extra={
        "outboxId": row["id"], "attempts": attempts, "retryIn": round(delay.total_seconds()),
        "error": reason})
    await _record(db, row, status="pending", attempts=attempts, next_attempt_at=now + delay,
                  last_error=reason)


async def purge_finished(conn: AsyncConnection, retention: dt.timedelta,
                         now: dt.datetime) -> int:
    """Delete messages sent or failed longer than ``retention`` ago."""
    table, cutoff = t.outbox, now - retention
    result = await conn.execute(sa.delete(table).where(sa.or_(
        sa.and_(table.c.status == "sent", table.c.sent_at < cutoff),
        sa.and_(table.c.status == "failed", table.c.failed_at < cutoff))))
    return result.rowcount or 0
