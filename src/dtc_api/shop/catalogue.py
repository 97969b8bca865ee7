"""Catalogue and geography from the back-office: upserts by stable keys, in one transaction.

Sections are applied in dependency order (currencies, languages, markets, pricelists,
countries, warehouses, display items, attribute types); a reference may name a record of the
same document or one already stored. Any error names its record, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.checkout import config as checkout_config
from dtc_api.core import validate
from dtc_api.core.errors import Code, DomainError, UserError
from dtc_api.core.money import to_minor
from dtc_api.core.progress import SILENT, Progress, step
from dtc_api.shop.geography import EU_MEMBERS, country_name, language_name, load_from
from dtc_api.store import tables as t
from dtc_api.store.upsert import upsert


class _Errors:
    def __init__(self, prefix: tuple[str, ...]) -> None:
        self.prefix = prefix
        self.found: list[UserError] = []

    def add(self, code: str, message: str, *path: str | int) -> None:
        self.found.append(UserError(message, (*self.prefix, *map(str, path)), code=code))

    def refused(self, error: UserError | None) -> None:
        """Keep a shared validator's error, under this document's prefix."""
        if error is not None:
            self.found.append(replace(error, path=(*self.prefix, *error.path)))

    def check(self) -> None:
        if self.found:
            raise DomainError(*self.found)


async def _keys(conn: AsyncConnection, table: sa.Table, key: str) -> dict[str, int]:
    return dict((await conn.execute(sa.select(table.c[key], table.c.id))).all())


# What bounds each text field of a document: the column it is stored in (its length), or,
# for a list of records, the bounds of their fields.
_BOUNDS: dict[str, Any] = {
    "currencies": {"code": t.currencies.c.code, "name": t.currencies.c.name,
                   "isoNumber": t.currencies.c.iso_number, "prefix": t.currencies.c.prefix,
                   "suffix": t.currencies.c.suffix, "decimalPoint": t.currencies.c.decimal_point,
                   "thousandsSeparator": t.currencies.c.thousands_separator},
    "languages": {"code": t.languages.c.code, "name": t.languages.c.name},
    "markets": {"key": t.markets.c.key, "name": t.markets.c.name},
    "pricelists": {"key": t.pricelists.c.key, "name": t.pricelists.c.name,
                   "currency": t.currencies.c.code},
    "countries": {"code": t.countries.c.code, "name": t.countries.c.name,
                  "market": t.markets.c.key, "pricelist": t.pricelists.c.key,
                  "defaultLanguage": t.languages.c.code,
                  "states": {"code": t.country_states.c.code,
                             "name": t.country_states.c.name}},
    "warehouses": {"key": t.warehouses.c.key, "name": t.warehouses.c.name,
                   "markets": t.markets.c.key},
    "subscriptionPlans": {"name": t.subscription_plans.c.name},
    "brands": {"name": t.brands.c.name, "uri": t.brands.c.uri},
    "collections": {"name": t.collections.c.name, "uri": t.collections.c.uri},
    "categories": {"name": t.categories.c.name, "metaTitle": t.categories.c.meta_title,
                   "metaDescription": t.categories.c.meta_description,
                   "metaKeywords": t.categories.c.meta_keywords},
    "displayItems": {"name": t.display_items.c.name, "uri": t.display_items.c.uri,
                     "productNumber": t.display_items.c.product_number,
                     "prices": {"pricelist": t.pricelists.c.key},
                     "items": {"id": t.items.c.id, "name": t.items.c.name,
                               "sku": t.items.c.sku, "gtin": t.items.c.gtin,
                               "sizeLocalization": {
                                   "displayName": t.item_size_localizations.c.definition,
                                   "name": t.item_size_localizations.c.name}},
                     "media": {"altText": t.display_item_media.c.alt_text},
                     "metaTitle": t.display_items.c.meta_title,
                     "metaDescription": t.display_items.c.meta_description,
                     "metaKeywords": t.display_items.c.meta_keywords,
                     "productVariant": {"name": t.display_items.c.variant_name,
                                        "number": t.display_items.c.variant_number}},
    "attributeTypes": {"name": t.attribute_types.c.name,
                       "elements": {"key": t.attribute_elements.c.key},
                       "attributes": {"values": {
                           "key": t.mapped_attribute_values.c.element_key}}},
}
# ISO 4217 currencies have 0 to 4 decimals; an amount is at most 10^15 minor units (exact in
# a double, and far above any price).
MAX_DECIMAL_DIGITS = 4
MAX_MINOR = 10**15


def _check_lengths(records: Any, bounds: dict[str, Any], errors: _Errors,
                   *path: str | int) -> None:
    for index, record in enumerate(records or []):
        _check_record(record, bounds, errors, *path, index)


def _check_record(record: dict[str, Any], bounds: dict[str, Any], errors: _Errors,
                  *path: str | int) -> None:
    for field, bound in bounds.items():
        value = record.get(field)
        if isinstance(bound, dict):
            if isinstance(value, dict):  # one object, e.g. a display item's productVariant
                _check_record(value, bound, errors, *path, field)
            else:
                _check_lengths(value, bound, errors, *path, field)
            continue
        limit = bound.type.length
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and len(text) > limit for text in texts):
            errors.add(Code.INVALID_INPUT, f"{field} has at most {limit} characters",
                       *path, field)


# A section's writer: (conn, its records, errors, counts) -> None.
Writer = Callable[[AsyncConnection, list[dict[str, Any]], _Errors, dict[str, int]],
                  Awaitable[None]]


async def apply(conn: AsyncConnection, data: dict[str, Any],
                prefix: tuple[str, ...] = ("input",),
                progress: Progress = SILENT) -> dict[str, int]:
    """Upsert every section given; returns how many records each had. ``progress`` hears of
    each section the document has, as it is written."""
    errors = _Errors(prefix)
    counts: dict[str, int] = {}
    for section, bounds in _BOUNDS.items():
        _check_lengths(data.get(section), bounds, errors, section)
    for index, currency in enumerate(data.get("currencies") or []):
        if not 0 <= currency["decimalDigits"] <= MAX_DECIMAL_DIGITS:
            errors.add(Code.OUT_OF_RANGE,
                       f"decimalDigits must be between 0 and {MAX_DECIMAL_DIGITS}",
                       "currencies", index, "decimalDigits")
    errors.check()
    for section, write in _writers(progress):
        records = data.get(section) or []
        with step(progress if section in data else SILENT, section, len(records)):
            await write(conn, records, errors, counts)
    return counts


def _writers(progress: Progress) -> list[tuple[str, Writer]]:
    """Every section's writer, in dependency order: a record may name one of an earlier
    section (of the same document, or stored)."""
    async def display_items(conn: AsyncConnection, records: list[dict[str, Any]],
                            errors: _Errors, counts: dict[str, int]) -> None:
        await _display_items(conn, records, errors, counts, progress)

    return [
        ("currencies", _currencies), ("languages", _languages), ("markets", _markets),
        ("pricelists", _pricelists), ("countries", _countries), ("warehouses", _warehouses),
        ("subscriptionPlans", _subscription_plans),
        ("brands", partial(_named, section="brands", table=t.brands)),
        ("collections", partial(_named, section="collections", table=t.collections)),
        ("categories", _categories),
        # Attribute types first: a display item may have values of them.
        ("attributeTypes", _attribute_types), ("displayItems", display_items),
        ("shippingMethods", checkout_config.shipping_methods),
        ("paymentMethods", checkout_config.payment_methods),
        ("vouchers", checkout_config.vouchers),
    ]


async def _currencies(conn: AsyncConnection, currencies: list[dict[str, Any]],
                      errors: _Errors, counts: dict[str, int]) -> None:
    await upsert(conn, t.currencies, [{
        "code": c["code"].upper(), "name": c["name"], "iso_number": c["isoNumber"],
        "prefix": c.get("prefix"), "suffix": c.get("suffix"),
        "decimal_digits": c["decimalDigits"], "decimal_point": c["decimalPoint"],
        "thousands_separator": c["thousandsSeparator"],
        "denominator": 10 ** c["decimalDigits"], "base_rate": c["baseRate"],
    } for c in currencies], ["code"])
    counts["currencies"] = len(currencies)


async def _languages(conn: AsyncConnection, languages: list[dict[str, Any]],
                     errors: _Errors, counts: dict[str, int]) -> None:
    rows = []
    for index, language in enumerate(languages):
        name = language.get("name") or language_name(language["code"][:2])
        if name is None:
            errors.add(Code.REQUIRED, f"language {language['code']} needs a name",
                       "languages", index, "name")
            continue
        rows.append({"code": language["code"], "name": name,
                     "is_default": bool(language.get("default")),
                     "language_code": language["code"][:2], "country_code": None})
    errors.check()
    await upsert(conn, t.languages, rows, ["code"])
    counts["languages"] = len(rows)


async def _markets(conn: AsyncConnection, markets: list[dict[str, Any]], errors: _Errors,
                   counts: dict[str, int]) -> None:
    await upsert(conn, t.markets, [{"key": m["key"], "name": m["name"],
                                    "is_default": bool(m.get("default"))} for m in markets],
                 ["key"])
    counts["markets"] = len(markets)


async def _pricelists(conn: AsyncConnection, pricelists: list[dict[str, Any]],
                      errors: _Errors, counts: dict[str, int]) -> None:
    currency_ids = await _keys(conn, t.currencies, "code")
    for index, pricelist in enumerate(pricelists):
        if pricelist["currency"].upper() not in currency_ids:
            errors.add(Code.NOT_FOUND, f"currency {pricelist['currency']} not found",
                       "pricelists", index, "currency")
    errors.check()
    await upsert(conn, t.pricelists, [{
        "key": p["key"], "name": p["name"], "comment": p.get("comment"),
        "currency_id": currency_ids[p["currency"].upper()],
        "is_default": bool(p.get("default"))} for p in pricelists], ["key"])
    counts["pricelists"] = len(pricelists)


ELEMENT_KINDS = {"BOOLEAN", "FILE", "IMAGE", "INPUT", "READONLY", "SELECT", "TEXTAREA"}


async def _attribute_types(conn: AsyncConnection, types: list[dict[str, Any]],
                           errors: _Errors, counts: dict[str, int]) -> None:
    """Dynamic types with their element keys; mapped types with their attributes (by id)."""
    owners = dict((await conn.execute(sa.select(
        t.mapped_attributes.c.id, t.attribute_types.c.name).join(
        t.attribute_types, t.attribute_types.c.id == t.mapped_attributes.c.attribute_type_id)
    )).all())
    for index, kind in enumerate(types):
        if kind["kind"] not in {"dynamic", "mapped"}:
            errors.add(Code.INVALID_INPUT, "kind must be dynamic or mapped", "attributeTypes",
                       index, "kind")
        for position, element in enumerate(kind.get("elements") or []):
            if element["kind"] not in ELEMENT_KINDS:
                errors.add(Code.INVALID_INPUT,
                           f"element kind must be one of {', '.join(sorted(ELEMENT_KINDS))}",
                           "attributeTypes", index, "elements", position, "kind")
        keys = {e["key"] for e in kind.get("elements") or []}
        for position, attribute in enumerate(kind.get("attributes") or []):
            if kind["kind"] != "mapped":
                errors.add(Code.INVALID_INPUT, "only mapped types have attributes",
                           "attributeTypes", index, "attributes", position)
            if owners.setdefault(attribute["id"], kind["name"]) != kind["name"]:
                errors.add(Code.ALREADY_EXISTS,
                           f"attribute {attribute['id']} belongs to {owners[attribute['id']]}",
                           "attributeTypes", index, "attributes", position, "id")
            for value in attribute.get("values") or []:
                if value["key"] not in keys:
                    errors.add(Code.NOT_FOUND,
                               f"element {value['key']} is not one of the type's elements",
                               "attributeTypes", index, "attributes", position, "values")
    errors.check()
    await upsert(conn, t.attribute_types, [
        {"name": k["name"], "kind": k["kind"], "is_multi": bool(k.get("isMulti"))}
        for k in types], ["name"])
    type_ids = await _keys(conn, t.attribute_types, "name")
    await upsert(conn, t.attribute_elements, [
        {"attribute_type_id": type_ids[k["name"]], "key": e["key"], "kind": e["kind"]}
        for k in types for e in k.get("elements") or []], ["attribute_type_id", "key"])
    await upsert(conn, t.mapped_attributes, [
        {"id": a["id"], "attribute_type_id": type_ids[k["name"]]}
        for k in types for a in k.get("attributes") or []], ["id"])
    await upsert(conn, t.mapped_attribute_values, [
        {"mapped_attribute_id": a["id"], "element_key": v["key"], "value": v["value"]}
        for k in types for a in k.get("attributes") or [] for v in a.get("values") or []],
        ["mapped_attribute_id", "element_key"])
    counts["attributeTypes"] = len(types)


async def _countries(conn: AsyncConnection, countries: list[dict[str, Any]], errors: _Errors,
                     counts: dict[str, int]) -> None:
    market_ids = await _keys(conn, t.markets, "key")
    pricelist_ids = await _keys(conn, t.pricelists, "key")
    places = await load_from(conn)
    rows, states = [], []
    for index, country in enumerate(countries):
        code = country["code"].upper()
        name = country.get("name") or country_name(code)
        if name is None:
            errors.add(Code.REQUIRED, f"country {code} is not an ISO 3166 code: give its name",
                       "countries", index, "name")
        for field, ids in (("market", market_ids), ("pricelist", pricelist_ids)):
            if country.get(field) is not None and country[field] not in ids:
                errors.add(Code.NOT_FOUND, f"{field} {country[field]} not found", "countries",
                           index, field)
        tax = country.get("taxPercent")
        if tax is not None and not 0 <= tax < 100:
            errors.add(Code.OUT_OF_RANGE, "taxPercent must be from 0 to below 100", "countries",
                       index, "taxPercent")
        language = country.get("defaultLanguage")
        if language is not None:
            errors.refused(validate.language_error(places, language, "countries", str(index),
                                                   "defaultLanguage"))
        rows.append({"code": code, "name": name, "is_eu": code in EU_MEMBERS,
                     "ship_to": country["shipTo"], "default_language_code": language,
                     "market_id": market_ids.get(country.get("market") or ""),
                     "pricelist_id": pricelist_ids.get(country.get("pricelist") or ""),
                     "tax_percent": country.get("taxPercent")})
        states += [{"country_code": code, "code": s["code"], "name": s["name"]}
                   for s in country.get("states") or []]
    errors.check()
    await upsert(conn, t.countries, rows, ["code"])
    await upsert(conn, t.country_states, states, ["country_code", "code"])
    counts["countries"] = len(rows)


async def _warehouses(conn: AsyncConnection, warehouses: list[dict[str, Any]],
                      errors: _Errors, counts: dict[str, int]) -> None:
    market_ids = await _keys(conn, t.markets, "key")
    for index, warehouse in enumerate(warehouses):
        for position, market in enumerate(warehouse["markets"]):
            if market not in market_ids:
                errors.add(Code.NOT_FOUND, f"market {market} not found", "warehouses", index,
                           "markets", position)
    errors.check()
    await upsert(conn, t.warehouses, [{"key": w["key"], "name": w["name"]}
                                      for w in warehouses], ["key"])
    warehouse_ids = await _keys(conn, t.warehouses, "key")
    for warehouse in warehouses:
        await conn.execute(sa.delete(t.warehouse_markets).where(
            t.warehouse_markets.c.warehouse_id == warehouse_ids[warehouse["key"]]))
    await upsert(conn, t.warehouse_markets, [
        {"warehouse_id": warehouse_ids[w["key"]], "market_id": market_ids[m]}
        for w in warehouses for m in w["markets"]], ["warehouse_id", "market_id"])
    counts["warehouses"] = len(warehouses)


MAX_INTERVAL = 1_000  # days, weeks, months or years between deliveries
MAX_MEDIA = 50  # per display item
MAX_SOURCES = 20  # sizes per medium
MAX_URL = 1_000
_SIZE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,50}")


_SEGMENT = re.compile(r"[A-Za-z0-9._~-]{1,200}")
_URI = re.compile(r"[A-Za-z0-9._~-]{1,200}(/[A-Za-z0-9._~-]{1,200})*")
URI_RULE = "letters, digits and . _ ~ - only"


async def _named(conn: AsyncConnection, records: list[dict[str, Any]], errors: _Errors,
                 counts: dict[str, int], *, section: str, table: sa.Table) -> None:
    """Brands or collections: an id, a name and a uri of their own."""
    taken = dict((await conn.execute(sa.select(table.c.uri, table.c.id))).all())
    for index, record in enumerate(records):
        if not _URI.fullmatch(record["uri"]):
            errors.add(Code.INVALID_INPUT, f"uri has {URI_RULE}", section, index, "uri")
        elif taken.setdefault(record["uri"], record["id"]) != record["id"]:
            errors.add(Code.ALREADY_EXISTS, f"uri {record['uri']} belongs to "
                       f"{taken[record['uri']]}", section, index, "uri")
        if not record["name"].strip():
            errors.add(Code.REQUIRED, "name must not be empty", section, index, "name")
    errors.check()
    await upsert(conn, table, [{"id": r["id"], "name": r["name"].strip(), "uri": r["uri"]}
                               for r in records], ["id"])
    counts[section] = len(records)


async def _categories(conn: AsyncConnection, records: list[dict[str, Any]], errors: _Errors,
                      counts: dict[str, int]) -> None:
    """Categories, each below its parent: its uri is the parent's path and its own segment."""
    cats = t.categories
    stored = {row.id: row for row in await conn.execute(sa.select(cats.c.id, cats.c.uri,
                                                                 cats.c.parent_id))}
    paths: dict[int, str] = {row.id: row.uri for row in stored.values()}
    taken = {row.uri: row.id for row in stored.values()}
    rows = []
    for index, record in enumerate(records):
        segment, parent = record["uri"], record.get("parent")
        if not _SEGMENT.fullmatch(segment):
            errors.add(Code.INVALID_INPUT, f"uri is one segment: {URI_RULE}", "categories",
                       index, "uri")
        if parent is not None and (parent not in paths or parent == record["id"]):
            errors.add(Code.NOT_FOUND, f"parent category {parent} not found (give parents "
                       "first)", "categories", index, "parent")
            continue
        path = segment if parent is None else f"{paths[parent]}/{segment}"
        if taken.setdefault(path, record["id"]) != record["id"]:
            errors.add(Code.ALREADY_EXISTS, f"uri {path} belongs to category {taken[path]}",
                       "categories", index, "uri")
        if record["id"] in stored and stored[record["id"]].uri != path and any(
                p.startswith(f"{stored[record['id']].uri}/") for p in paths.values()):
            errors.add(Code.INVALID_INPUT, "a category with subcategories keeps its place and "
                       "uri", "categories", index, "uri")
        paths[record["id"]] = path
        rows.append({"id": record["id"], "parent_id": parent, "name": record["name"].strip(),
                     "uri": path, "sort_order": record.get("sortOrder") or 0,
                     "meta_title": record.get("metaTitle") or "",
                     "meta_description": record.get("metaDescription") or "",
                     "meta_keywords": record.get("metaKeywords") or ""})
        if not record["name"].strip():
            errors.add(Code.REQUIRED, "name must not be empty", "categories", index, "name")
    languages = set((await conn.execute(sa.select(t.languages.c.code))).scalars())
    translated = []
    for index, record in enumerate(records):
        for number, text in enumerate(record.get("translations") or []):
            where = ("categories", index, "translations", number)
            if text["language"] not in languages:
                errors.add(Code.NOT_FOUND, f"language {text['language']} not found", *where,
                           "language")
            if text.get("uri") and not _SEGMENT.fullmatch(text["uri"]):
                errors.add(Code.INVALID_INPUT, f"uri is one segment: {URI_RULE}", *where,
                           "uri")
            translated.append({"category_id": record["id"], "language_code": text["language"],
                               **_translated(text, ("name", "uri", *_META))})
    errors.check()
    for row in rows:  # parents first, as given
        await upsert(conn, cats, [row], ["id"])
    await _replace(conn, t.category_translations, "category_id", translated,
                   [r["id"] for r in records if r.get("translations") is not None])
    counts["categories"] = len(rows)


