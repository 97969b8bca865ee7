"""The write-ahead log is copied back into the database file by a thread of the process, not
by a commit on the event loop (store/checkpoints.py)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dtc_api.store.db import Database
from dtc_api.store.reads import Query

_CREATE = Query("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
_INSERT = Query("INSERT INTO notes (body) VALUES ($1)")
_COUNT = Query("SELECT count(*) AS n FROM notes")
PAGE = 4096


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'notes.db'}")
    async with database.transaction() as conn:
        await conn.execute(_CREATE)
    yield database
    await database.dispose()


def _file_size(db: Database) -> int:
    return os.path.getsize(str(db.url.database))


async def _write_pages(db: Database, pages: int) -> None:
    """``pages`` pages of rows, a commit every 10."""
    for _ in range(pages // 10):
        async with db.transaction() as conn:
            for _ in range(10):
                await conn.execute(_INSERT, "x" * (PAGE - 200))


async def _until(condition: object, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_commits_past_a_thousand_pages_of_log_leave_the_copy_to_the_thread(
    db: Database,
) -> None:
    checkpointer = db.checkpointer
    assert checkpointer is not None
    await _until(lambda: checkpointer.checkpoints == 1)  # the table's creation
    checkpointer.every, checkpointer.interval = 10**9, 3600  # the thread holds back
    before = _file_size(db)

    # SQLite's own default would copy the log back at 1,000 pages, in the committing call
    await _write_pages(db, 1500)
    assert _file_size(db) == before  # every page is still in the log only

    checkpointer.every = 1
    async with db.transaction() as conn:  # the next commit wakes the thread
        await conn.execute(_INSERT, "last")
    await _until(lambda: checkpointer.checkpoints == 2)
    assert _file_size(db) >= before + 1500 * PAGE
    async with db.transaction() as conn:
        assert (await conn.one(_COUNT)) == {"n": 1501}


async def test_a_few_commits_are_copied_back_after_the_interval(db: Database) -> None:
    checkpointer = db.checkpointer
    assert checkpointer is not None
    await _until(lambda: checkpointer.checkpoints == 1)
    checkpointer.interval = 0.05
    before = _file_size(db)

    await _write_pages(db, 30)

    await _until(lambda: _file_size(db) >= before + 30 * PAGE)


async def test_the_thread_ends_with_the_database(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'notes.db'}")
    async with db.transaction() as conn:
        await conn.execute(_CREATE)
    assert db.checkpointer is not None
    thread = db.checkpointer._thread
    assert thread is not None and thread.is_alive()

    await db.dispose()

    assert not thread.is_alive()


@pytest.mark.skipif(sys.platform != "linux", reason="Linux scheduling policies")
async def test_the_thread_runs_at_idle_priority(db: Database) -> None:
    assert db.checkpointer is not None
    thread = db.checkpointer._thread
    assert thread is not None and thread.native_id is not None
    await _until(lambda: os.sched_getscheduler(thread.native_id) == os.SCHED_IDLE)

