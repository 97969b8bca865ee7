"""Checkout: the selection's checkout and discounts, setAddress, setShippingMethod,
setPaymentMethod, vouchers, gift cards and widgets, paymentInstructions, paymentResult."""

from __future__ import annotations

from typing import Any

from ariadne import InterfaceType, MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo

from dtc_api.accounts import usecases as accounts
from dtc_api.checkout import usecases as checkout
from dtc_api.core.errors import Code, UserError
from dtc_api.storefront.context import context, user_errors
from dtc_api.storefront.resolvers.selection import change_selection, selection_payload

query = QueryType()
mutation = MutationType()
checkout_type = ObjectType("CheckoutSelection")
total_row = InterfaceType("SelectionTotalRow")


@total_row.type_resolver
def resolve_total_row_type(row: dict[str, Any], *_: Any) -> str:
    return "SelectionTotalTaxRow" if row.get("taxPercent") is not None \
        else "SelectionTotalRowBase"


@checkout_type.field("shippingMethods")
async def resolve_shipping_methods(view: dict[str, Any], info: GraphQLResolveInfo
                                   ) -> list[dict[str, Any]]:
    return await view["options"].shipping(context(info).runtime.db.reads)  # type: ignore[no-any-return]


@checkout_type.field("paymentMethods")
async def resolve_payment_methods(view: dict[str, Any], info: GraphQLResolveInfo,
                                  sort: list[str] | None = None) -> list[dict[str, Any]]:
    methods = await view["options"].payment(context(info).runtime.db.reads)
    first = {kind: n for n, kind in enumerate(sort or ())}
    return sorted(methods, key=lambda m: first.get(m["kind"], len(first)))


@checkout_type.field("paymentMethod")
async def resolve_payment_method(view: dict[str, Any], info: GraphQLResolveInfo
                                 ) -> dict[str, Any] | None:
    chosen = view["options"].chosen.get("payment_method_id")
    if chosen is None:
        return None
    methods = await view["options"].payment(context(info).runtime.db.reads)
    return next((m for m in methods if m["id"] == chosen), None)


def _change(use_case: Any) -> Any:
    async def resolve(_: Any, info: GraphQLResolveInfo, **arguments: Any) -> dict[str, Any]:
        return selection_payload(info, await change_selection(info, use_case,
                                                              *arguments.values()))
    return resolve


mutation.set_field("setShippingMethod", _change(checkout.set_shipping_method))
mutation.set_field("setPaymentMethod", _change(checkout.set_payment_method))
mutation.set_field("addVoucher", _change(checkout.add_voucher))
mutation.set_field("removeVoucher", _change(checkout.remove_voucher))


@mutation.field("setAddress")
async def resolve_set_address(_: Any, info: GraphQLResolveInfo, shippingAddress: dict[str, Any],
                              separateBillingAddress: dict[str, Any] | None = None,
                              **_ignored: Any) -> dict[str, Any]:
    return selection_payload(info, await change_selection(
        info, checkout.set_address, shippingAddress, separateBillingAddress))


@mutation.field("applyGiftCard")
async def resolve_apply_gift_card(_: Any, info: GraphQLResolveInfo, input: dict[str, Any]
                                  ) -> dict[str, Any]:
    refused = UserError("gift cards are not accepted: no gift-card plugin is configured",
                        ("input", "cardNumber"), code=Code.NOT_CONFIGURED)
    return selection_payload(info, await change_selection(info, checkout.unchanged,
                                                          [refused]))


@mutation.field("handleWidgetEvent")
async def resolve_widget_event(_: Any, info: GraphQLResolveInfo, payload: Any
                               ) -> dict[str, Any]:
    return selection_payload(info, await change_selection(info, checkout.unchanged, []))


@query.field("expressCheckoutWidgets")
def resolve_express_widgets(*_: Any, **__: Any) -> dict[str, Any]:
    return {"list": [], "userErrors": []}


async def _order(info: GraphQLResolveInfo, order_id: int | None) -> dict[str, Any] | None:
    if order_id is None:
        return None
    ctx = context(info)
    return await accounts.order(ctx.runtime, ctx.geography, order_id, ctx.session)


def _settle(info: GraphQLResolveInfo, paid: checkout.Payment) -> None:
    context(info).principal.session = paid.session


@mutation.field("paymentInstructions")
async def resolve_payment_instructions(_: Any, info: GraphQLResolveInfo,
                                       input: dict[str, Any]) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    paid = await checkout.payment_instructions(
        runtime.db, ctx.geography, runtime.selection_policy, runtime.payment_ttl,
        ctx.session["id"], input, runtime.clock.now())
    _settle(info, paid)
    action = paid.action
    if action is not None and action["__typename"] == "SuccessPaymentAction":
        action = {**action, "order": await _order(info, paid.order_id)}
    return {"action": action, "selection": paid.selection,
            "userErrors": user_errors(info, paid.errors)}


@mutation.field("paymentResult")
async def resolve_payment_result(_: Any, info: GraphQLResolveInfo,
                                 paymentMethodFields: Any) -> dict[str, Any]:
    ctx = context(info)
    runtime = ctx.runtime
    fields = paymentMethodFields if isinstance(paymentMethodFields, dict) else {}
    paid = await checkout.payment_result(runtime.db, ctx.geography, runtime.selection_policy,
                                         ctx.session["id"], fields, runtime.clock.now())
    _settle(info, paid)
    answer = {"selection": paid.selection, "userErrors": user_errors(info, paid.errors)}
    if paid.paid:
        return {**answer, "__typename": "PaymentResultSuccessPayload", "type": "SUCCESS",
                "order": await _order(info, paid.order_id)}
    return {**answer, "__typename": "PaymentResultFailedPayload", "type": "FAILED"}


bindables = [query, mutation, checkout_type, total_row]
