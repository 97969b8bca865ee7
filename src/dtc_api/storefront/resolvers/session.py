"""session, setCountryState, setLanguage, setMarket, setPricelist."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import sessions
from dtc_api.shop import selections
from dtc_api.storefront.context import context
from dtc_api.storefront.resolvers.selection import selection_mutation

query = QueryType()
mutation = MutationType()

SessionChange = Callable[[AsyncConnection, dict[str, Any]], Awaitable[Any]]


@query.field("session")
def resolve_session(_: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    ctx = context(info)
    return sessions.view(ctx.geography, ctx.session)


async def _session_payload(info: GraphQLResolveInfo, change: SessionChange) -> dict[str, Any]:
    payload = await selection_mutation(info, change)
    ctx = context(info)
    payload["session"] = sessions.view(ctx.geography, ctx.session)
    return payload


@mutation.field("setCountryState")
async def resolve_set_country_state(
    _: Any, info: GraphQLResolveInfo, countryCode: str, stateCode: str | None = None
) -> dict[str, Any]:
    ctx = context(info)

    async def change(conn: AsyncConnection, session: dict[str, Any]) -> Any:
        await sessions.set_country_state(conn, ctx.geography, session, countryCode, stateCode)
        return await selections.fit_to_market(
            conn, session, ctx.runtime.selection_policy, ctx.runtime.clock.now(),
            ("countryCode",),
        )

    payload = await selection_mutation(info, change)
    payload["__typename"] = "GenericSelectionMutationPayload"
    return payload


@mutation.field("setLanguage")
async def resolve_set_language(_: Any, info: GraphQLResolveInfo, code: str) -> dict[str, Any]:
    geography = context(info).geography
    return await _session_payload(
        info, lambda conn, session: sessions.set_language(conn, geography, session, code)
    )


Setter = Callable[[AsyncConnection, Any, dict[str, Any], int], Awaitable[None]]


async def _reprice(info: GraphQLResolveInfo, setter: Setter, value: int) -> dict[str, Any]:
    """Switch market or pricelist, then fit the selection to what is sold there."""
    ctx = context(info)

    async def change(conn: AsyncConnection, session: dict[str, Any]) -> Any:
        await setter(conn, ctx.geography, session, value)
        return await selections.fit_to_market(
            conn, session, ctx.runtime.selection_policy, ctx.runtime.clock.now(), ("id",)
        )

    return await _session_payload(info, change)


@mutation.field("setMarket")
async def resolve_set_market(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any]:
    return await _reprice(info, sessions.set_market, id)


@mutation.field("setPricelist")
async def resolve_set_pricelist(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any]:
    return await _reprice(info, sessions.set_pricelist, id)


bindables = [query, mutation]
