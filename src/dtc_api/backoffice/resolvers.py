"""Back-office resolvers: thin calls into the same services the storefront and CLI use."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from ariadne import (
    MutationType,
    ObjectType,
    QueryType,
    ScalarType,
    load_schema_from_path,
    make_executable_schema,
)
from graphql import GraphQLError, GraphQLResolveInfo, GraphQLSchema

from dtc_api.access import clients
from dtc_api.accounts import admin as customer_admin
from dtc_api.accounts import view as customer_view
from dtc_api.core.errors import DomainError, UserError, formatted
from dtc_api.marketing import admin as subscription_admin
from dtc_api.marketing import back_in_stock
from dtc_api.orders import orders
from dtc_api.shop import catalogue as catalogue_admin
from dtc_api.store import tables as t

SCHEMA_DIR = Path(__file__).parent / "schema"
query = QueryType()
mutation = MutationType()

_SETTINGS = {"frontendUrl": "frontend_url", "retainSessionAfterLogout":
             "retain_session_after_logout", "requireOldPassword": "require_old_password",
             "newsletterDoubleOptIn": "newsletter_double_opt_in",
             "defaultCountry": "default_country_code", "defaultLanguage": "default_language_code",
             "rateLimits": "rate_limits"}


def _errors(info: GraphQLResolveInfo, errors: tuple[UserError, ...]) -> list[dict[str, Any]]:
    return formatted(info.field_name, errors)


async def _stock(conn: Any, item: str) -> dict[str, Any] | None:
    if await conn.scalar(sa.select(t.items.c.id).where(t.items.c.id == item)) is None:
        return None
    rows = await conn.execute(
        sa.select(t.warehouses.c.key, t.stock.c.quantity)
        .join(t.stock, t.stock.c.warehouse_id == t.warehouses.c.id)
        .where(t.stock.c.item_id == item).order_by(t.warehouses.c.key))
    return {"item": item, "warehouses": [{"warehouse": key, "quantity": quantity}
                                         for key, quantity in rows]}


@query.field("stock")
async def resolve_stock(_: Any, info: GraphQLResolveInfo, item: str) -> dict[str, Any] | None:
    async with info.context.runtime.db.read() as conn:
        return await _stock(conn, item)


@mutation.field("setStock")
async def resolve_set_stock(_: Any, info: GraphQLResolveInfo, item: str, warehouse: str,
                            quantity: int) -> dict[str, Any]:
    ctx = info.context
    try:
        async with ctx.runtime.db.write() as conn:
            queued = await back_in_stock.set_stock(conn, ctx.geography, item, warehouse,
                                                   quantity, ctx.runtime.clock.now())
            stock = await _stock(conn, item)
    except DomainError as refused:
        return {"stock": None, "notificationsQueued": 0,
                "userErrors": _errors(info, refused.errors)}
    return {"stock": stock, "notificationsQueued": queued, "userErrors": []}


@mutation.field("setStocks")
async def resolve_set_stocks(_: Any, info: GraphQLResolveInfo, input: list[dict[str, Any]]
                             ) -> dict[str, Any]:
    ctx = info.context
    queued = 0
    try:
        async with ctx.runtime.db.write() as conn:
            for index, row in enumerate(input):
                try:
                    queued += await back_in_stock.set_stock(
                        conn, ctx.geography, row["item"], row["warehouse"], row["quantity"],
                        ctx.runtime.clock.now())
                except DomainError as refused:
                    raise DomainError(*(UserError(e.message, ("input", str(index), *e.path))
                                        for e in refused.errors)) from None
    except DomainError as refused:
        return {"updated": 0, "notificationsQueued": 0,
                "userErrors": _errors(info, refused.errors)}
    return {"updated": len(input), "notificationsQueued": queued, "userErrors": []}


@query.field("order")
async def resolve_order(_: Any, info: GraphQLResolveInfo, number: int) -> dict[str, Any] | None:
    async with info.context.runtime.db.read() as conn:
        return await orders.summary(conn, info.context.geography, number)


@mutation.field("createOrder")
async def resolve_create_order(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                               ) -> dict[str, Any]:
    ctx = info.context
    try:
        async with ctx.runtime.db.write() as conn:
            await orders.record(conn, ctx.geography, input, ctx.runtime.clock.now())
            order = await orders.summary(conn, ctx.geography, input["number"])
    except DomainError as refused:
        return {"order": None, "userErrors": _errors(info, refused.errors)}
    return {"order": order, "userErrors": []}


@mutation.field("updateOrderStatus")
async def resolve_update_order_status(_: Any, info: GraphQLResolveInfo, number: int,
                                      status: str) -> dict[str, Any]:
    ctx = info.context
    try:
        async with ctx.runtime.db.write() as conn:
            await orders.update_status(conn, number, status)
            order = await orders.summary(conn, ctx.geography, number)
    except DomainError as refused:
        return {"order": None, "userErrors": _errors(info, refused.errors)}
    return {"order": order, "userErrors": []}


def _client_view(row: Any) -> dict[str, Any]:
    view = {"name": row["name"], **{field: row[column] for field, column in _SETTINGS.items()}}
    view["rateLimits"] = view["rateLimits"] or {}
    return view


async def _client(conn: Any, name: str) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(t.api_clients).where(t.api_clients.c.name == name))
           ).mappings().first()
    return _client_view(row) if row else None


@query.field("apiClients")
async def resolve_api_clients(_: Any, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    async with info.context.runtime.db.read() as conn:
        rows = await conn.execute(sa.select(t.api_clients).order_by(t.api_clients.c.name))
        return [_client_view(row) for row in rows.mappings()]


def _settings(data: dict[str, Any]) -> dict[str, Any]:
    settings = {column: data[field] for field, column in _SETTINGS.items() if field in data}
    if settings.get("rate_limits") is not None:
        settings["rate_limits"] = {k: v for k, v in settings["rate_limits"].items()
                                   if v is not None}
    return settings


async def _client_change(info: GraphQLResolveInfo, name: str, change: Any,
                         prefix: tuple[str, ...] = ("input",)) -> dict[str, Any]:
    ctx = info.context
    try:
        async with ctx.runtime.db.write() as conn:
            credentials = await change(conn)
            client = await _client(conn, name)
    except DomainError as refused:
        errors = tuple(UserError(e.message, (*prefix, *e.path)) for e in refused.errors)
        return {"client": None, "credentials": None, "userErrors": _errors(info, errors)}
    return {"client": client, "userErrors": [],
            "credentials": credentials.as_json() if credentials else None}


@mutation.field("createApiClient")
async def resolve_create_api_client(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                                    ) -> dict[str, Any]:
    now = info.context.runtime.clock.now()
    return await _client_change(info, input["name"], lambda conn: clients.create(
        conn, input["name"], now, **{k: v for k, v in _settings(input).items()
                                     if v is not None}))


@mutation.field("updateApiClient")
async def resolve_update_api_client(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                                    ) -> dict[str, Any]:
    async def change(conn: Any) -> None:
        await clients.update_settings(conn, input["name"], **_settings(input))

    return await _client_change(info, input["name"], change)


@mutation.field("rotateApiClientTokens")
async def resolve_rotate(_: Any, info: GraphQLResolveInfo, name: str) -> dict[str, Any]:
    return await _client_change(info, name,
                                lambda conn: clients.rotate_credentials(conn, name), ())


@query.field("customers")
async def resolve_customers(_: Any, info: GraphQLResolveInfo, page: int, limit: int,
                            search: str | None = None) -> dict[str, Any]:
    return await _read(info, lambda conn: customer_admin.search(conn, search, page, limit))


@query.field("customer")
async def resolve_customer(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any] | None:
    async with info.context.runtime.db.read() as conn:
        return await customer_admin.get(conn, id)


@mutation.field("setCustomerLoginBlocked")
async def resolve_block(_: Any, info: GraphQLResolveInfo, id: int, blocked: bool
                        ) -> dict[str, Any]:
    try:
        async with info.context.runtime.db.write() as conn:
            await customer_admin.set_login_blocked(conn, id, blocked)
            return {"customer": await customer_admin.get(conn, id), "userErrors": []}
    except DomainError as refused:
        return {"customer": None, "userErrors": _errors(info, refused.errors)}


@mutation.field("deleteCustomer")
async def resolve_delete_customer(_: Any, info: GraphQLResolveInfo, id: int
                                  ) -> dict[str, Any]:
    runtime = info.context.runtime
    try:
        async with runtime.db.write() as conn:
            await customer_admin.erase(conn, id, runtime.clock.now())
    except DomainError as refused:
        return {"deleted": False, "userErrors": _errors(info, refused.errors)}
    return {"deleted": True, "userErrors": []}


async def _read(info: GraphQLResolveInfo, work: Any) -> Any:
    """Run a listing; a bad argument (limit, cursor) is a GraphQL error on the field."""
    async with info.context.runtime.db.read() as conn:
        try:
            return await work(conn)
        except DomainError as refused:
            raise GraphQLError(refused.errors[0].message) from None


@query.field("newsletterSubscriptions")
async def resolve_newsletter_subscriptions(_: Any, info: GraphQLResolveInfo, limit: int,
                                           since: str | None = None) -> dict[str, Any]:
    return await _read(info, lambda conn: subscription_admin.newsletter_changes(
        conn, since, limit))


@query.field("backInStockSubscriptions")
async def resolve_back_in_stock(_: Any, info: GraphQLResolveInfo, page: int, limit: int,
                                item: str | None = None, waiting: bool | None = None
                                ) -> list[dict[str, Any]]:
    return await _read(info, lambda conn: subscription_admin.back_in_stock(
        conn, item, waiting, page, limit))


@query.field("outboxMessages")
async def resolve_outbox(_: Any, info: GraphQLResolveInfo, page: int, limit: int,
                         status: str | None = None) -> list[dict[str, Any]]:
    return await _read(info, lambda conn: subscription_admin.outbox(conn, status, page, limit))


@mutation.field("unsubscribeNewsletter")
async def resolve_unsubscribe(_: Any, info: GraphQLResolveInfo, email: str) -> dict[str, Any]:
    runtime = info.context.runtime
    try:
        async with runtime.db.write() as conn:
            await subscription_admin.unsubscribe(conn, email, runtime.clock.now())
    except DomainError as refused:
        return {"unsubscribed": False, "userErrors": _errors(info, refused.errors)}
    return {"unsubscribed": True, "userErrors": []}


@mutation.field("retryOutboxMessage")
async def resolve_retry(_: Any, info: GraphQLResolveInfo, id: int) -> dict[str, Any]:
    runtime = info.context.runtime
    try:
        async with runtime.db.write() as conn:
            message = await subscription_admin.retry(conn, id, runtime.clock.now())
    except DomainError as refused:
        return {"message": None, "userErrors": _errors(info, refused.errors)}
    return {"message": message, "userErrors": []}


async def _contract_change(info: GraphQLResolveInfo, change: Any) -> dict[str, Any]:
    ctx = info.context
    try:
        async with ctx.runtime.db.write() as conn:
            contract_id = await change(conn, ctx.geography, ctx.runtime.clock.now())
            contract = await orders.contract_summary(conn, contract_id)
    except DomainError as refused:
        return {"contract": None, "userErrors": _errors(info, refused.errors)}
    return {"contract": contract, "userErrors": []}


@mutation.field("createSubscriptionContract")
async def resolve_create_contract(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                                  ) -> dict[str, Any]:
    return await _contract_change(
        info, lambda conn, places, now: orders.record_contract(conn, places, input, now))


@mutation.field("updateSubscriptionContract")
async def resolve_update_contract(_: Any, info: GraphQLResolveInfo, id: int,
                                  input: dict[str, Any]) -> dict[str, Any]:
    async def change(conn: Any, places: Any, now: Any) -> int:
        await orders.update_contract(conn, places, id, input, now)
        return id

    return await _contract_change(info, change)


@mutation.field("upsertCatalogue")
async def resolve_upsert_catalogue(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                                   ) -> dict[str, Any]:
    runtime = info.context.runtime
    try:
        async with runtime.db.write() as conn:
            counts = await catalogue_admin.apply(conn, input)
    except DomainError as refused:
        return {"counts": [], "userErrors": _errors(info, refused.errors)}
    runtime.geography.invalidate()
    return {"counts": [{"section": k, "records": v} for k, v in counts.items()],
            "userErrors": []}


customer_summary = ObjectType("CustomerSummary")
json_scalar = ScalarType("JSON")  # values pass through; orjson writes dates as ISO 8601

PROFILE_FIELDS = ("attributes", "newsletterSubscriptions", "wishlists",
                  "subscriptionContracts", "totalOrders")


@customer_summary.field("profile")
async def resolve_profile(summary: dict[str, Any], info: GraphQLResolveInfo
                          ) -> dict[str, Any] | None:
    ctx = info.context
    async with ctx.runtime.db.read() as conn:
        country = await conn.scalar(sa.select(t.customers.c.country_code)
                                    .where(t.customers.c.id == summary["id"]))
        market, pricelist = ctx.geography.market_and_pricelist(country or "")
        where = {"market_id": market, "pricelist_id": pricelist}
        profile = await customer_view.view(conn, ctx.geography, summary["id"], where,
                                           PROFILE_FIELDS)
        if profile is not None:
            profile["orders"] = await customer_view.orders(conn, ctx.geography, summary["id"],
                                                           where, 100, 1)
    return profile


@cache
def build_schema() -> GraphQLSchema:
    return make_executable_schema(load_schema_from_path(str(SCHEMA_DIR)), query, mutation,
                                  customer_summary, json_scalar)
