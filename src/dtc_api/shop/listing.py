"""``displayItems`` and category pages: the catalogue filtered, counted per filter value,
sorted and paged.

Filter keys are Centra's: ``categories``, ``brands`` and ``collections`` (ids, as text) and
``itemName`` (size names). Keys combine with AND, the values of one key with OR; a category
holds the display items of its subcategories too. Each value is counted three ways: ``count``
(matches under every filter), ``filterCount`` (matches under the filters of the other keys: the
number beside a checkbox) and ``totalCount`` (matches without filters).

The catalogue's index (its display items, their sizes and categories) is read whole for each
listing: one statement per part, and the filtering in memory.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from dtc_api.core.errors import Code, UserError
from dtc_api.shop.catalog import Tree, tree
from dtc_api.store.reads import Query, Reads

FILTER_KEYS = ("categories", "brands", "collections", "itemName")

_INDEX = Query(
    """SELECT d.id, d.name, d.uri, d.product_number, d.brand_id, br.name AS brand_name,
    d.collection_id, co.name AS collection_name, d.variant_name, d.variant_number,
    d.description, d.short_description, d.created_at, d.modified_at, p.price_minor
    FROM display_items d
    LEFT JOIN brands br ON br.id = d.brand_id
    LEFT JOIN collections co ON co.id = d.collection_id
    LEFT JOIN display_item_prices p ON p.display_item_id = d.id AND p.pricelist_id = $1""",
    created_at="datetime", modified_at="datetime")
_SIZES = Query(
    """SELECT i.display_item_id, i.name, i.sku, i.gtin, i.preorder,
    (SELECT sum(s.quantity) FROM stock s
     JOIN warehouse_markets w ON w.warehouse_id = s.warehouse_id AND w.market_id = $1
     WHERE s.item_id = i.id) AS units
    FROM items i ORDER BY i.display_item_id, i.product_size_id""", preorder="bool")
_PLACES = Query(
    """SELECT display_item_id, category_id FROM display_item_categories
    ORDER BY display_item_id, position""")


@dataclass
class Entry:
    row: Any
    sizes: list[Any] = field(default_factory=list)
    categories: list[int] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.row["price_minor"] is not None and any(
            s["preorder"] or (s["units"] or 0) > 0 for s in self.sizes)

    def values(self, key: str, categories: Tree) -> set[str]:
        """What the display item is under a filter key."""
        if key == "brands":
            return set() if self.row["brand_id"] is None else {str(self.row["brand_id"])}
        if key == "collections":
            return set() if self.row["collection_id"] is None else \
                {str(self.row["collection_id"])}
        if key == "itemName":
            return {s["name"] for s in self.sizes}
        # A category holds its subcategories' display items: it is under every ancestor.
        found: set[str] = set()
        for category in self.categories:
            current: int | None = category
            while current is not None and str(current) not in found:
                found.add(str(current))
                current = categories.rows[current]["parent_id"] \
                    if current in categories.rows else None
        return found

    def text(self, categories: Tree) -> str:
        parts = [self.row["name"], self.row["brand_name"], self.row["collection_name"],
                 self.row["variant_name"], self.row["product_number"],
                 self.row["short_description"], self.row["description"],
                 *(s["name"] for s in self.sizes), *(s["sku"] for s in self.sizes),
                 *(s["gtin"] for s in self.sizes),
                 *(categories.rows[c]["name"] for c in self.categories
                   if c in categories.rows)]
        return " ".join(p for p in parts if p).casefold()


@dataclass
class Index:
    entries: dict[int, Entry]
    categories: Tree


async def index(reads: Reads, market_id: int, pricelist_id: int | None,
                language: str | None = None) -> Index:
    entries = {row["id"]: Entry(row) for row in await reads.all(_INDEX, pricelist_id or 0)}
    for size in await reads.all(_SIZES, market_id):
        if size["display_item_id"] in entries:
            entries[size["display_item_id"]].sizes.append(size)
    for place in await reads.all(_PLACES):
        if place["display_item_id"] in entries:
            entries[place["display_item_id"]].categories.append(place["category_id"])
    return Index(entries, await tree(reads, language))


@dataclass
class Listing:
    ids: list[int]  # the page, in order
    total: int
    page: int
    limit: int
    filters: list[dict[str, Any]]
    errors: list[UserError]


def listing(found: Index, where: dict[str, Any] | None, sort: list[dict[str, Any]],
            limit: int, page: int, path: tuple[str, ...] = ("where",),
            within_category: int | None = None) -> Listing:
    where = where or {}
    errors: list[UserError] = []
    selected = _selected(found, where.get("filters") or [], errors, path)
    if within_category is not None:
        selected = {**selected, "categories": {str(within_category)}}
    search = (where.get("search") or "").strip().casefold()
    ids = set(where["id"]) if where.get("id") else None
    base = [e for i, e in found.entries.items()
            if (ids is None or i in ids)
            and (not where.get("onlyAvailable") or e.available)
            and (not search or all(word in e.text(found.categories)
                                   for word in search.split()))]
    values = {key: {e.row["id"]: e.values(key, found.categories) for e in base}
              for key in FILTER_KEYS}

    def matches(entry: Entry, skip: str | None = None) -> bool:
        return all(values[key][entry.row["id"]] & chosen
                   for key, chosen in selected.items() if key != skip)

    matched = [e for e in base if matches(e)]
    filters = [_option(key, base, values[key], selected, matches) for key in FILTER_KEYS]
    ordered = _sorted(matched, sort, found.categories)
    limit = max(1, limit)
    last = max(1, math.ceil(len(ordered) / limit))
    page = min(max(1, page), last)
    chosen_page = ordered[(page - 1) * limit: page * limit]
    return Listing([e.row["id"] for e in chosen_page], len(ordered), page, limit, filters,
                   errors)


def _selected(found: Index, given: list[dict[str, Any]], errors: list[UserError],
              path: tuple[str, ...]) -> dict[str, set[str]]:
    known = {"categories": {str(i) for i in found.categories.rows},
             "brands": {str(e.row["brand_id"]) for e in found.entries.values()},
             "collections": {str(e.row["collection_id"]) for e in found.entries.values()}}
    selected: dict[str, set[str]] = defaultdict(set)
    for index, choice in enumerate(given):
        where = (*path, "filters", str(index))
        key = choice["key"]
        if key not in FILTER_KEYS:
            errors.append(UserError(f"unknown filter {key!r}: use one of "
                                    f"{', '.join(FILTER_KEYS)}", (*where, "key"),
                                    code=Code.INVALID_INPUT))
            continue
        for number, value in enumerate(choice["values"]):
            if key in known and value not in known[key]:
                errors.append(UserError(f"{key} has no value {value[:50]!r}",
                                        (*where, "values", str(number)), code=Code.NOT_FOUND))
        if choice["values"]:
            selected[key] |= set(choice["values"])
    return dict(selected)


def _option(key: str, base: list[Entry], values: dict[int, set[str]],
            selected: dict[str, set[str]], matches: Any) -> dict[str, Any]:
    total: dict[str, int] = defaultdict(int)
    counted: dict[str, int] = defaultdict(int)
    filtered: dict[str, int] = defaultdict(int)
    for entry in base:
        mine = values[entry.row["id"]]
        ok_others = matches(entry, skip=key)
        ok_all = ok_others and (key not in selected or bool(mine & selected[key]))
        for value in mine:
            total[value] += 1
            filtered[value] += ok_others
            counted[value] += ok_all
    chosen = selected.get(key, set())
    entries = [{"key": key, "value": value, "active": value in chosen,
                "count": counted[value], "filterCount": filtered[value],
                "totalCount": total[value]} for value in sorted(total, key=_natural)]
    return {"key": key, "selectedValues": sorted(chosen), "values": entries,
            "anyAvailable": any(e["filterCount"] > 0 for e in entries)}


def _natural(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)


def _sorted(entries: list[Entry], sort: list[dict[str, Any]], categories: Tree
            ) -> list[Entry]:
    ordered = sorted(entries, key=lambda e: e.row["id"])
    for rule in reversed(sort):
        key, descending = rule["key"], rule["order"] == "DESC"
        present = [e for e in ordered if _sort_value(e, key, categories) is not None]
        missing = [e for e in ordered if _sort_value(e, key, categories) is None]
        present.sort(key=lambda e: _sort_value(e, key, categories),  # type: ignore[arg-type,return-value]
                     reverse=descending)
        ordered = present + missing  # unknown values last either way
    return ordered


def _sort_value(entry: Entry, key: str, categories: Tree) -> Any:
    row = entry.row
    if key == "CREATED_AT":
        return row["created_at"]
    if key == "MODIFIED_AT":
        return row["modified_at"]
    if key == "PRICE":
        return row["price_minor"]
    if key == "URI":
        return row["uri"]
    if key == "PRODUCT_NUMBER":
        return row["product_number"]
    if key == "PRODUCT_VARIANT_NUMBER":
        return row["variant_number"]
    if key == "SKU":
        return entry.sizes[0]["sku"] if entry.sizes else None
    if key == "COLLECTION":
        return row["collection_name"]
    if key == "CATEGORY":  # the display item's own category, in the shop's order
        own = entry.categories[0] if entry.categories else None
        return None if own not in categories.rows else \
            (categories.rows[own]["sort_order"], own)
    return None
