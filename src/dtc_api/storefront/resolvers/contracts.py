"""The customer's subscription contracts: their subscriptions, and the four changes a
customer may make (address, interval, quantity, status)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ariadne import MutationType, ObjectType
from graphql import GraphQLResolveInfo
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core.errors import DomainError
from dtc_api.orders import subscriptions
from dtc_api.orders import usecases as orders
from dtc_api.storefront.context import context, logged_in, user_errors
from dtc_api.storefront.resolvers.customer import date_field

mutation = MutationType()
contract_type = ObjectType("SubscriptionContract")
subscription_type = ObjectType("SubscriptionInfo")
payment_type = ObjectType("SubscriptionPayment")


@contract_type.field("subscriptions")
async def resolve_subscriptions(contract: dict[str, Any], info: GraphQLResolveInfo
                                ) -> list[dict[str, Any]]:
    return await contract["loader"].of(contract["id"], context(info).runtime.db.reads)  # type: ignore[no-any-return]


async def _change(info: GraphQLResolveInfo,
                  change: Callable[[AsyncConnection, int], Awaitable[int]]) -> dict[str, Any]:
    ctx = logged_in(info)
    customer_id = ctx.session["customer_id"]
    try:
        contract = await orders.change_subscription(
            ctx.runtime.db, ctx.geography, customer_id, lambda conn: change(conn, customer_id))
    except DomainError as refused:
        return {"contract": None, "userErrors": user_errors(info, refused.errors)}
    return {"contract": contract, "userErrors": []}


def _now(info: GraphQLResolveInfo) -> Any:
    return context(info).runtime.clock.now()


@mutation.field("changeSubscriptionContractAddress")
async def resolve_change_address(_: Any, info: GraphQLResolveInfo, address: dict[str, Any],
                                 contractId: int) -> dict[str, Any]:
    return await _change(info, lambda conn, customer: subscriptions.change_address(
        conn, customer, contractId, address, _now(info)))


@mutation.field("updateSubscriptionInterval")
async def resolve_update_interval(_: Any, info: GraphQLResolveInfo, subscriptionId: int,
                                  subscriptionPlanId: int) -> dict[str, Any]:
    return await _change(info, lambda conn, customer: subscriptions.change_interval(
        conn, customer, subscriptionId, subscriptionPlanId, _now(info)))


@mutation.field("updateSubscriptionQuantity")
async def resolve_update_quantity(_: Any, info: GraphQLResolveInfo, quantity: int,
                                  subscriptionId: int) -> dict[str, Any]:
    return await _change(info, lambda conn, customer: subscriptions.change_quantity(
        conn, customer, subscriptionId, quantity, _now(info)))


@mutation.field("updateSubscriptionStatus")
async def resolve_update_status(_: Any, info: GraphQLResolveInfo, status: str,
                                subscriptionId: int) -> dict[str, Any]:
    return await _change(info, lambda conn, customer: subscriptions.change_status(
        conn, customer, subscriptionId, status, _now(info)))


for _name in ("createdAt", "updatedAt"):
    subscription_type.set_field(_name, date_field(_name))
    payment_type.set_field(_name, date_field(_name))
subscription_type.set_field("nextOrderDate", date_field("nextOrderDate", "Y-m-d"))
subscription_type.set_field("nextRetryDate", date_field("nextRetryDate", "Y-m-d"))

bindables = [mutation, contract_type, subscription_type, payment_type]
