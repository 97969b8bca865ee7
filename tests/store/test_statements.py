"""Plain SQL statements inside a write transaction (``within``) belong to that transaction."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from dtc_api.store import tables as t
from dtc_api.store.db import Database
from dtc_api.store.reads import Query, Reads, batched, within

HIT = Query('INSERT INTO rate_limit_hits ("key", window_start, hits) VALUES ($1, $2, 1) '
            'ON CONFLICT ("key", window_start) DO UPDATE SET hits = rate_limit_hits.hits + 1 '
            "RETURNING hits")
HITS = Query('SELECT hits, window_start FROM rate_limit_hits WHERE "key" = $1',
             window_start="datetime")
HIT_COUNT = Query('SELECT hits FROM rate_limit_hits WHERE "key" = $1 AND hits > $2')
START = dt.datetime(2026, 12, 2, 13, 0, tzinfo=dt.UTC)


class Refused(Exception):
    pass


async def test_statements_before_any_other_are_rolled_back_with_the_transaction(
    db_url: str,
) -> None:
    db = Database(db_url)
    try:
        with pytest.raises(Refused):
            async with db.write() as conn:
                assert await (await within(conn)).scalar(HIT, "k", START) == 1
                raise Refused
        assert await db.read_row(HITS, "k") is None
        async with db.write() as conn:
            assert await (await within(conn)).scalar(HIT, "k", START) == 1
        assert await db.read_row(HITS, "k") == {"hits": 1, "window_start": START}
    finally:
        await db.dispose()


async def test_a_plain_transaction_commits_its_statements_or_none_of_them(db_url: str) -> None:
    """``Database.transaction``: what a failed unit wrote is rolled back (its first statement
    included), the connection serves the next one, and a unit that completes is committed."""
    db = Database(db_url)
    try:
        with pytest.raises(Refused):
            async with db.transaction() as statements:
                assert await statements.scalar(HIT, "k", START) == 1
                assert await statements.scalar(HIT, "k", START) == 2
                raise Refused
        assert await db.read_row(HITS, "k") is None
        async with db.transaction() as statements:
            assert await statements.scalar(HIT, "k", START) == 1
            assert await within(statements) is statements
        assert await db.read_row(HITS, "k") == {"hits": 1, "window_start": START}
    finally:
        await db.dispose()


async def test_a_cancelled_plain_transaction_writes_nothing(db_url: str) -> None:
    db = Database(db_url)
    try:
        entered = asyncio.Event()

        async def slow() -> None:
            async with db.transaction() as statements:
                await statements.scalar(HIT, "k", START)
                entered.set()
                await asyncio.sleep(10)

        task = asyncio.create_task(slow())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await db.read_row(HITS, "k") is None
        async with db.transaction() as statements:
            assert await statements.scalar(HIT, "k", START) == 1
    finally:
        await db.dispose()


async def test_plain_transactions_and_engine_writes_take_turns(db_url: str) -> None:
    """Each transaction reads the count and writes it back one higher after a pause: a lost
    update would leave fewer than all of them (SQLite: one writer of the process at a time;
    PostgreSQL: the row lock)."""
    read_locked = Query('SELECT hits FROM rate_limit_hits WHERE "key" = $1 FOR UPDATE')
    write = Query('UPDATE rate_limit_hits SET hits = $2 WHERE "key" = $1')
    db = Database(db_url, pool_size=5)
    try:
        async with db.transaction() as statements:
            await statements.scalar(HIT, "k", START)

        async def add(statements: Reads) -> None:
            hits = await statements.scalar(read_locked, "k")
            await asyncio.sleep(0.001)  # the others queue meanwhile
            await statements.execute(write, "k", hits + 1)

        async def plain() -> None:
            async with db.transaction() as statements:
                await add(statements)

        async def engine() -> None:
            async with db.write() as conn:
                await add(await within(conn))

        await asyncio.gather(*(plain() if n % 2 else engine() for n in range(40)))
        assert (await db.read_row(HITS, "k"))["hits"] == 41  # type: ignore[index]
    finally:
        await db.dispose()


async def test_a_datetime_matches_what_the_engine_stored(db_url: str) -> None:
    """A key holding a time (a window's start) is the same key whichever path wrote it."""
    db = Database(db_url)
    try:
        async with db.write() as conn:
            await conn.execute(sa.insert(t.rate_limit_hits).values(
                key="k", window_start=START, hits=5))
        async with db.write() as conn:
            assert await (await within(conn)).scalar(HIT, "k", START) == 6
        async with db.write() as conn:
            assert await (await within(conn)).execute(
                Query('DELETE FROM rate_limit_hits WHERE "key" = $1 AND window_start = $2'),
                "k", START) == 1
    finally:
        await db.dispose()


ODD_NAMES = Query(
    """SELECT 1 AS "it's", 2 AS "a""b", 'x' AS "dup", 'y' AS "dup",
    window_start AS "when", CAST(NULL AS TEXT) AS "nothing"
    FROM rate_limit_hits WHERE "key" = $1""", when="datetime")


async def test_any_column_names_become_the_keys_of_rows_on_every_path(db_url: str) -> None:
    """Rows are built by a function made once per statement and column list: names with
    quotes stay plain keys, a repeated name keeps its last value (as a dict of the pairs
    would), and a declared kind is decoded, on the read path and inside a transaction."""
    db = Database(db_url)
    expected = {"it's": 1, 'a"b': 2, "dup": "y", "when": START, "nothing": None}
    try:
        async with db.write() as conn:
            await (await within(conn)).scalar(HIT, "k", START)
        for _ in range(2):  # built on the first run, reused on the second
            assert await db.read_row(ODD_NAMES, "k") == expected
            async with db.write() as conn:
                assert await (await within(conn)).all(ODD_NAMES, "k") == [expected]
    finally:
        await db.dispose()



async def test_a_batch_answers_each_statement_as_alone(db_url: str) -> None:
    """Parameters renumbered across the batch (one used twice, numbers past 9), a column
    named like the batch's own row alias, no rows, and the kinds decoded."""
    odd = Query("""SELECT $1 || $2 AS r, $1 AS again, window_start AS "when"
                FROM rate_limit_hits WHERE "key" = $2 OR "key" = $1""", when="datetime")
    db = Database(db_url)
    try:
        async with db.write() as conn:
            await (await within(conn)).scalar(HIT, "k", START)
        calls = [(ODD_NAMES, ("k",)), (odd, ("x", "k")), (HITS, ("none",))] * 4

        async def both(reads: Reads) -> tuple[list[Any], list[Any]]:
            return ([await reads.all(query, *args) for query, args in calls],
                    await reads.batch(calls))

        alone, batched = await db.reads(both)
        assert batched == alone
        assert alone[1] == [{"r": "xk", "again": "x", "when": START}]
        assert alone[2] == []
    finally:
        await db.dispose()


def test_only_reads_with_every_parameter_used_are_batched() -> None:
    with pytest.raises(ValueError, match="locks"):
        batched((HITS, Query("SELECT id FROM sessions WHERE id = $1 FOR UPDATE")))
    with pytest.raises(ValueError, match=r"\$1…\$n"):
        batched((HITS, Query("SELECT $1 || $3 AS gap")))
    sql, counts = batched((HITS, ODD_NAMES, HIT_COUNT))
    assert counts == (1, 1, 2)
    assert "$4" in sql and "$5" not in sql
