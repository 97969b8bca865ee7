"""The login backoff: failures counted per account and client address, and per account from
every address, in the database so every server process shares them."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.clock import Clock
from dtc_api.core.limits import bounded
from dtc_api.store import tables as t
from dtc_api.store.reads import Conn, Query, within

# The client of the account-wide login failure count (a client address is never empty).
ACCOUNT_WIDE = ""
# Lengths above which the variable part of a stored key is replaced by its digest (see
# core.limits.bounded); the columns hold one more character.
EMAIL_KEY_LENGTH = 254  # login_failures.email_key (the longest e-mail address)
CLIENT_LENGTH = 64  # login_failures.client


@dataclass(frozen=True)
class LoginThrottle:
    free_failures: int  # consecutive failures per account and address before the backoff
    max_backoff: int  # seconds
    # Consecutive failures per account from every address before the backoff holds back
    # every address: far above free_failures, as each address is held back by its own.
    account_free_failures: int

    def backoff(self, failures: int) -> int:
        """Seconds to wait after ``failures`` consecutive failures from one address: 1, 2,
        4, … capped."""
        return _backoff(failures, self.free_failures, self.max_backoff)

    def account_backoff(self, failures: int) -> int:
        """Seconds every address waits after ``failures`` consecutive failures in all."""
        return _backoff(failures, self.account_free_failures, self.max_backoff)


def _backoff(failures: int, free: int, cap: int) -> int:
    # Zero failures never wait: without free failures the backoff starts after the first.
    free = max(free, 1)
    if failures < free:
        return 0
    return min(2 ** min(failures - free, 32), cap)


async def claim_login_attempt(
    conn: Conn, throttle: LoginThrottle, clock: Clock, email_key: str,
    client: str | None,
) -> int:
    """Reserve a password check of an account from a client address; returns the seconds to
    wait (0: go ahead).

    Failures are counted per account and client address, backing off after
    ``free_failures``, and per account from every address, backing off only after the much
    higher ``account_free_failures``: a stranger's guesses hold back the stranger, not the
    owner's own address, and guesses spread over many addresses are still held back.

    The attempt is counted as a failure before the password is checked, so parallel guesses
    cannot all slip through before the first failure is recorded; success clears it.
    """
    (email, account_wide), (_, own_client) = _failure_keys(email_key, client)
    counts = await _locked_failures(conn, email, account_wide, own_client, clock.now())
    # The time is read once the rows are locked: read before, it could be earlier than the one
    # written by the attempt that held them, and make a free attempt wait.
    now = clock.now()
    (account, account_last), (own, own_last) = counts[account_wide], counts[own_client]
    wait = max(_wait(throttle.account_backoff(account), account_last, now),
               _wait(throttle.backoff(own), own_last, now))
    if wait:
        return wait
    await (await within(conn)).execute(_COUNT_FAILURES, email, account_wide, own_client, now)
    return 0


def _failure_keys(email_key: str, client: str | None) -> list[tuple[str, str]]:
    """The keys of the account-wide count, then of the address's."""
    email = bounded(email_key, EMAIL_KEY_LENGTH)
    return [(email, ACCOUNT_WIDE), (email, bounded(client or "unknown", CLIENT_LENGTH))]


# Both counts of an attempt, created empty if need be and locked until the transaction ends
# (a missing row could not be locked), the account-wide one first: every transaction locks
# them in this order, so two of them cannot wait for each other. (The client keys differ:
# the account-wide one is empty, an address never is.)
_LOCK_FAILURES = Query(
    "INSERT INTO login_failures (email_key, client, failures, last_failure_at) "
    "VALUES ($1, $2, 0, $4), ($1, $3, 0, $4) ON CONFLICT (email_key, client) "
    "DO UPDATE SET failures = login_failures.failures "
    "RETURNING client, failures, last_failure_at",
    last_failure_at="datetime")
_COUNT_FAILURES = Query(
    "UPDATE login_failures SET failures = failures + 1, last_failure_at = $4 "
    "WHERE email_key = $1 AND client IN ($2, $3)")
_CLEAR_FAILURES = Query(
    "DELETE FROM login_failures WHERE email_key = $1 AND client IN ($2, $3)")


async def _locked_failures(conn: Conn, email: str, account_wide: str, own_client: str,
                           now: dt.datetime) -> dict[str, tuple[int, dt.datetime]]:
    """The failures and last failure of both counts, by client key."""
    # An upsert with RETURNING returns every row it inserts or updates, in no set order.
    rows = await (await within(conn)).all(_LOCK_FAILURES, email, account_wide, own_client,
                                          now)
    return {row["client"]: (int(row["failures"]), row["last_failure_at"]) for row in rows}


def _wait(backoff: int, last_failure_at: dt.datetime, now: dt.datetime) -> int:
    # Without a backoff there is nothing to wait for, whatever the clocks of other processes
    # wrote: a correct password is never refused for lack of failures.
    if backoff == 0:
        return 0
    remaining = (last_failure_at + dt.timedelta(seconds=backoff) - now).total_seconds()
    return max(1, math.ceil(remaining)) if remaining > 0 else 0


async def clear_login_failures(conn: Conn, email_key: str, client: str | None
                               ) -> None:
    """After a verified correct password: the account-wide count and this address's start
    over; other addresses keep theirs."""
    (email, account_wide), (_, own) = _failure_keys(email_key, client)
    await (await within(conn)).execute(_CLEAR_FAILURES, email, account_wide, own)


async def purge(conn: AsyncConnection, throttle: LoginThrottle, now: dt.datetime) -> int:
    horizon = dt.timedelta(seconds=throttle.max_backoff) + dt.timedelta(days=1)
    failures = await conn.execute(
        sa.delete(t.login_failures).where(t.login_failures.c.last_failure_at < now - horizon)
    )
    return failures.rowcount or 0
