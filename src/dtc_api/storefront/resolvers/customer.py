"""customer, registerCustomer, login, logout, updateCustomer, wishlists — and Customer's fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLError, GraphQLResolveInfo

from dtc_api.access import sessions
from dtc_api.accounts import customers
from dtc_api.accounts import login as auth
from dtc_api.accounts import view as customer_view
from dtc_api.core.dates import DateFormatError, php_format
from dtc_api.core.errors import DomainError
from dtc_api.core.limits import limit
from dtc_api.shop import selections, wishlists
from dtc_api.storefront.context import RequestContext, context, user_errors
from dtc_api.storefront.selected import subfields

query = QueryType()
mutation = MutationType()
session_type = ObjectType("Session")
customer_type = ObjectType("Customer")
wishlist_type = ObjectType("Wishlist")
order_type = ObjectType("Order")
newsletter_type = ObjectType("NewsletterSubscription")
contract_type = ObjectType("SubscriptionContract")


async def load_customer(info: GraphQLResolveInfo, customer_id: int | None
                        ) -> dict[str, Any] | None:
    """The customer as a GraphQL ``Customer``, loading only the parts this field selects."""
    if customer_id is None:
        return None
    ctx = context(info)
    async with ctx.runtime.db.read() as conn:
        return await customer_view.view(conn, ctx.geography, customer_id, ctx.session,
                                        subfields(info))


def _customer_id(ctx: RequestContext) -> int | None:
    session = ctx.principal.session
    return session["customer_id"] if session else None


@query.field("customer")
async def resolve_customer(_: Any, info: GraphQLResolveInfo) -> dict[str, Any] | None:
    return await load_customer(info, _customer_id(context(info)))


@query.field("order")
async def resolve_latest_order(_: Any, info: GraphQLResolveInfo) -> dict[str, Any] | None:
    ctx = context(info)
    customer_id = _customer_id(ctx)
    if customer_id is None:
        return None
    async with ctx.runtime.db.read() as conn:
        latest = await customer_view.orders(conn, ctx.geography, customer_id, ctx.session, 1, 1)
    return latest[0] if latest else None


@session_type.field("loggedIn")
async def resolve_logged_in(session: dict[str, Any], info: GraphQLResolveInfo
                            ) -> dict[str, Any] | None:
    return await load_customer(info, session["loggedIn"])


async def _selection(ctx: RequestContext) -> dict[str, Any]:
    runtime = ctx.runtime
    async with runtime.db.read() as conn:
        return await selections.view(conn, ctx.geography, ctx.session,
                                     runtime.selection_policy, runtime.clock.now())


@mutation.field("registerCustomer")
async def resolve_register(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                           ) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    try:
        async with runtime.db.write() as conn:
            await customers.claim_registration(
                conn, ctx.client_ip,
                limit(runtime.settings, ctx.principal.client, "registrationsPerIpPerHour"),
                runtime.clock.now())
        async with runtime.db.read() as conn:
            registration = await customers.validate_registration(
                conn, ctx.geography, runtime.password_policy, input, ctx.language_code)
        password_hash = await runtime.hasher.hash(input["password"])
        async with runtime.db.write() as conn:
            customer_id = await customers.register(conn, registration, password_hash,
                                                   runtime.clock.now())
            if input["loginOnSuccess"]:
                session = await sessions.lock(conn, ctx.session["id"])
                ctx.principal.session = session
                await sessions.update(conn, session, customer_id=customer_id)
                await sessions.rotate_token(conn, ctx.principal)
    except DomainError as refused:
        return {"loggedIn": None, "userErrors": user_errors(info, refused.errors)}
    # Resolved by CustomerRegisterPayload.loggedIn when selected.
    return {"loggedIn": customer_id if input["loginOnSuccess"] else None, "userErrors": []}


@mutation.field("login")
async def resolve_login(_: Any, info: GraphQLResolveInfo, email: str, password: str,
                        loginOptions: dict[str, Any] | None = None) -> dict[str, Any]:
    ctx = context(info)
    try:
        customer_id: int | None = await auth.login(
            ctx.runtime, ctx.principal, email, password, ctx.client_ip, ctx.runtime.hasher)
        errors: list[dict[str, Any]] = []
    except DomainError as refused:
        customer_id, errors = None, user_errors(info, refused.errors)
    return {
        "loggedIn": customer_id,  # resolved by LoginPayload.loggedIn when selected
        "session": sessions.view(ctx.geography, ctx.session),
        "selection": await _selection(ctx),
        "userErrors": errors,
    }


@mutation.field("logout")
async def resolve_logout(_: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    async with runtime.db.write() as conn:
        await auth.logout(conn, ctx.principal, runtime.selection_policy, runtime.clock.now())
    return {"session": sessions.view(ctx.geography, ctx.session),
            "selection": await _selection(ctx)}


@mutation.field("updateCustomer")
async def resolve_update_customer(_: Any, info: GraphQLResolveInfo,
                                  input: dict[str, Any]) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    customer_id = ctx.session["customer_id"]
    errors: list[dict[str, Any]] = []
    try:
        async with runtime.db.read() as conn:
            customer = await customers.get(conn, customer_id)
        old_password_correct = None
        if input.get("oldPassword") is not None and input.get("password") is not None:
            # Guessing the old password is throttled like guessing it at login.
            old_password_correct = await auth.check_password(
                runtime, customer, input["oldPassword"], ctx.client_ip, ("input", "oldPassword"))
        async with runtime.db.read() as conn:
            update = await customers.validate_update(
                conn, ctx.geography, runtime.password_policy, customer, input,
                ctx.principal.client["require_old_password"], old_password_correct)
        new_hash = (await runtime.hasher.hash(update.new_password)
                    if update.new_password is not None else None)
        async with runtime.db.write() as conn:
            await customers.apply_update(conn, customer, update, new_hash, runtime.clock.now())
            if new_hash is not None:
                # A new password ends every other session, and renews this one's token.
                await auth.revoke_other_sessions(conn, customer_id, ctx.session["id"])
                await sessions.rotate_token(conn, ctx.principal)
    except DomainError as refused:
        errors = user_errors(info, refused.errors)
    return {"customer": customer_id, "userErrors": errors}


async def _wishlist_payload(info: GraphQLResolveInfo, change: Any) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    customer_id = ctx.session["customer_id"]
    try:
        async with runtime.db.write() as conn:
            wishlist_id = await change(conn, customer_id, runtime.clock.now())
            lists = await customer_view.wishlists(conn, ctx.geography, customer_id, ctx.session)
    except DomainError as refused:
        return {"wishlist": None, "userErrors": user_errors(info, refused.errors)}
    return {"wishlist": next(w for w in lists if w["id"] == wishlist_id), "userErrors": []}


@mutation.field("addWishlistItem")
async def resolve_add_wishlist_item(_: Any, info: GraphQLResolveInfo, displayItemId: int,
                                    wishlistId: int | None = None) -> dict[str, Any]:
    return await _wishlist_payload(
        info, lambda conn, customer_id, now: wishlists.add_item(
            conn, customer_id, displayItemId, wishlistId, now))


@mutation.field("removeWishlistItem")
async def resolve_remove_wishlist_item(_: Any, info: GraphQLResolveInfo, displayItemId: int,
                                       wishlistId: int) -> dict[str, Any]:
    return await _wishlist_payload(
        info, lambda conn, customer_id, _now: wishlists.remove_item(
            conn, customer_id, displayItemId, wishlistId))


# Payload fields that carry a customer id and load the customer only when selected.
login_payload = ObjectType("LoginPayload")
register_payload = ObjectType("CustomerRegisterPayload")
update_payload = ObjectType("CustomerUpdatePayload")


@register_payload.field("loggedIn")
@login_payload.field("loggedIn")
async def resolve_login_customer(payload: dict[str, Any], info: GraphQLResolveInfo
                                 ) -> dict[str, Any] | None:
    return await load_customer(info, payload["loggedIn"])


@update_payload.field("customer")
async def resolve_updated_customer(payload: dict[str, Any], info: GraphQLResolveInfo
                                   ) -> dict[str, Any] | None:
    return await load_customer(info, payload["customer"])


@customer_type.field("orders")
async def resolve_orders(customer: dict[str, Any], info: GraphQLResolveInfo, limit: int = 20,
                         page: int = 1) -> list[dict[str, Any]]:
    ctx = context(info)
    async with ctx.runtime.db.read() as conn:
        return await customer_view.orders(conn, ctx.geography, customer["id"], ctx.session,
                                          limit, page)


def _page(items: list[Any], limit: int | None, page: int | None) -> list[Any]:
    if limit is None:
        return items
    limit = max(0, limit)
    start = max(0, (page or 1) - 1) * limit
    return items[start:start + limit]


@customer_type.field("wishlists")
def resolve_wishlists(customer: dict[str, Any], _: GraphQLResolveInfo, limit: int | None = None,
                      page: int | None = None) -> list[Any]:
    return _page(customer["wishlists"], limit, page)


@wishlist_type.field("items")
def resolve_wishlist_items(wishlist: dict[str, Any], _: GraphQLResolveInfo, limit: int = 20,
                           page: int = 1) -> list[Any]:
    return _page(wishlist["items"], limit, page)


DATE_TIME = "Y-m-dTH:i:sP"  # the schema's default formats


def _date_field(name: str, default: str = DATE_TIME) -> Any:
    def resolve(obj: dict[str, Any], _: GraphQLResolveInfo,
                format: str | None = None) -> str | None:
        value: dt.date | None = obj[name]
        if value is None:
            return None
        if format is None:  # `format: null` asks for the field's default
            format = default
        try:
            return php_format(value, format)
        except DateFormatError as error:
            raise GraphQLError(str(error)) from None
    return resolve


customer_type.set_field("birthdate", _date_field("birthdate", "Y-m-d"))
order_type.set_field("orderDate", _date_field("orderDate"))
newsletter_type.set_field("createdAt", _date_field("createdAt"))
contract_type.set_field("createdAt", _date_field("createdAt"))
contract_type.set_field("updatedAt", _date_field("updatedAt"))

bindables = [query, mutation, session_type, customer_type, wishlist_type, order_type,
             newsletter_type, contract_type, login_payload, register_payload, update_payload]
