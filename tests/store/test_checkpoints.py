"""The write-ahead log is copied back into the database file by a thread of the process, not
by a commit on the event loop, and starts over after it (store/checkpoints.py)."""

from __future__ import annotations

import asyncio
import os
import threading
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


def _file_size(db: Database, suffix: str = "") -> int:
    return os.path.getsize(f"{db.url.database}{suffix}")


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


async def test_under_steady_writes_the_log_starts_over_after_each_checkpoint(
    db: Database,
) -> None:
    """The process's writers wait while the thread copies the log back, so it copies all of
    it and the next commit writes the log from its beginning: the file stays at about a
    checkpoint's worth of commits (a checkpoint racing the writers never catches up, and the
    log grows to SAFETY_PAGES)."""
    checkpointer = db.checkpointer
    assert checkpointer is not None
    await _until(lambda: checkpointer.checkpoints == 1)

    for n in range(3000):  # one page a commit, a request at a time
        async with db.transaction() as conn:
            await conn.execute(_INSERT, f"note {n}")
        await asyncio.sleep(0)

    assert checkpointer.checkpoints >= 3000 // checkpointer.every
    assert _file_size(db, "-wal") < 2 * checkpointer.every * (PAGE + 24) + 32 * PAGE
    async with db.transaction() as conn:
        assert (await conn.one(_COUNT)) == {"n": 3000}


async def test_the_thread_ends_with_the_database(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'notes.db'}")
    assert db.checkpointer is not None
    db.checkpointer.interval = 0.01
    async with db.transaction() as conn:
        await conn.execute(_CREATE)
    await _until(lambda: _checkpoint_threads() != [])

    await db.dispose()

    assert _checkpoint_threads() == []


def _checkpoint_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate()
            if thread.name.startswith("dtc-checkpoint") and thread.is_alive()]
