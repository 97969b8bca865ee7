"""subscribeToNewsletter, unsubscribe/confirm, backInStockSubscribe (and subscribeToBackInStock)."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from dtc_api.accounts import customers
from dtc_api.core.errors import DomainError, UserError
from dtc_api.core.limits import count, limit
from dtc_api.marketing import back_in_stock, newsletter
from dtc_api.storefront.context import context, user_errors

mutation = MutationType()


@mutation.field("subscribeToNewsletter")
async def resolve_subscribe(_: Any, info: GraphQLResolveInfo, email: str,
                            additionalInfo: dict[str, Any] | None = None) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    extra = additionalInfo or {}
    try:
        address, country, language = newsletter.validate(ctx.geography, email, extra)
    except DomainError as refused:
        return {"subscribed": False, "userErrors": user_errors(info, refused.errors)}
    now = runtime.clock.now()
    async with runtime.db.write() as conn:
        # A bot (honeypot filled in) and a sign-up over the limit get the very answer a real
        # one gets: they must not learn that they failed.
        if not await newsletter.within_limit(conn, ctx.client_ip,
                                             limit(runtime.settings, ctx.principal.client,
                                                   "newsletterPerIpPerHour"), now):
            return {"subscribed": True, "userErrors": []}
        if extra.get("emailField"):
            await newsletter.record_bot(conn, ctx.principal.client, now)
            return {"subscribed": True, "userErrors": []}
        await newsletter.subscribe(
            conn, email=address, country=country, language=language,
            gender=extra.get("gender"), client=ctx.principal.client,
            logged_in=ctx.session["customer_id"], now=now)
    return {"subscribed": True, "userErrors": []}


async def _by_token(info: GraphQLResolveInfo, action: Any, token: str, answer: str
                    ) -> dict[str, Any]:
    """Unsubscribe or confirm with the token of an e-mailed, signed link."""
    runtime = context(info).runtime
    async with runtime.db.write() as conn:
        done = await action(conn, token, runtime.clock.now())
    errors = [] if done else user_errors(info, [UserError("invalid link", ("token",))])
    return {answer: done, "userErrors": errors}


@mutation.field("unsubscribeFromNewsletter")
async def resolve_unsubscribe(_: Any, info: GraphQLResolveInfo, token: str) -> dict[str, Any]:
    return await _by_token(info, newsletter.unsubscribe, token, "unsubscribed")


@mutation.field("confirmNewsletterSubscription")
async def resolve_confirm(_: Any, info: GraphQLResolveInfo, token: str) -> dict[str, Any]:
    return await _by_token(info, newsletter.confirm, token, "confirmed")


@mutation.field("backInStockSubscribe")
@mutation.field("subscribeToBackInStock")
async def resolve_back_in_stock(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                                ) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    now = runtime.clock.now()
    customer_id = ctx.session["customer_id"]
    try:
        async with runtime.db.write() as conn:
            ceiling = limit(runtime.settings, ctx.principal.client, "backInStockPerIpPerHour")
            if (await count(conn, "backInStockPerIpPerHour", ceiling, ctx.client_ip, now)).over:
                raise DomainError(UserError(
                    "too many subscriptions from this address: try again later", ()))
            customer = await customers.get_or_none(conn, customer_id)
            values = await back_in_stock.validate(
                conn, ctx.geography, input, customer["email"] if customer else None)
            await back_in_stock.subscribe(conn, values, customer_id,
                                          ctx.principal.client["id"], now)
    except DomainError as refused:
        return {"subscribed": False, "userErrors": user_errors(info, refused.errors)}
    return {"subscribed": True, "userErrors": []}


bindables = [mutation]
