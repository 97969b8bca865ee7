"""Back-office resolvers: thin calls into the same services the storefront and CLI use."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from ariadne import (
    MutationType,
    ObjectType,
    QueryType,
    ScalarType,
    load_schema_from_path,
    make_executable_schema,
)
from graphql import GraphQLError, GraphQLResolveInfo, GraphQLSchema

from dtc_api.access import origins
from dtc_api.access import usecases as access
from dtc_api.accounts import usecases as accounts
from dtc_api.core.errors import DomainError, UserError, formatted
from dtc_api.marketing import usecases as marketing
from dtc_api.orders import usecases as orders
from dtc_api.shop import usecases as shop

SCHEMA_DIR = Path(__file__).parent / "schema"
query = QueryType()
mutation = MutationType()

_SETTINGS = {"frontendUrl": "frontend_url", "retainSessionAfterLogout":
             "retain_session_after_logout", "requireOldPassword": "require_old_password",
             "newsletterDoubleOptIn": "newsletter_double_opt_in",
             "defaultCountry": "default_country_code", "defaultLanguage": "default_language_code",
             "rateLimits": "rate_limits", "allowedOrigins": "allowed_origins"}


def _errors(info: GraphQLResolveInfo, errors: tuple[UserError, ...]) -> list[dict[str, Any]]:
    return formatted(info.field_name, errors)


async def _change(info: GraphQLResolveInfo, work: Awaitable[Any], answer: Callable[[Any], dict],
                  refused: dict[str, Any]) -> dict[str, Any]:
    """Run one use case: its result shaped by ``answer``, or ``refused`` with userErrors."""
    try:
        result = await work
    except DomainError as error:
        return {**refused, "userErrors": _errors(info, error.errors)}
    return {**answer(result), "userErrors": []}


async def _read(work: Awaitable[Any]) -> Any:
    """Run a listing; a bad argument (limit, cursor) is a GraphQL error on the field, with
    the userError's code."""
    try:
        return await work
    except DomainError as refused:
        first = refused.errors[0]
        raise GraphQLError(first.message, extensions={"code": first.code}) from None


def _now(info: GraphQLResolveInfo) -> Any:
    return info.context.runtime.clock.now()


# -- stock ------------------------------------------------------------------------------------

@query.field("stock")
async def resolve_stock(_: Any, info: GraphQLResolveInfo, item: str) -> dict[str, Any] | None:
    return await shop.stock_of(info.context.runtime.db, item)


@mutation.field("setStock")
async def resolve_set_stock(_: Any, info: GraphQLResolveInfo, item: str, warehouse: str,
                            quantity: int) -> dict[str, Any]:
    ctx = info.context
    return await _change(
        info, shop.set_stock(ctx.runtime.db, ctx.geography, item, warehouse, quantity,
                             _now(info)),
        lambda change: {"stock": change.stock,
                        "notificationsQueued": change.notifications_queued},
        {"stock": None, "notificationsQueued": 0})


@mutation.field("setStocks")
async def resolve_set_stocks(_: Any, info: GraphQLResolveInfo, input: list[dict[str, Any]]
                             ) -> dict[str, Any]:
    ctx = info.context
    return await _change(
        info, shop.set_stocks(ctx.runtime.db, ctx.geography, input, _now(info)),
        lambda change: {"updated": len(input),
                        "notificationsQueued": change.notifications_queued},
        {"updated": 0, "notificationsQueued": 0})


@mutation.field("upsertCatalogue")
async def resolve_upsert_catalogue(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                                   ) -> dict[str, Any]:
    runtime = info.context.runtime
    return await _change(
        info, shop.upsert_catalogue(runtime.db, runtime.geography, input),
        lambda counts: {"counts": [{"section": k, "records": v} for k, v in counts.items()]},
        {"counts": []})


# -- orders and subscription contracts ----------------------------------------------------------

@query.field("order")
async def resolve_order(_: Any, info: GraphQLResolveInfo, number: int) -> dict[str, Any] | None:
    return await orders.order_summary(info.context.runtime.db, info.context.geography, number)


@query.field("orders")
async def resolve_orders(_: Any, info: GraphQLResolveInfo, page: int, limit: int,
                         status: str | None = None) -> dict[str, Any]:
    return await _read(orders.list_orders(info.context.runtime.db, info.context.geography,
                                          page, limit, status))


@mutation.field("createOrder")
async def resolve_create_order(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                               ) -> dict[str, Any]:
    ctx = info.context
    return await _change(
        info, orders.create_order(ctx.runtime.db, ctx.geography, input, _now(info)),
        lambda order: {"order": order}, {"order": None})


@mutation.field("updateOrderStatus")
async def resolve_update_order_status(_: Any, info: GraphQLResolveInfo, number: int,
                                      status: str) -> dict[str, Any]:
    ctx = info.context
    return await _change(
        info, orders.update_order_status(ctx.runtime.db, ctx.geography, number, status),
        lambda order: {"order": order}, {"order": None})


@mutation.field("createSubscriptionContract")
async def resolve_create_contract(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                                  ) -> dict[str, Any]:
    ctx = info.context
    return await _change(
        info, orders.create_subscription_contract(ctx.runtime.db, ctx.geography, input,
                                                  _now(info)),
        lambda contract: {"contract": contract}, {"contract": None})


@mutation.field("updateSubscriptionContract")
async def resolve_update_contract(_: Any, info: GraphQLResolveInfo, id: int,
                                  input: dict[str, Any]) -> dict[str, Any]:
    ctx = info.context
    return await _change(
        info, orders.update_subscription_contract(ctx.runtime.db, ctx.geography, id, input,
                                                  _now(info)),
        lambda contract: {"contract": contract}, {"contract": None})


