"""Orders as recorded for a customer (written by the back-office; read in `customer`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.accounts import profile
from dtc_api.core.errors import DomainError, UserError, invalid
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t

STATUSES = {"ARCHIVED", "CONFIRMED", "DELETED", "PENDING", "PROCESSING", "SHIPPED"}


@dataclass(frozen=True)
class OrderLine:
    item_id: str
    quantity: int
    unit_price_minor: int


async def create(
    conn: AsyncConnection,
    *,
    number: int,
    customer_id: int | None,
    order_date: dt.datetime,
    status: str,
    pricelist_id: int,
    lines: Sequence[OrderLine],
    country_code: str | None = None,
    state_code: str | None = None,
    language_code: str | None = None,
    market_id: int | None = None,
    billing_address: Mapping[str, Any] | None = None,
    shipping_address: Mapping[str, Any] | None = None,
    shipping_minor: int = 0,
    comment: str | None = None,
    now: dt.datetime,
) -> int:
    if status not in STATUSES:
        raise invalid(f"status must be one of {', '.join(sorted(STATUSES))}", "status")
    if not lines:
        raise invalid("an order needs at least one line", "lines")
    items = {
        row.id: row for row in await conn.execute(
            sa.select(t.items.c.id, t.items.c.display_item_id, t.display_items.c.name)
            .join(t.display_items, t.display_items.c.id == t.items.c.display_item_id)
            .where(t.items.c.id.in_([line.item_id for line in lines])))
    }
    for index, line in enumerate(lines):
        if line.item_id not in items:
            raise invalid(f"item {line.item_id} not found", "lines", str(index), "item")
        if line.quantity < 1:
            raise invalid("quantity must be positive", "lines", str(index), "quantity")
    currency_id = await conn.scalar(
        sa.select(t.pricelists.c.currency_id).where(t.pricelists.c.id == pricelist_id))
    if currency_id is None:
        raise invalid(f"pricelist {pricelist_id} not found", "pricelist")
    subtotal = sum(line.quantity * line.unit_price_minor for line in lines)
    totals = [{"type": "ITEMS_SUBTOTAL", "minor": subtotal},
              {"type": "SHIPPING", "minor": shipping_minor},
              {"type": "GRAND_TOTAL", "minor": subtotal + shipping_minor}]
    order_id = (await conn.execute(sa.insert(t.orders).values(
        number=number, customer_id=customer_id, order_date=order_date, status=status,
        country_code=country_code, state_code=state_code, language_code=language_code,
        market_id=market_id, pricelist_id=pricelist_id, currency_id=currency_id,
        billing_address=dict(billing_address) if billing_address else None,
        shipping_address=dict(shipping_address) if shipping_address else None,
        totals=totals, comment=comment, created_at=now,
    ).returning(t.orders.c.id))).scalar_one()
    await conn.execute(sa.insert(t.order_lines), [
        {"order_id": order_id, "item_id": line.item_id,
         "display_item_id": items[line.item_id].display_item_id,
         "name": items[line.item_id].name, "quantity": line.quantity,
         "unit_price_minor": line.unit_price_minor,
         "line_value_minor": line.quantity * line.unit_price_minor}
        for line in lines
    ])
    return int(order_id)


async def create_subscription_contract(
    conn: AsyncConnection, *, customer_id: int, pricelist_id: int, market_id: int | None,
    shipping_address: Mapping[str, Any], now: dt.datetime,
) -> int:
    return int((await conn.execute(sa.insert(t.subscription_contracts).values(
        customer_id=customer_id, pricelist_id=pricelist_id, market_id=market_id,
        shipping_address=dict(shipping_address), created_at=now, updated_at=now,
    ).returning(t.subscription_contracts.c.id))).scalar_one())


def _minor(value: float, digits: int) -> int | None:
    """A price in minor units, or None when it has more decimals than the currency."""
    exact = Decimal(str(value)) * 10**digits
    return int(exact) if exact == exact.to_integral_value() else None


async def record(conn: AsyncConnection, geography: Geography, data: dict[str, Any],
                 now: dt.datetime) -> int:
    """Record an order from the back-office; all references are checked, errors have paths."""
    errors: list[UserError] = []

    def error(message: str, *path: str) -> None:
        errors.append(UserError(message, ("input", *path)))

    if await conn.scalar(sa.select(t.orders.c.id).where(t.orders.c.number == data["number"])):
        error(f"order {data['number']} exists already", "number")
    pricelist = data["pricelist"]
    if pricelist not in geography.pricelists:
        error(f"pricelist {pricelist} not found", "pricelist")
    market = data.get("market")
    if market is not None and market not in geography.markets:
        error(f"market {market} not found", "market")
    country = (data.get("country") or "").upper() or None
    if country is not None and country not in geography.countries:
        error(f"country {country} not found", "country")
    language = data.get("language")
    if language is not None and geography.language(language) is None:
        error(f"language {language} not found", "language")
    customer_id = data.get("customerId")
    email = data.get("email")
    if (customer_id is None) == (email is None):
        error("give either customerId or email", "customerId")
    elif customer_id is not None and await conn.scalar(
            sa.select(t.customers.c.id).where(t.customers.c.id == customer_id)) is None:
        error(f"customer {customer_id} not found", "customerId")
    order_date = now
    if data.get("orderDate"):
        try:
            order_date = dt.datetime.fromisoformat(data["orderDate"])
            if order_date.tzinfo is None:
                raise ValueError("no time zone")
        except ValueError:
            error("orderDate must be ISO 8601 with a time zone", "orderDate")
    digits = geography.currency_of(pricelist)["decimalDigits"] if pricelist in \
        geography.pricelists else 2
    lines = []
    for index, line in enumerate(data["lines"]):
        price = _minor(line["unitPrice"], digits)
        if price is None or price < 0:
            error(f"unitPrice must be a non-negative amount with at most {digits} decimals",
                  "lines", str(index), "unitPrice")
        lines.append(OrderLine(line["item"], line["quantity"], price or 0))
    shipping = _minor(data.get("shipping", 0), digits)
    if shipping is None or shipping < 0:
        error("shipping must be a non-negative amount", "shipping")
    if errors:
        raise DomainError(*errors)
    if email is not None:
        try:
            customer_id = await guest_customer(conn, email, data.get("billingAddress") or {},
                                               now)
        except ValueError as invalid_email:
            raise DomainError(UserError(f"invalid e-mail address: {invalid_email}",
                                        ("input", "email"))) from None
    try:
        return await create(
            conn, number=data["number"], customer_id=customer_id, order_date=order_date,
            status=data["status"], pricelist_id=pricelist, lines=lines, country_code=country,
            state_code=data.get("state"), language_code=language, market_id=market,
            billing_address=data.get("billingAddress"),
            shipping_address=data.get("shippingAddress"), shipping_minor=shipping or 0,
            comment=data.get("comment"), now=now)
    except DomainError as refused:
        raise DomainError(*(UserError(e.message, ("input", *e.path)) for e in refused.errors)
                          ) from None


async def guest_customer(conn: AsyncConnection, email: str, address: dict[str, Any],
                         now: dt.datetime) -> int:
    """The non-registered customer of a guest order's e-mail, created on first use (as in
    Centra: a later registration with the same e-mail makes a separate, registered one)."""
    normalised = profile.normalise_email(email.strip())
    key = profile.email_key(normalised)
    found = await conn.scalar(sa.select(t.customers.c.id).where(
        t.customers.c.email_key == key, t.customers.c.registered.is_(False)))
    if found is not None:
        return int(found)
    return int((await conn.execute(sa.insert(t.customers).values(
        email=normalised, email_key=key, registered=False,
        first_name=address.get("firstName"), last_name=address.get("lastName"),
        created_at=now, updated_at=now).returning(t.customers.c.id))).scalar_one())


async def update_status(conn: AsyncConnection, number: int, status: str) -> None:
    result = await conn.execute(sa.update(t.orders).where(t.orders.c.number == number)
                                .values(status=status))
    if result.rowcount != 1:
        raise invalid(f"order {number} not found", "number")


async def summary(conn: AsyncConnection, geography: Geography, number: int
                  ) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(t.orders).where(t.orders.c.number == number))
           ).mappings().first()
    if row is None:
        return None
    currency = geography.currencies[row["currency_id"]]
    total = next(r["minor"] for r in row["totals"] if r["type"] == "GRAND_TOTAL")
    return {"number": row["number"], "customerId": row["customer_id"], "status": row["status"],
            "orderDate": row["order_date"].isoformat(), "currency": currency["code"],
            "grandTotal": total / 10 ** currency["decimalDigits"]}


async def _check_contract(conn: AsyncConnection, geography: Geography, data: dict[str, Any],
                          errors: list[UserError]) -> None:
    if "pricelist" in data and data["pricelist"] not in geography.pricelists:
        errors.append(UserError(f"pricelist {data['pricelist']} not found",
                                ("input", "pricelist")))
    if data.get("market") is not None and data["market"] not in geography.markets:
        errors.append(UserError(f"market {data['market']} not found", ("input", "market")))
    country = (data.get("shippingAddress") or {}).get("country")
    if country is not None and country.upper() not in geography.countries:
        errors.append(UserError(f"country {country} not found",
                                ("input", "shippingAddress", "country")))


async def record_contract(conn: AsyncConnection, geography: Geography, data: dict[str, Any],
                          now: dt.datetime) -> int:
    errors: list[UserError] = []
    if await conn.scalar(sa.select(t.customers.c.id).where(
            t.customers.c.id == data["customerId"])) is None:
        errors.append(UserError(f"customer {data['customerId']} not found",
                                ("input", "customerId")))
    await _check_contract(conn, geography, data, errors)
    if errors:
        raise DomainError(*errors)
    return await create_subscription_contract(
        conn, customer_id=data["customerId"], pricelist_id=data["pricelist"],
        market_id=data.get("market"), shipping_address=data["shippingAddress"], now=now)


async def update_contract(conn: AsyncConnection, geography: Geography, contract_id: int,
                          data: dict[str, Any], now: dt.datetime) -> None:
    errors: list[UserError] = []
    await _check_contract(conn, geography, data, errors)
    if errors:
        raise DomainError(*errors)
    columns = {"updated_at": now}
    if data.get("pricelist") is not None:
        columns["pricelist_id"] = data["pricelist"]
    if "market" in data:
        columns["market_id"] = data["market"]
    if data.get("shippingAddress") is not None:
        columns["shipping_address"] = dict(data["shippingAddress"])
    result = await conn.execute(sa.update(t.subscription_contracts)
                                .where(t.subscription_contracts.c.id == contract_id)
                                .values(**columns))
    if result.rowcount != 1:
        raise invalid(f"subscription contract {contract_id} not found", "id")


async def contract_summary(conn: AsyncConnection, contract_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(t.subscription_contracts).where(
        t.subscription_contracts.c.id == contract_id))).mappings().first()
    if row is None:
        return None
    return {"id": row["id"], "customerId": row["customer_id"], "pricelist": row["pricelist_id"],
            "market": row["market_id"], "createdAt": row["created_at"].isoformat(),
            "updatedAt": row["updated_at"].isoformat()}
