"""Display items, their sizes (items), prices per pricelist and stock per market; their
media, subscription plans and localized sizes."""

from __future__ import annotations

import asyncio
import mimetypes
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection
from html import escape as html_escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core.money import monetary_value
from dtc_api.store.reads import Query, Reads, within


def item_view(row: Any) -> dict[str, Any]:
    quantity = int(row["quantity"] or 0)
    return {
        "id": row["id"],
        "name": row["name"],
        "sku": row["sku"],
        "GTIN": row["gtin"],
        "productSizeId": row["product_size_id"],
        "preorder": row["preorder"],
        "stock": {"available": quantity > 0 or row["preorder"], "quantity": quantity},
    }


# Texts in the language asked for ($3), where translated; the shop's own otherwise. The
# descriptions and dates are read apart (``Extras.texts``), only when asked for: a cart or an
# order names many display items and shows none of them.
_DISPLAY_ITEMS = Query(
    """SELECT d.id, COALESCE(NULLIF(tr.name, ''), d.name) AS name,
    COALESCE(NULLIF(tr.uri, ''), d.uri) AS uri, d.uri AS own_uri, d.product_number,
    p.price_minor, b.type AS bundle_type, b.price_type AS bundle_price_type,
    COALESCE(NULLIF(tr.meta_title, ''), d.meta_title) AS meta_title,
    COALESCE(NULLIF(tr.meta_description, ''), d.meta_description) AS meta_description,
    COALESCE(NULLIF(tr.meta_keywords, ''), d.meta_keywords) AS meta_keywords,
    d.variant_name, d.variant_number, d.brand_id, br.name AS brand_name, br.uri AS brand_uri,
    d.collection_id, co.name AS collection_name, co.uri AS collection_uri
    FROM display_items d
    LEFT JOIN display_item_prices p ON p.display_item_id = d.id AND p.pricelist_id = $2
    LEFT JOIN bundles b ON b.display_item_id = d.id
    LEFT JOIN brands br ON br.id = d.brand_id
    LEFT JOIN collections co ON co.id = d.collection_id
    LEFT JOIN display_item_translations tr ON tr.display_item_id = d.id
     AND tr.language_code = $3
    WHERE d.id = ANY($1)""")
# Every item a bundle's sections may hold, with its units in the market and its price.
_BUNDLE_PARTS = Query(
    """SELECT s.bundle_id, s.id AS section_id, s.quantity AS section_quantity,
    m.display_item_id, i.id AS item_id, i.product_size_id, p.price_minor,
    (SELECT sum(k.quantity) FROM stock k
     JOIN warehouse_markets w ON w.warehouse_id = k.warehouse_id AND w.market_id = $2
     WHERE k.item_id = i.id) AS units,
    (SELECT count(*) FROM items o WHERE o.display_item_id = m.display_item_id) AS sizes
    FROM bundle_sections s
    JOIN bundle_section_items m ON m.section_id = s.id
    JOIN items i ON i.display_item_id = m.display_item_id
    LEFT JOIN display_item_prices p ON p.display_item_id = m.display_item_id
     AND p.pricelist_id = $3
    WHERE s.bundle_id = ANY($1)
    ORDER BY s.bundle_id, s.position, m.position, i.product_size_id""")
# Units per item in the warehouses that serve the market, item by item (the stock table's
# key leads with the item).
_ITEMS = Query(
    """SELECT i.id, i.display_item_id, i.product_size_id, i.name, i.sku, i.gtin, i.preorder,
    (SELECT sum(s.quantity) FROM stock s
     JOIN warehouse_markets w ON w.warehouse_id = s.warehouse_id AND w.market_id = $2
     WHERE s.item_id = i.id) AS quantity
    FROM items i WHERE i.display_item_id = ANY($1)
    ORDER BY i.display_item_id, i.product_size_id""", preorder="bool")