# -- API clients --------------------------------------------------------------------------------

def _client_view(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    view = {"name": row["name"], **{field: row[column] for field, column in _SETTINGS.items()}}
    view["rateLimits"] = view["rateLimits"] or {}
    view["allowedOrigins"] = view["allowedOrigins"] or []
    view["corsOrigins"] = sorted(origins.of_client(row))
    return view


def _settings(data: dict[str, Any]) -> dict[str, Any]:
    settings = {column: data[field] for field, column in _SETTINGS.items() if field in data}
    if settings.get("rate_limits") is not None:
        settings["rate_limits"] = {k: v for k, v in settings["rate_limits"].items()
                                   if v is not None}
    return settings


@query.field("apiClients")
async def resolve_api_clients(_: Any, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    return [_client_view(row) for row in await access.api_clients(info.context.runtime.db)]


async def _client_change(info: GraphQLResolveInfo, work: Awaitable[access.ClientChange],
                         prefix: tuple[str, ...] = ("input",)) -> dict[str, Any]:
    try:
        change = await work
    except DomainError as refused:
        errors = tuple(replace(e, path=(*prefix, *e.path)) for e in refused.errors)
        return {"client": None, "credentials": None, "userErrors": _errors(info, errors)}
    info.context.runtime.allowed_origins.forget()  # CORS sees the change at once
    credentials = change.credentials.as_json() if change.credentials else None
    return {"client": _client_view(change.client), "credentials": credentials,
            "userErrors": []}


@mutation.field("createApiClient")
async def resolve_create_api_client(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                                    ) -> dict[str, Any]:
    settings = {k: v for k, v in _settings(input).items() if v is not None}
    return await _client_change(info, access.create_client(
        info.context.runtime.db, input["name"], _now(info), **settings))


@mutation.field("updateApiClient")
async def resolve_update_api_client(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                                    ) -> dict[str, Any]:
    return await _client_change(info, access.update_client(
        info.context.runtime.db, input["name"], **_settings(input)))


@mutation.field("rotateApiClientTokens")
async def resolve_rotate(_: Any, info: GraphQLResolveInfo, name: str) -> dict[str, Any]:
    return await _client_change(
        info, access.rotate_client_credentials(info.context.runtime.db, name), ())


# -- customers ----------------------------------------------------------------------------------

@query.field("customers")
async def resolve_customers(_: Any, info: GraphQLResolveInfo, page: int, limit: int,
                            search: str | None = None) -> dict[str, Any]:
    return await _read(accounts.search_customers(info.context.runtime, search, page, limit))


@query.field("customer")
async def resolve_customer(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any] | None:
    return await accounts.get_customer(info.context.runtime, id)


@mutation.field("setCustomerLoginBlocked")
async def resolve_block(_: Any, info: GraphQLResolveInfo, id: int, blocked: bool
                        ) -> dict[str, Any]:
    return await _change(
        info, accounts.set_customer_login_blocked(info.context.runtime, id, blocked),
        lambda customer: {"customer": customer}, {"customer": None})


@mutation.field("deleteCustomer")
async def resolve_delete_customer(_: Any, info: GraphQLResolveInfo, id: int
                                  ) -> dict[str, Any]:
    return await _change(info, accounts.erase_customer(info.context.runtime, id),
                         lambda _: {"deleted": True}, {"deleted": False})


# -- subscriptions and mail ---------------------------------------------------------------------

@query.field("newsletterSubscriptions")
async def resolve_newsletter_subscriptions(_: Any, info: GraphQLResolveInfo, limit: int,
                                           since: str | None = None) -> dict[str, Any]:
    return await _read(marketing.newsletter_subscriptions(info.context.runtime.db, since,
                                                          limit))


@query.field("backInStockSubscriptions")
async def resolve_back_in_stock(_: Any, info: GraphQLResolveInfo, page: int, limit: int,
                                item: str | None = None, waiting: bool | None = None
                                ) -> list[dict[str, Any]]:
    return await _read(marketing.back_in_stock_subscriptions(
        info.context.runtime.db, item, waiting, page, limit))


@query.field("outboxMessages")
async def resolve_outbox(_: Any, info: GraphQLResolveInfo, page: int, limit: int,
                         status: str | None = None) -> list[dict[str, Any]]:
    return await _read(marketing.outbox_messages(info.context.runtime.db, status, page, limit))


@mutation.field("unsubscribeNewsletter")
async def resolve_unsubscribe(_: Any, info: GraphQLResolveInfo, email: str) -> dict[str, Any]:
    return await _change(
        info, marketing.unsubscribe_newsletter(info.context.runtime.db, email, _now(info)),
        lambda _: {"unsubscribed": True}, {"unsubscribed": False})


@mutation.field("retryOutboxMessage")
async def resolve_retry(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any]:
    return await _change(
        info, marketing.retry_outbox_message(info.context.runtime.db, id, _now(info)),
        lambda message: {"message": message}, {"message": None})


customer_summary = ObjectType("CustomerSummary")
json_scalar = ScalarType("JSON")  # values pass through; orjson writes dates as ISO 8601

@customer_summary.field("profile")
async def resolve_profile(summary: dict[str, Any], info: GraphQLResolveInfo
                          ) -> dict[str, Any] | None:
    return await accounts.customer_profile(info.context.runtime, info.context.geography,
                                           summary["id"])


@cache
def build_schema() -> GraphQLSchema:
    return make_executable_schema(load_schema_from_path(str(SCHEMA_DIR)), query, mutation,
                                  customer_summary, json_scalar)
