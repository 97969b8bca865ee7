"""The shop's workflows, one function each, each owning its transaction: the shopper's
selection, the geography a storefront lists, the catalogue, stock and file imports.

They take plain values (and the collaborators they need: the database, the geography
snapshot of the request, the selection policy) and return plain values or raise
``DomainError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import sessions
from dtc_api.core.errors import DomainError, UserError
from dtc_api.core.progress import SILENT, Progress
from dtc_api.shop import catalog, catalogue, imports, listing, selections, stock
from dtc_api.shop.geography import Geography, GeographyCache, load_from
from dtc_api.shop.selections import SelectionPolicy
from dtc_api.store.db import Database
from dtc_api.store.reads import Query, within

# A change to the locked session or its selection. It returns the UserErrors that did not
# stop it (UnavailableItem), or a tuple of (result, those errors); a refusal raises.
Change = Callable[[AsyncConnection, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class SelectionChange:
    """What a selection or session mutation answers, refused or not."""

    selection: dict[str, Any]  # a GraphQL Selection, the latest one
    session: dict[str, Any]  # the session row after the change
    errors: list[UserError] = field(default_factory=list)
    line_id: str | None = None  # addItem: the line the item is on


# -- the selection ------------------------------------------------------------------------

async def selection(db: Database, geography: Geography, session: dict[str, Any],
                    policy: SelectionPolicy, now: dt.datetime) -> dict[str, Any]:
    """The session's selection, priced in its pricelist (``selection``)."""
    async with db.read() as conn:
        return await selections.view(conn, geography, session, policy, now)


async def change_selection(db: Database, geography: Geography, policy: SelectionPolicy,
                           session_id: int, now: dt.datetime, change: Change
                           ) -> SelectionChange:
    """Run ``change`` on the locked session, then read the latest selection.

    A refusal is kept as errors rather than raised: the selection comes back even when the
    change was refused, as Centra does.
    """
    result: Any = None
    errors: list[UserError] = []
    async with db.write() as conn:
        session = await sessions.lock(conn, session_id)
        try:
            outcome = await change(conn, session)
        except DomainError as refused:
            errors.extend(refused.errors)
        else:
            if isinstance(outcome, tuple):
                result, outcome = outcome
            errors.extend(outcome or ())
        latest = await selections.view(conn, geography, session, policy, now)
        errors = await _with_items(conn, geography, session, errors)
    return SelectionChange(latest, session, errors, result)


async def _with_items(conn: AsyncConnection, geography: Geography, session: dict[str, Any],
                      errors: list[UserError]) -> list[UserError]:
    """Give UnavailableItem errors their item and display item."""
    wanted = {e.extra["displayItemId"] for e in errors if "displayItemId" in e.extra}
    if not wanted:
        return errors
    display_items = await catalog.display_items(
        await within(conn), wanted, market_id=session["market_id"],
        pricelist_id=session["pricelist_id"],
        currency=geography.currency_of(session["pricelist_id"]))
    given = []
    for error in errors:
        if "displayItemId" in error.extra:
            display_item = display_items[error.extra["displayItemId"]]
            item = next(i for i in display_item["items"] if i["id"] == error.extra["itemId"])
            error = replace(error, extra={**error.extra, "displayItem": display_item,
                                          "item": item})
        given.append(error)
    return given


async def add_item(db: Database, geography: Geography, policy: SelectionPolicy,
                   session_id: int, item: str, quantity: int, plan_id: int | None,
                   chosen: list[dict[str, Any]] | None, now: dt.datetime) -> SelectionChange:
    """``addItem`` and ``addFlexibleBundle`` (``chosen``: an item per section): units of an
    item or bundle, bought once or on a subscription plan, as many as stock covers."""
    return await change_selection(
        db, geography, policy, session_id, now,
        lambda conn, session: selections.add_item(conn, session, item, quantity, policy, now,
                                                  plan_id, chosen))


async def update_line(db: Database, geography: Geography, policy: SelectionPolicy,
                      session_id: int, line_id: str, quantity: int | None, plan_id: Any,
                      now: dt.datetime, plan_argument: str = "subscriptionPlanId"
                      ) -> SelectionChange:
    """``updateLine`` and ``removeSubscriptionPlanFromLine``: a line's quantity (None: kept,
    0 removes it, as far as stock covers it) and plan (``selections.KEEP``, a plan id, or
    None: bought once)."""
    return await change_selection(
        db, geography, policy, session_id, now,
        lambda conn, session: selections.update_line(conn, session, line_id, quantity,
                                                     policy, now, plan_id, plan_argument))


async def delete_line(db: Database, geography: Geography, policy: SelectionPolicy,
                      session_id: int, line_id: str, now: dt.datetime) -> SelectionChange:
    """``deleteLine``."""
    return await change_selection(
        db, geography, policy, session_id, now,
        lambda conn, session: selections.delete_line(conn, session, line_id, policy, now))


