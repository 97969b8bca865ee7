"""From a selection to an order: a payment holds the selection's stock from its start, and
its first confirmed result makes exactly one order.

A payment's public id is its idempotency key: the storefront's return page passes it back
(``plugins.PAYMENT_FIELD``), and a repeated or raced ``paymentResult`` finds the payment
already paid and answers the same order. Stock is taken at the start (never more than is
there: the conditional update and the row locks make two checkouts of the last unit end in
one order and one refusal) and returned when the payment fails or expires.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import sessions
from dtc_api.checkout import holds, plugins
from dtc_api.checkout import state as checkout
from dtc_api.core.errors import Code, DomainError, UserError
from dtc_api.core.money import format_minor
from dtc_api.mail import outbox
from dtc_api.mail.render import render
from dtc_api.orders import orders, subscriptions
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t
from dtc_api.store.reads import Query, within

# Orders are numbered one after another; on PostgreSQL concurrent checkouts take turns here.
_NUMBER_LOCK = 0x6474_6f72
_NEXT_NUMBER = Query("SELECT COALESCE(MAX(number), 0) + 1 FROM orders")
_LATEST = Query(
    """SELECT public_id FROM payments WHERE session_id = $1 AND status IN ('started', 'paid')
    ORDER BY id DESC LIMIT 1""")


def snapshot(session: Mapping[str, Any], selection: Mapping[str, Any],
             shipping: Mapping[str, Any], billing: Mapping[str, Any] | None,
             method: Mapping[str, Any], found: checkout.Checkout,
             payment_method: Mapping[str, Any]) -> dict[str, Any]:
    """What a payment is for, as it was when it started (stored with the payment)."""
    return {
        "customerId": session["customer_id"], "marketId": session["market_id"],
        "pricelistId": session["pricelist_id"], "country": session["country_code"],
        "state": session["state_code"], "language": session["language_code"],
        "lines": [{"item": line["item"]["id"], "quantity": line["quantity"],
                   "minor": line["minor"], "plan": line["subscriptionId"]}
                  for line in selection["lines"]],
        "shippingAddress": dict(shipping), "billingAddress": dict(billing or shipping),
        "shippingMethod": {"id": method["id"], "name": method["name"],
                           "comment": method["comment"]},
        "paymentMethod": {"id": payment_method["id"], "name": payment_method["name"],
                          "plugin": payment_method["plugin"], "kind": payment_method["kind"]},
        "totals": found.totals.rows(),
        "vouchers": [{"id": a.voucher["id"], "code": a.voucher["code"],
                      "name": a.voucher["name"], "minor": a.items_minor + a.shipping_minor}
                     for a in found.totals.applied],
    }


async def start(conn: AsyncConnection, session: dict[str, Any], selection_id: int,
                data: dict[str, Any], method: Mapping[str, Any], now: dt.datetime,
                ttl: dt.timedelta, amount: str, input_: dict[str, Any]
                ) -> tuple[int, plugins.Started] | list[UserError]:
    """Start paying for the selection: take its stock and ask the plugin what to do."""
    await holds.cancel_open(conn, selection_id, now)
    public_id = secrets.token_urlsafe(24)
    payment_id = (await conn.execute(sa.insert(t.payments).values(
        public_id=public_id, session_id=session["id"], selection_id=selection_id,
        payment_method_id=method["id"], plugin=method["plugin"], status="started",
        snapshot=data, created_at=now, expires_at=now + ttl).returning(t.payments.c.id)
    )).scalar_one()
    short = await holds.reserve(conn, payment_id, selection_id, session["market_id"])
    if short:
        await conn.execute(sa.delete(t.payments).where(t.payments.c.id == payment_id))
        return short
    started = plugins.BUILT_IN[method["plugin"]].start(plugins.Start(
        public_id, amount, input_["paymentReturnPage"], input_["paymentFailedPage"],
        dict(method)))
    return payment_id, started


@dataclass(frozen=True)
class Outcome:
    paid: bool
    order_id: int | None = None
    errors: tuple[UserError, ...] = ()


def _failed(message: str, code: str = Code.INVALID_INPUT) -> Outcome:
    return Outcome(False, errors=(UserError(message, ("paymentMethodFields",), code=code),))


async def result(conn: AsyncConnection, geography: Geography, session: dict[str, Any],
                 fields: dict[str, Any], now: dt.datetime) -> Outcome:
    """``paymentResult``: the payment named in ``fields`` (or the session's latest), paid
    (an order, made once), failed or expired."""
    reads = await within(conn)
    key = fields.get(plugins.PAYMENT_FIELD)
    if not isinstance(key, str):
        key = await reads.scalar(_LATEST, session["id"])
    payment = await reads.one(holds.PAYMENT, key[:64]) if isinstance(key, str) else None
    if payment is None or payment["session_id"] != session["id"]:
        return _failed("no payment of this session to confirm", Code.NOT_FOUND)
    if payment["status"] == "paid":
        return Outcome(True, payment["order_id"])
    if payment["status"] != "started":
        return _failed(f"the payment has {payment['status']}", Code.UNAVAILABLE)
    if payment["expires_at"] <= now:
        await holds.finish(conn, payment, "expired", now)
        return _failed("the payment has expired", Code.UNAVAILABLE)
    answer = plugins.BUILT_IN[payment["plugin"]].result(fields)
    if not answer.paid:
        await holds.finish(conn, payment, "failed", now)
        return _failed(answer.message or "the payment failed", Code.UNAVAILABLE)
    order_id = await place_order(conn, geography, session, payment, answer.order_status, now)
    return Outcome(True, order_id)


async def place_order(conn: AsyncConnection, geography: Geography, session: dict[str, Any],
                      payment: Mapping[str, Any], status: str, now: dt.datetime) -> int:
    """The order of a paid payment: numbered, linked to the customer (a guest's
    non-registered one), its vouchers counted, the selection emptied, a confirmation queued."""
    data = payment["snapshot"]
    reads = await within(conn)
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _NUMBER_LOCK})
    number = int(await reads.scalar(_NEXT_NUMBER))
    billing = data["billingAddress"]
    customer_id = data["customerId"]
    if customer_id is None:
        customer_id = await orders.guest_customer(conn, billing["email"], billing, now)
    grand = next(r["minor"] for r in data["totals"] if r["type"] == "GRAND_TOTAL")
    shipping = next(r["minor"] for r in data["totals"] if r["type"] == "SHIPPING")
    order_id = await orders.create(
        conn, number=number, customer_id=customer_id, order_date=now, status=status,
        pricelist_id=data["pricelistId"], market_id=data["marketId"],
        lines=[orders.OrderLine(line["item"], line["quantity"],
                                line["minor"] // line["quantity"], line["minor"])
               for line in data["lines"]],
        country_code=data["country"], state_code=data["state"],
        language_code=data["language"], billing_address=billing,
        shipping_address=data["shippingAddress"], shipping_minor=shipping,
        shipping_method=data["shippingMethod"], totals=data["totals"],
        payment_method=data["paymentMethod"], discounts=data["vouchers"], now=now)
    for voucher in data["vouchers"]:
        await conn.execute(sa.update(t.vouchers).where(t.vouchers.c.id == voucher["id"])
                           .values(uses=t.vouchers.c.uses + 1))
        await conn.execute(sa.insert(t.voucher_uses).values(
            voucher_id=voucher["id"], order_id=order_id, customer_id=customer_id,
            created_at=now))
    planned = [line for line in data["lines"] if line.get("plan")]
    if planned and data["customerId"] is not None:
        await _subscribe(conn, data, customer_id, planned, shipping, now)
    await holds.finish(conn, payment, "paid", now, order_id)
    if payment["selection_id"] is not None:
        await conn.execute(sa.delete(t.selections)
                           .where(t.selections.c.id == payment["selection_id"]))
    await sessions.update(conn, session, last_order_id=order_id,
                          selection_id=None if session["selection_id"] ==
                          payment["selection_id"] else session["selection_id"])
    currency = geography.currency_of(data["pricelistId"])
    message = render("order_confirmation", data["language"], {
        "name": billing.get("firstName") or "", "number": str(number),
        "total": format_minor(grand, currency),
        "lines": "\n".join(f"{line['quantity']} x {name}" for line, name in zip(
            data["lines"], await _names(conn, data["lines"]), strict=True))})
    await outbox.enqueue(conn, "order_confirmation", billing["email"], message, now)
    return order_id


async def _subscribe(conn: AsyncConnection, data: dict[str, Any], customer_id: int,
                     planned: list[dict[str, Any]], shipping_minor: int, now: dt.datetime
                     ) -> None:
    """The subscription contract of an order's lines bought on plans: a subscription per
    plan, its first delivery this order, the next one an interval on."""
    contract_id = await orders.create_subscription_contract(
        conn, customer_id=customer_id, pricelist_id=data["pricelistId"],
        market_id=data["marketId"], shipping_address=data["shippingAddress"], now=now,
        shipping_method={**data["shippingMethod"], "priceMinor": shipping_minor},
        payment_method=data["paymentMethod"]["name"])
    by_plan: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in planned:
        by_plan[line["plan"]].append({"item": line["item"], "quantity": line["quantity"]})
    plans = {row.id: row for row in await conn.execute(
        sa.select(t.subscription_plans).where(t.subscription_plans.c.id.in_(list(by_plan))))}
    await subscriptions.record(conn, contract_id, [
        {"plan": plan, "lines": lines, "nextOrderDate": subscriptions.after(
            now.date(), plans[plan].interval_type, plans[plan].interval_value).isoformat()}
        for plan, lines in by_plan.items() if plan in plans], now)


async def _names(conn: AsyncConnection, lines: list[dict[str, Any]]) -> list[str]:
    rows = dict((await conn.execute(
        sa.select(t.items.c.id, t.display_items.c.name)
        .join(t.display_items, t.display_items.c.id == t.items.c.display_item_id)
        .where(t.items.c.id.in_([line["item"] for line in lines])))).all())
    return [rows.get(line["item"], line["item"]) for line in lines]


def refuse(errors: list[UserError]) -> None:
    if errors:
        raise DomainError(*errors)