_META = ("metaTitle", "metaDescription", "metaKeywords")
_COLUMNS = {"name": "name", "uri": "uri", "description": "description",
            "shortDescription": "short_description", "metaTitle": "meta_title",
            "metaDescription": "meta_description", "metaKeywords": "meta_keywords"}


def _translated(text: dict[str, Any], fields: tuple[str, ...]) -> dict[str, str]:
    return {_COLUMNS[field]: (text.get(field) or "") for field in fields}


async def _subscription_plans(conn: AsyncConnection, plans: list[dict[str, Any]],
                              errors: _Errors, counts: dict[str, int]) -> None:
    for index, plan in enumerate(plans):
        if not 1 <= plan["interval"]["value"] <= MAX_INTERVAL:
            errors.add(Code.OUT_OF_RANGE, f"value must be between 1 and {MAX_INTERVAL}",
                       "subscriptionPlans", index, "interval", "value")
        discount = plan.get("discount")
        if discount is not None and not 0 <= discount <= 100:
            errors.add(Code.OUT_OF_RANGE, "discount must be a percentage from 0 to 100",
                       "subscriptionPlans", index, "discount")
        if not plan["name"].strip():
            errors.add(Code.REQUIRED, "name must not be empty", "subscriptionPlans", index,
                       "name")
    errors.check()
    await upsert(conn, t.subscription_plans, [
        {"id": p["id"], "name": p["name"].strip(), "interval_type": p["interval"]["type"],
         "interval_value": p["interval"]["value"], "discount": p.get("discount")}
        for p in plans], ["id"])
    counts["subscriptionPlans"] = len(plans)


