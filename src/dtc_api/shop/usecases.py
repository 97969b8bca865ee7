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
from dtc_api.shop import catalog, catalogue, imports, selections, stock
from dtc_api.shop.geography import Geography, GeographyCache, load_from
from dtc_api.shop.selections import SelectionPolicy
from dtc_api.store.db import Database
from dtc_api.store.reads import within

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


async def import_document(db: Database, document: Any, now: dt.datetime) -> dict[str, int]:
    """``dtc-api import``: catalogue, stock and orders in one transaction, all or nothing;
    returns the records per section."""
    async with db.write() as conn:
        return await imports.apply(conn, document, now)
