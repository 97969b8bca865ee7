"""Bundles in the selection: what a bundle line holds (one item per section), how many
bundles stock allows, and what a bundle line costs.

A bundle is a display item whose sections hold other display items. A FIXED bundle's size
takes the same size of each section's display item (or its only size); a FLEXIBLE bundle's
contents are the shopper's choice, one size of one display item per section. Stock is the
sections' own: a bundle line uses ``section quantity * line quantity`` units of each item it
holds, and those units are shared with every other line of the selection.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core.errors import Code, invalid
from dtc_api.shop import catalog
from dtc_api.store import tables as t
from dtc_api.store.reads import Query, within


@dataclass(frozen=True)
class Part:
    section_id: int
    item_id: str
    quantity: int  # units in one bundle


@dataclass(frozen=True)
class Bundle:
    display_item_id: int
    type: str  # FIXED or FLEXIBLE
    price_type: str  # STATIC or DYNAMIC


_SECTIONS = Query(
    """SELECT s.id AS section_id, s.quantity AS section_quantity, m.display_item_id,
    i.id AS item_id, i.product_size_id,
    (SELECT count(*) FROM items o WHERE o.display_item_id = m.display_item_id) AS sizes
    FROM bundle_sections s JOIN bundle_section_items m ON m.section_id = s.id
    JOIN items i ON i.display_item_id = m.display_item_id
    WHERE s.bundle_id = $1 ORDER BY s.position, m.position, i.product_size_id""")


def bundle_of(item: Mapping[str, Any]) -> Bundle | None:
    """The bundle an item row of ``catalog.item_availability`` belongs to, if any."""
    if item["bundle_type"] is None:
        return None
    return Bundle(item["display_item_id"], item["bundle_type"], item["bundle_price_type"])


async def contents(conn: AsyncConnection, bundle: Bundle, size_id: int, item_id: str,
                   chosen: list[dict[str, Any]] | None) -> list[Part]:
    """What one unit of the bundle holds: fixed by its size, or ``chosen`` (a
    BundleSectionInput list: one ``{sectionId, item}`` per section)."""
    sections: dict[int, dict[str, Any]] = {}
    for row in await (await within(conn)).all(_SECTIONS, bundle.display_item_id):
        section = sections.setdefault(row["section_id"], {
            "quantity": row["section_quantity"], "parts": []})
        section["parts"].append(row)
    if bundle.type == "FIXED":
        if chosen is not None:
            raise invalid(f"item {item_id} is a FIXED bundle: add it with addItem", "item",
                          code=Code.INVALID_INPUT)
        parts = []
        for section_id, section in sections.items():
            part = catalog.fixed_part(section, size_id)
            if part is None:
                raise invalid(f"bundle item {item_id} has no size in section {section_id}",
                              "item", code=Code.UNAVAILABLE)
            parts.append(Part(section_id, part["item_id"], section["quantity"]))
        return parts
    if chosen is None:
        raise invalid(f"item {item_id} is a FLEXIBLE bundle: add it with addFlexibleBundle "
                      "and an item for each section", "item", code=Code.INVALID_INPUT)
    parts, seen = [], set()
    for index, choice in enumerate(chosen):
        section = sections.get(choice["sectionId"])
        if section is None or choice["sectionId"] in seen:
            why = "is given twice" if section is not None else "is not a section of the bundle"
            raise invalid(f"section {choice['sectionId']} {why}", "sections", str(index),
                          "sectionId", code=Code.INVALID_INPUT)
        seen.add(choice["sectionId"])
        if not any(p["item_id"] == choice["item"] for p in section["parts"]):
            raise invalid(f"item {choice['item']} is not a choice of section "
                          f"{choice['sectionId']}", "sections", str(index), "item",
                          code=Code.NOT_FOUND)
        parts.append(Part(choice["sectionId"], choice["item"], section["quantity"]))
    missing = sorted(set(sections) - seen)
    if missing:
        raise invalid(f"give an item for section {missing[0]}", "sections",
                      code=Code.REQUIRED)
    return sorted(parts, key=lambda p: p.section_id)


def key(parts: Collection[Part]) -> str:
    """The contents as a line's key: the same bundle with other contents is another line."""
    return ",".join(f"{p.section_id}:{p.item_id}" for p in sorted(parts,
                                                                   key=lambda p: p.section_id))


_PARTS = Query(
    """SELECT line_id, section_id, item_id, quantity FROM selection_line_parts
    WHERE line_id = ANY($1) ORDER BY line_id, section_id""")


async def parts_of(conn: AsyncConnection, line_ids: Collection[int]) -> dict[int, list[Part]]:
    found: dict[int, list[Part]] = defaultdict(list)
    if line_ids:
        for row in await (await within(conn)).all(_PARTS, list(line_ids)):
            found[row["line_id"]].append(Part(row["section_id"], row["item_id"],
                                              row["quantity"]))
    return found


