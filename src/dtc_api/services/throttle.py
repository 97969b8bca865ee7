"""Login throttling, with its counters in the database so every server process shares them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.store import tables as t


@dataclass(frozen=True)
class LoginThrottle:
    ip_limit: int  # the default of attempts per client IP per minute (Centra: 10)
    free_failures: int  # consecutive failures allowed before the backoff starts
    max_backoff: int  # seconds

    def backoff(self, failures: int) -> int:
        """Seconds to wait after ``failures`` consecutive failures: 1, 2, 4, … capped."""
        if failures < self.free_failures:
            return 0
        return min(2 ** (failures - self.free_failures), self.max_backoff)


def _insert(conn: AsyncConnection, table: sa.Table):  # type: ignore[no-untyped-def]
    return (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table)


async def hit(conn: AsyncConnection, key: str, window: dt.timedelta, now: dt.datetime) -> int:
    """Count one request against ``key`` in the current fixed window; returns the count."""
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    start = epoch + (now - epoch) // window * window
    table = t.rate_limit_hits
    insert = _insert(conn, table).values(key=key, window_start=start, hits=1)
    statement = insert.on_conflict_do_update(
        index_elements=["key", "window_start"], set_={"hits": table.c.hits + 1}
    ).returning(table.c.hits)
    return int((await conn.execute(statement)).scalar_one())


async def claim_login_attempt(
    conn: AsyncConnection, throttle: LoginThrottle, email_key: str, now: dt.datetime
) -> int:
    """Reserve an attempt for an account; returns the seconds to wait (0: go ahead).

    The attempt is counted as a failure before the password is checked, so parallel guesses
    cannot all slip through before the first failure is recorded; success clears it.
    """
    table = t.login_failures
    row = (
        await conn.execute(sa.select(table).where(table.c.email_key == email_key)
                           .with_for_update())
    ).mappings().first()
    if row is not None:
        ready_at = row["last_failure_at"] + dt.timedelta(seconds=throttle.backoff(row["failures"]))
        if ready_at > now:
            return max(1, int((ready_at - now).total_seconds() + 0.999))
    insert = _insert(conn, table).values(email_key=email_key, failures=1, last_failure_at=now)
    await conn.execute(insert.on_conflict_do_update(
        index_elements=["email_key"],
        set_={"failures": table.c.failures + 1, "last_failure_at": now},
    ))
    return 0


async def clear_login_failures(conn: AsyncConnection, email_key: str) -> None:
    await conn.execute(sa.delete(t.login_failures).where(t.login_failures.c.email_key == email_key))


async def purge(conn: AsyncConnection, throttle: LoginThrottle, now: dt.datetime) -> int:
    hits = await conn.execute(
        sa.delete(t.rate_limit_hits).where(
            t.rate_limit_hits.c.window_start < now - dt.timedelta(hours=1)
        )
    )
    horizon = dt.timedelta(seconds=throttle.max_backoff) + dt.timedelta(days=1)
    failures = await conn.execute(
        sa.delete(t.login_failures).where(t.login_failures.c.last_failure_at < now - horizon)
    )
    return (hits.rowcount or 0) + (failures.rowcount or 0)
