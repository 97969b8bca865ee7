"""countries, languages, markets, pricelists."""

from __future__ import annotations

from typing import Any

from ariadne import QueryType
from graphql import GraphQLResolveInfo

from dtc_api.shop import usecases
from dtc_api.storefront.context import context

query = QueryType()


@query.field("countries")
def resolve_countries(_: Any, info: GraphQLResolveInfo, onlyShipTo: bool) -> list[dict[str, Any]]:
    ctx = context(info)
    return usecases.countries(ctx.geography, onlyShipTo, ctx.language_code)


@query.field("languages")
def resolve_languages(_: Any, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    return usecases.languages(context(info).geography)


@query.field("markets")
def resolve_markets(
    _: Any, info: GraphQLResolveInfo, countryCode: list[str] | None = None,
    id: list[int] | None = None
) -> list[dict[str, Any]]:
    return usecases.markets(context(info).geography, countryCode, id)


@query.field("pricelists")
def resolve_pricelists(
    _: Any, info: GraphQLResolveInfo, countryCodes: list[str] | None = None,
    id: list[int] | None = None
) -> list[dict[str, Any]]:
    return usecases.pricelists(context(info).geography, countryCodes, id)


bindables = [query]
