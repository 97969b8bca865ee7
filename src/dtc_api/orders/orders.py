"""Orders and subscription contracts as recorded for a customer (written by the back-office
and imports; read in `customer`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core import validate as valid
from dtc_api.core.errors import Code, DomainError, UserError, invalid
from dtc_api.core.money import to_major, to_minor
from dtc_api.orders import subscriptions
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t

STATUSES = {"ARCHIVED", "CONFIRMED", "DELETED", "PENDING", "PROCESSING", "SHIPPED"}


@dataclass(frozen=True)
class OrderLine:
    item_id: str
    quantity: int
    unit_price_minor: int
    # The line's value when it is not quantity times unit price (a plan's discount rounded).
    line_value_minor: int | None = None

    @property
    def value_minor(self) -> int:
        return self.quantity * self.unit_price_minor if self.line_value_minor is None \
            else self.line_value_minor


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
    shipping_method: Mapping[str, Any] | None = None,
    comment: str | None = None,
    totals: list[dict[str, Any]] | None = None,
    payment_method: Mapping[str, Any] | None = None,
    discounts: list[dict[str, Any]] | None = None,
    now: dt.datetime,
) -> int:
    if status not in STATUSES:
        raise invalid(f"status must be one of {', '.join(sorted(STATUSES))}", "status",
                      code=Code.INVALID_INPUT)
    items = await _items_of(conn, lines)
    currency_id = await conn.scalar(
        sa.select(t.pricelists.c.currency_id).where(t.pricelists.c.id == pricelist_id))
    if currency_id is None:
        raise invalid(f"pricelist {pricelist_id} not found", "pricelist", code=Code.NOT_FOUND)
    if totals is None:
        subtotal = sum(line.value_minor for line in lines)
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
        shipping_method=dict(shipping_method) if shipping_method else None,
        payment_method=dict(payment_method) if payment_method else None,
        discounts=discounts or None,
    ).returning(t.orders.c.id))).scalar_one()
    await conn.execute(sa.insert(t.order_lines), [
        {"order_id": order_id, "item_id": line.item_id,
         "display_item_id": items[line.item_id].display_item_id,
         "name": items[line.item_id].name, "quantity": line.quantity,
         "unit_price_minor": line.unit_price_minor,
         "line_value_minor": line.value_minor}
        for line in lines
    ])
    return int(order_id)


async def _items_of(conn: AsyncConnection, lines: Sequence[OrderLine]) -> dict[str, Any]:
    """The lines' items (id, display item, name) by id; refuses no lines, an unknown item or
    a quantity below one."""
    if not lines:
        raise invalid("an order needs at least one line", "lines", code=Code.REQUIRED)
    items = {
        row.id: row for row in await conn.execute(
            sa.select(t.items.c.id, t.items.c.display_item_id, t.display_items.c.name)
            .join(t.display_items, t.display_items.c.id == t.items.c.display_item_id)
            .where(t.items.c.id.in_([line.item_id for line in lines])))
    }
    for index, line in enumerate(lines):
        if line.item_id not in items:
            raise invalid(f"item {line.item_id} not found", "lines", str(index), "item",
                          code=Code.NOT_FOUND)
        if line.quantity < 1:
            raise invalid("quantity must be positive", "lines", str(index), "quantity",
                          code=Code.OUT_OF_RANGE)
    return items


async def create_subscription_contract(
    conn: AsyncConnection, *, customer_id: int, pricelist_id: int, market_id: int | None,
    shipping_address: Mapping[str, Any], now: dt.datetime,
    shipping_method: Mapping[str, Any] | None = None, payment_method: str | None = None,
) -> int:
    return int((await conn.execute(sa.insert(t.subscription_contracts).values(
        customer_id=customer_id, pricelist_id=pricelist_id, market_id=market_id,
        shipping_address=dict(shipping_address), created_at=now, updated_at=now,
        shipping_method=dict(shipping_method) if shipping_method else None,
        payment_method=payment_method, payment_status="ACTIVE" if payment_method else None,
    ).returning(t.subscription_contracts.c.id))).scalar_one())


async def record(conn: AsyncConnection, geography: Geography, data: dict[str, Any],
                 now: dt.datetime) -> int:
    """Record an order (an OrderInput of the back-office, or a record of an import); every
    reference is checked and each refusal's path starts with ``input``."""
    errors = await _reference_errors(conn, geography, data)
    order_date = _order_date(data.get("orderDate"), now, errors)
    pricelist = data["pricelist"]
    digits = geography.currency_of(pricelist)["decimalDigits"] if pricelist in \
        geography.pricelists else 2
    lines = []
    for index, line in enumerate(data["lines"]):
        price = _amount(line["unitPrice"], digits, errors, "lines", str(index), "unitPrice",
                        also=f" with at most {digits} decimals")
        lines.append(OrderLine(line["item"], line["quantity"], price))
    shipping = _amount(data.get("shipping", 0), digits, errors, "shipping")
    method = _shipping_method(data.get("shippingMethod"), errors)
    _refuse(errors)
    customer_id = data.get("customerId")
    if data.get("email") is not None:
        customer_id = await guest_customer(conn, valid.email(data["email"], "input", "email"),
                                           data.get("billingAddress") or {}, now)
    try:
        return await create(
            conn, number=data["number"], customer_id=customer_id, order_date=order_date,
            status=data["status"], pricelist_id=pricelist, lines=lines,
            country_code=(data.get("country") or "").upper() or None,
            state_code=data.get("state"), language_code=data.get("language"),
            market_id=data.get("market"), billing_address=data.get("billingAddress"),
            shipping_address=data.get("shippingAddress"), shipping_minor=shipping,
            shipping_method=method, comment=data.get("comment"), now=now)
    except DomainError as refused:
        _refuse(refused.errors)
        raise