async def display_items(
    reads: Reads,
    ids: Collection[int],
    *,
    market_id: int,
    pricelist_id: int,
    currency: dict[str, Any],
    language: str | None = None,
) -> dict[int, dict[str, Any]]:
    """GraphQL ``DisplayItem``s by id, priced and stocked for one market and pricelist, their
    texts in ``language`` where translated."""
    if not ids:
        return {}
    views: dict[int, dict[str, Any]] = {}
    extras = Extras(ids, market_id, pricelist_id, currency, language)
    bundles: dict[int, dict[str, Any]] = {}
    # Every item's display item is among those found: nothing but the id filters them.
    found, items = await reads.batch([(_DISPLAY_ITEMS, (list(ids), pricelist_id, language or "")),
                                      (_ITEMS, (list(ids), market_id))])
    for row in found:
        if row["bundle_type"] is not None:
            bundles[row["id"]] = {"id": row["id"], "type": row["bundle_type"],
                                  "priceType": row["bundle_price_type"], "sections": []}
        views[row["id"]] = {
            "id": row["id"],
            "name": row["name"],
            "uri": row["uri"],
            "productNumber": row["product_number"],
            "items": [],
            "price": None
            if row["price_minor"] is None
            else monetary_value(row["price_minor"], currency),
            "priceMinor": row["price_minor"],
            "extras": extras,
            "bundle": bundles.get(row["id"]),
            **_texts(row),
        }
    for row in items:
        item = item_view(row)
        item["extras"] = extras
        views[row["display_item_id"]]["items"].append(item)
    if bundles:
        parts = await reads.all(_BUNDLE_PARTS, list(bundles), market_id, pricelist_id)
        for bundle_id, bundle in bundles.items():
            _bundled(views[bundle_id], bundle, [p for p in parts if p["bundle_id"] == bundle_id],
                     currency)
        extras.member_ids = {p["display_item_id"] for p in parts}
    for view in views.values():
        view["available"] = any(i["stock"]["available"] for i in view["items"])
        view["hasStock"] = any(i["stock"]["quantity"] > 0 for i in view["items"])
    return views


_AVAILABILITY = Query(
    """SELECT i.id, i.display_item_id, i.product_size_id, i.name, i.sku, i.gtin, i.preorder,
    (SELECT sum(s.quantity) FROM stock s
     JOIN warehouse_markets w ON w.warehouse_id = s.warehouse_id AND w.market_id = $2
     WHERE s.item_id = i.id) AS quantity,
    p.price_minor, b.type AS bundle_type, b.price_type AS bundle_price_type
    FROM items i
    LEFT JOIN display_item_prices p ON p.display_item_id = i.display_item_id
     AND p.pricelist_id = $3
    LEFT JOIN bundles b ON b.display_item_id = i.display_item_id
    WHERE i.id = ANY($1)""", preorder="bool")


async def item_availability(
    conn: AsyncConnection, item_ids: Collection[str], market_id: int, pricelist_id: int
) -> dict[str, tuple[Any, int | None]]:
    """Item rows with the units a market can sell (None: unlimited, the item is on preorder),
    and the kind of bundle their display item is (``bundle_type``, ``bundle_price_type``;
    null for a product).

    An item without a price in the pricelist cannot be sold there: it counts as 0 units.
    """
    if not item_ids:
        return {}
    rows = await (await within(conn)).all(_AVAILABILITY, list(item_ids), market_id,
                                          pricelist_id)
    return {row["id"]: (row, _sellable(row)) for row in rows}


def _sellable(row: Any) -> int | None:
    if row["price_minor"] is None:
        return 0
    return None if row["preorder"] else int(row["quantity"] or 0)


_MEDIA = Query(
    """SELECT id, display_item_id, alt_text, sources FROM display_item_media
    WHERE display_item_id = ANY($1) ORDER BY display_item_id, position""", sources="json")
_PLANS = Query(
    """SELECT o.display_item_id, p.id, p.name, p.interval_type, p.interval_value, p.discount
    FROM display_item_plans o JOIN subscription_plans p ON p.id = o.plan_id
    WHERE o.display_item_id = ANY($1) ORDER BY o.display_item_id, o.position""",
    discount="float")
_SIZES = Query(
    """SELECT l.item_id, l.definition, l.name, l.countries FROM item_size_localizations l
    JOIN items i ON i.id = l.item_id
    WHERE i.display_item_id = ANY($1) ORDER BY l.item_id, l.position""", countries="json")


_NAMED_SIZES = Query(
    """SELECT i.name AS size, l.definition, l.name, l.countries FROM item_size_localizations l
    JOIN items i ON i.id = l.item_id
    WHERE i.name = ANY($1) ORDER BY i.name, l.position, l.item_id""", countries="json")


