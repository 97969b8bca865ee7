"""Migrations and demo data on an empty database, on each backend."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dtc_api import demo
from dtc_api.access import tokens
from dtc_api.clock import SteppableClock
from dtc_api.store import tables as t
from dtc_api.store.db import Database
from dtc_api.store.migrate import current_revision, head_revision, upgrade


async def test_migrations_upgrade_an_empty_database_to_head(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        assert await current_revision(db) is None
        await upgrade(db)
        assert await current_revision(db) == head_revision()
        async with db.read() as conn:
            names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
        assert set(t.metadata.tables) <= names
        await upgrade(db)  # a second run has nothing to do
        assert await current_revision(db) == head_revision()
    finally:
        await db.dispose()


async def test_migrations_match_the_table_definitions(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        await upgrade(db)

        def diff(conn: sa.Connection) -> list[Any]:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, t.metadata)

        async with db.read() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await db.dispose()


async def _counts(db: Database) -> dict[str, int]:
    async with db.read() as conn:
        return {
            name: (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
            for name, table in t.metadata.tables.items()
        }


async def test_demo_is_idempotent_and_rotates_the_demo_tokens(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        await upgrade(db)
        first = await demo.load(db, SteppableClock())
        counts = await _counts(db)
        second = await demo.load(db, SteppableClock())
        assert await _counts(db) == counts
        assert counts["api_clients"] == 1
        assert counts["countries"] == 249
        assert first.session_token != second.session_token
        async with db.read() as conn:
            stored = (await conn.execute(sa.select(t.api_clients))).mappings().one()
        assert stored["session_token_hash"] == tokens.token_hash(second.session_token)
        assert stored["no_session_token_hash"] == tokens.token_hash(second.no_session_token)
        assert stored["frontend_url"] == "http://localhost:3000"
    finally:
        await db.dispose()


async def test_demo_stock_matches_the_documented_items(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        await upgrade(db)
        await demo.load(db, SteppableClock())
        async with db.read() as conn:
            rows = await conn.execute(
                sa.select(t.markets.c.key, t.stock.c.item_id, sa.func.sum(t.stock.c.quantity))
                .join(t.warehouse_markets, t.warehouse_markets.c.market_id == t.markets.c.id)
                .join(t.stock, t.stock.c.warehouse_id == t.warehouse_markets.c.warehouse_id)
                .where(t.stock.c.item_id.in_(["1-1", "10-1"]))
                .group_by(t.markets.c.key, t.stock.c.item_id)
            )
            stock = {(market, item): quantity for market, item, quantity in rows}
            main_markets = await conn.execute(
                sa.select(sa.func.count()).select_from(t.warehouse_markets)
                .join(t.warehouses, t.warehouses.c.id == t.warehouse_markets.c.warehouse_id)
                .where(t.warehouses.c.key == "main")
            )
            assert main_markets.scalar_one() == 3
        for market in ("sweden", "europe", "international"):
            assert stock[(market, "1-1")] > 0
            assert stock[(market, "10-1")] == 0
    finally:
        await db.dispose()
