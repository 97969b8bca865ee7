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

_cache: dict[str, bytes] = {}


async def key(conn: AsyncConnection, now: dt.datetime) -> bytes:
    database = str(conn.engine.url)
    if database not in _cache:
        found = await conn.scalar(sa.select(t.signing_keys.c.key).order_by(t.signing_keys.c.id))
        if found is None:
            found = secrets.token_hex(32)
            await conn.execute(sa.insert(t.signing_keys).values(key=found, created_at=now))
            # Two processes may both make one; the lowest id wins, so re-read.
            found = await conn.scalar(
                sa.select(t.signing_keys.c.key).order_by(t.signing_keys.c.id))
        _cache[database] = bytes.fromhex(found)
    return _cache[database]


def _mac(secret: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def sign(secret: bytes, purpose: str, value: str) -> str:
    return f"{value}.{_mac(secret, purpose, value)}"


def unsign(secret: bytes, purpose: str, token: str) -> str | None:
    """The signed value, or None when the token was not signed by us for ``purpose``."""
    value, _, mac = token.rpartition(".")
    if not value or len(token) > 200:
        return None
    return value if hmac.compare_digest(mac, _mac(secret, purpose, value)) else None