def _refuse(errors: Iterable[UserError | None]) -> None:
    """Raise the refusals among ``errors``, with paths below the ``input`` argument."""
    refusals = [replace(e, path=("input", *e.path)) for e in errors if e is not None]
    if refusals:
        raise DomainError(*refusals) from None


async def _reference_errors(conn: AsyncConnection, geography: Geography, data: dict[str, Any]
                            ) -> list[UserError | None]:
    """Why the order's number, pricelist, market, country, language or customer is refused."""
    errors: list[UserError | None] = []
    if await conn.scalar(sa.select(t.orders.c.id).where(t.orders.c.number == data["number"])):
        errors.append(UserError(f"order {data['number']} exists already", ("number",),
                                code=Code.ALREADY_EXISTS))
    errors.append(_pricelist_error(geography, data["pricelist"]))
    errors.append(_market_error(geography, data.get("market")))
    country = (data.get("country") or "").upper() or None
    if country is not None:
        errors.append(valid.country_error(geography, country, "country"))
    if data.get("language") is not None:
        errors.append(valid.language_error(geography, data["language"], "language"))
    customer_id = data.get("customerId")
    if (customer_id is None) == (data.get("email") is None):
        errors.append(UserError("give either customerId or email", ("customerId",),
                                code=Code.INVALID_INPUT))
    elif customer_id is not None:
        errors.append(await _customer_error(conn, customer_id))
    return errors


def _pricelist_error(geography: Geography, pricelist: int) -> UserError | None:
    if pricelist in geography.pricelists:
        return None
    return UserError(f"pricelist {pricelist} not found", ("pricelist",), code=Code.NOT_FOUND)


def _market_error(geography: Geography, market: int | None) -> UserError | None:
    if market is None or market in geography.markets:
        return None
    return UserError(f"market {market} not found", ("market",), code=Code.NOT_FOUND)


