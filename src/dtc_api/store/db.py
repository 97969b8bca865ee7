"""One database handle for SQLite (embedded) and PostgreSQL (scale-out), same queries on both."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from dtc_api.config import ConfigError
from dtc_api.store import inline_sqlite
from dtc_api.store.availability import Outage
from dtc_api.store.checkpoints import SAFETY_PAGES, Checkpointer
from dtc_api.store.reads import (
    AiosqliteReads,
    PostgresReader,
    Query,
    Reader,
    Reads,
    Row,
    SqliteReader,
    within,
)

T = TypeVar("T")


def async_url(url: str) -> sa.URL:
    """Map the public URL forms (``sqlite:///…``, ``postgresql://…``) to their async drivers."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg")
    raise ConfigError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


class Database:
    def __init__(self, url: str, *, pool_size: int = 10,
                 connect_args: dict[str, Any] | None = None) -> None:
        self.url = async_url(url)
        self.dialect = self.url.get_backend_name()
        # Statement parameters (password hashes, e-mail addresses, tokens) never reach a log
        # or an exception message.
        kwargs: dict[str, Any] = {"connect_args": dict(connect_args or {}),
                                  "hide_parameters": True}
        path = self.url.database if self.dialect == "sqlite" else None
        self.inline = bool(path) and path != ":memory:"
        kwargs["pool_size"] = pool_size
        if self.dialect == "sqlite":
            timeout = kwargs["connect_args"].setdefault("timeout", 10)
            if self.inline:  # statements run on the event loop (store/inline_sqlite.py)
                kwargs["async_creator"] = inline_sqlite.creator(str(path), timeout)
        else:
            kwargs["pool_pre_ping"] = False
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self.outage = Outage()
        self._writing = asyncio.Lock()
        self._busy_timeout = float(kwargs["connect_args"].get("timeout", 10))
        self._plain: inline_sqlite.InlineConnection | None = None  # transaction()'s
        # The write-ahead log is copied back by a thread, not by a commit on the event loop.
        self.checkpointer = Checkpointer(str(path), self._writing) if self.inline else None
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, busy_timeout_ms=0 if self.inline else 10_000)
        self.reader = self._reader(pool_size, dict(connect_args or {}))

    def _reader(self, pool_size: int, connect_args: dict[str, Any]) -> Reader:
        if self.dialect != "sqlite":
            return PostgresReader(self.url, pool_size, connect_args)
        if not self.inline:  # an in-memory database is private to each connection
            return _EngineReader(self)
        return SqliteReader(str(self.url.database),
                            int(connect_args.get("timeout", 10) * 1000))

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that will write: committed on success, rolled back on error.

        On SQLite it starts with BEGIN IMMEDIATE, so it takes the write lock up front
        (waiting up to the busy timeout) instead of failing when a read upgrades to a write.
        """
        if not self.is_sqlite:
            async with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        # SQLite has one writer at a time. Waiting here, in order, rather than in SQLite's
        # busy handler (which sleeps and retries, so a writer can lose every race for
        # seconds) keeps the tail of write latency short; other processes still meet the
        # busy timeout.
        async with self._writing, self.engine.connect() as conn:
            await conn.execution_options(dtc_immediate=True)
            async with conn.begin():
                yield conn
        self._committed()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Reads]:
        """A write transaction of plain statements (``Query``), committed on success and
        rolled back on error, without SQLAlchemy's connection, event and greenlet machinery
        (~15 µs a transaction on SQLite where ``write()`` takes ~180).

        For the hottest writes (new sessions, logins): what runs in it uses ``within`` and
        ``Query`` alone. On SQLite it queues with ``write()``'s transactions for the write
        lock and starts with BEGIN IMMEDIATE on a connection of its own; on PostgreSQL it
        takes a connection of the read path's asyncpg pool (whose connections have no JSON
        codecs: a JSON parameter is sent as text).
        """
        if not self.is_sqlite:
            async with self.reader.transaction() as statements:  # type: ignore[attr-defined]
                yield statements
            return
        if not self.inline:  # an in-memory database: the engine's own connection
            async with self.write() as conn:
                yield await within(conn)
            return
        async with self._writing:
            conn = self._plain or await self._connect_plain()
            await conn.patiently(conn.raw.execute, "BEGIN IMMEDIATE")
            try:
                yield AiosqliteReads(conn)
                await conn.patiently(conn.raw.commit)
            except BaseException:
                self._roll_back_plain(conn)
                raise
        self._committed()

    def _committed(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.committed()

    def _roll_back_plain(self, conn: inline_sqlite.InlineConnection) -> None:
        """Roll back; a connection that cannot is closed (the next transaction opens one)."""
        try:
            conn.raw.rollback()
        except sqlite3.Error:
            self._plain = None
            conn.stop()

    async def _connect_plain(self) -> inline_sqlite.InlineConnection:
        conn = await inline_sqlite.creator(str(self.url.database), self._busy_timeout)()
        _configure(conn.raw)
        self._plain = conn
        return conn

    async def reads(self, unit: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``unit(reads, *args)`` on the read path (store/reads.py): one unit, one snapshot
        on SQLite."""
        return await self.reader.run(unit, *args)

    async def read_row(self, query: Query, *args: Any) -> Row | None:
        """One statement on the read path, without a transaction around it."""
        return await self.reader.one(query, *args)

    def pool_use(self) -> dict[str, tuple[int, int]]:
        """Connections (in use, idle) of each pool: ``write`` (the engine's, which also
        serves transactions that only read) and ``read`` (the read path's own)."""
        pool = self.engine.pool
        checked_out = getattr(pool, "checkedout", None)
        checked_in = getattr(pool, "checkedin", None)
        use = {"write": (checked_out() if checked_out else 0,
                         checked_in() if checked_in else 0)}
        if not isinstance(self.reader, _EngineReader):
            use["read"] = self.reader.use()
        return use

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def dispose(self) -> None:
        if self.checkpointer is not None:
            await self.checkpointer.stop()
        if self._plain is not None:
            self._plain, plain = None, self._plain
            plain.stop()
        await self.reader.close()
        await self.engine.dispose()


class _EngineReader:
    """The read path through the engine's own connections (an in-memory SQLite database)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def run(self, unit: Callable[..., Awaitable[T]], *args: Any) -> T:
        async with self.db.read() as conn:
            return await unit(await within(conn), *args)

    async def one(self, query: Query, *args: Any) -> Row | None:
        async with self.db.read() as conn:
            return await (await within(conn)).one(query, *args)

    async def close(self) -> None:
        pass


def _configure(sqlite: Any) -> None:
    """The settings of every SQLite connection that writes (``sqlite`` a connection or a
    cursor)."""
    sqlite.execute("PRAGMA journal_mode=WAL")
    sqlite.execute("PRAGMA foreign_keys=ON")
    sqlite.execute("PRAGMA synchronous=NORMAL")
    # Checkpoints are the Checkpointer's; a commit makes one only if the log grows this far.
    sqlite.execute(f"PRAGMA wal_autocheckpoint={SAFETY_PAGES}")


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how a transaction starts.
        if dbapi_connection.isolation_level is not None:
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        _configure(cursor)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("dtc_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
