"""Telling an unreachable database from a fault, and saying so once per interval.

While the database cannot be reached every request fails the same way; one log line per
interval with a count says more than a traceback per request (and does not flood the log).
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable

import asyncpg
import sqlalchemy.exc

log = logging.getLogger("dtc_api.store")

_CONNECTION_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE,
                      errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENOENT}
_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.CannotConnectNowError,  # starting up, shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,
    ConnectionError,
    TimeoutError,
)


def unreachable(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) says the database cannot be reached."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, sqlalchemy.exc.TimeoutError):  # no pooled connection came free
            return True
        if isinstance(error, _UNAVAILABLE):
            return True
        if isinstance(error, OSError) and error.errno in _CONNECTION_ERRNOS:
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return False


class Outage:
    """Counts what failed (requests, job runs) while the database is unreachable and logs the
    outage: when it starts, once per ``interval`` while it lasts, and when it ends."""

    def __init__(self, interval: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self.since: float | None = None
        self._refused = 0  # since the last line
        self._total = 0
        self._logged_at = 0.0

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def refused(self, error: BaseException) -> None:
        now = self._clock()
        self._refused += 1
        self._total += 1
        if self.since is None:
            self.since = self._logged_at = now
            self._refused = 0
            log.error("database unreachable (%s: %s): requests answer 503 until it is back",
                      type(error).__name__, (str(error).splitlines() or [""])[0][:200])
        elif now - self._logged_at >= self.interval:
            log.error("database still unreachable after %.0f s: %d attempts failed in the "
                      "last %.0f s", now - self.since, self._refused, now - self._logged_at)
            self._logged_at = now
            self._refused = 0

    def served(self) -> None:
        if self.since is None:
            return
        log.warning("database reachable again after %.1f s; %d attempts had failed",
                    self._clock() - self.since, self._total)
        self.since = None
        self._refused = self._total = 0