class SizeNames:
    """The localized sizes of size names (a listing's ``itemName`` filter values): read for
    all of them together, once, and only if a field asks for them."""

    def __init__(self, names: Collection[str]) -> None:
        self.names = sorted(set(names))
        self._read: asyncio.Future[dict[str, list[dict[str, Any]]]] | None = None

    async def get(self, run: Callable[..., Awaitable[Any]]) -> dict[str, list[dict[str, Any]]]:
        if self._read is None:
            self._read = asyncio.ensure_future(run(self._load))
        return await asyncio.shield(self._read)

    async def _load(self, reads: Reads) -> dict[str, list[dict[str, Any]]]:
        """A size name's localizations over every item of that name: one entry per
        localized name, with the countries of all of them."""
        found: dict[str, dict[tuple[str, str | None], dict[str, Any]]] = defaultdict(dict)
        for row in await reads.all(_NAMED_SIZES, self.names):
            entry = found[row["size"]].setdefault(
                (row["name"], row["definition"]),
                {"name": row["name"], "displayName": row["definition"], "countries": []})
            entry["countries"].extend(c for c in row["countries"]
                                      if c not in entry["countries"])
        return {size: list(entries.values()) for size, entries in found.items()}


class Extras:
    """The media, subscription plans and localized sizes of the display items one load
    returned: read for all of them together, once, and only if a field asks for them."""

    def __init__(self, ids: Collection[int], market_id: int, pricelist_id: int,
                 currency: dict[str, Any], language: str | None = None) -> None:
        self.ids = list(ids)
        self.where = {"market_id": market_id, "pricelist_id": pricelist_id,
                      "currency": currency, "language": language}
        self._texts: asyncio.Future[dict[str, Any]] | None = None
        self._related: asyncio.Future[dict[int, Any]] | None = None
        self._read: asyncio.Future[dict[str, Any]] | None = None
        self.member_ids: set[int] = set()  # of the bundles' sections
        self._members: asyncio.Future[dict[int, Any]] | None = None
        self._places: asyncio.Future[tuple[Tree, dict[int, list[int]]]] | None = None
        self.tree: Tree | None = None  # when the caller has read it already

    async def texts(self, run: Callable[..., Awaitable[Any]]) -> dict[str, Any]:
        """Translations, relations and attribute values of the display items of the load."""
        if self._texts is None:
            self._texts = asyncio.ensure_future(run(_texts_of, self.ids,
                                                    self.where["language"]))
        return await asyncio.shield(self._texts)

    async def related(self, run: Callable[..., Awaitable[Any]], ids: Collection[int]
                      ) -> dict[int, Any]:
        """The related display items (``ids``: all of them), read together once."""
        if self._related is None:
            async def load(reads: Reads) -> dict[int, Any]:
                return await display_items(reads, ids, **self.where)

            self._related = asyncio.ensure_future(run(load))
        return await asyncio.shield(self._related)

    async def categories(self, run: Callable[..., Awaitable[Any]]
                         ) -> tuple[Tree, dict[int, list[int]]]:
        """Every category, and the categories of each display item of the load."""
        if self._places is None:
            async def load(reads: Reads) -> tuple[Tree, dict[int, list[int]]]:
                return (self.tree or await tree(reads, self.where["language"])), \
                    await placements(reads, self.ids)

            self._places = asyncio.ensure_future(run(load))
        return await asyncio.shield(self._places)

    async def get(self, run: Callable[..., Awaitable[Any]]) -> dict[str, Any]:
        """``run(unit, *args)`` runs a read unit (``Database.reads``)."""
        if self._read is None:
            self._read = asyncio.ensure_future(run(self._load))
        return await asyncio.shield(self._read)

    async def members(self, run: Callable[..., Awaitable[Any]]) -> dict[int, Any]:
        """The display items the bundles' sections hold, in the same market and pricelist,
        read together once."""
        if self._members is None:
            async def load(reads: Reads) -> dict[int, Any]:
                return await display_items(reads, self.member_ids, **self.where)

            self._members = asyncio.ensure_future(run(load))
        return await asyncio.shield(self._members)

    async def _load(self, reads: Reads) -> dict[str, Any]:
        media_rows, plan_rows, size_rows = await reads.batch(
            [(_MEDIA, (self.ids,)), (_PLANS, (self.ids,)), (_SIZES, (self.ids,))])
        media: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in media_rows:
            media[row["display_item_id"]].append(
                {"id": row["id"], "altText": row["alt_text"], "sources": row["sources"]})
        plans: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in plan_rows:
            plans[row["display_item_id"]].append(plan_view(row))
        sizes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in size_rows:
            sizes[row["item_id"]].append(
                {"name": row["name"], "displayName": row["definition"],
                 "countries": row["countries"]})
        return {"media": media, "plans": plans, "sizes": sizes}


