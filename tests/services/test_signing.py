"""The signing key of e-mailed links: one per database, whoever makes it first."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from dtc_api.access import signing
from dtc_api.clock import SteppableClock
from dtc_api.store import tables as t
from dtc_api.store.db import Database


async def test_processes_making_the_key_at_once_share_it(db_url: str) -> None:
    # given: two processes' engines on a database that has no key yet
    now = SteppableClock().now()
    engines = [Database(db_url, pool_size=3), Database(db_url, pool_size=3)]

    async def first_use(db: Database) -> bytes:
        async with db.write() as conn:
            return await signing.key(conn, now)

    async def connected(db: Database) -> None:
        async with db.read() as conn:
            assert await conn.scalar(sa.select(sa.func.count()).select_from(
                t.signing_keys)) == 0
            await asyncio.sleep(0.1)

    try:
        # (each engine's connections open beforehand, so that the first uses truly overlap)
        await asyncio.gather(*[connected(db) for db in engines for _ in range(3)])
        # when: both use it for the first time, at once
        keys = await asyncio.gather(*[first_use(db) for db in engines for _ in range(3)])
        # then: one key, the one stored, and what one signs the other verifies
        assert len(set(keys)) == 1
        async with engines[1].read() as conn:
            stored = (await conn.execute(sa.select(t.signing_keys.c.key))).scalars().all()
        assert [bytes.fromhex(k) for k in stored] == keys[:1]
        token = signing.sign(keys[0], "newsletter-unsubscribe", "a@example.com")
        assert signing.unsign(keys[-1], "newsletter-unsubscribe", token) == "a@example.com"
    finally:
        for db in engines:
            await db.dispose()


async def test_a_key_made_in_a_rolled_back_transaction_is_not_kept(db_url: str) -> None:
    now = SteppableClock().now()
    db = Database(db_url, pool_size=2)

    class Abandoned(Exception):
        pass

    try:
        made: Any = None
        try:
            async with db.write() as conn:
                made = await signing.key(conn, now)
                raise Abandoned
        except Abandoned:
            pass
        async with db.write() as conn:
            again = await signing.key(conn, now)
        async with db.read() as conn:
            stored = await conn.scalar(sa.select(t.signing_keys.c.key))
        assert again != made
        assert bytes.fromhex(stored) == again
    finally:
        await db.dispose()
