"""displayItems, displayItem, categories, lookupUri — and the catalogue's categories, brands
and collections on display items."""

from __future__ import annotations

import math
from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from dtc_api.core.errors import Code, UserError
from dtc_api.shop import usecases
from dtc_api.shop.catalog import Tree
from dtc_api.storefront.context import context, user_errors

query = QueryType()
mutation = MutationType()
display_item = ObjectType("DisplayItem")
category_type = ObjectType("Category")
listing_type = ObjectType("DisplayItemList")
category_items = ObjectType("CategoryItemList")

MAX_LIMIT = {"SESSION": 40, "NO_SESSION": 100}


def _where(info: GraphQLResolveInfo, market: list[int] | None, pricelist: list[int] | None,
           errors: list[UserError] | None = None) -> tuple[int, int | None]:
    """The market and pricelist of a read: the session's; without one, those given (a
    price needs exactly one of each)."""
    ctx = context(info)
    if ctx.principal.session is not None:
        return ctx.session["market_id"], ctx.session["pricelist_id"]
    geography = ctx.geography
    default_market, _ = geography.market_and_pricelist("")
    for name, given, known in (("market", market, geography.markets),
                               ("pricelist", pricelist, geography.pricelists)):
        for value in given or ():
            if value not in known and errors is not None:
                errors.append(UserError(f"{name} {value} not found", (name,),
                                        code=Code.NOT_FOUND))
    chosen_market = market[0] if market and len(market) == 1 and \
        market[0] in geography.markets else default_market
    chosen_pricelist = pricelist[0] if market and len(market) == 1 and pricelist and \
        len(pricelist) == 1 and pricelist[0] in geography.pricelists else None
    return chosen_market, chosen_pricelist


def _language(info: GraphQLResolveInfo, asked: list[str] | None) -> str | None:
    """The session's language; without a session, the first of ``languageCode`` known."""
    ctx = context(info)
    if ctx.principal.session is not None:
        return ctx.language_code
    return next((code for code in asked or () if code in ctx.geography.languages), None)


def _limit(info: GraphQLResolveInfo, limit: int) -> int:
    mode = "SESSION" if context(info).principal.session is not None else "NO_SESSION"
    return max(1, min(limit, MAX_LIMIT[mode]))


def pagination(total: int, page: int, limit: int) -> dict[str, Any]:
    last = max(1, math.ceil(total / limit))
    return {"currentPage": page, "lastPage": last, "limit": limit, "total": total,
            "hasNextPage": page < last, "hasPreviousPage": page > 1,
            "nextPage": page + 1 if page < last else None,
            "previousPage": page - 1 if page > 1 else None}


@query.field("displayItems")
async def resolve_display_items(_: Any, info: GraphQLResolveInfo, limit: int = 20,
                                page: int = 1, sort: list[dict[str, Any]] | None = None,
                                where: dict[str, Any] | None = None,
                                market: list[int] | None = None,
                                pricelist: list[int] | None = None,
                                languageCode: list[str] | None = None) -> dict[str, Any]:
    ctx = context(info)
    errors: list[UserError] = []
    market_id, pricelist_id = _where(info, market, pricelist, errors)
    limit = _limit(info, limit)
    found = await usecases.list_display_items(ctx.runtime.db, ctx.geography, market_id,
                                              pricelist_id, _language(info, languageCode),
                                              where, sort or [], limit, page)
    return {"list": found.views, "filters": found.filters,
            "pagination": pagination(found.total, found.page, found.limit),
            "userErrors": user_errors(info, [*errors, *found.errors])}


@query.field("displayItem")
async def resolve_display_item(_: Any, info: GraphQLResolveInfo, id: int,
                               market: list[int] | None = None,
                               pricelist: list[int] | None = None,
                               languageCode: list[str] | None = None
                               ) -> dict[str, Any] | None:
    ctx = context(info)
    market_id, pricelist_id = _where(info, market, pricelist)
    return await usecases.display_item(ctx.runtime.db, ctx.geography, market_id, pricelist_id,
                                       _language(info, languageCode), id)


