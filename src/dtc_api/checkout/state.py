"""The checkout of a selection: its addresses, shipping and payment methods, vouchers and
totals, and the changes a shopper makes to them."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.accounts.profile import ADDRESS_FIELDS
from dtc_api.accounts.view import address_view
from dtc_api.checkout import holds
from dtc_api.checkout import totals as money
from dtc_api.core import validate
from dtc_api.core.errors import Code, DomainError, UserError, invalid
from dtc_api.core.money import monetary_value
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t
from dtc_api.store.reads import Query, Reads, within

# What a selection needs before it can be paid for, besides the country.
REQUIRED_TO_PAY = ("email", "firstName", "lastName", "address1", "city", "zipCode")
TEXT_FIELDS = tuple(name for name in ADDRESS_FIELDS if name not in ("country", "state"))

_VOUCHERS = Query(
    """SELECT v.id, v.code, v.name, v.kind, v.percent, v.amounts, v.minimum, v.starts_at,
    v.ends_at, v.max_uses, v.max_uses_per_customer, v.uses, v.active
    FROM vouchers v LEFT JOIN selection_vouchers s ON s.voucher_id = v.id AND s.selection_id = $1
    WHERE v.active AND (s.selection_id IS NOT NULL OR v.code IS NULL) ORDER BY v.id""",
    amounts="json", minimum="json", starts_at="datetime", ends_at="datetime", active="bool")
_SHIPPING = Query(
    """SELECT m.id, m.name, m.comment, p.price_minor, p.free_from_minor
    FROM shipping_methods m
    JOIN shipping_method_countries c ON c.shipping_method_id = m.id AND c.country_code = $1
    JOIN shipping_method_prices p ON p.shipping_method_id = m.id AND p.pricelist_id = $2
    WHERE m.active ORDER BY m.position, m.id""")
_PAYMENT = Query(
    """SELECT id, name, uri, plugin, kind, markets, settings FROM payment_methods
    WHERE client_id = $1 AND active ORDER BY position, id""", markets="json", settings="json")


async def shipping_options(reads: Reads, country: str, pricelist_id: int) -> list[Any]:
    return await reads.all(_SHIPPING, country, pricelist_id)


async def payment_options(reads: Reads, client_id: int, market_id: int) -> list[Any]:
    return [row for row in await reads.all(_PAYMENT, client_id)
            if row["markets"] is None or market_id in row["markets"]]


def shipping_view(row: Mapping[str, Any], price_minor: int, currency: dict[str, Any],
                  selected: bool) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "comment": row["comment"],
            "price": monetary_value(price_minor, currency), "selected": selected}


def payment_view(row: Mapping[str, Any], currency: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "uri": row["uri"], "kind": row["kind"],
            "active": True, "addressAfterPayment": False, "initiateOnlySupported": False,
            "recurringSupported": False, "handlingCost": monetary_value(0, currency)}


class Options:
    """The shipping and payment methods a checkout offers: read once, only when asked."""

    def __init__(self, session: Mapping[str, Any], currency: dict[str, Any],
                 shipping: list[Any] | None, chosen: Mapping[str, Any] | None,
                 shipping_id: int | None, left_minor: int) -> None:
        self.session = session
        self.currency = currency
        self.chosen = chosen or {}
        self.shipping_id = shipping_id  # the method the totals count
        self.left_minor = left_minor  # items less discounts: free shipping thresholds
        self._shipping: asyncio.Future[list[Any]] | None = None
        if shipping is not None:
            self._shipping = asyncio.get_running_loop().create_future()
            self._shipping.set_result(shipping)
        self._payment: asyncio.Future[list[Any]] | None = None

    async def shipping(self, run: Callable[..., Awaitable[Any]]) -> list[dict[str, Any]]:
        if self._shipping is None:
            self._shipping = asyncio.ensure_future(run(
                shipping_options, self.session["country_code"], self.session["pricelist_id"]))
        rows = await asyncio.shield(self._shipping)
        return [shipping_view(row, _price(row, self.left_minor), self.currency,
                              row["id"] == self.shipping_id)
                for row in rows]

    async def payment(self, run: Callable[..., Awaitable[Any]]) -> list[dict[str, Any]]:
        if self._payment is None:
            self._payment = asyncio.ensure_future(run(
                payment_options, self.session["client_id"], self.session["market_id"]))
        return [payment_view(row, self.currency) for row in await asyncio.shield(self._payment)]


def _price(row: Mapping[str, Any], left_minor: int) -> int:
    free_from = row["free_from_minor"]
    return 0 if free_from is not None and left_minor >= free_from else row["price_minor"]


def default_address(session: Mapping[str, Any]) -> dict[str, Any]:
    return {"country": session["country_code"], "state": session["state_code"]}


@dataclass
class Checkout:
    """What ``selections.view`` adds to a selection."""

    totals: money.Totals
    view: dict[str, Any]  # a GraphQL CheckoutSelection
    discounts: list[dict[str, Any]]  # GraphQL Vouchers


async def build(reads: Reads, geography: Geography, session: Mapping[str, Any],
                selection: Mapping[str, Any] | None, line_ids: list[str], items_minor: int,
                now: dt.datetime) -> Checkout:
    """The checkout of a selection (``selection``: its row; None: no selection yet): two
    statements when it has lines (vouchers; shipping methods once one is chosen)."""
    currency = geography.currency_of(session["pricelist_id"])
    chosen = selection or {}
    vouchers = await reads.all(_VOUCHERS, chosen["id"]) if selection and line_ids else []
    shipping_rows = None
    method = None
    if line_ids:
        # The method chosen, or until one is (or when it no longer ships here) the first
        # offered: the cart's total includes shipping from the start.
        shipping_rows = await shipping_options(reads, session["country_code"],
                                               session["pricelist_id"])
        method = next((r for r in shipping_rows if r["id"] == chosen.get("shipping_method_id")),
                      shipping_rows[0] if shipping_rows else None)
    tax = geography.countries[session["country_code"]].get("tax_percent") \
        if session["country_code"] in geography.countries else None
    found = money.compute(items_minor, vouchers, method, session["pricelist_id"], tax, now)
    shipping_address = chosen.get("shipping_address") or default_address(session)
    billing = chosen.get("billing_address")
    options = Options(session, currency, shipping_rows, chosen, method and method["id"],
                      items_minor - found.discount_minor)
    view = {
        "addressFields": _address_fields(),
        "checkoutScript": None,
        "deliveryGroups": [],
        "hasSeparateBillingAddress": billing is not None,
        "separateBillingAddress": address_view(geography, billing) if billing else None,
        "shippingAddress": address_view(geography, shipping_address),
        "shippingMethod": shipping_view(method, found.shipping_minor, currency, True)
        if method else None,
        "totals": money.row_views(found.rows(), currency),
        "widgets": [],
        "options": options,
    }
    discounts = [voucher_view(a, line_ids, currency) for a in found.applied]
    return Checkout(found, view, discounts)


def voucher_view(applied: money.Applied, line_ids: list[str], currency: dict[str, Any]
                 ) -> dict[str, Any]:
    voucher = applied.voucher
    shipping = voucher["kind"] == "FREE_SHIPPING"
    reduction = applied.items_minor + applied.shipping_minor
    return {
        "__typename": "AutoVoucher" if voucher["code"] is None else "CodeVoucher",
        "id": voucher["id"], "code": voucher["code"], "name": voucher["name"],
        "method": "AUTO" if voucher["code"] is None else "CODE", "type": "DISCOUNT",
        "actions": [{"__typename": "FreeShippingAction", "type": "FREE_SHIPPING",
                     "shippingMethods": []}] if shipping else [],
        "appliedOn": ["SHIPPING"] if shipping else ["LINES"],
        "attributes": [], "giftCard": None, "isExternal": False,
        "expiryDate": voucher["ends_at"].isoformat() if voucher["ends_at"] else "",
        "lineIds": [] if shipping else line_ids,
        "orderReduction": monetary_value(reduction, currency),
        "totalItemReduction": monetary_value(applied.items_minor, currency),
        "totalShippingReduction": monetary_value(applied.shipping_minor, currency),
        "value": monetary_value(-reduction, currency),
    }


def _address_fields() -> dict[str, Any]:
    fields = [{"key": name, "required": name in (*REQUIRED_TO_PAY, "country"), "visible": True}
              for name in ("firstName", "lastName", "email", "address1", "address2", "city",
                           "zipCode", "country", "state", "phoneNumber", "companyName",
                           "vatNumber")]
    return {"shippingAddress": fields, "separateBillingAddress": fields}


# -- changes --------------------------------------------------------------------------------

def checked_address(geography: Geography, data: Mapping[str, Any], *path: str
                    ) -> dict[str, Any]:
    """An address as stored on a selection: trimmed texts within their lengths, a country
    shipped to, its state (required where the country has states), a valid e-mail."""
    errors: list[UserError] = []
    address: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = data.get(name)
        value = value.strip() if isinstance(value, str) else None
        if not value:
            continue
        limit = ADDRESS_FIELDS[name][1]
        if len(value) > limit:
            errors.append(UserError(f"{name} must be at most {limit} characters",
                                    (*path, name), code=Code.INVALID_INPUT))
            continue
        if name == "email":
            try:
                value = validate.email(value, *path, name)
            except DomainError as refused:
                errors += refused.errors
                continue
        address[name] = value
    country = (data.get("country") or "").strip().upper()
    refused = validate.country_error(geography, country, *path, "country", ship_to=True)
    if refused is None:
        state = (data.get("state") or data.get("stateOrProvince") or "").strip() or None
        if geography.states.get(country):
            refused = validate.state_error(geography, country, state, *path, "state")
            address["state"] = state
        elif data.get("state"):
            refused = UserError(f"state {data['state']} not found in {country}",
                                (*path, "state"), code=Code.UNKNOWN_STATE)
    if refused is not None:
        errors.append(refused)
    if errors:
        raise DomainError(*errors)
    address["country"] = country
    return address


def missing(address: Mapping[str, Any] | None, *path: str) -> list[UserError]:
    """Why an address cannot be shipped or billed to yet."""
    address = address or {}
    return [UserError(f"{name} is required", (*path, name), code=Code.REQUIRED)
            for name in REQUIRED_TO_PAY if not address.get(name)]


async def set_addresses(conn: AsyncConnection, selection_id: int,
                        shipping: dict[str, Any], billing: dict[str, Any] | None,
                        now: dt.datetime) -> None:
    await holds.cancel_open(conn, selection_id, now)
    await conn.execute(sa.update(t.selections).where(t.selections.c.id == selection_id)
                       .values(shipping_address=shipping, billing_address=billing))


async def set_shipping_method(conn: AsyncConnection, session: Mapping[str, Any],
                              selection_id: int, method_id: int, now: dt.datetime,
                              *path: str) -> None:
    offered = await shipping_options(await within(conn), session["country_code"],
                                     session["pricelist_id"])
    if method_id not in {row["id"] for row in offered}:
        raise invalid(f"shipping method {method_id} is not offered in "
                      f"{session['country_code']}", *(path or ("id",)), code=Code.NOT_FOUND)
    await holds.cancel_open(conn, selection_id, now)
    await conn.execute(sa.update(t.selections).where(t.selections.c.id == selection_id)
                       .values(shipping_method_id=method_id))


async def set_payment_method(conn: AsyncConnection, session: Mapping[str, Any],
                             selection_id: int, method_id: int, now: dt.datetime) -> None:
    offered = await payment_options(await within(conn), session["client_id"],
                                    session["market_id"])
    if not any(r["id"] == method_id for r in offered):
        raise invalid(f"payment method {method_id} not found", "id", code=Code.NOT_FOUND)
    await choose_payment_method(conn, selection_id, method_id, now)


async def choose_payment_method(conn: AsyncConnection, selection_id: int, method_id: int,
                                now: dt.datetime) -> None:
    """Record a payment method already checked to be offered."""
    await holds.cancel_open(conn, selection_id, now)
    await conn.execute(sa.update(t.selections).where(t.selections.c.id == selection_id)
                       .values(payment_method_id=method_id))


_BY_CODE = Query(
    """SELECT id, code, name, kind, percent, amounts, minimum, starts_at, ends_at, max_uses,
    max_uses_per_customer, uses, active FROM vouchers WHERE code = $1""",
    amounts="json", minimum="json", starts_at="datetime", ends_at="datetime", active="bool")
_USES_BY = Query("SELECT count(*) FROM voucher_uses WHERE voucher_id = $1 AND customer_id = $2")


def _code(code: str) -> str:
    return code.strip().upper()[:200]


async def used_up(reads: Reads, voucher: Mapping[str, Any], customer_id: int | None
                  ) -> str | None:
    """Why the voucher's limits on uses refuse it (None: they do not)."""
    if voucher["max_uses"] is not None and voucher["uses"] >= voucher["max_uses"]:
        return "has been used up"
    limit = voucher["max_uses_per_customer"]
    if limit is not None and customer_id is not None and \
            await reads.scalar(_USES_BY, voucher["id"], customer_id) >= limit:
        return "has been used as many times as it may be by one customer"
    return None


