"""Checkpoints of a SQLite database's write-ahead log, off the event loop.

SQLite copies the log back into the database file (a checkpoint) in whichever connection
commits past 1,000 pages of log: on the event loop, the commit that happens to do it takes
milliseconds (the copy and an fsync) where a commit takes ~25 µs, and every request waits.
Here the process's writing connections leave it to a thread of its own, at idle priority,
which checkpoints after ``every`` commits, or ``interval`` seconds after the first commit
since its last checkpoint.

A commit still checkpoints on the loop if the log reaches SAFETY_PAGES (the thread starved of
CPU for long): the log stays bounded whatever happens.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from dtc_api.core import priority

log = logging.getLogger(__name__)

# The write-ahead log's size (pages) at which a commit checkpoints it itself
# (``PRAGMA wal_autocheckpoint`` of the writing connections; SQLite's default is 1,000).
SAFETY_PAGES = 10_000
EVERY = 200  # commits (~700 pages for logins, ~2.8 MB)
INTERVAL = 0.5  # seconds


class Checkpointer:
    """The checkpointing thread of one database file, started by the first commit."""

    def __init__(self, path: str, *, every: int = EVERY, interval: float = INTERVAL) -> None:
        self.path = path
        self.every = every
        self.interval = interval
        self.checkpoints = 0  # completed, for the curious
        self._commits = 0  # since the last checkpoint (racy by a few: harmless)
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """Called after each commit of a writing connection, on the event loop."""
        self._commits += 1
        if self._commits == 1 or self._commits >= self.every:
            if self._thread is None:
                self._start()
            self._wake.set()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dtc-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        priority.to_idle()
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                if self._commits < self.every:  # a trickle: let it gather a while
                    self._wake.wait(self.interval)
                    self._wake.clear()
                self._commits = 0
                self._checkpoint(conn)
                if self._stopping:
                    return
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            # PASSIVE: copies what no reader still needs, waits for no one, blocks no one.
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # busy (another process checkpoints), or gone
            log.debug("checkpoint skipped", extra={"error": str(error)})
            return
        self.checkpoints += 1

    def stop(self) -> threading.Thread | None:
        """Ask the thread to end (after the checkpoint it may be running); returns it, to join."""
        self._stopping = True
        self._wake.set()
        return self._thread
