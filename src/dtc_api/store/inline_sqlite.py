"""SQLite for SQLAlchemy's asyncio engine, run inline on the event loop.

SQLAlchemy's aiosqlite dialect sends every call (execute, fetch, commit) to a thread of its
own and back: hundreds of microseconds a statement, where the statement itself takes tens.
This connection has the interface that dialect drives (aiosqlite's), but runs each call on a
``sqlite3`` connection directly. Only waiting is asynchronous: the connection has no busy
timeout, and a statement that finds the database locked by another process (SQLITE_BUSY:
nothing was done) is retried after an ``asyncio.sleep``, until the timeout, so a locked
database never blocks the event loop. Within one process, ``Database.write`` already queues
the writers.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

_FIRST_PAUSE = 0.001
_LONGEST_PAUSE = 0.025


def _busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error)


class InlineCursor:
    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection.raw.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_: Any) -> None:
        await self.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await self._connection.patiently(self._cursor.execute, sql, parameters or ())
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        await self._connection.patiently(self._cursor.executemany, sql, list(parameters))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> Sequence[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _Opening:
    """What ``cursor()`` returns: awaitable, and an async context manager, as aiosqlite's."""

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection

    def __await__(self) -> Any:
        return self.__aenter__().__await__()

    async def __aenter__(self) -> InlineCursor:
        return InlineCursor(self._connection)

    async def __aexit__(self, *_: Any) -> None:
        pass


class InlineConnection:
    def __init__(self, raw: sqlite3.Connection, busy_timeout: float) -> None:
        self.raw = raw
        self.busy_timeout = busy_timeout
        self._open = True

    @property
    def _connection(self) -> sqlite3.Connection | None:  # the dialect checks it is open
        return self.raw if self._open else None

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    async def patiently(self, call: Any, *args: Any) -> Any:
        """``call(*args)``, again after a pause while another process holds the lock."""
        pause = _FIRST_PAUSE
        deadline = None
        while True:
            try:
                return call(*args)
            except sqlite3.OperationalError as error:
                if not _busy(error):
                    raise
                loop = asyncio.get_running_loop()
                deadline = deadline or loop.time() + self.busy_timeout
                if loop.time() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE)

    def cursor(self) -> _Opening:
        return _Opening(self)

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await InlineCursor(self).execute(sql, parameters)

    async def commit(self) -> None:
        await self.patiently(self.raw.commit)

    async def rollback(self) -> None:
        self.raw.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        self._open = False
        self.raw.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self.raw.create_function(*args, **kwargs)


def creator(path: str, busy_timeout: float) -> Any:
    """``async_creator`` for ``create_async_engine``."""

    async def connect() -> InlineConnection:
        raw = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        raw.execute("PRAGMA busy_timeout=0")  # waiting is done by ``patiently``
        return InlineConnection(raw, busy_timeout)

    return connect
