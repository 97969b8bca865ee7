"""Plain SQL statements inside a write transaction (``within``) belong to that transaction."""

from __future__ import annotations

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
