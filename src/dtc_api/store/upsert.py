"""INSERT … ON CONFLICT DO UPDATE on both backends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert(conn: AsyncConnection, table: sa.Table) -> Any:
    """An INSERT of the connection's dialect, which has ``on_conflict_do_…``."""
    return (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table)


async def upsert(
    conn: AsyncConnection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    update: bool = True,
) -> None:
    """Insert ``rows``; where one with the same ``keys`` exists, overwrite its other columns
    (or, with ``update=False``, leave it as it is)."""
    if not rows:
        return
    statement = insert(conn, table)
    changed = {name: statement.excluded[name] for name in rows[0] if name not in keys and update}
    statement = (
        statement.on_conflict_do_update(index_elements=list(keys), set_=changed)
        if changed
        else statement.on_conflict_do_nothing(index_elements=list(keys))
    )
    await conn.execute(statement, list(rows))
