"""Demo data: enough catalogue, geography and one API client to run every documented example.

The data is an import file (`data.json`), loaded through the same service as `dtc-api import`
and the back-office API.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import clients
from dtc_api.access.clients import ClientCredentials
from dtc_api.clock import Clock
from dtc_api.shop import imports
from dtc_api.store import tables as t
from dtc_api.store.db import Database

# The demo catalogue's images, served under /media/ (small PNGs shipped with the package).
MEDIA = str(resources.files(__package__).joinpath("media"))

DEMO_CLIENT = {
    "name": "demo",
    "frontend_url": "http://localhost:3000",
    "default_country_code": "SE",
    "default_language_code": "en",
    "retain_session_after_logout": False,
}


def data() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("data.json").read_text("utf-8"))


async def load(db: Database, clock: Clock) -> ClientCredentials:
    """Load (or refresh) the demo data and return fresh credentials for the demo client.

    Idempotent: running it again leaves the same rows, with the demo client's tokens rotated
    so they can be printed (only their hashes are stored).
    """
    document = data()
    # Payment methods belong to the demo client, which needs the countries first.
    methods = document.pop("paymentMethods")
    async with db.write() as conn:
        await imports.apply(conn, document, clock.now())
        await _advance_sequences(conn)
        credentials = await _client(conn, clock)
        await imports.apply(conn, {"paymentMethods": methods}, clock.now())
        return credentials


async def _advance_sequences(conn: AsyncConnection) -> None:
    """Databases made by older demo data gave some rows fixed ids; PostgreSQL's sequences
    must be past them so records created later get fresh ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in (t.currencies, t.markets, t.pricelists, t.warehouses):
        await conn.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"))


async def _client(conn: AsyncConnection, clock: Clock) -> ClientCredentials:
    settings = {k: v for k, v in DEMO_CLIENT.items() if k != "name"}
    exists = await conn.scalar(
        sa.select(t.api_clients.c.id).where(t.api_clients.c.name == DEMO_CLIENT["name"])
    )
    if exists is None:
        return await clients.create(conn, DEMO_CLIENT["name"], clock.now(), **settings)
    await clients.update_settings(conn, DEMO_CLIENT["name"], **settings)
    return await clients.rotate_credentials(conn, DEMO_CLIENT["name"])