def plan_view(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"],
            "interval": {"type": row["interval_type"], "value": row["interval_value"]},
            "discount": row["discount"]}


STANDARD = "standard"
_BOX = re.compile(r"(\d+)x(\d+)")


def media_source(medium: dict[str, Any], size_name: str, base_url: str = "/"
                 ) -> dict[str, Any]:
    """The URL of a size of a medium: the size asked for, else ``standard``, else the first
    size stored (``mediaSize.name`` says which one is served). A path on this server is
    made absolute with ``base_url``: a storefront serves its pages from another origin."""
    sources: dict[str, str] = medium["sources"]
    name = size_name if size_name in sources else STANDARD if STANDARD in sources \
        else next(iter(sources))
    url = sources[name]
    if url.startswith("/"):
        url = base_url.rstrip("/") + url
    box = _BOX.fullmatch(name)
    width, height = (int(box[1]) or None, int(box[2]) or None) if box else (None, None)
    mime_type = mimetypes.guess_type(url.partition("?")[0])[0]
    return {"url": url, "type": "IMAGE", "mimeType": mime_type,
            "mediaSize": {"name": name, "maxWidth": width, "maxHeight": height,
                          "mimeType": mime_type, "quality": None}}


def _bundled(view: dict[str, Any], bundle: dict[str, Any], parts: list[Any],
             currency: dict[str, Any]) -> None:
    """A bundle's sections, price and stock, from what its sections may hold: a FIXED
    bundle's size takes the same size of each section's display item (or its only size); a
    FLEXIBLE one any size of any of them. A DYNAMIC bundle costs the sum of its contents (a
    FLEXIBLE one between ``minPrice`` and ``maxPrice``, its ``price`` null)."""
    sections: dict[int, dict[str, Any]] = {}
    for part in parts:
        section = sections.setdefault(part["section_id"], {
            "id": part["section_id"], "quantity": part["section_quantity"],
            "memberIds": [], "parts": [], "extras": view["extras"]})
        if part["display_item_id"] not in section["memberIds"]:
            section["memberIds"].append(part["display_item_id"])
        section["parts"].append(part)
    bundle["sections"] = list(sections.values())
    dynamic = bundle["priceType"] == "DYNAMIC"
    if dynamic:
        low = _sum(min, bundle["sections"])
        high = _sum(max, bundle["sections"])
        if bundle["type"] == "FIXED":
            view["priceMinor"] = low
            view["price"] = None if low is None else monetary_value(low, currency)
        else:
            view["priceMinor"] = view["price"] = None
        bundle["minPrice"] = None if low is None else monetary_value(low, currency)
        bundle["maxPrice"] = None if high is None else monetary_value(high, currency)
    else:
        bundle["minPrice"] = bundle["maxPrice"] = view["price"]
    for item in view["items"]:
        units = [_section_units(section, bundle["type"], item["productSizeId"])
                 for section in bundle["sections"]]
        quantity = min(units) if units else 0
        item["stock"] = {"available": quantity > 0, "quantity": quantity}


def _sum(pick: Callable[..., int], sections: list[dict[str, Any]]) -> int | None:
    """The sum over sections of the lowest (or highest) price of what each may hold."""
    total = 0
    for section in sections:
        prices = [p["price_minor"] for p in section["parts"] if p["price_minor"] is not None]
        if not prices:
            return None
        total += pick(prices) * section["quantity"]
    return total


def fixed_part(section: dict[str, Any], size_id: int) -> Any:
    """What a FIXED bundle of size ``size_id`` holds in a section: the same size of its
    display item, or its only size; None if it has neither."""
    return next((p for p in section["parts"] if p["product_size_id"] == size_id),
                None) or next((p for p in section["parts"] if p["sizes"] == 1), None)