async def add_voucher(conn: AsyncConnection, session: Mapping[str, Any], selection_id: int,
                      code: str, items_minor: int, now: dt.datetime) -> None:
    reads = await within(conn)
    voucher = await reads.one(_BY_CODE, _code(code))
    if voucher is None or not voucher["active"]:
        raise invalid(f"voucher {code.strip()[:100]} not found", "code", code=Code.NOT_FOUND)
    why = money.usable(voucher, now, session["pricelist_id"], items_minor) or \
        await used_up(reads, voucher, session["customer_id"])
    if why is not None:
        raise invalid(f"voucher {voucher['code']} {why}", "code", code=Code.UNAVAILABLE)
    exists = await conn.scalar(sa.select(t.selection_vouchers.c.voucher_id).where(
        t.selection_vouchers.c.selection_id == selection_id,
        t.selection_vouchers.c.voucher_id == voucher["id"]))
    if exists is None:
        await holds.cancel_open(conn, selection_id, now)
        await conn.execute(sa.insert(t.selection_vouchers).values(
            selection_id=selection_id, voucher_id=voucher["id"], created_at=now))


async def remove_voucher(conn: AsyncConnection, selection_id: int | None, code: str,
                         now: dt.datetime) -> None:
    removed = 0
    if selection_id is not None:
        await holds.cancel_open(conn, selection_id, now)
        voucher_id = sa.select(t.vouchers.c.id).where(t.vouchers.c.code == _code(code))
        removed = (await conn.execute(sa.delete(t.selection_vouchers).where(
            t.selection_vouchers.c.selection_id == selection_id,
            t.selection_vouchers.c.voucher_id.in_(voucher_id)))).rowcount
    if not removed:
        raise invalid(f"voucher {code.strip()[:100]} is not applied", "code",
                      code=Code.NOT_FOUND)
