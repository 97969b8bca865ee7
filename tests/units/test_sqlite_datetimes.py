"""Datetimes read back from SQLite's text: aware, in UTC, whatever form the text has."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from dtc_api.store.reads import Query, SqliteReads

UTC = dt.UTC


@pytest.mark.parametrize(("stored", "read"), [
    ("2026-12-03 12:03:27.123456", dt.datetime(2026, 12, 3, 12, 3, 27, 123456, tzinfo=UTC)),
    ("2026-12-03 12:03:27", dt.datetime(2026, 12, 3, 12, 3, 27, tzinfo=UTC)),
    ("2026-12-03T12:03:27", dt.datetime(2026, 12, 3, 12, 3, 27, tzinfo=UTC)),
    ("2026-12-03 12:03:27+02:00", dt.datetime(2026, 12, 3, 10, 3, 27, tzinfo=UTC)),
    ("2026-12-03 12:03:27Z", dt.datetime(2026, 12, 3, 12, 3, 27, tzinfo=UTC)),
    ("2026-12-03", dt.datetime(2026, 12, 3, tzinfo=UTC)),
    (None, None),
])
async def test_a_stored_datetime_reads_back_aware_in_utc(stored: str | None,
                                                        read: dt.datetime | None) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (at TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (stored,))
    row = await SqliteReads(conn).one(Query("SELECT at FROM t", at="datetime"))
    assert row == {"at": read}
    if read is not None:
        assert row["at"].utcoffset() == dt.timedelta(0)