def _media_rows(product: dict[str, Any], index: int, errors: _Errors) -> list[dict[str, Any]]:
    media = product["media"]
    if len(media) > MAX_MEDIA:
        errors.add(Code.OUT_OF_RANGE, f"at most {MAX_MEDIA} media", "displayItems", index,
                   "media")
    rows = []
    for position, medium in enumerate(media):
        sources: dict[str, str] = {}
        if not medium["sources"] or len(medium["sources"]) > MAX_SOURCES:
            errors.add(Code.OUT_OF_RANGE, f"give 1 to {MAX_SOURCES} sources", "displayItems",
                       index, "media", position, "sources")
        for number, source in enumerate(medium["sources"]):
            where = ("displayItems", index, "media", position, "sources", number)
            if not _SIZE_NAME.fullmatch(source["size"]):
                errors.add(Code.INVALID_INPUT, "size is 1 to 50 letters, digits, _ . or -",
                           *where, "size")
            elif source["size"] in sources:
                errors.add(Code.ALREADY_EXISTS, f"size {source['size']} is given twice",
                           *where, "size")
            url = source["url"]
            if len(url) > MAX_URL or not (url.startswith(("https://", "http://"))
                                          or (url.startswith("/") and not url.startswith("//"))):
                errors.add(Code.INVALID_INPUT, "url must start with https://, http:// or / "
                           f"(a path on this server), in at most {MAX_URL} characters",
                           *where, "url")
            sources[source["size"]] = url
        rows.append({"display_item_id": product["id"], "position": position,
                     "alt_text": medium.get("altText"), "sources": sources})
    return rows


