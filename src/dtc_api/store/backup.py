"""A consistent copy of a live SQLite database, taken without stopping writes.

SQLite's online backup API copies the database inside one read transaction: with WAL,
writers go on while it runs, and the copy is the database as of the moment it began. The
copy is written beside its destination and renamed into place once checked, so a failed
backup never leaves a half-written file under the destination's name.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def backup_sqlite(database_url: str, destination: Path) -> int:
    """Copy the SQLite database at ``database_url`` to ``destination``; returns its size."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError("dtc-api backup copies SQLite databases; for PostgreSQL use "
                          "pg_dump (see the README's section on backups)")
    source_path = url.database
    if not source_path or source_path == ":memory:" or not Path(source_path).exists():
        raise BackupError(f"no SQLite database at {source_path!r}")
    destination = destination.resolve()
    if destination == Path(source_path).resolve():
        raise BackupError("the backup must not overwrite the database itself")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # all pages in one step: one read transaction, consistent
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            checked = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
    finally:
        source.close()
    if checked != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {checked}")
    os.replace(partial, destination)
    return destination.stat().st_size
