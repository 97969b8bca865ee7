"""subscribeToNewsletter, unsubscribe/confirm, backInStockSubscribe (and subscribeToBackInStock)."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from dtc_api.core.errors import DomainError
from dtc_api.marketing import usecases
from dtc_api.storefront.context import context, user_errors

mutation = MutationType()


@mutation.field("subscribeToNewsletter")
async def resolve_subscribe(_: Any, info: GraphQLResolveInfo, email: str,
                            additionalInfo: dict[str, Any] | None = None) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    try:
        await usecases.subscribe_to_newsletter(
            runtime.db, runtime.settings, ctx.geography, client=ctx.principal.client,
            customer_id=ctx.session["customer_id"], client_ip=ctx.client_ip, email=email,
            info=additionalInfo or {}, now=runtime.clock.now())
    except DomainError as refused:
        return {"subscribed": False, "userErrors": user_errors(info, refused.errors)}
    return {"subscribed": True, "userErrors": []}


async def _by_token(info: GraphQLResolveInfo, use_case: Any, token: str, answer: str
                    ) -> dict[str, Any]:
    """Unsubscribe or confirm with the token of an e-mailed, signed link."""
    runtime = context(info).runtime
    try:
        await use_case(runtime.db, token, runtime.clock.now())
    except DomainError as refused:
        return {answer: False, "userErrors": user_errors(info, refused.errors)}
    return {answer: True, "userErrors": []}


@mutation.field("unsubscribeFromNewsletter")
async def resolve_unsubscribe(_: Any, info: GraphQLResolveInfo, token: str) -> dict[str, Any]:
    return await _by_token(info, usecases.unsubscribe_from_newsletter, token, "unsubscribed")


@mutation.field("confirmNewsletterSubscription")
async def resolve_confirm(_: Any, info: GraphQLResolveInfo, token: str) -> dict[str, Any]:
    return await _by_token(info, usecases.confirm_newsletter_subscription, token, "confirmed")


@mutation.field("backInStockSubscribe")
@mutation.field("subscribeToBackInStock")
async def resolve_back_in_stock(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                                ) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    try:
        await usecases.subscribe_to_back_in_stock(
            runtime.db, runtime.settings, ctx.geography, client=ctx.principal.client,
            customer_id=ctx.session["customer_id"], client_ip=ctx.client_ip, input=input,
            now=runtime.clock.now())
    except DomainError as refused:
        return {"subscribed": False, "userErrors": user_errors(info, refused.errors)}
    return {"subscribed": True, "userErrors": []}


bindables = [mutation]
