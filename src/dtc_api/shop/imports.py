"""`dtc-api import FILE.json`: catalogue, stock and orders in one transaction, through the
same services as the back-office API. Any bad record is named and nothing is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core.errors import Code, DomainError, UserError
from dtc_api.core.progress import EVERY, SILENT, Progress, step
from dtc_api.orders import orders
from dtc_api.shop import catalogue as catalogue_admin
from dtc_api.shop import geography, stock

# section -> {field: types} for the fields every record of it must have
REQUIRED: dict[str, dict[str, tuple[type, ...]]] = {
    "currencies": {"code": (str,), "name": (str,), "isoNumber": (str,),
                   "decimalDigits": (int,), "decimalPoint": (str,),
                   "thousandsSeparator": (str,), "baseRate": (int, float)},
    "languages": {"code": (str,)},
    "markets": {"key": (str,), "name": (str,)},
    "pricelists": {"key": (str,), "name": (str,), "currency": (str,)},
    "countries": {"code": (str,), "shipTo": (bool,)},
    "warehouses": {"key": (str,), "name": (str,), "markets": (list,)},
    "subscriptionPlans": {"id": (int,), "name": (str,), "interval": (dict,)},
    "brands": {"id": (int,), "name": (str,), "uri": (str,)},
    "collections": {"id": (int,), "name": (str,), "uri": (str,)},
    "categories": {"id": (int,), "name": (str,), "uri": (str,)},
    "displayItems": {"id": (int,), "name": (str,), "uri": (str,), "productNumber": (str,)},
    "attributeTypes": {"name": (str,), "kind": (str,)},
    "shippingMethods": {"id": (int,), "name": (str,), "countries": (list,), "prices": (list,)},
    "paymentMethods": {"id": (int,), "client": (str,), "name": (str,), "uri": (str,),
                       "plugin": (str,), "kind": (str,)},
    "vouchers": {"id": (int,), "name": (str,), "kind": (str,)},
    "stock": {"item": (str,), "warehouse": (str,), "quantity": (int,)},
    "orders": {"number": (int,), "pricelist": (int,), "lines": (list,)},
}


def check_shape(document: Any) -> None:
    if not isinstance(document, dict):
        raise DomainError(UserError("the file must hold a JSON object", (),
                                    code=Code.INVALID_INPUT))
    errors = []
    for section, value in document.items():
        if section not in REQUIRED:
            errors.append(UserError(f"unknown section {section!r}", (section,),
                                    code=Code.INVALID_INPUT))
            continue
        if not isinstance(value, list):
            errors.append(UserError("must be a list", (section,), code=Code.INVALID_INPUT))
            continue
        for index, record in enumerate(value):
            if not isinstance(record, dict):
                errors.append(UserError("must be an object", (section, str(index)),
                                        code=Code.INVALID_INPUT))
                continue
            for field, types in REQUIRED[section].items():
                if not isinstance(record.get(field), types) or isinstance(record.get(field),
                                                                          bool) != (bool in types):
                    errors.append(UserError(f"{field} is missing or has the wrong type",
                                            (section, str(index), field),
                                            code=Code.INVALID_INPUT))
    if errors:
        raise DomainError(*errors)


async def apply(conn: AsyncConnection, document: dict[str, Any], now: dt.datetime,
                progress: Progress = SILENT) -> dict[str, int]:
    check_shape(document)
    counts = await catalogue_admin.apply(conn, document, prefix=(), progress=progress)
    places = await geography.load_from(conn)
    rows = document.get("stock") or []
    with step(progress if "stock" in document else SILENT, "stock", len(rows)):
        await stock.set_stocks(conn, places, rows, now, ("stock",), progress)
    counts["stock"] = len(rows)
    records = document.get("orders") or []
    with step(progress if "orders" in document else SILENT, "orders", len(records)):
        for index, order in enumerate(records):
            if index % EVERY == 0:
                progress.update(index)
            data = {"status": "CONFIRMED", "shipping": 0, **order}
            try:
                await orders.record(conn, places, data, now)
            except DomainError as refused:
                raise DomainError(*(replace(e, path=("orders", str(index), *e.path[1:]))
                                    for e in refused.errors)) from None
    counts["orders"] = len(records)
    return counts


def describe(error: UserError) -> str:
    """`displayItems[3].uri: message`"""
    where = ""
    for part in error.path:
        where += f"[{part}]" if part.isdigit() else (f".{part}" if where else part)
    return f"{where}: {error.message}" if where else error.message
