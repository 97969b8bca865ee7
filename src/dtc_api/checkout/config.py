"""Checkout settings from the back-office (sections of ``upsertCatalogue`` and of an import):
shipping methods, payment methods per API client, vouchers. Records are matched by id and
written as given; any error names its record, and nothing is written."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.checkout import plugins
from dtc_api.core.errors import Code
from dtc_api.core.money import to_minor
from dtc_api.store import tables as t
from dtc_api.store.upsert import upsert

MAX_CODE = 100
MAX_PERCENT = 100.0


class Errors(Protocol):
    def add(self, code: str, message: str, *path: str | int) -> None: ...

    def check(self) -> None: ...


async def _keys(conn: AsyncConnection, table: sa.Table, key: str) -> dict[str, int]:
    return dict((await conn.execute(sa.select(table.c[key], table.c.id))).all())


async def _digits(conn: AsyncConnection) -> dict[str, tuple[int, int]]:
    """Each pricelist key's id and its currency's decimals."""
    rows = await conn.execute(
        sa.select(t.pricelists.c.key, t.pricelists.c.id, t.currencies.c.decimal_digits)
        .join(t.currencies, t.currencies.c.id == t.pricelists.c.currency_id))
    return {row.key: (row.id, row.decimal_digits) for row in rows}


def _amounts(records: list[dict[str, Any]] | None, pricelists: dict[str, tuple[int, int]],
             errors: Errors, *path: str | int, field: str = "price"
             ) -> dict[int, dict[str, Any]]:
    """Amounts per pricelist (``[{pricelist, price, …}]``) in minor units, by pricelist id."""
    found: dict[int, dict[str, Any]] = {}
    for index, record in enumerate(records or []):
        key = record["pricelist"]
        if key not in pricelists:
            errors.add(Code.NOT_FOUND, f"pricelist {key} not found", *path, index, "pricelist")
            continue
        pricelist_id, digits = pricelists[key]
        amounts: dict[str, Any] = {}
        for name in (field, "freeFrom"):
            if record.get(name) is None:
                continue
            minor = to_minor(record[name], digits)
            if minor is None or minor < 0:
                errors.add(Code.INVALID_AMOUNT, f"{name} must be a non-negative amount with at "
                           f"most {digits} decimals", *path, index, name)
            amounts[name] = minor
        found[pricelist_id] = amounts
    return found


async def shipping_methods(conn: AsyncConnection, records: list[dict[str, Any]],
                           errors: Errors, counts: dict[str, int]) -> None:
    """Shipping methods: the countries each ships to and its price per pricelist (free from
    an order value, if given); both lists replace the stored ones."""
    countries = {code for (code,) in await conn.execute(sa.select(t.countries.c.code))}
    pricelists = await _digits(conn)
    prices: list[dict[str, Any]] = []
    places: list[dict[str, Any]] = []
    for index, method in enumerate(records):
        if not method["name"].strip():
            errors.add(Code.REQUIRED, "name must not be empty", "shippingMethods", index, "name")
        for position, code in enumerate(method["countries"]):
            if code.upper() not in countries:
                errors.add(Code.UNKNOWN_COUNTRY, f"country {code} not found", "shippingMethods",
                           index, "countries", position)
            places.append({"shipping_method_id": method["id"], "country_code": code.upper()})
        for pricelist_id, amounts in _amounts(method["prices"], pricelists, errors,
                                              "shippingMethods", index, "prices").items():
            prices.append({"shipping_method_id": method["id"], "pricelist_id": pricelist_id,
                           "price_minor": amounts.get("price", 0),
                           "free_from_minor": amounts.get("freeFrom")})
    errors.check()
    await upsert(conn, t.shipping_methods, [
        {"id": m["id"], "name": m["name"].strip(), "comment": m.get("comment"),
         "position": m.get("position") or 0, "active": m.get("active", True) is not False}
        for m in records], ["id"])
    ids = [m["id"] for m in records]
    for table, rows in ((t.shipping_method_countries, places), (t.shipping_method_prices, prices)):
        if ids:
            await conn.execute(sa.delete(table).where(table.c.shipping_method_id.in_(ids)))
        if rows:
            await conn.execute(sa.insert(table), _unique(rows))
    counts["shippingMethods"] = len(records)


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({tuple(row.values()): row for row in rows}.values())


async def payment_methods(conn: AsyncConnection, records: list[dict[str, Any]],
                          errors: Errors, counts: dict[str, int]) -> None:
    """Payment methods, each of one API client (by name), run by a payment plugin and shown
    to storefronts as a ``kind`` they know."""
    clients = await _keys(conn, t.api_clients, "name")
    markets = await _keys(conn, t.markets, "key")
    owners = {row.id: row.client_id for row in await conn.execute(
        sa.select(t.payment_methods.c.id, t.payment_methods.c.client_id))}
    rows = []
    for index, method in enumerate(records):
        client = clients.get(method["client"])
        if client is None:
            errors.add(Code.NOT_FOUND, f"API client {method['client']} not found",
                       "paymentMethods", index, "client")
        elif owners.get(method["id"], client) != client:
            errors.add(Code.ALREADY_EXISTS, f"payment method {method['id']} belongs to another "
                       "API client", "paymentMethods", index, "id")
        if method["plugin"] not in plugins.BUILT_IN:
            errors.add(Code.NOT_FOUND, f"payment plugin {method['plugin']} not found: use one "
                       f"of {', '.join(sorted(plugins.BUILT_IN))}", "paymentMethods", index,
                       "plugin")
        if method["kind"] not in plugins.KINDS:
            errors.add(Code.INVALID_INPUT, f"kind must be one of {', '.join(plugins.KINDS)}",
                       "paymentMethods", index, "kind")
        for field in ("name", "uri"):
            if not method[field].strip():
                errors.add(Code.REQUIRED, f"{field} must not be empty", "paymentMethods",
                           index, field)
        for position, key in enumerate(method.get("markets") or ()):
            if key not in markets:
                errors.add(Code.NOT_FOUND, f"market {key} not found", "paymentMethods", index,
                           "markets", position)
        rows.append({"id": method["id"], "client_id": client, "name": method["name"].strip(),
                     "uri": method["uri"].strip(), "plugin": method["plugin"],
                     "kind": method["kind"], "position": method.get("position") or 0,
                     "active": method.get("active", True) is not False,
                     "markets": None if method.get("markets") is None else
                     [markets.get(key) for key in method["markets"]]})
    errors.check()
    await upsert(conn, t.payment_methods, rows, ["id"])
    counts["paymentMethods"] = len(records)


VOUCHER_KINDS = ("PERCENT", "AMOUNT", "FREE_SHIPPING")


def _instant(value: str | None, errors: Errors, *path: str | int) -> dt.datetime | None:
    if value is None:
        return None
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        errors.add(Code.INVALID_INPUT, "must be ISO 8601 with a time zone", *path)
        return None
    return instant


async def vouchers(conn: AsyncConnection, records: list[dict[str, Any]], errors: Errors,
                   counts: dict[str, int]) -> None:
    """Vouchers: with a code the shopper types, or automatic (no code); a percentage off the
    items, an amount off per pricelist, or free shipping; a validity window, a minimum order
    value per pricelist, and limits on uses in all and per customer."""
    pricelists = await _digits(conn)
    taken = {code: id_ for code, id_ in (await conn.execute(
        sa.select(t.vouchers.c.code, t.vouchers.c.id).where(t.vouchers.c.code.isnot(None)))
    ).all()}
    rows = []
    for index, voucher in enumerate(records):
        path = ("vouchers", index)
        code = (voucher.get("code") or "").strip().upper() or None
        if code is not None and (len(code) > MAX_CODE or not code.isprintable()):
            errors.add(Code.INVALID_INPUT, f"code has at most {MAX_CODE} printable characters",
                       *path, "code")
        elif code is not None and taken.setdefault(code, voucher["id"]) != voucher["id"]:
            errors.add(Code.ALREADY_EXISTS, f"code {code} belongs to voucher {taken[code]}",
                       *path, "code")
        kind = voucher["kind"]
        if kind not in VOUCHER_KINDS:
            errors.add(Code.INVALID_INPUT, f"kind must be one of {', '.join(VOUCHER_KINDS)}",
                       *path, "kind")
        percent = voucher.get("percent")
        if kind == "PERCENT" and (percent is None or not 0 < percent <= MAX_PERCENT):
            errors.add(Code.OUT_OF_RANGE, "percent must be above 0 and at most 100", *path,
                       "percent")
        amounts = _amounts(voucher.get("amounts"), pricelists, errors, *path, "amounts",
                           field="amount")
        if kind == "AMOUNT" and not amounts:
            errors.add(Code.REQUIRED, "an AMOUNT voucher needs an amount in a pricelist",
                       *path, "amounts")
        minimum = _amounts(voucher.get("minimum"), pricelists, errors, *path, "minimum",
                           field="amount")
        starts = _instant(voucher.get("startsAt"), errors, *path, "startsAt")
        ends = _instant(voucher.get("endsAt"), errors, *path, "endsAt")
        for field in ("maxUses", "maxUsesPerCustomer"):
            if voucher.get(field) is not None and voucher[field] < 1:
                errors.add(Code.OUT_OF_RANGE, f"{field} must be at least 1", *path, field)
        if not voucher["name"].strip():
            errors.add(Code.REQUIRED, "name must not be empty", *path, "name")
        rows.append({
            "id": voucher["id"], "code": code, "name": voucher["name"].strip(), "kind": kind,
            "percent": percent if kind == "PERCENT" else None,
            "amounts": {str(k): v["amount"] for k, v in amounts.items() if "amount" in v}
            or None,
            "minimum": {str(k): v["amount"] for k, v in minimum.items() if "amount" in v}
            or None,
            "starts_at": starts, "ends_at": ends, "max_uses": voucher.get("maxUses"),
            "max_uses_per_customer": voucher.get("maxUsesPerCustomer"),
            "active": voucher.get("active", True) is not False})
    errors.check()
    await upsert(conn, t.vouchers, rows, ["id"])
    counts["vouchers"] = len(records)

