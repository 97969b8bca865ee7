"""`dtc-api import FILE.json`: catalogue, stock and orders in one transaction, through the
same services as the back-office API. Any bad record is named and nothing is written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core.errors import DomainError, UserError
from dtc_api.marketing import back_in_stock
from dtc_api.orders import orders
from dtc_api.shop import catalogue as catalogue_admin
from dtc_api.shop import geography

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
    "displayItems": {"id": (int,), "name": (str,), "uri": (str,), "productNumber": (str,)},
    "attributeTypes": {"name": (str,), "kind": (str,)},
    "stock": {"item": (str,), "warehouse": (str,), "quantity": (int,)},
    "orders": {"number": (int,), "pricelist": (int,), "lines": (list,)},
}


def check_shape(document: Any) -> None:
    if not isinstance(document, dict):
        raise DomainError(UserError("the file must hold a JSON object", ()))
    errors = []
    for section, value in document.items():
        if section not in REQUIRED:
            errors.append(UserError(f"unknown section {section!r}", (section,)))
            continue
        if not isinstance(value, list):
            errors.append(UserError("must be a list", (section,)))
            continue
        for index, record in enumerate(value):
            if not isinstance(record, dict):
                errors.append(UserError("must be an object", (section, str(index))))
                continue
            for field, types in REQUIRED[section].items():
                if not isinstance(record.get(field), types) or isinstance(record.get(field),
                                                                          bool) != (bool in types):
                    errors.append(UserError(f"{field} is missing or has the wrong type",
                                            (section, str(index), field)))
    if errors:
        raise DomainError(*errors)


async def apply(conn: AsyncConnection, document: dict[str, Any], now: dt.datetime
                ) -> dict[str, int]:
    check_shape(document)
    counts = await catalogue_admin.apply(conn, document, prefix=())
    places = await geography.load_from(conn)
    for index, row in enumerate(document.get("stock") or []):
        try:
            await back_in_stock.set_stock(conn, places, row["item"], row["warehouse"],
                                          row["quantity"], now)
        except DomainError as refused:
            raise DomainError(*(UserError(e.message, ("stock", str(index), *e.path))
                                for e in refused.errors)) from None
    counts["stock"] = len(document.get("stock") or [])
    for index, order in enumerate(document.get("orders") or []):
        data = {"status": "CONFIRMED", "shipping": 0, **order}
        try:
            await orders.record(conn, places, data, now)
        except DomainError as refused:
            raise DomainError(*(UserError(e.message, ("orders", str(index), *e.path[1:]))
                                for e in refused.errors)) from None
    counts["orders"] = len(document.get("orders") or [])
    return counts


def describe(error: UserError) -> str:
    """`displayItems[3].uri: message`"""
    where = ""
    for part in error.path:
        where += f"[{part}]" if part.isdigit() else (f".{part}" if where else part)
    return f"{where}: {error.message}" if where else error.message