async def _customer_error(conn: AsyncConnection, customer_id: int) -> UserError | None:
    if await conn.scalar(sa.select(t.customers.c.id)
                         .where(t.customers.c.id == customer_id)) is not None:
        return None
    return UserError(f"customer {customer_id} not found", ("customerId",), code=Code.NOT_FOUND)


def _order_date(raw: str | None, now: dt.datetime, errors: list[UserError | None]
                ) -> dt.datetime:
    """The order's date (ISO 8601 with a time zone), ``now`` when not given."""
    if not raw:
        return now
    try:
        order_date = dt.datetime.fromisoformat(raw)
    except ValueError:
        order_date = None
    if order_date is None or order_date.tzinfo is None:
        errors.append(UserError("orderDate must be ISO 8601 with a time zone", ("orderDate",),
                                code=Code.INVALID_INPUT))
        return now
    return order_date


MAX_METHOD_NAME = 200
MAX_METHOD_COMMENT = 1_000


def _shipping_method(value: dict[str, Any] | None, errors: list[UserError | None]
                     ) -> dict[str, Any] | None:
    """The shipping method as recorded: ``{id, name, comment}`` (a ShippingMethodInput)."""
    if value is None:
        return None
    path = ("shippingMethod",)
    name, comment = value["name"].strip(), value.get("comment")
    if not 0 < value["id"] < 2**31:
        errors.append(UserError("id must be a positive whole number", (*path, "id"),
                                code=Code.INVALID_INPUT))
    if not name or len(name) > MAX_METHOD_NAME:
        errors.append(UserError(f"name must be 1 to {MAX_METHOD_NAME} characters",
                                (*path, "name"), code=Code.INVALID_INPUT))
    if comment is not None and len(comment) > MAX_METHOD_COMMENT:
        errors.append(UserError(f"comment has at most {MAX_METHOD_COMMENT} characters",
                                (*path, "comment"), code=Code.INVALID_INPUT))
    return {"id": value["id"], "name": name, "comment": comment}


def _amount(value: float, digits: int, errors: list[UserError | None], *path: str,
            also: str = "") -> int:
    """A non-negative amount in minor units of a currency with ``digits`` decimals (0 after
    a refusal)."""
    minor = to_minor(value, digits)
    if minor is not None and minor >= 0:
        return minor
    errors.append(UserError(f"{path[-1]} must be a non-negative amount{also}", path,
                            code=Code.INVALID_AMOUNT))
    return 0


async def guest_customer(conn: AsyncConnection, email: str, address: dict[str, Any],
                         now: dt.datetime) -> int:
    """The non-registered customer of a guest order's (normalised) e-mail, created on first
    use (as in Centra: a later registration with the same e-mail makes a separate,
    registered one)."""
    key = valid.email_key(email)
    found = await conn.scalar(sa.select(t.customers.c.id).where(
        t.customers.c.email_key == key, t.customers.c.registered.is_(False)))
    if found is not None:
        return int(found)
    return int((await conn.execute(sa.insert(t.customers).values(
        email=email, email_key=key, registered=False,
        first_name=address.get("firstName"), last_name=address.get("lastName"),
        created_at=now, updated_at=now).returning(t.customers.c.id))).scalar_one())


async def update_status(conn: AsyncConnection, number: int, status: str) -> None:
    result = await conn.execute(sa.update(t.orders).where(t.orders.c.number == number)
                                .values(status=status))
    if result.rowcount != 1:
        raise invalid(f"order {number} not found", "number", code=Code.NOT_FOUND)


async def summary(conn: AsyncConnection, geography: Geography, number: int
                  ) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(t.orders).where(t.orders.c.number == number))
           ).mappings().first()
    return None if row is None else _summary(geography, row)


MAX_PAGE = 100


