"""session, setCountryState, setLanguage, setMarket, setPricelist."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo

from dtc_api.access import sessions, usecases
from dtc_api.shop.usecases import SelectionChange
from dtc_api.storefront.context import context
from dtc_api.storefront.resolvers.selection import change_selection, selection_payload

query = QueryType()
mutation = MutationType()


@query.field("session")
def resolve_session(_: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    ctx = context(info)
    return sessions.view(ctx.geography, ctx.session)


def _session_payload(info: GraphQLResolveInfo, change: SelectionChange) -> dict[str, Any]:
    payload = selection_payload(info, change)
    payload["session"] = sessions.view(context(info).geography, change.session)
    return payload


@mutation.field("setCountryState")
async def resolve_set_country_state(
    _: Any, info: GraphQLResolveInfo, countryCode: str, stateCode: str | None = None
) -> dict[str, Any]:
    change = await change_selection(info, usecases.set_country_state, countryCode, stateCode)
    payload = selection_payload(info, change)
    payload["__typename"] = "GenericSelectionMutationPayload"
    return payload


@mutation.field("setLanguage")
async def resolve_set_language(_: Any, info: GraphQLResolveInfo, code: str) -> dict[str, Any]:
    return _session_payload(info, await change_selection(info, usecases.set_language, code))


@mutation.field("setMarket")
async def resolve_set_market(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any]:
    return _session_payload(info, await change_selection(info, usecases.set_market, id))


@mutation.field("setPricelist")
async def resolve_set_pricelist(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any]:
    return _session_payload(info, await change_selection(info, usecases.set_pricelist, id))


bindables = [query, mutation]
