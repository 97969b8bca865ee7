"""The read path: SQL written once, run without per-statement overhead.

Transactions that write are opened by SQLAlchemy (``Database.write``), which also keeps the
table definitions and migrations. Reads that every request makes (the token lookup, the
customer and their orders, display items) go through here instead: each statement is plain
SQL text, prepared once per connection, and a request's reads run as one unit:

- SQLite: on a synchronous ``sqlite3`` connection, inline on the event loop (WAL, so a read
  never waits for a writer; one read transaction per unit so the unit sees one snapshot). An
  indexed read of a customer with their orders takes tens of microseconds, far less than one
  hop to a thread and back.
- PostgreSQL: on an asyncpg connection from the reader's own pool, whose prepared-statement
  cache prepares each statement once per connection. No explicit transaction: every statement
  is one round trip, and statements that do not depend on each other's answers can be sent
  as one (``Reads.batch``: each one's rows come back as JSON), which saves the round trips
  where they dominate (a customer's parts, read by their id alone).

A read function is an ``async def`` taking a ``Reads`` as its first argument, so the same
function also runs inside a write transaction (``within(conn)``), where it sees that
transaction's changes. There, ``execute`` also runs the statements of writes without
SQLAlchemy's per-statement construction; the hottest writes (new sessions, logins, the
limiters) run in ``Database.transaction``, plain statements with no SQLAlchemy at all.

SQL is written for PostgreSQL (``$1`` parameters; ``= ANY($1)`` with a list for IN;
``FOR UPDATE`` at the end, which SQLite drops: its write transactions hold the whole
database); the SQLite form is derived once per statement, and datetime parameters are sent
to SQLite in the form SQLAlchemy stores them in (naive UTC, microseconds always written).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, ParamSpec, Protocol, TypeAlias, TypeVar

import asyncpg
import orjson
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection

Row = dict[str, Any]
T = TypeVar("T")
P = ParamSpec("P")

_UTC = dt.UTC


def _sqlite_datetime(value: Any) -> Any:
    if value is None or isinstance(value, dt.datetime):
        return value
    if len(value) > 10:  # a time of day: stored naive in UTC
        try:
            # Parsed with its offset: ~6x faster than replace(tzinfo=…) afterwards.
            return dt.datetime.fromisoformat(value + "+00:00")
        except ValueError:  # written with an offset of its own
            pass
    parsed = dt.datetime.fromisoformat(value)
    return parsed.replace(tzinfo=_UTC) if parsed.tzinfo is None else parsed.astimezone(_UTC)


def _pg_datetime(value: Any) -> Any:
    return None if value is None else value.astimezone(_UTC)


def _json_datetime(value: Any) -> Any:
    """A timestamp as PostgreSQL writes it in JSON (ISO 8601 with its offset)."""
    return None if value is None else dt.datetime.fromisoformat(value).astimezone(_UTC)


def _iso_date(value: Any) -> Any:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


def _bool(value: Any) -> Any:
    return None if value is None else bool(value)


def _same(value: Any) -> Any:
    return value


def _float(value: Any) -> Any:
    """A float column: JSON writes a whole value without its decimals."""
    return None if value is None else float(value)


# Column kinds that the drivers return differently; everything else (integers, text, floats)
# comes back the same from both. PostgreSQL's JSON of a row (``Reads.batch``) returns floats,
# dates and times as JSON does: those must be declared to read the same.
_DECODERS: dict[str, tuple[Callable[[Any], Any], ...]] = {
    # kind: (SQLite, PostgreSQL, PostgreSQL's JSON of the row)
    "datetime": (_sqlite_datetime, _pg_datetime, _json_datetime),
    "date": (_iso_date, _same, _iso_date),
    "json": (_json, _json, _same),
    "bool": (_bool, _same, _same),
    "float": (_same, _same, _float),
}
SQLITE, POSTGRES, POSTGRES_JSON = 0, 1, 2  # which decoder of a column kind applies

_PARAMETER = re.compile(r"\$(\d+)")
_ANY = re.compile(r"=\s*ANY\(\$(\d+)\)")
_FOR_UPDATE = re.compile(r"\s+FOR UPDATE( OF \w+)?$")


def _sqlite_parameter(value: Any) -> Any:
    """A datetime as SQLAlchemy's UTCDateTime stores it on SQLite, so that equality with
    stored values (keys such as a limiter's window start) holds."""
    if type(value) is not dt.datetime:
        return value
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(_UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


class Query:
    """One SQL statement and how to decode its columns.

    ``Query("SELECT id, created_at FROM t WHERE id = $1", created_at="datetime")``
    """

    __slots__ = ("_builders", "_json_decoders", "kinds", "lists", "pg", "sqlite")

    def __init__(self, sql: str, **kinds: str) -> None:
        self.pg = " ".join(sql.split())
        self.lists = frozenset(int(n) - 1 for n in _ANY.findall(self.pg))
        sqlite = _ANY.sub(r"IN (SELECT value FROM json_each($\1))", self.pg)
        self.sqlite = _PARAMETER.sub(r"?\1", _FOR_UPDATE.sub("", sqlite))
        unknown = set(kinds.values()) - set(_DECODERS)
        if unknown:
            raise ValueError(f"unknown column kinds {sorted(unknown)}")
        self.kinds = kinds
        self._json_decoders = tuple((c, _DECODERS[k][POSTGRES_JSON]) for c, k in kinds.items())
        # (driver, column names) -> the function that turns its rows into dicts
        self._builders: dict[tuple[int, tuple[str, ...]], Callable[[Any], list[Row]]] = {}

    def rows(self, driver: int, names: tuple[str, ...], fetched: Any) -> list[Row]:
        """``fetched`` (tuples, or asyncpg records, of the columns ``names``) as dicts, each
        column of a declared kind decoded for ``driver`` (``SQLITE`` or ``POSTGRES``)."""
        build = self._builders.get((driver, names))
        if build is None:
            build = self._builders[(driver, names)] = _builder(
                names, {c: _DECODERS[k][driver] for c, k in self.kinds.items()})
        return build(fetched)

    def decoded(self, rows: list[Row]) -> list[Row]:
        """Rows that PostgreSQL wrote as JSON objects, their columns decoded in place."""
        decoders = self._json_decoders
        if decoders:
            for row in rows:
                for column, decode in decoders:
                    if column in row:
                        row[column] = decode(row[column])
        return rows

    def sqlite_args(self, args: Sequence[Any]) -> Sequence[Any]:
        if self.lists:
            return [orjson.dumps(list(a)).decode() if i in self.lists else _sqlite_parameter(a)
                    for i, a in enumerate(args)]
        for a in args:
            if type(a) is dt.datetime:
                return [_sqlite_parameter(a) for a in args]
        return args

    def __repr__(self) -> str:
        return f"Query({self.pg!r})"


def _builder(names: tuple[str, ...], decoders: dict[str, Callable[[Any], Any]]
             ) -> Callable[[Any], list[Row]]:
    """A function building the dicts of rows with these columns: one dict literal per row
    (about three times faster than ``dict(zip(names, row))``), with the decoding inline.
    Column names are only ever written as string literals; a repeated name keeps its last
    value, as ``dict(zip(...))`` would."""
    scope: dict[str, Any] = {}
    entries = []
    for i, name in enumerate(names):
        if name in decoders:
            scope[f"d{i}"] = decoders[name]
            entries.append(f"{name!r}: d{i}(r[{i}])")
        else:
            entries.append(f"{name!r}: r[{i}]")
    source = f"def build(rows):\n    return [{{{', '.join(entries)}}} for r in rows]\n"
    exec(compile(source, "<rows>", "exec"), scope)  # noqa: S102 (literals and indexes only)
    return scope["build"]  # type: ignore[no-any-return]


class Reads(Protocol):
    """Statements of one read unit."""

    async def all(self, query: Query, *args: Any) -> list[Row]: ...

    async def one(self, query: Query, *args: Any) -> Row | None: ...

    async def scalar(self, query: Query, *args: Any) -> Any: ...

    async def execute(self, query: Query, *args: Any) -> int:
        """A statement without rows (in a write transaction); the number of rows changed."""
        ...

    async def batch(self, calls: Sequence[tuple[Query, Sequence[Any]]]) -> list[list[Row]]:
        """The rows of each (query, args), for queries that do not depend on each other's
        answers: on PostgreSQL in one round trip (``batched``), elsewhere one by one.

        On PostgreSQL the rows come back as JSON: a query batched may select integers, text
        and booleans as they are, and other types only as a declared kind (a timestamp as
        ``datetime``, a float as ``float``…); numeric, uuid, bytea, interval or time columns,
        or infinite dates, do not come back as their own type and must not be batched."""
        ...


async def _one_by_one(reads: Reads, calls: Sequence[tuple[Query, Sequence[Any]]]
                      ) -> list[list[Row]]:
    return [await reads.all(query, *args) for query, args in calls]


@functools.lru_cache(maxsize=256)  # one per combination of statements the code batches
def batched(queries: tuple[Query, ...]) -> tuple[str, tuple[int, ...]]:
    """One SELECT answering several, and how many arguments each query takes: each query's
    rows as a JSON array, in its own order, all in one JSON array. Each query's parameters
    ($1…$n, every one used) are renumbered after the previous query's."""
    parts = []
    counts = []
    for query in queries:
        if _FOR_UPDATE.search(query.pg):
            raise ValueError(f"a query that locks cannot be batched: {query!r}")
        numbers = {int(n) for n in _PARAMETER.findall(query.pg)}
        if numbers != set(range(1, len(numbers) + 1)):
            raise ValueError(f"the parameters of {query!r} are not $1…$n")
        shift = sum(counts)
        sql = _PARAMETER.sub(lambda m, shift=shift: f"${int(m.group(1)) + shift}", query.pg)
        # A sorted subquery feeds json_agg in its order (no join or grouping above it); r.*
        # is the whole row even if a column is named r. The statements are the code's own.
        parts.append(f"(SELECT coalesce(json_agg(r.*), '[]') FROM ({sql}) r)")  # noqa: S608
        counts.append(len(numbers))
    return f"SELECT json_build_array({', '.join(parts)})", tuple(counts)


# Who is told of each statement (the tests that pin how many statements a request makes).
_observers: list[Callable[[str], None]] = []


def observe(callback: Callable[[str], None]) -> Callable[[], None]:
    """Call ``callback(sql)`` for every statement on the read path; returns the undo."""
    _observers.append(callback)
    return lambda: _observers.remove(callback)


def _sent(sql: str) -> None:
    for callback in _observers:
        callback(sql)


class SqliteReads:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, query: Query, args: Sequence[Any]) -> list[Row]:
        if _observers:
            _sent(query.sqlite)
        cursor = self.conn.execute(query.sqlite, query.sqlite_args(args))
        fetched = cursor.fetchall()
        return query.rows(SQLITE, tuple(d[0] for d in cursor.description), fetched)

    async def all(self, query: Query, *args: Any) -> list[Row]:
        return self.rows(query, args)

    async def one(self, query: Query, *args: Any) -> Row | None:
        rows = self.rows(query, args)
        return rows[0] if rows else None

    async def scalar(self, query: Query, *args: Any) -> Any:
        if _observers:
            _sent(query.sqlite)
        row = self.conn.execute(query.sqlite, query.sqlite_args(args)).fetchone()
        return None if row is None else row[0]

    async def execute(self, query: Query, *args: Any) -> int:
        if _observers:
            _sent(query.sqlite)
        return self.conn.execute(query.sqlite, query.sqlite_args(args)).rowcount

    async def batch(self, calls: Sequence[tuple[Query, Sequence[Any]]]) -> list[list[Row]]:
        return [self.rows(query, args) for query, args in calls]


class AiosqliteReads:
    """The same statements on the aiosqlite connection of a write transaction."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def all(self, query: Query, *args: Any) -> list[Row]:
        if _observers:
            _sent(query.sqlite)
        cursor = await self.conn.execute(query.sqlite, query.sqlite_args(args))
        fetched = await cursor.fetchall()
        names = tuple(d[0] for d in cursor.description)
        await cursor.close()
        return query.rows(SQLITE, names, fetched)

    async def one(self, query: Query, *args: Any) -> Row | None:
        rows = await self.all(query, *args)
        return rows[0] if rows else None

    async def scalar(self, query: Query, *args: Any) -> Any:
        row = await self.one(query, *args)
        return None if row is None else next(iter(row.values()))

    async def execute(self, query: Query, *args: Any) -> int:
        if _observers:
            _sent(query.sqlite)
        cursor = await self.conn.execute(query.sqlite, query.sqlite_args(args))
        changed = cursor.rowcount
        await cursor.close()
        return int(changed)

    async def batch(self, calls: Sequence[tuple[Query, Sequence[Any]]]) -> list[list[Row]]:
        return await _one_by_one(self, calls)


class PostgresReads:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def all(self, query: Query, *args: Any) -> list[Row]:
        if _observers:
            _sent(query.pg)
        records = await self.conn.fetch(query.pg, *args)
        return query.rows(POSTGRES, tuple(records[0].keys()), records) if records else []

    async def one(self, query: Query, *args: Any) -> Row | None:
        if _observers:
            _sent(query.pg)
        record = await self.conn.fetchrow(query.pg, *args)
        return None if record is None else query.rows(POSTGRES, tuple(record.keys()),
                                                      (record,))[0]

    async def scalar(self, query: Query, *args: Any) -> Any:
        if _observers:
            _sent(query.pg)
        return await self.conn.fetchval(query.pg, *args)

    async def execute(self, query: Query, *args: Any) -> int:
        if _observers:
            _sent(query.pg)
        status = await self.conn.execute(query.pg, *args)  # e.g. "UPDATE 1"
        return int(status.rpartition(" ")[2] or 0)

    async def batch(self, calls: Sequence[tuple[Query, Sequence[Any]]]) -> list[list[Row]]:
        if len(calls) < 2:
            return await _one_by_one(self, calls)
        sql, counts = batched(tuple(query for query, _ in calls))
        for (query, args), count in zip(calls, counts, strict=True):
            if len(args) != count:
                raise ValueError(f"{query!r} takes {count} arguments, not {args!r}")
        if _observers:
            _sent(sql)
        # json arrives as text, or decoded by a codec set on the connection (SQLAlchemy's).
        answers = _json(await self.conn.fetchval(
            sql, *[arg for _, args in calls for arg in args]))
        return [query.decoded(rows) for (query, _), rows in zip(calls, answers, strict=True)]


async def within(conn: Conn) -> Reads:
    """The statements of an open SQLAlchemy transaction: they see its uncommitted changes,
    and what they write is committed or rolled back with it. Statements already (those of
    ``Database.transaction``) are their own."""
    if isinstance(conn, _STATEMENTS):
        return conn
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    if isinstance(driver, asyncpg.Connection):
        if conn.in_transaction() and not driver.is_in_transaction():
            # SQLAlchemy's asyncpg adapter sends BEGIN only with its own first statement;
            # statements sent before it would each commit at once (and drop their locks).
            await raw.dbapi_connection._start_transaction()  # type: ignore[union-attr]
        return PostgresReads(driver)
    return AiosqliteReads(driver)


_STATEMENTS = (SqliteReads, AiosqliteReads, PostgresReads)

# What a write runs on: SQLAlchemy's connection (``Database.write``) or statements already
# (``Database.transaction``); ``within`` gives the statements of either.
Conn: TypeAlias = "AsyncConnection | Reads"


class Reader(Protocol):
    async def run(self, unit: Callable[..., Awaitable[T]], *args: Any) -> T: ...

    async def one(self, query: Query, *args: Any) -> Row | None: ...

    async def close(self) -> None: ...

    def use(self) -> tuple[int, int]:
        """Connections (in use, idle)."""
        ...


class SqliteReader:
    """Read connections to one SQLite file, used inline on the event loop.

    A unit normally finishes without suspending, so one connection serves every request;
    more are opened only when a unit awaits something else while its connection is out.
    """

    MAX_IDLE = 4

    def __init__(self, path: str, busy_timeout_ms: int = 10_000) -> None:
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._idle: list[sqlite3.Connection] = []
        self._out = 0  # connections handed to a unit that has not finished

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=self.busy_timeout_ms / 1000)
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA query_only=ON")
        return conn

    def _checkout(self) -> sqlite3.Connection:
        conn = self._idle.pop() if self._idle else self._connect()
        self._out += 1
        return conn

    def _release(self, conn: sqlite3.Connection) -> None:
        self._out -= 1
        if len(self._idle) < self.MAX_IDLE:
            self._idle.append(conn)
        else:
            conn.close()

    async def run(self, unit: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``unit(reads, *args)`` in one read transaction (one snapshot)."""
        conn = self._checkout()
        try:
            conn.execute("BEGIN")
            result = await unit(SqliteReads(conn), *args)
            conn.execute("COMMIT")
        except BaseException:
            self._discard(conn)
            raise
        self._release(conn)
        return result

    def _discard(self, conn: sqlite3.Connection) -> None:
        """After a failed unit: end its read transaction and keep the connection if it is
        still sound."""
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            self._out -= 1
            conn.close()
        else:
            self._release(conn)

    def use(self) -> tuple[int, int]:
        """Connections (in use, idle)."""
        return self._out, len(self._idle)

    async def one(self, query: Query, *args: Any) -> Row | None:
        """One statement, in its own implicit transaction."""
        conn = self._checkout()
        try:
            rows = SqliteReads(conn).rows(query, args)
        except BaseException:
            self._discard(conn)
            raise
        self._release(conn)
        return rows[0] if rows else None

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


class PostgresReader:
    """An asyncpg pool of its own; statements are prepared once per connection."""

    def __init__(self, url: URL, pool_size: int, connect_args: dict[str, Any],
                 acquire_timeout: float = 30.0) -> None:
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.pool_size = pool_size
        self.connect_args = connect_args
        self.acquire_timeout = acquire_timeout
        self._pool: asyncpg.Pool | None = None
        self._creating = asyncio.Lock()

    async def _ready(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._creating:  # one pool, however many requests arrive first
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self.dsn, min_size=0, max_size=self.pool_size, **self.connect_args)
        return self._pool

    def use(self) -> tuple[int, int]:
        """Connections (in use, idle)."""
        if self._pool is None:
            return 0, 0
        idle = self._pool.get_idle_size()
        return self._pool.get_size() - idle, idle

    async def run(self, unit: Callable[..., Awaitable[T]], *args: Any) -> T:
        pool = await self._ready()
        async with pool.acquire(timeout=self.acquire_timeout) as conn:
            return await unit(PostgresReads(conn), *args)

    async def one(self, query: Query, *args: Any) -> Row | None:
        pool = await self._ready()
        async with pool.acquire(timeout=self.acquire_timeout) as conn:
            return await PostgresReads(conn).one(query, *args)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresReads]:
        """A write transaction on a connection of this pool (``Database.transaction``)."""
        pool = await self._ready()
        async with pool.acquire(timeout=self.acquire_timeout) as conn, conn.transaction():
            yield PostgresReads(conn)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
