"""The rate limiter: named limits with deployment defaults (DTC_*) that an API client may
override, counted per subject (a client address, an account) in fixed windows, with the
counters in the database so every server process shares them."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api import metrics
from dtc_api.config import Settings
from dtc_api.store import tables as t
from dtc_api.store.reads import Conn, Query, within

# Length above which the variable part of a stored key is replaced by its digest; the column
# holds one more character.
KEY_LENGTH = 200  # rate_limit_hits.key
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Limit:
    key: str  # the counters' key prefix
    setting: str  # the Settings field that gives the default
    window: dt.timedelta


# name (as in the back-office API's rateLimits) -> the limit
LIMITS = {
    "loginPerIpPerMinute": Limit("login:ip", "login_ip_limit", MINUTE),
    "newSessionsPerIpPerMinute": Limit("session:ip", "session_ip_limit", MINUTE),
    "passwordResetsPerAccountPerHour": Limit("reset:account", "reset_account_limit", HOUR),
    "passwordResetsPerIpPerHour": Limit("reset:ip", "reset_ip_limit", HOUR),
    "newsletterPerIpPerHour": Limit("newsletter:ip", "newsletter_ip_limit", HOUR),
    "backInStockPerIpPerHour": Limit("back-in-stock:ip", "back_in_stock_ip_limit", HOUR),
    "registrationsPerIpPerHour": Limit("register:ip", "register_ip_limit", HOUR),
}


@dataclass(frozen=True)
class Count:
    hits: int  # this request included
    ceiling: int
    window_end: dt.datetime

    @property
    def over(self) -> bool:
        return self.hits > self.ceiling


def limit(settings: Settings, client: dict[str, Any], name: str) -> int:
    """The limit ``name`` for this client; an unknown name is an error, never "no limit"."""
    return overridden(client, name, getattr(settings, LIMITS[name].setting))


def overridden(client: dict[str, Any], name: str, default: int) -> int:
    """The client's override of the limit ``name``, or ``default``."""
    LIMITS[name]
    return int((client.get("rate_limits") or {}).get(name, default))


def check(overrides: dict[str, Any]) -> list[str]:
    """Names of overrides that are not positive integers."""
    return [name for name, value in overrides.items()
            if name not in LIMITS or not isinstance(value, int) or value < 1]


async def count(conn: Conn, name: str, ceiling: int, subject: str | None,
                now: dt.datetime) -> Count:
    """Count one request of ``subject`` (a client address, an account key; None: unknown)
    against the limit ``name``, whose ceiling for this client is ``ceiling`` (see ``limit``)."""
    spec = LIMITS[name]
    hits = await hit(conn, f"{spec.key}:{subject or 'unknown'}", spec.window, now)
    if hits > ceiling:
        metrics.limit_refused(name)
    return Count(hits, ceiling, window_start(spec.window, now) + spec.window)


def bounded(value: str, length: int) -> str:
    """``value`` as stored in a key column: unchanged up to ``length`` characters, else its
    start and the SHA-256 of all of it, ``length + 1`` characters in all.

    Keys are made of what clients send (e-mail addresses, forwarded addresses), so any input
    must fit the column; two values never share a stored key, since a digested one is longer
    than any kept as it is.
    """
    if len(value) <= length:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{value[:length - len(digest)]}#{digest}"


def window_start(window: dt.timedelta, now: dt.datetime) -> dt.datetime:
    """The start of the fixed window ``now`` is in; windows start at multiples of their
    length."""
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return epoch + (now - epoch) // window * window


_HIT = Query(
    'INSERT INTO rate_limit_hits ("key", window_start, hits) VALUES ($1, $2, 1) '
    'ON CONFLICT ("key", window_start) DO UPDATE SET hits = rate_limit_hits.hits + 1 '
    "RETURNING hits")


async def hit(conn: Conn, key: str, window: dt.timedelta, now: dt.datetime) -> int:
    """Count one request against ``key`` in the current fixed window; returns the count."""
    statements = await within(conn)
    return int(await statements.scalar(_HIT, bounded(key, KEY_LENGTH),
                                       window_start(window, now)))


async def purge(conn: AsyncConnection, now: dt.datetime) -> int:
    """Drop the counters of windows that ended (the longest window is an hour)."""
    result = await conn.execute(sa.delete(t.rate_limit_hits).where(
        t.rate_limit_hits.c.window_start < now - HOUR))
    return result.rowcount or 0