# -- geography ----------------------------------------------------------------------------

def countries(geography: Geography, only_ship_to: bool, language_code: str | None
              ) -> list[dict[str, Any]]:
    """GraphQL ``Country``s (only those shipped to, with ``only_ship_to``), named in
    ``language_code``."""
    return [geography.country(code, language_code)
            for code, row in geography.countries.items() if row["ship_to"] or not only_ship_to]


def languages(geography: Geography) -> list[dict[str, Any]]:
    return list(geography.languages.values())


def markets(geography: Geography, country_codes: Iterable[str] | None = None,
            ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """GraphQL ``Market``s with their countries; filters: any of the countries, the ids."""
    return [{**geography.market(market_id), "countries": members}
            for market_id, members in _members(geography, "market_id", geography.markets,
                                               country_codes, ids)]


def pricelists(geography: Geography, country_codes: Iterable[str] | None = None,
               ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """GraphQL ``Pricelist``s with their countries; filters: any of the countries, the ids."""
    return [{**geography.pricelist(pricelist_id), "countries": members}
            for pricelist_id, members in _members(geography, "pricelist_id",
                                                  geography.pricelists, country_codes, ids)]


def _members(geography: Geography, column: str, rows: dict[int, Any],
             country_codes: Iterable[str] | None, ids: Iterable[int] | None
             ) -> list[tuple[int, list[dict[str, Any]]]]:
    wanted_countries = {c.upper() for c in country_codes} if country_codes is not None else None
    wanted_ids = set(ids) if ids is not None else None
    found = []
    for row_id in rows:
        members = [c for c, row in geography.countries.items() if row[column] == row_id]
        if wanted_ids is not None and row_id not in wanted_ids:
            continue
        if wanted_countries is not None and not wanted_countries.intersection(members):
            continue
        found.append((row_id, [geography.country(c) for c in members]))
    return found


# -- catalogue, stock, imports ------------------------------------------------------------

async def upsert_catalogue(db: Database, cache: GeographyCache | None, data: dict[str, Any],
                           prefix: tuple[str, ...] = ("input",)) -> dict[str, int]:
    """``upsertCatalogue``: every section given, all or nothing; returns the records per
    section. Errors are under ``prefix``."""
    async with db.write() as conn:
        counts = await catalogue.apply(conn, data, prefix)
    if cache is not None:
        cache.invalidate()
    return counts


async def stock_of(db: Database, item: str) -> dict[str, Any] | None:
    """The back-office ``stock`` query: units per warehouse, or None for an unknown item."""
    async with db.read() as conn:
        return await stock.stock_of(conn, item)


@dataclass(frozen=True)
class StockChange:
    stock: dict[str, Any] | None  # the item's stock afterwards (set_stock only)
    notifications_queued: int


async def set_stock(db: Database, geography: Geography | None, item: str, warehouse: str,
                    quantity: int, now: dt.datetime) -> StockChange:
    """``setStock`` and ``dtc-api stock set``: back-in-stock e-mails follow. Without a
    geography snapshot (the CLI), the stored one is read in the transaction."""
    async with db.write() as conn:
        places = geography or await load_from(conn)
        queued = await stock.set_stock(conn, places, item, warehouse, quantity, now)
        return StockChange(await stock.stock_of(conn, item), queued)


async def set_stocks(db: Database, geography: Geography | None, rows: list[dict[str, Any]],
                     now: dt.datetime, prefix: tuple[str, ...] = ("input",)) -> StockChange:
    """``setStocks``: all rows or none; an error's path is ``(*prefix, index, field)``."""
    async with db.write() as conn:
        places = geography or await load_from(conn)
        queued = await stock.set_stocks(conn, places, rows, now, prefix)
    return StockChange(None, queued)


async def import_document(db: Database, document: Any, now: dt.datetime,
                          progress: Progress = SILENT) -> dict[str, int]:
    """``dtc-api import``: catalogue, stock and orders in one transaction, all or nothing;
    returns the records per section. ``progress`` hears of each section as it is written
    (nothing is committed until the last one is)."""
    async with db.write() as conn:
        return await imports.apply(conn, document, now, progress)


# -- the catalogue -------------------------------------------------------------------------

@dataclass
class DisplayItemList:
    views: list[dict[str, Any]]
    filters: list[dict[str, Any]]
    total: int
    page: int
    limit: int
    errors: list[UserError]


def _currency(geography: Geography, pricelist_id: int | None) -> dict[str, Any]:
    if pricelist_id is not None:
        return geography.currency_of(pricelist_id)
    return next(iter(geography.currencies.values()))  # no price is shown without a pricelist


async def _listed(reads: Any, geography: Geography, market_id: int, pricelist_id: int | None,
                  language: str | None, where: dict[str, Any] | None,
                  sort: list[dict[str, Any]], limit: int, page: int,
                  within_category: int | None = None) -> DisplayItemList:
    found = await listing.index(reads, market_id, pricelist_id, language)
    result = listing.listing(found, where, sort, limit, page, within_category=within_category)
    views = await catalog.display_items(reads, result.ids, market_id=market_id,
                                        pricelist_id=pricelist_id or 0,
                                        currency=_currency(geography, pricelist_id),
                                        language=language)
    for view in views.values():
        view["extras"].tree = found.categories
    brands = {e.row["brand_id"]: e.row for e in found.entries.values()}
    collections = {e.row["collection_id"]: e.row for e in found.entries.values()}
    sizes = catalog.SizeNames(value["value"] for option in result.filters
                              if option["key"] == "itemName" for value in option["values"])
    filters = [_filter_option(option, found.categories, brands, collections, sizes)
               for option in result.filters]
    return DisplayItemList([views[i] for i in result.ids if i in views], filters, result.total,
                           result.page, result.limit, result.errors)


def _filter_option(option: dict[str, Any], categories: catalog.Tree,
                   brands: dict[int, Any], collections: dict[int, Any],
                   sizes: catalog.SizeNames) -> dict[str, Any]:
    """A GraphQL ``FilterOption``: each value typed by its key (``brands``, ``collections``:
    a display item's row of each, by id; ``itemName``: its localizations, read if asked)."""
    values = []
    for value in option["values"]:
        typed = dict(value)
        if option["key"] == "brands":
            row = brands.get(int(value["value"]))
            typed.update(__typename="BrandFilterValue", name=row and row["brand_name"],
                         brand=row and {"id": row["brand_id"], "name": row["brand_name"],
                                        "uri": "", "metaTitle": "", "metaDescription": "",
                                        "metaKeywords": ""})
        elif option["key"] == "collections":
            row = collections.get(int(value["value"]))
            typed.update(__typename="CollectionFilterValue",
                         name=row and row["collection_name"],
                         collection=row and {"id": row["collection_id"],
                                             "name": row["collection_name"], "uri": ""})
        elif option["key"] == "categories":
            category = categories.views[int(value["value"])]
            typed.update(__typename="CategoryFilterValue", category=category,
                         name=category["name"][-1])
        else:
            typed.update(__typename="SizeNameFilterValue", sizes=sizes)
        values.append(typed)
    return {**option, "values": values}


async def list_display_items(db: Database, geography: Geography, market_id: int,
                             pricelist_id: int | None, language: str | None,
                             where: dict[str, Any] | None, sort: list[dict[str, Any]],
                             limit: int, page: int) -> DisplayItemList:
    """``displayItems``: one read unit."""
    return await db.reads(_listed, geography, market_id, pricelist_id, language, where, sort,
                          limit, page)


async def display_item(db: Database, geography: Geography, market_id: int,
                       pricelist_id: int | None, language: str | None, display_item_id: int
                       ) -> dict[str, Any] | None:
    async def unit(reads: Any) -> dict[str, Any] | None:
        views = await catalog.display_items(reads, [display_item_id], market_id=market_id,
                                            pricelist_id=pricelist_id or 0,
                                            currency=_currency(geography, pricelist_id),
                                            language=language)
        return views.get(display_item_id)
    return await db.reads(unit)


async def category_tree(db: Database, language: str | None) -> catalog.Tree:
    return await db.reads(catalog.tree, language)


@dataclass
class Lookup:
    category: dict[str, Any] | None = None
    listing: DisplayItemList | None = None
    display_item: dict[str, Any] | None = None


_BY_URI = Query("SELECT id FROM display_items WHERE uri = $1")


async def lookup_uri(db: Database, geography: Geography, market_id: int,
                     pricelist_id: int | None, language: str | None, uri: str,
                     wanted: set[str], limit: int, page: int) -> Lookup | None:
    """``lookupUri``: a category by its path, or a display item by its uri (alone, or after
    a category's path); None when nothing asked for matches."""
    path = uri.strip().strip("/")

    async def unit(reads: Any) -> Lookup | None:
        tree = await catalog.tree(reads, language)
        by_path = {view["uri"]: view for view in tree.views.values()}
        for view in tree.views.values():  # and by its path in any language
            for text in view["translations"]:
                by_path.setdefault(text["uri"], view)
        if "CATEGORY" in wanted and path in by_path:
            category = by_path[path]
            found = await _listed(reads, geography, market_id, pricelist_id, language, None, [],
                                  limit, page, within_category=category["id"])
            return Lookup(category=category, listing=found)
        if "DISPLAY_ITEM" in wanted:
            prefix, _, own = path.rpartition("/")
            if prefix and prefix not in by_path:
                return None
            found_id = await reads.scalar(_BY_URI, own or path)
            if found_id is not None:
                views = await catalog.display_items(
                    reads, [found_id], market_id=market_id, pricelist_id=pricelist_id or 0,
                    currency=_currency(geography, pricelist_id), language=language)
                return Lookup(display_item=views.get(found_id))
        return None
    return await db.reads(unit)
