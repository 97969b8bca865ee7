"""The operator's view of subscriptions and outgoing mail."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core import validate as valid
from dtc_api.core.errors import Code, invalid
from dtc_api.store import tables as t

MAX_LIMIT = 500
MAX_ROW_ID = 2**31 - 1  # an INTEGER primary key


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _cursor(changed: dt.datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{changed.isoformat()}|{row_id}".encode()).decode()


def _parse_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """The position a cursor of ours names. Ours always carry a time zone and a row id, so
    anything else (no zone, an id out of range, not base64) was not made here."""
    try:
        changed, _, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        at, position = dt.datetime.fromisoformat(changed), int(row_id)
        if at.tzinfo is None or not 0 <= position <= MAX_ROW_ID:
            raise ValueError("not a cursor")
        return at.astimezone(dt.UTC), position
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise invalid("since is not a cursor from an earlier page", "since",
                      code=Code.INVALID_INPUT) from None


async def newsletter_changes(conn: AsyncConnection, since: str | None, limit: int
                             ) -> dict[str, Any]:
    """Subscriptions changed after the cursor, oldest change first (for syncing a mailer)."""
    valid.page(1, limit, MAX_LIMIT)
    table, clients = t.newsletter_subscriptions, t.api_clients
    changed = sa.func.coalesce(table.c.updated_at, table.c.created_at)
    query = (sa.select(table, clients.c.name.label("client_name"), changed.label("changed"))
             .outerjoin(clients, clients.c.id == table.c.client_id))
    if since:
        at, row_id = _parse_cursor(since)
        query = query.where(sa.or_(changed > at, sa.and_(changed == at, table.c.id > row_id)))
    rows = (await conn.execute(query.order_by(changed, table.c.id).limit(limit))
            ).mappings().all()
    return {
        "subscriptions": [{
            "id": r["id"], "email": r["email"] or r["email_key"], "isActive": r["is_active"],
            "country": r["country_code"], "language": r["language_code"],
            "customerId": r["customer_id"], "apiClient": r["client_name"],
            "createdAt": _iso(r["created_at"]), "updatedAt": _iso(r["changed"]),
            "confirmedAt": _iso(r["confirmed_at"]), "unsubscribedAt": _iso(r["unsubscribed_at"]),
        } for r in rows],
        "nextCursor": _cursor(rows[-1]["changed"], rows[-1]["id"]) if rows else since,
    }


async def unsubscribe(conn: AsyncConnection, email: str, now: dt.datetime) -> None:
    key = valid.email_key(email.strip())
    result = await conn.execute(sa.update(t.newsletter_subscriptions).where(
        t.newsletter_subscriptions.c.email_key == key,
    ).values(is_active=False, unsubscribed_at=now, updated_at=now))
    if result.rowcount != 1:
        raise invalid(f"no newsletter subscription for {email}", "email", code=Code.NOT_FOUND)


async def back_in_stock(conn: AsyncConnection, item: str | None, waiting: bool | None,
                        page: int, limit: int) -> list[dict[str, Any]]:
    offset = valid.page(page, limit, MAX_LIMIT)
    table = t.back_in_stock_subscriptions
    query = sa.select(table)
    if item is not None:
        query = query.where(table.c.item_id == item)
    if waiting is not None:
        query = query.where(table.c.notified_at.is_(None) if waiting
                            else table.c.notified_at.is_not(None))
    rows = (await conn.execute(query.order_by(table.c.id).limit(limit).offset(offset))
            ).mappings().all()
    return [{"id": r["id"], "email": r["email"], "item": r["item_id"],
             "country": r["country_code"], "state": r["state_code"] or None,
             "language": r["language_code"], "customerId": r["customer_id"],
             "createdAt": _iso(r["created_at"]), "notifiedAt": _iso(r["notified_at"])}
            for r in rows]


def _message(r: Any) -> dict[str, Any]:
    return {"id": r["id"], "kind": r["kind"], "recipient": r["recipient"],
            "subject": r["subject"], "status": r["status"], "attempts": r["attempts"],
            "lastError": r["last_error"], "createdAt": _iso(r["created_at"]),
            "nextAttemptAt": _iso(r["next_attempt_at"]), "sentAt": _iso(r["sent_at"]),
            "failedAt": _iso(r["failed_at"])}


async def outbox(conn: AsyncConnection, status: str | None, page: int, limit: int
                 ) -> list[dict[str, Any]]:
    offset = valid.page(page, limit, MAX_LIMIT)
    query = sa.select(t.outbox)
    if status is not None:
        query = query.where(t.outbox.c.status == status)
    rows = (await conn.execute(query.order_by(t.outbox.c.id.desc()).limit(limit)
                               .offset(offset))).mappings().all()
    return [_message(r) for r in rows]


async def retry(conn: AsyncConnection, message_id: int, now: dt.datetime) -> dict[str, Any]:
    """Send a waiting message at the next turn of the delivery loop, or a failed one again
    (with a fresh count of attempts), unless its one-time link was erased."""
    table = t.outbox
    row = (await conn.execute(sa.select(table).where(table.c.id == message_id)
                              .with_for_update())).mappings().first()
    if row is None or row["status"] not in {"pending", "failed"}:
        raise invalid(f"no waiting or failed message {message_id}", "id", code=Code.NOT_FOUND)
    if row["text_body"] is None:
        raise invalid(f"message {message_id} held a one-time link, erased when it failed: "
                      "the customer must ask for a new one", "id", code=Code.NOT_RETRYABLE)
    again = ({"status": "pending", "attempts": 0, "failed_at": None}
             if row["status"] == "failed" else {})
    await conn.execute(sa.update(table).where(table.c.id == message_id)
                       .values(next_attempt_at=now, **again))
    row = (await conn.execute(sa.select(table).where(table.c.id == message_id))
           ).mappings().one()
    return _message(row)