async def listing(conn: AsyncConnection, geography: Geography, page: int, limit: int,
                  status: str | None) -> dict[str, Any]:
    """Orders, newest first (of a status, if given)."""
    offset = valid.page(page, limit, MAX_PAGE)
    where = [] if status is None else [t.orders.c.status == status]
    rows = (await conn.execute(sa.select(t.orders).where(*where)
                               .order_by(t.orders.c.order_date.desc(), t.orders.c.id.desc())
                               .limit(limit).offset(offset))).mappings().all()
    total = await conn.scalar(sa.select(sa.func.count()).select_from(t.orders).where(*where))
    return {"orders": [_summary(geography, row) for row in rows], "total": total,
            "page": page, "limit": limit}


def _summary(geography: Geography, row: Any) -> dict[str, Any]:
    currency = geography.currencies[row["currency_id"]]
    total = next(r["minor"] for r in row["totals"] if r["type"] == "GRAND_TOTAL")
    return {"number": row["number"], "customerId": row["customer_id"], "status": row["status"],
            "orderDate": row["order_date"].isoformat(), "currency": currency["code"],
            "grandTotal": to_major(total, currency["decimalDigits"]),
            "shippingMethod": row["shipping_method"],
            "paymentMethod": (row["payment_method"] or {}).get("name"),
            "vouchers": [v["code"] or v["name"] for v in row["discounts"] or ()]}


def _contract_errors(geography: Geography, data: dict[str, Any]) -> list[UserError | None]:
    """Why a contract's pricelist, market or shipping country is refused."""
    country = (data.get("shippingAddress") or {}).get("country")
    return [
        _pricelist_error(geography, data["pricelist"]) if "pricelist" in data else None,
        _market_error(geography, data.get("market")),
        valid.country_error(geography, country.upper(), "shippingAddress", "country")
        if country is not None else None,
    ]


async def record_contract(conn: AsyncConnection, geography: Geography, data: dict[str, Any],
                          now: dt.datetime) -> int:
    """Record a subscription contract (a SubscriptionContractInput) with its
    subscriptions."""
    errors = [await _customer_error(conn, data["customerId"]),
              *_contract_errors(geography, data)]
    pricelist = data["pricelist"]
    digits = geography.currency_of(pricelist)["decimalDigits"] if pricelist in \
        geography.pricelists else 2
    shipping = _amount(data.get("shipping", 0), digits, errors, "shipping")
    method = _shipping_method(data.get("shippingMethod"), errors)
    payment = (data.get("paymentMethod") or "").strip() or None
    if payment is not None and len(payment) > MAX_PAYMENT_METHOD:
        errors.append(UserError(f"paymentMethod has at most {MAX_PAYMENT_METHOD} characters",
                                ("paymentMethod",), code=Code.INVALID_INPUT))
    _refuse(errors)
    contract_id = await create_subscription_contract(
        conn, customer_id=data["customerId"], pricelist_id=pricelist,
        market_id=data.get("market"), shipping_address=data["shippingAddress"], now=now,
        shipping_method=None if method is None else {**method, "priceMinor": shipping},
        payment_method=payment)
    try:
        await subscriptions.record(conn, contract_id, data.get("subscriptions") or [], now)
    except DomainError as refused:
        _refuse(refused.errors)
    return contract_id


MAX_PAYMENT_METHOD = 100


async def update_contract(conn: AsyncConnection, geography: Geography, contract_id: int,
                          data: dict[str, Any], now: dt.datetime) -> None:
    """Change a contract's pricelist, market or shipping address (those given in ``data``)."""
    _refuse(_contract_errors(geography, data))
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
        raise invalid(f"subscription contract {contract_id} not found", "id",
                      code=Code.NOT_FOUND)


async def contract_summary(conn: AsyncConnection, contract_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(t.subscription_contracts).where(
        t.subscription_contracts.c.id == contract_id))).mappings().first()
    if row is None:
        return None
    return {"id": row["id"], "customerId": row["customer_id"], "pricelist": row["pricelist_id"],
            "market": row["market_id"], "createdAt": row["created_at"].isoformat(),
            "updatedAt": row["updated_at"].isoformat()}
