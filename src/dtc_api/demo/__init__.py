"""Demo data: enough catalogue, geography and one API client to run every documented example."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pycountry
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.clock import Clock
from dtc_api.services import clients
from dtc_api.services.clients import ClientCredentials
from dtc_api.services.geography import EU_MEMBERS, country_name, language_name
from dtc_api.store import tables as t
from dtc_api.store.db import Database
from dtc_api.store.upsert import upsert

DEMO_CLIENT = "demo"


def data() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("data.json").read_text("utf-8"))


async def load(db: Database, clock: Clock) -> ClientCredentials:
    """Load (or refresh) the demo data and return fresh credentials for the demo client.

    Idempotent: running it again leaves the same rows, with the demo client's tokens rotated
    so they can be printed (only their hashes are stored).
    """
    spec = data()
    async with db.write() as conn:
        await _geography(conn, spec)
        await _catalogue(conn, spec)
        await _attributes(conn, spec)
        await _advance_sequences(conn)
        return await _client(conn, spec["client"], clock)


async def _advance_sequences(conn: AsyncConnection) -> None:
    """The demo gives some rows fixed ids; PostgreSQL's sequences must move past them so
    records created later (back-office upserts) get fresh ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in (t.currencies, t.markets, t.pricelists, t.warehouses):
        await conn.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"))


async def _geography(conn: AsyncConnection, spec: dict[str, Any]) -> None:
    await upsert(conn, t.currencies, spec["currencies"], ["id"])
    await upsert(
        conn,
        t.languages,
        [
            {**lang, "name": language_name(lang["code"]), "language_code": lang["code"]}
            for lang in spec["languages"]
        ],
        ["code"],
    )
    await upsert(conn, t.markets, spec["markets"], ["id"])
    await upsert(conn, t.pricelists, spec["pricelists"], ["id"])
    market_ids = {m["key"]: m["id"] for m in spec["markets"]}
    pricelist_ids = {p["key"]: p["id"] for p in spec["pricelists"]}
    ship_to = {c["code"]: c for c in spec["ship_to"]}
    rows = []
    for country in pycountry.countries:
        code = country.alpha_2
        shipping = ship_to.get(code)
        rows.append(
            {
                "code": code,
                "name": country_name(code),
                "is_eu": code in EU_MEMBERS,
                "ship_to": shipping is not None,
                "default_language_code": shipping["language"] if shipping else None,
                "market_id": market_ids[shipping["market"]] if shipping else None,
                "pricelist_id": pricelist_ids[shipping["pricelist"]] if shipping else None,
            }
        )
    await upsert(conn, t.countries, rows, ["code"])
    states = [
        {"country_code": code, "code": sub.code.split("-", 1)[1], "name": sub.name}
        for code, shipping in ship_to.items()
        if shipping.get("states")
        for sub in pycountry.subdivisions.get(country_code=code) or ()
        if sub.type in {"State", "District"}
    ]
    await upsert(conn, t.country_states, states, ["country_code", "code"])


async def _catalogue(conn: AsyncConnection, spec: dict[str, Any]) -> None:
    market_ids = {m["key"]: m["id"] for m in spec["markets"]}
    pricelist_ids = {p["key"]: p["id"] for p in spec["pricelists"]}
    warehouse_ids = {w["key"]: w["id"] for w in spec["warehouses"]}
    await upsert(
        conn, t.warehouses, [{k: w[k] for k in ("id", "key", "name")} for w in spec["warehouses"]],
        ["id"],
    )
    await upsert(
        conn,
        t.warehouse_markets,
        [
            {"warehouse_id": w["id"], "market_id": market_ids[m]}
            for w in spec["warehouses"]
            for m in w["markets"]
        ],
        ["warehouse_id", "market_id"],
    )
    products = spec["display_items"]
    await upsert(
        conn,
        t.display_items,
        [{k: p[k] for k in ("id", "name", "uri", "product_number")} for p in products],
        ["id"],
    )
    await upsert(
        conn,
        t.display_item_prices,
        [
            {"display_item_id": p["id"], "pricelist_id": pricelist_ids[key], "price_minor": price}
            for p in products
            for key, price in p["prices"].items()
        ],
        ["display_item_id", "pricelist_id"],
    )
    await upsert(
        conn,
        t.items,
        [
            {
                "id": i["id"],
                "display_item_id": p["id"],
                "product_size_id": i["size_id"],
                "name": i["name"],
                "sku": i["sku"],
                "gtin": i["gtin"],
                "preorder": i.get("preorder", False),
            }
            for p in products
            for i in p["items"]
        ],
        ["id"],
    )
    await upsert(
        conn,
        t.stock,
        [
            {"item_id": i["id"], "warehouse_id": warehouse_ids[w], "quantity": quantity}
            for p in products
            for i in p["items"]
            for w, quantity in i["stock"].items()
        ],
        ["item_id", "warehouse_id"],
    )


async def _attributes(conn: AsyncConnection, spec: dict[str, Any]) -> None:
    for attribute_type in spec["attribute_types"]:
        await upsert(
            conn,
            t.attribute_types,
            [{k: attribute_type[k] for k in ("name", "kind", "is_multi")}],
            ["name"],
        )
        type_id = await conn.scalar(
            sa.select(t.attribute_types.c.id).where(
                t.attribute_types.c.name == attribute_type["name"]
            )
        )
        await upsert(
            conn,
            t.attribute_elements,
            [{"attribute_type_id": type_id, **e} for e in attribute_type["elements"]],
            ["attribute_type_id", "key"],
        )
        mapped = attribute_type.get("attributes", [])
        await upsert(
            conn,
            t.mapped_attributes,
            [{"id": m["id"], "attribute_type_id": type_id} for m in mapped],
            ["id"],
        )
        await upsert(
            conn,
            t.mapped_attribute_values,
            [
                {"mapped_attribute_id": m["id"], "element_key": key, "value": value}
                for m in mapped
                for key, value in m["values"].items()
            ],
            ["mapped_attribute_id", "element_key"],
        )


async def _client(conn: AsyncConnection, spec: dict[str, Any], clock: Clock) -> ClientCredentials:
    settings = {k: v for k, v in spec.items() if k != "name"}
    exists = await conn.scalar(
        sa.select(t.api_clients.c.id).where(t.api_clients.c.name == spec["name"])
    )
    if exists is None:
        return await clients.create(conn, spec["name"], clock.now(), **settings)
    await clients.update_settings(conn, spec["name"], **settings)
    return await clients.rotate_credentials(conn, spec["name"])
