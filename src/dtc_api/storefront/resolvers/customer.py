"""customer, registerCustomer, login, logout, updateCustomer, wishlists — and Customer's fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLError, GraphQLResolveInfo
from graphql.execution.values import get_argument_values

from dtc_api.access import sessions
from dtc_api.accounts import usecases as accounts
from dtc_api.accounts.view import PRELOADED_ORDERS
from dtc_api.core.dates import DateFormatError, php_format
from dtc_api.core.errors import DomainError
from dtc_api.core.validate import clamp_page
from dtc_api.shop import usecases as shop
from dtc_api.storefront.context import RequestContext, context, logged_in, user_errors
from dtc_api.storefront.selected import selected_fields, subfields

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
    fields = subfields(info)
    if fields <= _ID_ONLY:
        # The session names its customer (a customer's sessions go with them): a storefront
        # asking who is logged in needs no read.
        return {"id": customer_id}
    ctx = context(info)
    return await accounts.view_customer(ctx.runtime, ctx.geography, customer_id, ctx.session,
                                        fields, _orders_page(info) if "orders" in fields else None)


_ID_ONLY = frozenset({"id", "__typename"})


def _orders_page(info: GraphQLResolveInfo) -> tuple[int, int] | None:
    """The (limit, page) of the customer's orders the operation selects, when every
    ``orders`` field below asks for the same page: it is read with the customer."""
    field = info.schema.get_type("Customer").fields["orders"]  # type: ignore[union-attr]
    pages = set()
    for node in selected_fields(info, "orders"):
        try:
            arguments = get_argument_values(field, node, info.variable_values)
        except GraphQLError:
            return None  # graphql-core words the error where the field is resolved
        pages.add((arguments["limit"], arguments["page"]))  # non-null, with defaults
    return pages.pop() if len(pages) == 1 else None


def _customer_id(ctx: RequestContext) -> int | None:
    session = ctx.principal.session
    return session["customer_id"] if session else None


@query.field("customer")
async def resolve_customer(_: Any, info: GraphQLResolveInfo) -> dict[str, Any] | None:
    return await load_customer(info, _customer_id(context(info)))


@query.field("order")
async def resolve_latest_order(_: Any, info: GraphQLResolveInfo) -> dict[str, Any] | None:
    """The order this session placed last (a guest's too), else the logged-in customer's
    latest."""
    ctx = context(info)
    if ctx.session["last_order_id"] is not None:
        placed = await accounts.order(ctx.runtime, ctx.geography, ctx.session["last_order_id"],
                                      ctx.session)
        if placed is not None:
            return placed
    customer_id = _customer_id(ctx)
    if customer_id is None:
        return None
    latest = await accounts.customer_orders(ctx.runtime, ctx.geography, customer_id,
                                            ctx.session, 1, 1)
    return latest[0] if latest else None


@session_type.field("loggedIn")
async def resolve_logged_in(session: dict[str, Any], info: GraphQLResolveInfo
                            ) -> dict[str, Any] | None:
    return await load_customer(info, session["loggedIn"])


def _session_payload(ctx: RequestContext) -> dict[str, Any]:
    """What login and logout answer besides their own fields: the latest session and
    selection. The selection is read only if the operation selects it (graphql-core's
    default resolver calls a callable value)."""
    runtime = ctx.runtime

    async def selection(_: GraphQLResolveInfo, **__: Any) -> dict[str, Any]:
        return await shop.selection(runtime.db, ctx.geography, ctx.session,
                                    runtime.selection_policy, runtime.clock.now())

    return {"session": sessions.view(ctx.geography, ctx.session), "selection": selection}


@mutation.field("registerCustomer")
async def resolve_register(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                           ) -> dict[str, Any]:
    ctx = context(info)
    try:
        customer_id = await accounts.register(ctx.runtime, ctx.geography, ctx.principal,
                                              ctx.client_ip, input)
    except DomainError as refused:
        return {"loggedIn": None, "userErrors": user_errors(info, refused.errors)}
    # Resolved by CustomerRegisterPayload.loggedIn when selected.
    return {"loggedIn": customer_id if input["loginOnSuccess"] else None, "userErrors": []}


@mutation.field("login")
async def resolve_login(_: Any, info: GraphQLResolveInfo, email: str, password: str,
                        loginOptions: dict[str, Any] | None = None) -> dict[str, Any]:
    ctx = context(info)
    try:
        customer_id: int | None = await accounts.log_in(ctx.runtime, ctx.principal, email,
                                                        password, ctx.client_ip)
        errors: list[dict[str, Any]] = []
    except DomainError as refused:
        customer_id, errors = None, user_errors(info, refused.errors)
    # loggedIn is resolved by LoginPayload.loggedIn when selected.
    return {"loggedIn": customer_id, **_session_payload(ctx), "userErrors": errors}


@mutation.field("logout")
async def resolve_logout(_: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    ctx = context(info)
    await accounts.log_out(ctx.runtime, ctx.principal)
    return _session_payload(ctx)


@mutation.field("updateCustomer")
async def resolve_update_customer(_: Any, info: GraphQLResolveInfo,
                                  input: dict[str, Any]) -> dict[str, Any]:
    ctx = logged_in(info)
    customer_id = ctx.session["customer_id"]
    errors: list[dict[str, Any]] = []
    try:
        await accounts.update_customer(ctx.runtime, ctx.geography, ctx.principal, ctx.client_ip,
                                       input)
    except DomainError as refused:
        errors = user_errors(info, refused.errors)
    return {"customer": customer_id, "userErrors": errors}


@mutation.field("addWishlistItem")
async def resolve_add_wishlist_item(_: Any, info: GraphQLResolveInfo, displayItemId: int,
                                    wishlistId: int | None = None) -> dict[str, Any]:
    ctx = logged_in(info)
    try:
        wishlist = await accounts.add_wishlist_item(ctx.runtime, ctx.geography, ctx.session,
                                                    displayItemId, wishlistId)
    except DomainError as refused:
        return {"wishlist": None, "userErrors": user_errors(info, refused.errors)}
    return {"wishlist": wishlist, "userErrors": []}


@mutation.field("removeWishlistItem")
async def resolve_remove_wishlist_item(_: Any, info: GraphQLResolveInfo, displayItemId: int,
                                       wishlistId: int) -> dict[str, Any]:
    ctx = logged_in(info)
    try:
        wishlist = await accounts.remove_wishlist_item(ctx.runtime, ctx.geography, ctx.session,
                                                       displayItemId, wishlistId)
    except DomainError as refused:
        return {"wishlist": None, "userErrors": user_errors(info, refused.errors)}
    return {"wishlist": wishlist, "userErrors": []}


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
async def resolve_orders(customer: dict[str, Any], info: GraphQLResolveInfo,
                         limit: int = 20, page: int = 1) -> list[dict[str, Any]]:
    preloaded = customer.get(PRELOADED_ORDERS)
    if preloaded is not None and preloaded[0] == (limit, page):
        return preloaded[1]  # type: ignore[no-any-return]
    ctx = context(info)
    return await accounts.customer_orders(ctx.runtime, ctx.geography, customer["id"],
                                          ctx.session, limit, page)


@customer_type.field("wishlists")
def resolve_wishlists(customer: dict[str, Any], _: GraphQLResolveInfo, limit: int | None = None,
                      page: int | None = None) -> list[Any]:
    return clamp_page(customer["wishlists"], limit, page)


@wishlist_type.field("items")
def resolve_wishlist_items(wishlist: dict[str, Any], _: GraphQLResolveInfo, limit: int = 20,
                           page: int = 1) -> list[Any]:
    return clamp_page(wishlist["items"], limit, page)


DATE_TIME = "Y-m-dTH:i:sP"  # the schema's default formats


def date_field(name: str, default: str = DATE_TIME) -> Any:
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


customer_type.set_field("birthdate", date_field("birthdate", "Y-m-d"))
order_type.set_field("orderDate", date_field("orderDate"))
newsletter_type.set_field("createdAt", date_field("createdAt"))
contract_type.set_field("createdAt", date_field("createdAt"))
contract_type.set_field("updatedAt", date_field("updatedAt"))

bindables = [query, mutation, session_type, customer_type, wishlist_type, order_type,
             newsletter_type, contract_type, login_payload, register_payload, update_payload]
