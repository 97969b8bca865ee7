"""Keys of the back-office (integration) API: shown once, stored as SHA-256, read or write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import tokens
from dtc_api.core.errors import Code, invalid
from dtc_api.store import tables as t

SCOPES = ("read", "write")


async def create(conn: AsyncConnection, name: str, scope: str, now: dt.datetime) -> str:
    name = name.strip()
    if not name:
        raise invalid("name must not be empty", "name", code=Code.REQUIRED)
    if scope not in SCOPES:
        raise invalid("scope must be read or write", "scope", code=Code.INVALID_INPUT)
    if await conn.scalar(sa.select(t.integration_keys.c.id)
                         .where(t.integration_keys.c.name == name)) is not None:
        raise invalid(f"an integration key named {name!r} exists already", "name",
                      code=Code.ALREADY_EXISTS)
    key = tokens.new_token()
    await conn.execute(sa.insert(t.integration_keys).values(
        name=name, key_hash=tokens.token_hash(key), scope=scope, created_at=now))
    return key


async def listing(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(sa.select(
        t.integration_keys.c.name, t.integration_keys.c.scope, t.integration_keys.c.created_at,
        t.integration_keys.c.revoked_at).order_by(t.integration_keys.c.name))
    return [dict(row) for row in rows.mappings()]


async def revoke(conn: AsyncConnection, name: str, now: dt.datetime) -> None:
    result = await conn.execute(sa.update(t.integration_keys).where(
        t.integration_keys.c.name == name, t.integration_keys.c.revoked_at.is_(None),
    ).values(revoked_at=now))
    if result.rowcount != 1:
        raise invalid(f"no active integration key named {name!r}", "name",
                      code=Code.NOT_FOUND)


async def scope_of(conn: AsyncConnection, key: str) -> tuple[str, str] | None:
    """The name and scope of a presented key, or None if it is unknown or revoked."""
    if not key or len(key) > tokens.MAX_TOKEN_LENGTH:
        return None
    row = (await conn.execute(sa.select(t.integration_keys.c.name, t.integration_keys.c.scope)
                              .where(t.integration_keys.c.key_hash == tokens.token_hash(key),
                                     t.integration_keys.c.revoked_at.is_(None)))).first()
    return (row.name, row.scope) if row else None
