"""countries, languages, markets, pricelists."""

from __future__ import annotations

from typing import Any

from ariadne import QueryType
from graphql import GraphQLResolveInfo

from dtc_api.storefront.context import context

query = QueryType()


@query.field("countries")
def resolve_countries(_: Any, info: GraphQLResolveInfo, onlyShipTo: bool) -> list[dict[str, Any]]:
    ctx = context(info)
    geography = ctx.geography
    return [
        geography.country(code, ctx.language_code)
        for code, row in geography.countries.items()
        if row["ship_to"] or not onlyShipTo
    ]


@query.field("languages")
def resolve_languages(_: Any, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    return list(context(info).geography.languages.values())


@query.field("markets")
def resolve_markets(
    _: Any, info: GraphQLResolveInfo, countryCode: list[str] | None = None,
    id: list[int] | None = None
) -> list[dict[str, Any]]:
    geography = context(info).geography
    wanted_countries = {c.upper() for c in countryCode} if countryCode is not None else None
    result = []
    for market_id in geography.markets:
        members = [c for c, row in geography.countries.items() if row["market_id"] == market_id]
        if id is not None and market_id not in id:
            continue
        if wanted_countries is not None and not wanted_countries.intersection(members):
            continue
        result.append(
            {**geography.market(market_id), "countries": [geography.country(c) for c in members]}
        )
    return result


@query.field("pricelists")
def resolve_pricelists(
    _: Any, info: GraphQLResolveInfo, countryCodes: list[str] | None = None,
    id: list[int] | None = None
) -> list[dict[str, Any]]:
    geography = context(info).geography
    wanted_countries = {c.upper() for c in countryCodes} if countryCodes is not None else None
    result = []
    for pricelist_id in geography.pricelists:
        members = [
            c for c, row in geography.countries.items() if row["pricelist_id"] == pricelist_id
        ]
        if id is not None and pricelist_id not in id:
            continue
        if wanted_countries is not None and not wanted_countries.intersection(members):
            continue
        result.append(
            {**geography.pricelist(pricelist_id),
             "countries": [geography.country(c) for c in members]}
        )
    return result


bindables = [query]