def _size_rows(item: dict[str, Any], where: tuple[Any, ...], countries: set[str],
               errors: _Errors) -> list[dict[str, Any]]:
    rows = []
    for position, size in enumerate(item["sizeLocalization"]):
        codes = [code.upper() for code in size["countries"]]
        for number, code in enumerate(codes):
            if code not in countries:
                errors.add(Code.NOT_FOUND, f"country {code} not found", *where,
                           "sizeLocalization", position, "countries", number)
        rows.append({"item_id": item["id"], "position": position,
                     "definition": size["displayName"], "name": size["name"],
                     "countries": codes})
    return rows


async def _display_items(conn: AsyncConnection, products: list[dict[str, Any]],
                         errors: _Errors, counts: dict[str, int],
                         progress: Progress = SILENT) -> None:
    pricelists = {key: (pid, digits) for key, pid, digits in await conn.execute(
        sa.select(t.pricelists.c.key, t.pricelists.c.id, t.currencies.c.decimal_digits)
        .join(t.currencies, t.currencies.c.id == t.pricelists.c.currency_id))}
    taken = dict((await conn.execute(sa.select(t.display_items.c.uri,
                                               t.display_items.c.id))).all())
    plans = set((await conn.execute(sa.select(t.subscription_plans.c.id))).scalars())
    countries = set((await conn.execute(sa.select(t.countries.c.code))).scalars())
    known = {name: set((await conn.execute(sa.select(table.c.id))).scalars())
             for name, table in (("brand", t.brands), ("collection", t.collections),
                                 ("categories", t.categories))}
    rows = _ProductRows()
    for index, product in enumerate(products):
        prices, items, media, offered, sizes, placed = rows.add()
        for field in ("brand", "collection"):
            if product.get(field) is not None and product[field] not in known[field]:
                errors.add(Code.NOT_FOUND, f"{field} {product[field]} not found",
                           "displayItems", index, field)
        chosen = product.get("categories") or []
        if len(set(chosen)) != len(chosen):
            errors.add(Code.ALREADY_EXISTS, "a category is given twice", "displayItems", index,
                       "categories")
        for position, category in enumerate(chosen):
            if category not in known["categories"]:
                errors.add(Code.NOT_FOUND, f"category {category} not found", "displayItems",
                           index, "categories", position)
            placed.append({"display_item_id": product["id"], "category_id": category,
                           "position": position})
        if product.get("media") is not None:
            media += _media_rows(product, index, errors)
        for position, plan in enumerate(product.get("subscriptionPlans") or []):
            if plan not in plans:
                errors.add(Code.NOT_FOUND, f"subscription plan {plan} not found",
                           "displayItems", index, "subscriptionPlans", position)
            offered.append({"display_item_id": product["id"], "plan_id": plan,
                            "position": position})
        given = product.get("subscriptionPlans") or []
        if len(set(given)) != len(given):
            errors.add(Code.ALREADY_EXISTS, "a plan is given twice", "displayItems", index,
                       "subscriptionPlans")
        owner = taken.setdefault(product["uri"], product["id"])
        if owner != product["id"]:
            errors.add(Code.ALREADY_EXISTS, f"uri {product['uri']} belongs to display item {owner}",
                       "displayItems", index, "uri")
        for position, price in enumerate(product.get("prices") or []):
            found = pricelists.get(price["pricelist"])
            if found is None:
                errors.add(Code.NOT_FOUND, f"pricelist {price['pricelist']} not found",
                           "displayItems", index, "prices", position, "pricelist")
                continue
            minor = to_minor(price["price"], found[1])
            if minor is None or not 0 <= minor < MAX_MINOR:
                errors.add(Code.INVALID_AMOUNT,
                           "price must be a non-negative amount in the currency's decimals",
                           "displayItems", index, "prices", position, "price")
                continue
            prices.append({"display_item_id": product["id"], "pricelist_id": found[0],
                           "price_minor": minor})
        for position, item in enumerate(product.get("items") or []):
            if not item["id"].startswith(f"{product['id']}-"):
                errors.add(Code.INVALID_INPUT, f"item id must be {product['id']}-<sizeId>",
                           "displayItems", index, "items", position, "id")
            items.append({"id": item["id"], "display_item_id": product["id"],
                          "product_size_id": item["sizeId"], "name": item["name"],
                          "sku": item["sku"], "gtin": item.get("gtin") or "",
                          "preorder": bool(item.get("preorder"))})
            if item.get("sizeLocalization") is not None:
                sizes += _size_rows(item, ("displayItems", index, "items", position),
                                    countries, errors)
    errors.check()
    now = dt.datetime.now(dt.UTC)
    for first in range(0, len(products), WRITE_CHUNK):
        last = min(first + WRITE_CHUNK, len(products))
        await _write_display_items(conn, products[first:last], rows.taking(first, last), now)
        progress.update(last)
    await _bundles(conn, products, errors)
    await _display_item_extras(conn, products, errors)
    counts["displayItems"] = len(products)
    counts["items"] = rows.items