@query.field("categories")
async def resolve_categories(_: Any, info: GraphQLResolveInfo, limit: int = 20, page: int = 1,
                             parent: int | None = None, id: list[int] | None = None,
                             sort: list[str] | None = None,
                             languageCode: list[str] | None = None, **_ignored: Any
                             ) -> dict[str, Any]:
    tree = await usecases.category_tree(context(info).runtime.db,
                                        _language(info, languageCode))
    chosen = list(tree.views.values())
    if parent is not None:
        chosen = tree.children(None if parent == 0 else parent)
    if id:
        chosen = [c for c in chosen if c["id"] in set(id)]
    limit = _limit(info, limit)
    ordered = sort_categories(chosen, sort or [])
    last = max(1, math.ceil(len(ordered) / limit))
    page = min(max(1, page), last)
    return {"list": ordered[(page - 1) * limit: page * limit],
            "pagination": pagination(len(ordered), page, limit), "userErrors": []}


def sort_categories(categories: list[dict[str, Any]], sort: list[str]) -> list[dict[str, Any]]:
    ordered = sorted(categories, key=lambda c: (c["sortOrder"], c["id"]))
    for rule in reversed(sort):
        field, _, order = rule.partition("_")
        if field == "customOrder":
            continue
        key = (lambda c: c["id"]) if field == "id" else (lambda c: c["name"][-1].casefold())
        ordered.sort(key=key, reverse=order == "DESC")
    return ordered


@mutation.field("lookupUri")
async def resolve_lookup_uri(_: Any, info: GraphQLResolveInfo, uri: str, limit: int = 20,
                             page: int = 1, market: list[int] | None = None,
                             pricelist: list[int] | None = None, **kinds: Any
                             ) -> dict[str, Any]:
    ctx = context(info)
    wanted = set(kinds.get("for") or ())
    market_id, pricelist_id = _where(info, market, pricelist)
    found = await usecases.lookup_uri(ctx.runtime.db, ctx.geography, market_id, pricelist_id,
                                      _language(info, kinds.get("languageCode")), uri, wanted,
                                      _limit(info, limit), page)
    if found is None:
        return {"__typename": "NotFoundUriLookupPayload", "found": "NOT_FOUND",
                "userErrors": []}
    if found.category is not None:
        assert found.listing is not None
        return {"__typename": "CategoryUriLookupPayload", "found": "CATEGORY",
                "category": found.category, "userErrors": [],
                "displayItemList": {
                    "displayItems": found.listing.views, "filters": found.listing.filters,
                    "pagination": pagination(found.listing.total, found.listing.page,
                                             found.listing.limit)}}
    return {"__typename": "DisplayItemUriLookupPayload", "found": "DISPLAY_ITEM",
            "displayItem": found.display_item, "userErrors": []}


def _filters(payload: dict[str, Any], _: GraphQLResolveInfo, keys: list[str] | None = None
             ) -> list[dict[str, Any]]:
    return [f for f in payload["filters"] if keys is None or f["key"] in keys]


listing_type.set_field("filters", _filters)
category_items.set_field("filters", _filters)


async def _places(view: dict[str, Any], info: GraphQLResolveInfo
                  ) -> tuple[Tree, list[int]]:
    tree, places = await view["extras"].categories(context(info).runtime.db.reads)
    return tree, places.get(view["id"], [])


@display_item.field("categories")
async def resolve_item_categories(view: dict[str, Any], info: GraphQLResolveInfo
                                  ) -> list[dict[str, Any]]:
    tree, places = await _places(view, info)
    return [tree.views[c] for c in places if c in tree.views]


async def _own_category(view: dict[str, Any], info: GraphQLResolveInfo
                        ) -> dict[str, Any] | None:
    tree, places = await _places(view, info)
    return next((tree.views[c] for c in places if c in tree.views), None)


display_item.set_field("category", _own_category)
display_item.set_field("canonicalCategory", _own_category)


@category_type.field("parentCategory")
def resolve_parent(category: dict[str, Any], _: GraphQLResolveInfo) -> dict[str, Any] | None:
    return category["tree"].views.get(category["parentId"])  # type: ignore[no-any-return]


@category_type.field("childCategories")
def resolve_children(category: dict[str, Any], _: GraphQLResolveInfo, limit: int = 20,
                     page: int = 1, sort: list[str] | None = None) -> list[dict[str, Any]]:
    children = sort_categories(category["tree"].children(category["id"]), sort or [])
    limit = max(1, min(limit, 100))
    start = (max(1, page) - 1) * limit
    return children[start: start + limit]


bindables = [query, mutation, display_item, category_type, listing_type, category_items]
