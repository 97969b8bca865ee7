"""SQLite statements run on the event loop; waiting for another process's write lock does not."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.exc

from dtc_api.store.db import Database
from dtc_api.store.reads import Query


async def _table(db: Database) -> None:
    async with db.write() as conn:
        await conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")


async def _longest_pause(until: asyncio.Task[object]) -> float:
    """The longest gap between ticks of the event loop while ``until`` runs."""
    longest, last = 0.0, time.monotonic()
    while not until.done():
        await asyncio.sleep(0.002)
        now = time.monotonic()
        longest, last = max(longest, now - last), now
    return longest


async def test_a_writer_waits_for_another_process_lock_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'notes.db'}"
    first, second = Database(url), Database(url)  # two processes' handles
    try:
        await _table(first)

        async def write_second() -> None:
            async with second.write() as conn:
                await conn.exec_driver_sql("INSERT INTO notes (body) VALUES ('second')")

        async with first.write() as conn:
            await conn.exec_driver_sql("INSERT INTO notes (body) VALUES ('first')")
            waiting = asyncio.create_task(write_second())
            await asyncio.sleep(0.3)
            assert not waiting.done()  # the lock is held: it waits
            pause = asyncio.create_task(_longest_pause(waiting))
            await asyncio.sleep(0.05)
        await waiting
        assert await pause < 0.05  # the loop kept running while it waited

        async with first.read() as conn:
            bodies = (await conn.execute(sa.text("SELECT body FROM notes ORDER BY id"))).all()
        assert [b for (b,) in bodies] == ["first", "second"]
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_writer_gives_up_after_the_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'notes.db'}"
    first, impatient = Database(url), Database(url, connect_args={"timeout": 0.2})
    try:
        await _table(first)
        async with first.write() as conn:
            await conn.exec_driver_sql("INSERT INTO notes (body) VALUES ('first')")
            started = time.monotonic()
            with pytest.raises(sqlalchemy.exc.OperationalError, match="locked"):
                async with impatient.write() as other:
                    await other.exec_driver_sql("INSERT INTO notes (body) VALUES ('late')")
            assert 0.15 < time.monotonic() - started < 1.0
    finally:
        await first.dispose()
        await impatient.dispose()


async def test_writers_of_one_process_take_turns(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'notes.db'}", pool_size=5)
    try:
        await _table(db)

        async def add(body: str) -> None:
            async with db.write() as conn:
                await conn.exec_driver_sql("INSERT INTO notes (body) VALUES (?)", (body,))
                await asyncio.sleep(0.001)  # others queue meanwhile

        await asyncio.gather(*(add(f"note {n}") for n in range(50)))
        async with db.read() as conn:
            assert await conn.scalar(sa.text("SELECT count(*) FROM notes")) == 50
    finally:
        await db.dispose()


async def test_a_plain_transaction_waits_for_another_process_lock_and_gives_up_in_time(
    tmp_path: Path,
) -> None:
    """``Database.transaction`` meets another process's write lock as ``write`` does: it waits
    without blocking the loop, then either goes ahead or fails after the busy timeout."""
    url = f"sqlite:///{tmp_path / 'notes.db'}"
    first, second = Database(url), Database(url)
    impatient = Database(url, connect_args={"timeout": 0.2})
    insert = Query("INSERT INTO notes (body) VALUES ($1)")
    try:
        await _table(first)

        async def write_second() -> None:
            async with second.transaction() as statements:
                await statements.execute(insert, "second")

        async with first.write() as conn:
            await conn.exec_driver_sql("INSERT INTO notes (body) VALUES ('first')")
            waiting = asyncio.create_task(write_second())
            await asyncio.sleep(0.3)
            assert not waiting.done()
            pause = asyncio.create_task(_longest_pause(waiting))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                async with impatient.transaction() as statements:
                    await statements.execute(insert, "late")
            assert 0.15 < time.monotonic() - started < 1.0
        await waiting
        assert await pause < 0.05

        async with impatient.transaction() as statements:  # its connection still serves
            await statements.execute(insert, "third")
        async with first.read() as conn:
            bodies = (await conn.execute(sa.text("SELECT body FROM notes ORDER BY id"))).all()
        assert [b for (b,) in bodies] == ["first", "second", "third"]
    finally:
        for db in (first, second, impatient):
            await db.dispose()