# Display items are written this many at a time, so that a watcher of a large import sees
# them go; the statements are the same, only split.
WRITE_CHUNK = 1_000


class _ProductRows:
    """The rows of each display item's own tables, kept per display item (in the document's
    order) until written."""

    def __init__(self) -> None:
        self.per_product: list[tuple[list[dict[str, Any]], ...]] = []
        self.items = 0

    def add(self) -> tuple[list[dict[str, Any]], ...]:
        """(prices, items, media, plans, sizes, categories) of the next display item, to
        fill in."""
        self.per_product.append(([], [], [], [], [], []))
        return self.per_product[-1]

    def taking(self, first: int, last: int) -> tuple[list[dict[str, Any]], ...]:
        """The rows of display items ``first`` to ``last`` (excluded), table by table."""
        tables: tuple[list[dict[str, Any]], ...] = ([], [], [], [], [], [])
        for product in self.per_product[first:last]:
            for rows, more in zip(tables, product, strict=True):
                rows += more
        self.items += len(tables[1])
        return tables


async def _write_display_items(conn: AsyncConnection, products: list[dict[str, Any]],
                               rows: tuple[list[dict[str, Any]], ...], now: dt.datetime
                               ) -> None:
    prices, items, media, offered, sizes, placed = rows
    await upsert(conn, t.display_items, [{
        "id": p["id"], "name": p["name"], "uri": p["uri"], "product_number": p["productNumber"],
        "brand_id": p.get("brand"), "collection_id": p.get("collection"),
        "description": p.get("description") or "",
        "short_description": p.get("shortDescription") or "",
        "meta_title": p.get("metaTitle") or "", "meta_description": p.get("metaDescription") or "",
        "meta_keywords": p.get("metaKeywords") or "",
        "variant_name": (p.get("productVariant") or {}).get("name"),
        "variant_number": (p.get("productVariant") or {}).get("number"),
        "modified_at": now} for p in products], ["id"])
    await conn.execute(sa.update(t.display_items).where(
        t.display_items.c.created_at.is_(None),
        t.display_items.c.id.in_([p["id"] for p in products])).values(created_at=now))
    await _replace(conn, t.display_item_categories, "display_item_id", placed,
                   [p["id"] for p in products if p.get("categories") is not None])
    await upsert(conn, t.display_item_prices, prices, ["display_item_id", "pricelist_id"])
    await upsert(conn, t.items, items, ["id"])
    await _replace(conn, t.display_item_media, "display_item_id", media,
                   [p["id"] for p in products if p.get("media") is not None])
    await _replace(conn, t.display_item_plans, "display_item_id", offered,
                   [p["id"] for p in products if p.get("subscriptionPlans") is not None])
    await _replace(conn, t.item_size_localizations, "item_id", sizes,
                   [i["id"] for p in products for i in p.get("items") or []
                    if i.get("sizeLocalization") is not None])


