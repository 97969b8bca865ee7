"""Checkout workflows, one function each, each owning its transaction: addresses, shipping
and payment methods, vouchers, and paying (``paymentInstructions``, ``paymentResult``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import sessions
from dtc_api.checkout import holds, payments, plugins
from dtc_api.checkout import state as checkout
from dtc_api.core.errors import Code, DomainError, UserError, invalid
from dtc_api.core.money import format_minor
from dtc_api.shop import selections
from dtc_api.shop.geography import Geography
from dtc_api.shop.selections import SelectionPolicy
from dtc_api.shop.usecases import SelectionChange, _with_items, change_selection
from dtc_api.store import tables as t
from dtc_api.store.db import Database
from dtc_api.store.reads import within


async def _addresses(conn: AsyncConnection, geography: Geography, session: dict[str, Any],
                     policy: SelectionPolicy, now: dt.datetime, shipping: dict[str, Any],
                     billing: dict[str, Any] | None, *path: str) -> list[UserError]:
    """Store the checkout's addresses; the session moves to the shipping country (its market
    and pricelist follow, and the selection is fitted to them)."""
    errors: list[UserError] = []
    checked: list[dict[str, Any] | None] = []
    # A billing address without a country is none (storefronts send `{country: ""}`).
    for name, given in (("shippingAddress", shipping), ("separateBillingAddress", billing)):
        if given is None or (name == "separateBillingAddress" and not given.get("country")):
            checked.append(None)
            continue
        try:
            checked.append(checkout.checked_address(geography, given, *path, name))
        except DomainError as refused:
            errors += refused.errors
    if errors:
        raise DomainError(*errors)
    selection_id = await selections.ensure(conn, session, policy, now)
    await checkout.set_addresses(conn, selection_id, checked[0] or {}, checked[1], now)
    country, state = checked[0]["country"], checked[0].get("state")  # type: ignore[index]
    if (country, state) != (session["country_code"], session["state_code"]):
        await sessions.set_country_state(conn, geography, session, country, state)
        return await selections.fit_to_market(conn, session, policy, now,
                                              (*path, "shippingAddress", "country"))
    return []


async def set_address(db: Database, geography: Geography, policy: SelectionPolicy,
                      session_id: int, shipping: dict[str, Any], billing: dict[str, Any] | None,
                      now: dt.datetime) -> SelectionChange:
    """``setAddress``."""
    return await change_selection(
        db, geography, policy, session_id, now,
        lambda conn, session: _addresses(conn, geography, session, policy, now, shipping,
                                         billing))


async def set_shipping_method(db: Database, geography: Geography, policy: SelectionPolicy,
                              session_id: int, method_id: int, now: dt.datetime
                              ) -> SelectionChange:
    """``setShippingMethod``: one of those offered in the session's country."""
    async def change(conn: AsyncConnection, session: dict[str, Any]) -> None:
        selection_id = await selections.ensure(conn, session, policy, now)
        await checkout.set_shipping_method(conn, session, selection_id, method_id, now)

    return await change_selection(db, geography, policy, session_id, now, change)


async def set_payment_method(db: Database, geography: Geography, policy: SelectionPolicy,
                             session_id: int, method_id: int, now: dt.datetime
                             ) -> SelectionChange:
    """``setPaymentMethod``: one of the API client's, offered in the session's market."""
    async def change(conn: AsyncConnection, session: dict[str, Any]) -> None:
        selection_id = await selections.ensure(conn, session, policy, now)
        await checkout.set_payment_method(conn, session, selection_id, method_id, now)

    return await change_selection(db, geography, policy, session_id, now, change)


async def add_voucher(db: Database, geography: Geography, policy: SelectionPolicy,
                      session_id: int, code: str, now: dt.datetime) -> SelectionChange:
    """``addVoucher``."""
    async def change(conn: AsyncConnection, session: dict[str, Any]) -> None:
        current = await selections.view(conn, geography, session, policy, now)
        if not current["lines"]:
            raise invalid("add items before a voucher", "code", code=Code.UNAVAILABLE)
        selection_id = await selections.ensure(conn, session, policy, now)
        await checkout.add_voucher(conn, session, selection_id, code,
                                   current["_checkout"].totals.items_minor, now)

    return await change_selection(db, geography, policy, session_id, now, change)


