"""Apply Alembic migrations on the application's own async engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from dtc_api.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same for every process of one deployment.
_PG_LOCK_ID = 0x6474_6361


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate to ``revision``; on PostgreSQL several processes may call this at once."""

    def run(connection: sa.Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)


async def current_revision(db: Database) -> str | None:
    def read(connection: sa.Connection) -> Any:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(read)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