async def _replace(conn: AsyncConnection, table: sa.Table, owner: str,
                   rows: list[dict[str, Any]], owners: list[Any]) -> None:
    """The rows of ``owners`` in ``table`` become ``rows`` (lists given in full replace the
    stored ones)."""
    if owners:
        await conn.execute(sa.delete(table).where(table.c[owner].in_(owners)))
    if rows:
        await conn.execute(sa.insert(table), rows)


MAX_SECTION_QUANTITY = 100


async def _bundles(conn: AsyncConnection, products: list[dict[str, Any]], errors: _Errors
                   ) -> None:
    """The bundles defined by display items of the document (after the display items
    themselves are written: a section may hold one of them)."""
    given = [(index, p) for index, p in enumerate(products) if p.get("bundle") is not None]
    if not given:
        return
    known = set((await conn.execute(sa.select(t.display_items.c.id))).scalars())
    bundled = set((await conn.execute(sa.select(t.bundles.c.display_item_id))).scalars())
    bundled |= {p["id"] for _, p in given}
    owners = dict((await conn.execute(sa.select(t.bundle_sections.c.id,
                                                t.bundle_sections.c.bundle_id))).all())
    sections, members = [], []
    for index, product in given:
        bundle = product["bundle"]
        where = ("displayItems", index, "bundle")
        if not bundle["sections"]:
            errors.add(Code.REQUIRED, "a bundle needs at least one section", *where, "sections")
        for position, section in enumerate(bundle["sections"]):
            at = (*where, "sections", position)
            if owners.setdefault(section["id"], product["id"]) != product["id"]:
                errors.add(Code.ALREADY_EXISTS, f"section {section['id']} belongs to bundle "
                           f"{owners[section['id']]}", *at, "id")
            if not 1 <= section["quantity"] <= MAX_SECTION_QUANTITY:
                errors.add(Code.OUT_OF_RANGE,
                           f"quantity must be between 1 and {MAX_SECTION_QUANTITY}", *at,
                           "quantity")
            choices = section["displayItems"]
            if (len(choices) != 1 and bundle["type"] == "FIXED") or not choices:
                errors.add(Code.INVALID_INPUT, "a section of a FIXED bundle holds exactly one "
                           "display item" if choices else "a section needs a display item",
                           *at, "displayItems")
            if len(set(choices)) != len(choices):
                errors.add(Code.ALREADY_EXISTS, "a display item is given twice", *at,
                           "displayItems")
            for number, member in enumerate(choices):
                if member not in known:
                    errors.add(Code.NOT_FOUND, f"display item {member} not found", *at,
                               "displayItems", number)
                elif member in bundled:
                    errors.add(Code.INVALID_INPUT, f"display item {member} is a bundle: "
                               "bundles do not nest", *at, "displayItems", number)
            sections.append({"id": section["id"], "bundle_id": product["id"],
                             "position": position, "quantity": section["quantity"]})
            members += [{"section_id": section["id"], "display_item_id": member,
                         "position": number} for number, member in enumerate(choices)]
    errors.check()
    ids = [p["id"] for _, p in given]
    await upsert(conn, t.bundles, [{"display_item_id": p["id"], "type": p["bundle"]["type"],
                                    "price_type": p["bundle"]["priceType"]} for _, p in given],
                 ["display_item_id"])
    kept = [s["id"] for s in sections]
    gone = sa.select(t.bundle_sections.c.id).where(t.bundle_sections.c.bundle_id.in_(ids),
                                                   t.bundle_sections.c.id.notin_(kept))
    # Cart lines holding a section that is gone cannot be bought any more.
    await conn.execute(sa.delete(t.selection_lines).where(t.selection_lines.c.id.in_(
        sa.select(t.selection_line_parts.c.line_id)
        .where(t.selection_line_parts.c.section_id.in_(gone)))))
    await conn.execute(sa.delete(t.bundle_sections).where(t.bundle_sections.c.id.in_(gone)))
    await upsert(conn, t.bundle_sections, sections, ["id"])
    await _replace(conn, t.bundle_section_items, "section_id", members, kept)