async def remove_voucher(db: Database, geography: Geography, policy: SelectionPolicy,
                         session_id: int, code: str, now: dt.datetime) -> SelectionChange:
    """``removeVoucher``."""
    async def change(conn: AsyncConnection, session: dict[str, Any]) -> None:
        await checkout.remove_voucher(conn, await selections.active_id(conn, session, policy,
                                                                        now), code, now)

    return await change_selection(db, geography, policy, session_id, now, change)


async def unchanged(db: Database, geography: Geography, policy: SelectionPolicy,
                    session_id: int, errors: list[UserError], now: dt.datetime
                    ) -> SelectionChange:
    """The selection as it is, with ``errors`` (a change no plugin here can make)."""
    async def change(conn: AsyncConnection, session: dict[str, Any]) -> list[UserError]:
        return errors

    return await change_selection(db, geography, policy, session_id, now, change)


@dataclass
class Payment:
    """What ``paymentInstructions`` and ``paymentResult`` answer."""

    selection: dict[str, Any]
    session: dict[str, Any]
    errors: list[UserError] = field(default_factory=list)
    action: dict[str, Any] | None = None
    order_id: int | None = None
    paid: bool = False


async def _pay(conn: AsyncConnection, geography: Geography, session: dict[str, Any],
               policy: SelectionPolicy, ttl: dt.timedelta, data: dict[str, Any],
               now: dt.datetime) -> tuple[dict[str, Any] | None, int | None]:
    """Check the checkout and start its payment: (the action, the order made at once)."""
    refused: list[UserError] = []
    errors = await _addresses(conn, geography, session, policy, now, data["shippingAddress"],
                              data.get("separateBillingAddress"), "input")
    if errors:
        raise DomainError(*errors)
    if not data.get("termsAndConditions"):
        refused.append(UserError("the terms and conditions must be accepted",
                                 ("input", "termsAndConditions"), code=Code.REQUIRED))
    for page in ("paymentReturnPage", "paymentFailedPage"):
        if not _web_address(data[page]):
            refused.append(UserError(f"{page} must be an http or https URL of at most "
                                     f"{MAX_PAGE_URL} characters", ("input", page),
                                     code=Code.INVALID_INPUT))
    row = await selections.active(conn, session, policy, now)
    if row is None:
        raise invalid("the selection is empty", "input", code=Code.UNAVAILABLE)
    if data.get("shippingMethod"):
        await checkout.set_shipping_method(conn, session, row["id"], data["shippingMethod"],
                                           now, "input", "shippingMethod")
    payment_id = data.get("paymentMethod") or row["payment_method_id"]
    offered = await checkout.payment_options(await within(conn),
                                             session["client_id"], session["market_id"])
    method = next((m for m in offered if m["id"] == payment_id), None) if payment_id \
        else (offered[0] if offered else None)
    if method is None:
        raise invalid("payment method not found" if payment_id else
                      "no payment method is offered here", "input", "paymentMethod",
                      code=Code.NOT_FOUND)
    await checkout.choose_payment_method(conn, row["id"], method["id"], now)
    # The method chosen, or the first offered (the checkout's default): there must be one.
    if not await checkout.shipping_options(await within(conn), session["country_code"],
                                           session["pricelist_id"]):
        raise invalid(f"no shipping method ships to {session['country_code']}", "input",
                      "shippingMethod", code=Code.NOT_FOUND)
    shipping = row["shipping_address"] or {}
    billing = row["billing_address"]
    if billing is None and not shipping.get("email") and session["customer_id"] is not None:
        shipping = {**shipping, "email": await _customer_email(conn, session["customer_id"])}
    refused += checkout.missing(shipping, "input", "shippingAddress")
    if billing is not None:
        refused += checkout.missing(billing, "input", "separateBillingAddress")
    if refused:
        raise DomainError(*refused)
    current = await selections.view(conn, geography, session, policy, now)
    if not current["lines"]:
        raise invalid("the selection is empty", "input", code=Code.UNAVAILABLE)
    if session["customer_id"] is None and any(line["subscriptionId"]
                                              for line in current["lines"]):
        raise invalid("log in to buy on subscription", "input", code=Code.LOGIN_REQUIRED)
    found = current["_checkout"]
    reads = await within(conn)
    for applied in found.totals.applied:
        why = await checkout.used_up(reads, applied.voucher, session["customer_id"])
        if why is not None:
            refused.append(UserError(f"voucher {applied.voucher['code'] or applied.voucher['name']}"
                                     f" {why}", ("input",), code=Code.UNAVAILABLE))
    if refused:
        raise DomainError(*refused)
    chosen = current["checkout"]["shippingMethod"]
    snapshot = payments.snapshot(session, current, shipping, billing, chosen, found, method)
    amount = format_minor(found.totals.grand_minor,
                          geography.currency_of(session["pricelist_id"]))
    started = await payments.start(conn, session, row["id"], snapshot, method, now, ttl,  # type: ignore[index]
                                   amount, data)
    if isinstance(started, list):
        raise DomainError(*started)
    payment_id_, begun = started
    if not begun.settled:
        return begun.action, None
    payment = {"id": payment_id_, "snapshot": snapshot, "selection_id": row["id"]}  # type: ignore[index]
    order_id = await payments.place_order(conn, geography, session, payment,
                                          begun.order_status, now)
    return begun.action, order_id


