"""selection, addItem, updateLine, deleteLine — and the payload shape they share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import sessions
from dtc_api.core.errors import DomainError, UserError
from dtc_api.shop import catalog, selections
from dtc_api.storefront.context import context, user_errors

query = QueryType()
mutation = MutationType()

# A change to the session or its selection; it may return UserErrors that did not stop it
# (UnavailableItem), or a tuple of (result, those errors).
Change = Callable[[AsyncConnection, dict[str, Any]], Awaitable[Any]]


@query.field("selection")
async def resolve_selection(_: Any, info: GraphQLResolveInfo, voucherMode: str = "LINES"
                            ) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    async with runtime.db.read() as conn:
        return await selections.view(
            conn, ctx.geography, ctx.session, runtime.selection_policy, runtime.clock.now()
        )


async def selection_mutation(info: GraphQLResolveInfo, change: Change) -> dict[str, Any]:
    """Run ``change`` on the locked session and answer with the latest selection.

    A result the change returns besides its errors is under the payload key ``result``.

    The selection comes back even when the change was refused, as Centra does.
    """
    ctx = context(info)
    runtime = ctx.runtime
    result: Any = None
    errors: list[UserError] = []
    async with runtime.db.write() as conn:
        session = await sessions.lock(conn, ctx.session["id"])
        ctx.principal.session = session
        try:
            outcome = await change(conn, session)
        except DomainError as refused:
            errors.extend(refused.errors)
        else:
            if isinstance(outcome, tuple):
                result, outcome = outcome
            errors.extend(outcome or ())
        selection = await selections.view(
            conn, ctx.geography, session, runtime.selection_policy, runtime.clock.now()
        )
        rendered = user_errors(info, errors)
        await _attach_items(conn, ctx, session, rendered)
    payload = {"selection": selection, "userErrors": rendered}
    if result is not None:
        payload["result"] = result
    return payload


async def _attach_items(
    conn: AsyncConnection, ctx: Any, session: dict[str, Any], rendered: list[dict[str, Any]]
) -> None:
    """Give UnavailableItem errors their item and display item."""
    wanted = {e["displayItemId"] for e in rendered if "displayItemId" in e}
    if not wanted:
        return
    display_items = await catalog.display_items(
        conn,
        wanted,
        market_id=session["market_id"],
        pricelist_id=session["pricelist_id"],
        currency=ctx.geography.currency_of(session["pricelist_id"]),
    )
    for error in rendered:
        if "displayItemId" in error:
            display_item = display_items[error["displayItemId"]]
            error["displayItem"] = display_item
            error["item"] = next(i for i in display_item["items"] if i["id"] == error["itemId"])


@mutation.field("addItem")
async def resolve_add_item(
    _: Any, info: GraphQLResolveInfo, item: str, quantity: int = 1
) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime

    async def change(conn: AsyncConnection, session: dict[str, Any]) -> Any:
        return await selections.add_item(
            conn, session, item, quantity, runtime.selection_policy, runtime.clock.now()
        )

    payload = await selection_mutation(info, change)
    line_id = payload.pop("result", None)
    payload["line"] = next(
        (line for line in payload["selection"]["lines"] if line["id"] == line_id), None
    )
    return payload


@mutation.field("updateLine")
async def resolve_update_line(
    _: Any, info: GraphQLResolveInfo, lineId: str, quantity: int
) -> dict[str, Any]:
    runtime = context(info).runtime
    return await selection_mutation(
        info,
        lambda conn, session: selections.update_line(
            conn, session, lineId, quantity, runtime.selection_policy, runtime.clock.now()
        ),
    )


@mutation.field("deleteLine")
async def resolve_delete_line(_: Any, info: GraphQLResolveInfo, lineId: str) -> dict[str, Any]:
    runtime = context(info).runtime
    return await selection_mutation(
        info,
        lambda conn, session: selections.delete_line(
            conn, session, lineId, runtime.selection_policy, runtime.clock.now()
        ),
    )


bindables = [query, mutation]