MAX_TEXT = 100_000  # characters of a description


async def _display_item_extras(conn: AsyncConnection, products: list[dict[str, Any]],
                               errors: _Errors) -> None:
    """Translations, relations and attribute values of the display items (written after the
    display items: a relation may name one of the same document)."""
    languages = set((await conn.execute(sa.select(t.languages.c.code))).scalars())
    known = set((await conn.execute(sa.select(t.display_items.c.id))).scalars())
    types = {row.name: (row.id, row.kind) for row in await conn.execute(
        sa.select(t.attribute_types.c.name, t.attribute_types.c.id, t.attribute_types.c.kind))}
    keys: dict[int, set[str]] = defaultdict(set)
    for type_id, key in await conn.execute(sa.select(t.attribute_elements.c.attribute_type_id,
                                                     t.attribute_elements.c.key)):
        keys[type_id].add(key)
    translated, related, values = [], [], []
    for index, product in enumerate(products):
        for number, text in enumerate(product.get("translations") or []):
            where = ("displayItems", index, "translations", number)
            if text["language"] not in languages:
                errors.add(Code.NOT_FOUND, f"language {text['language']} not found", *where,
                           "language")
            if text.get("uri") and not _URI.fullmatch(text["uri"]):
                errors.add(Code.INVALID_INPUT, f"uri has {URI_RULE}", *where, "uri")
            for field in ("description", "shortDescription"):
                if len(text.get(field) or "") > MAX_TEXT:
                    errors.add(Code.INVALID_INPUT, f"{field} has at most {MAX_TEXT} characters",
                               *where, field)
            translated.append({"display_item_id": product["id"],
                               "language_code": text["language"],
                               **_translated(text, tuple(_COLUMNS))})
        for number, relation in enumerate(product.get("relatedDisplayItems") or []):
            where = ("displayItems", index, "relatedDisplayItems", number)
            if not relation["relation"].strip() or len(relation["relation"]) > 100:
                errors.add(Code.INVALID_INPUT, "relation is 1 to 100 characters", *where,
                           "relation")
            for position, other in enumerate(dict.fromkeys(relation["displayItems"])):
                if other not in known or other == product["id"]:
                    errors.add(Code.NOT_FOUND, f"display item {other} not found", *where,
                               "displayItems", position)
                related.append({"display_item_id": product["id"],
                                "relation": relation["relation"].strip(),
                                "related_id": other, "position": position})
        for number, attribute in enumerate(product.get("attributes") or []):
            where = ("displayItems", index, "attributes", number)
            type_id, kind = types.get(attribute["type"], (None, None))
            if type_id is None or kind != "dynamic":
                errors.add(Code.NOT_FOUND, f"dynamic attribute type {attribute['type']} not "
                           "found", *where, "type")
                continue
            for position, value in enumerate(attribute["values"]):
                if value["key"] not in keys[type_id]:
                    errors.add(Code.NOT_FOUND, f"element {value['key']} is not one of the "
                               "type's elements", *where, "values", position, "key")
                values.append({"display_item_id": product["id"], "attribute_type_id": type_id,
                               "element_key": value["key"], "value": value["value"]})
    errors.check()
    for table, field, rows in ((t.display_item_translations, "translations", translated),
                               (t.display_item_relations, "relatedDisplayItems", related),
                               (t.display_item_attributes, "attributes", values)):
        await _replace(conn, table, "display_item_id", rows,
                       [p["id"] for p in products if p.get(field) is not None])
