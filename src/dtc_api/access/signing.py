"""Signed tokens for links sent by e-mail (newsletter unsubscribe and confirmation).

The key is made once per database (table signing_keys), so every process of a deployment
signs and verifies alike, and nothing has to be configured.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.store import tables as t
from dtc_api.store.upsert import insert

# Signed values are e-mail keys (at most 320 characters); a signature is 20 bytes in base64.
MAX_VALUE = 320
_MAC_LENGTH = 27

_cache: dict[str, bytes] = {}
_KEY_ID = 1  # the one key of a database: a fixed primary key makes creating it race-free


async def key(conn: AsyncConnection, now: dt.datetime) -> bytes:
    """The database's signing key, made on first use. ``conn`` must be in a write transaction."""
    database = str(conn.engine.url)
    if database in _cache:
        return _cache[database]
    found, committed = await _load_or_create(conn, now)
    if committed:
        _cache[database] = bytes.fromhex(found)
    return bytes.fromhex(found)


async def _load_or_create(conn: AsyncConnection, now: dt.datetime) -> tuple[str, bool]:
    """(hex key, whether it is known to be committed).

    Processes using the key for the first time at once all insert the same primary key and
    skip on conflict (PostgreSQL makes the later ones wait for the first to commit), then read
    whichever row won: every process signs with the same key. A key this transaction inserted
    is not cached, since the transaction may still be rolled back.
    """
    table = t.signing_keys
    first = sa.select(table.c.key).order_by(table.c.id).limit(1)
    found = await conn.scalar(first)
    if found is not None:
        return found, True
    inserted = await conn.scalar(insert(conn, table).values(
        id=_KEY_ID, key=secrets.token_hex(32), created_at=now,
    ).on_conflict_do_nothing(index_elements=["id"]).returning(table.c.key))
    found = await conn.scalar(first)
    return found, inserted is None


def _mac(secret: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def sign(secret: bytes, purpose: str, value: str) -> str:
    return f"{value}.{_mac(secret, purpose, value)}"


def unsign(secret: bytes, purpose: str, token: str) -> str | None:
    """The signed value, or None when the token was not signed by us for ``purpose``.

    A token is whatever a link's visitor sends: anything malformed (too long, no signature,
    characters a signature never has) is simply not ours. The lengths are checked before
    hashing so an oversized token costs nothing.
    """
    value, _, mac = token.rpartition(".")
    if not value or len(value) > MAX_VALUE or len(mac) != _MAC_LENGTH or not mac.isascii():
        return None
    expected = _mac(secret, purpose, value)
    return value if hmac.compare_digest(mac.encode(), expected.encode()) else None
