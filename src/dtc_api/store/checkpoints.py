"""Checkpoints of a SQLite database's write-ahead log, off the event loop.

SQLite copies the log back into the database file (a checkpoint) in whichever connection
commits past 1,000 pages of log: on the event loop, the commit that happens to do it takes
milliseconds (the copy and an fsync) where a commit takes ~25 µs, and every request waits.
Here a thread does it, after ``every`` commits or ``interval`` seconds after the first commit
since the last checkpoint, while this process's writers wait for it (reads and everything
else go on). Writers must wait: the log starts over from its beginning only once a
checkpoint has copied all of it, which a checkpoint racing the writers of its own process
never does; the log would grow to SAFETY_PAGES.

A commit still checkpoints on the loop if the log reaches SAFETY_PAGES (checkpoints failing
for long): the log stays bounded whatever happens.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

# The write-ahead log's size (pages) at which a commit checkpoints it itself
# (``PRAGMA wal_autocheckpoint`` of the writing connections; SQLite's default is 1,000).
SAFETY_PAGES = 10_000
EVERY = 200  # commits (~700 pages for logins, ~2.8 MB)
INTERVAL = 0.5  # seconds


class Checkpointer:
    """The checkpoints of one database file, for the writers that queue on ``writing``."""

    def __init__(self, path: str, writing: asyncio.Lock, *, every: int = EVERY,
                 interval: float = INTERVAL) -> None:
        self.path = path
        self.writing = writing
        self.every = every
        self.interval = interval
        self.checkpoints = 0  # completed, for the curious
        self._commits = 0  # since the last checkpoint began
        self._timer: asyncio.TimerHandle | None = None
        self._running: asyncio.Task[None] | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None  # the thread's
        self._stopped = False

    def committed(self) -> None:
        """Called on the event loop after each commit of a writing connection."""
        self._commits += 1
        if self._running is not None or self._stopped:
            return  # the next checkpoint takes this commit too
        if self._commits >= self.every:
            self._start()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.interval, self._start)

    def _start(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._running is None and not self._stopped:
            self._running = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            async with self.writing:
                self._commits = 0
                if self._thread is None:
                    self._thread = ThreadPoolExecutor(1, thread_name_prefix="dtc-checkpoint")
                await asyncio.get_running_loop().run_in_executor(self._thread,
                                                                 self._checkpoint)
        finally:
            # (No commit can come between the lock's release and this: the next one counts
            # towards the next checkpoint.)
            self._running = None

    def _checkpoint(self) -> None:
        """On the thread."""
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(self.path, isolation_level=None,
                                             check_same_thread=False)
            # PASSIVE: copies what no reader still needs and waits for no one (another
            # process's writers go on). This process's writers wait on the lock.
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # busy (another process checkpoints), or gone
            log.debug("checkpoint skipped", extra={"error": str(error)})
            return
        self.checkpoints += 1

    async def stop(self) -> None:
        """No more checkpoints: the one under way ends, the thread and its connection close."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._close)
            self._thread.shutdown(wait=True)
            self._thread = None

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