async def store(conn: AsyncConnection, line_id: int, parts: Collection[Part]) -> None:
    await conn.execute(sa.insert(t.selection_line_parts), [
        {"line_id": line_id, "section_id": p.section_id, "item_id": p.item_id,
         "quantity": p.quantity} for p in parts])


_UNITS = Query(
    """SELECT i.id, i.preorder,
    (SELECT sum(s.quantity) FROM stock s
     JOIN warehouse_markets w ON w.warehouse_id = s.warehouse_id AND w.market_id = $2
     WHERE s.item_id = i.id) AS units
    FROM items i WHERE i.id = ANY($1)""", preorder="bool")


async def units(conn: AsyncConnection, item_ids: Collection[str], market_id: int
                ) -> dict[str, int | None]:
    """Units of each item the market's warehouses hold (None: on preorder, unlimited)."""
    if not item_ids:
        return {}
    rows = await (await within(conn)).all(_UNITS, list(set(item_ids)), market_id)
    return {r["id"]: None if r["preorder"] else int(r["units"] or 0) for r in rows}


_USED = Query(
    """SELECT item_id, quantity FROM selection_lines
    WHERE selection_id = $1 AND id <> $3 AND contents = '' AND item_id = ANY($2)
    UNION ALL
    SELECT p.item_id, p.quantity * l.quantity FROM selection_line_parts p
    JOIN selection_lines l ON l.id = p.line_id
    WHERE l.selection_id = $1 AND l.id <> $3 AND p.item_id = ANY($2)""")


async def used_elsewhere(conn: AsyncConnection, selection_id: int, item_ids: Collection[str],
                         line_pk: int | None) -> dict[str, int]:
    """Units of the items the selection's other lines hold: as products, and in bundles."""
    used: dict[str, int] = defaultdict(int)
    rows = await (await within(conn)).all(_USED, selection_id, list(item_ids),
                                          -1 if line_pk is None else line_pk)
    for row in rows:
        used[row["item_id"]] += row["quantity"]
    return used


def allowed(parts: Collection[Part], units: Mapping[str, int | None],
            used: Mapping[str, int]) -> int | None:
    """How many bundles the parts' units allow (None: unlimited)."""
    counts = [(units[p.item_id] - used.get(p.item_id, 0)) // p.quantity
              for p in parts if units.get(p.item_id, 0) is not None]
    return max(min(counts), 0) if counts else None


_PRICED = Query(
    """SELECT i.id FROM items i JOIN display_item_prices p
    ON p.display_item_id = i.display_item_id AND p.pricelist_id = $2 WHERE i.id = ANY($1)""")


async def sellable(conn: AsyncConnection, bundle: Bundle, item_id: str,
                   parts: Collection[Part], pricelist_id: int) -> bool:
    """Whether the pricelist prices it: a STATIC bundle by its own price, a DYNAMIC one by
    the prices of what it holds."""
    wanted = [item_id] if bundle.price_type == "STATIC" else [p.item_id for p in parts]
    priced = await (await within(conn)).all(_PRICED, wanted, pricelist_id)
    return {r["id"] for r in priced} >= set(wanted)


def line_view(row: Mapping[str, Any], display_item: dict[str, Any], item: dict[str, Any],
              parts: list[Part], display: Mapping[int, dict[str, Any]],
              currency: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A GraphQL ``BundleLine`` and its value in minor units (before a plan's discount):
    each section a line of what it holds."""
    kind = display_item["bundle"]
    dynamic = kind["priceType"] == "DYNAMIC"
    sections, total = [], 0
    for part in parts:
        member = next((d for d in display.values()
                       if any(i["id"] == part.item_id for i in d["items"])), None)
        if member is None:
            continue
        units = part.quantity * row["quantity"]
        value = (member["priceMinor"] or 0) * units if dynamic else 0
        total += value
        sections.append({"id": part.section_id, "quantity": part.quantity, "lines": [{
            "__typename": "ProductLine", "id": f"{row['public_id']}-{part.section_id}",
            "name": member["name"], "quantity": units,
            "item": next(i for i in member["items"] if i["id"] == part.item_id),
            "displayItem": member, "subscriptionId": None,
            "lineValue": catalog.monetary_value(value, currency)}]})
    if not dynamic:
        total = (display_item["priceMinor"] or 0) * row["quantity"]
    return {
        "__typename": "BundleLine", "id": row["public_id"], "name": display_item["name"],
        "quantity": row["quantity"], "item": item, "displayItem": display_item,
        "subscriptionId": row["subscription_plan_id"],
        "bundle": {"id": display_item["id"], "type": kind["type"],
                   "priceType": kind["priceType"], "sections": sections},
    }, total