def _section_units(section: dict[str, Any], kind: str, size_id: int) -> int:
    """How many bundles a section's stock allows."""
    if kind == "FIXED":
        part = fixed_part(section, size_id)
        candidates = [part] if part is not None else []
    else:
        candidates = section["parts"]
    return max((int(p["units"] or 0) // section["quantity"] for p in candidates), default=0)


def formatted(raw: str) -> dict[str, str]:
    """A GraphQL ``FormattedString``: the text as stored, and as HTML (escaped; a blank line
    starts a paragraph, a line break is kept)."""
    paragraphs = [p for p in raw.replace("\r\n", "\n").split("\n\n") if p.strip()]
    html = "".join(f"<p>{html_escape(p.strip()).replace(chr(10), '<br>')}</p>"
                   for p in paragraphs)
    return {"raw": raw, "formatted": html}


def _texts(row: Any) -> dict[str, Any]:
    """The display item's meta texts, variant, brand and collection (from its own row)."""
    return {
        "metaTitle": row["meta_title"] or "", "metaDescription": row["meta_description"] or "",
        "metaKeywords": row["meta_keywords"] or "",
        "productVariant": {"id": row["id"], "name": row["variant_name"],
                           "number": row["variant_number"]},
        "canonicalUri": row["own_uri"],
        "brand": None if row["brand_id"] is None else {
            "id": row["brand_id"], "name": row["brand_name"], "uri": row["brand_uri"],
            "metaTitle": "", "metaDescription": "", "metaKeywords": ""},
        "collection": None if row["collection_id"] is None else {
            "id": row["collection_id"], "name": row["collection_name"],
            "uri": row["collection_uri"]},
    }


def _iso(value: Any) -> str:
    return "" if value is None else value.isoformat()


_CATEGORIES = Query(
    """SELECT id, parent_id, name, uri, sort_order, meta_title, meta_description,
    meta_keywords FROM categories ORDER BY sort_order, id""")
_CATEGORY_TEXTS = Query(
    """SELECT category_id, language_code, name, uri, meta_title, meta_description,
    meta_keywords FROM category_translations""")
_META = (("metaTitle", "meta_title"), ("metaDescription", "meta_description"),
         ("metaKeywords", "meta_keywords"))
_OWN_TEXTS = Query(
    """SELECT d.id, COALESCE(NULLIF(tr.description, ''), d.description) AS description,
    COALESCE(NULLIF(tr.short_description, ''), d.short_description) AS short_description,
    d.created_at, d.modified_at FROM display_items d
    LEFT JOIN display_item_translations tr ON tr.display_item_id = d.id
     AND tr.language_code = $2
    WHERE d.id = ANY($1)""", created_at="datetime", modified_at="datetime")
_ITEM_TEXTS = Query(
    """SELECT display_item_id, language_code, name, uri, description, short_description,
    meta_title, meta_description, meta_keywords FROM display_item_translations
    WHERE display_item_id = ANY($1) ORDER BY display_item_id, language_code""")
_RELATIONS = Query(
    """SELECT display_item_id, relation, related_id FROM display_item_relations
    WHERE display_item_id = ANY($1) ORDER BY display_item_id, relation, position""")
_ATTRIBUTES = Query(
    """SELECT a.display_item_id, ty.name, ty.is_multi, a.element_key, a.value, e.kind
    FROM display_item_attributes a JOIN attribute_types ty ON ty.id = a.attribute_type_id
    JOIN attribute_elements e ON e.attribute_type_id = ty.id AND e.key = a.element_key
    WHERE a.display_item_id = ANY($1) ORDER BY a.display_item_id, ty.name, a.element_key""",
    is_multi="bool")


async def _texts_of(reads: Reads, ids: list[int], language: str | None) -> dict[str, Any]:
    own_rows, text_rows, relation_rows, attribute_rows = await reads.batch(
        [(_OWN_TEXTS, (ids, language or "")), (_ITEM_TEXTS, (ids,)), (_RELATIONS, (ids,)),
         (_ATTRIBUTES, (ids,))])
    own = {row["id"]: {"description": formatted(row["description"]),
                       "shortDescription": formatted(row["short_description"]),
                       "createdAt": _iso(row["created_at"]),
                       "modifiedAt": _iso(row["modified_at"])}
           for row in own_rows}
    translations: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in text_rows:
        translations[row["display_item_id"]].append({
            "language": row["language_code"], "name": row["name"], "uri": row["uri"],
            "description": formatted(row["description"]),
            "shortDescription": formatted(row["short_description"]),
            "metaTitle": row["meta_title"], "metaDescription": row["meta_description"],
            "metaKeywords": row["meta_keywords"]})
    relations: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for row in relation_rows:
        relations[row["display_item_id"]].setdefault(row["relation"], []).append(
            row["related_id"])
    attributes: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in attribute_rows:
        attribute = attributes[row["display_item_id"]].setdefault(row["name"], {
            "__typename": "DynamicAttribute",
            "type": {"name": row["name"], "isMulti": row["is_multi"]}, "elements": []})
        attribute["elements"].append(attribute_element(row["kind"], row["element_key"],
                                                       row["value"]))
    return {"own": own, "translations": translations, "relations": relations,
            "attributes": attributes}


_ELEMENT_TYPES = {"FILE": "AttributeFileElement", "IMAGE": "AttributeImageElement",
                  "SELECT": "AttributeChoiceElement", "BOOLEAN": "AttributeChoiceElement"}


def attribute_element(kind: str, key: str, value: str) -> dict[str, Any]:
    """A GraphQL ``AttributeElement`` of an element kind and its stored value."""
    typename = _ELEMENT_TYPES.get(kind, "AttributeStringElement")
    element: dict[str, Any] = {"__typename": typename, "key": key, "kind": kind}
    if typename == "AttributeChoiceElement":
        choice = {"name": value, "value": value}
        element.update(value=choice, values=[choice])
    elif typename in {"AttributeFileElement", "AttributeImageElement"}:
        element["url"] = value
    else:
        element.update(value=value, translations=[])
    return element
_PLACED = Query(
    """SELECT display_item_id, category_id FROM display_item_categories
    WHERE display_item_id = ANY($1) ORDER BY display_item_id, position""")


class Tree:
    """Every category (a shop has tens or hundreds), as GraphQL ``Category`` views, named in
    ``language`` where translated."""

    def __init__(self, rows: list[Any], translations: list[Any] | None = None,
                 language: str | None = None) -> None:
        self.rows = {row["id"]: row for row in rows}
        self.texts: dict[int, dict[str, Any]] = defaultdict(dict)  # id -> language -> row
        for text in translations or ():
            self.texts[text["category_id"]][text["language_code"]] = text
        self.views: dict[int, dict[str, Any]] = {}
        for row in rows:
            own = self.texts[row["id"]].get(language or "") or {}
            self.views[row["id"]] = {
                "id": row["id"], "uri": "/".join(self._path(row, "uri", language)),
                "sortOrder": row["sort_order"],
                "name": self._path(row, "name", language), "parentId": row["parent_id"],
                **{field: own.get(column) or row[column] for field, column in _META},
                "translations": [self._translation(row, code) for code in
                                 sorted(self.texts[row["id"]])],
                "tree": self}

    def _path(self, row: Any, column: str, language: str | None) -> list[str]:
        """The names (or uri segments) from the top category down to this one, in
        ``language`` where translated (a breadcrumb)."""
        names, seen = [], set()
        while row is not None and row["id"] not in seen:
            seen.add(row["id"])
            text = self.texts[row["id"]].get(language or "") or {}
            own = row[column] if column == "name" else row["uri"].rpartition("/")[2]
            names.append(text.get(column) or own)
            row = self.rows.get(row["parent_id"])
        return names[::-1]

    def _translation(self, row: Any, language: str) -> dict[str, Any]:
        text = self.texts[row["id"]][language]
        return {"language": language, "name": self._path(row, "name", language),
                "uri": "/".join(self._path(row, "uri", language)),
                **{field: text[column] for field, column in _META}}

    def children(self, category_id: int | None) -> list[dict[str, Any]]:
        return [view for view in self.views.values() if view["parentId"] == category_id]


async def tree(reads: Reads, language: str | None = None) -> Tree:
    return Tree(await reads.all(_CATEGORIES), await reads.all(_CATEGORY_TEXTS), language)


async def placements(reads: Reads, ids: Collection[int]) -> dict[int, list[int]]:
    """The categories of each display item, its own first."""
    found: dict[int, list[int]] = defaultdict(list)
    for row in await reads.all(_PLACED, list(ids)):
        found[row["display_item_id"]].append(row["category_id"])
    return found
