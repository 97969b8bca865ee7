"""selection, addItem, updateLine, deleteLine — and the payload shape they share."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, QueryType
from graphql import GraphQLResolveInfo

from dtc_api.shop import selections, usecases
from dtc_api.shop.usecases import SelectionChange
from dtc_api.storefront.context import context, user_errors

query = QueryType()
mutation = MutationType()


@query.field("selection")
async def resolve_selection(_: Any, info: GraphQLResolveInfo, voucherMode: str = "LINES"
                            ) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    return await usecases.selection(runtime.db, ctx.geography, ctx.session,
                                    runtime.selection_policy, runtime.clock.now())


async def change_selection(info: GraphQLResolveInfo, use_case: Any, *args: Any
                           ) -> SelectionChange:
    """Run a use case that changes the shopper's session or selection:
    ``use_case(db, geography, policy, session id, *args, now)``."""
    ctx = context(info)
    runtime = ctx.runtime
    return await use_case(runtime.db, ctx.geography, runtime.selection_policy,  # type: ignore[no-any-return]
                          ctx.session["id"], *args, runtime.clock.now())


def selection_payload(info: GraphQLResolveInfo, change: SelectionChange) -> dict[str, Any]:
    """The latest selection and the change's userErrors; the request goes on with the
    session as the change left it."""
    context(info).principal.session = change.session
    return {"selection": change.selection, "userErrors": user_errors(info, change.errors)}


@mutation.field("addItem")
async def resolve_add_item(
    _: Any, info: GraphQLResolveInfo, item: str, quantity: int = 1,
    subscriptionPlan: int | None = None
) -> dict[str, Any]:
    return _added(info, await change_selection(info, usecases.add_item, item, quantity,
                                               subscriptionPlan, None))


@mutation.field("addFlexibleBundle")
async def resolve_add_flexible_bundle(
    _: Any, info: GraphQLResolveInfo, item: str, sections: list[dict[str, Any]],
    quantity: int = 1, subscriptionPlan: int | None = None
) -> dict[str, Any]:
    return _added(info, await change_selection(info, usecases.add_item, item, quantity,
                                               subscriptionPlan, sections))


def _added(info: GraphQLResolveInfo, change: SelectionChange) -> dict[str, Any]:
    payload = selection_payload(info, change)
    payload["line"] = next(
        (line for line in change.selection["lines"] if line["id"] == change.line_id), None
    )
    return payload


@mutation.field("updateLine")
async def resolve_update_line(
    _: Any, info: GraphQLResolveInfo, lineId: str, quantity: int | None = None,
    subscriptionPlanId: Any = selections.KEEP
) -> dict[str, Any]:
    # An omitted plan keeps the line's (storefronts send the line's plan with each quantity
    # change); null is not a plan id: removeSubscriptionPlanFromLine takes a plan off.
    plan = selections.KEEP if subscriptionPlanId is None else subscriptionPlanId
    return selection_payload(info, await change_selection(info, usecases.update_line, lineId,
                                                          quantity, plan))


@mutation.field("removeSubscriptionPlanFromLine")
async def resolve_remove_plan(_: Any, info: GraphQLResolveInfo, lineId: str) -> dict[str, Any]:
    return selection_payload(info, await change_selection(info, usecases.update_line, lineId,
                                                          None, None))


@mutation.field("deleteLine")
async def resolve_delete_line(_: Any, info: GraphQLResolveInfo, lineId: str) -> dict[str, Any]:
    return selection_payload(info, await change_selection(info, usecases.delete_line, lineId))


bindables = [query, mutation]