MAX_PAGE_URL = 2_000


def _web_address(url: str) -> bool:
    """A page the shopper's browser is sent to (a payment form posts there): http(s) only,
    never ``javascript:`` or ``data:``."""
    parts = urlsplit(url)
    return len(url) <= MAX_PAGE_URL and parts.scheme in ("http", "https") and \
        bool(parts.netloc) and url.isprintable()


async def _customer_email(conn: AsyncConnection, customer_id: int) -> str | None:
    return await conn.scalar(sa.select(t.customers.c.email)  # type: ignore[no-any-return]
                             .where(t.customers.c.id == customer_id))


async def payment_instructions(db: Database, geography: Geography, policy: SelectionPolicy,
                               ttl: dt.timedelta, session_id: int, data: dict[str, Any],
                               now: dt.datetime) -> Payment:
    """``paymentInstructions``: store the checkout's addresses and methods, take the
    selection's stock and start its payment (an invoice is ordered at once)."""
    action = None
    order_id = None
    errors: list[UserError] = []
    async with db.write() as conn:
        session = await sessions.lock(conn, session_id)
        try:
            action, order_id = await _pay(conn, geography, session, policy, ttl, data, now)
        except DomainError as refused:
            errors = list(refused.errors)
        latest = await selections.view(conn, geography, session, policy, now)
        errors = await _with_items(conn, geography, session, errors)
    return Payment(latest, session, errors, action, order_id, order_id is not None)


async def payment_result(db: Database, geography: Geography, policy: SelectionPolicy,
                         session_id: int, fields: dict[str, Any], now: dt.datetime) -> Payment:
    """``paymentResult``: the payment's outcome; paid, its order (made once)."""
    async with db.write() as conn:
        session = await sessions.lock(conn, session_id)
        outcome = await payments.result(conn, geography, session, fields, now)
        latest = await selections.view(conn, geography, session, policy, now)
    return Payment(latest, session, list(outcome.errors), None, outcome.order_id, outcome.paid)


async def expire_payments(db: Database, now: dt.datetime) -> int:
    async with db.write() as conn:
        return await holds.expire_due(conn, now)


__all__ = ["Payment", "payment_instructions", "payment_result", "plugins"]
