"""Money in minor units (öre, cent) and its presentation in a currency's own format."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def to_minor(value: float | str | Decimal, digits: int) -> int | None:
    """An amount in minor units, or None when it has more decimals than the currency has."""
    exact = Decimal(str(value)) * 10**digits
    return int(exact) if exact == exact.to_integral_value() else None


def to_major(amount_minor: int, digits: int) -> float:
    """The amount as a number of whole units (the ``value`` of a ``MonetaryValue``)."""
    return amount_minor / 10**digits


def format_minor(amount_minor: int, currency: Mapping[str, Any]) -> str:
    digits = currency["decimalDigits"]
    sign = "-" if amount_minor < 0 else ""
    whole, fraction = divmod(abs(amount_minor), 10**digits)
    grouped = f"{whole:,}".replace(",", currency["thousandsSeparator"])
    number = grouped + (currency["decimalPoint"] + f"{fraction:0{digits}d}" if digits else "")
    return f"{sign}{currency['prefix'] or ''}{number}{currency['suffix'] or ''}"


def monetary_value(amount_minor: int, currency: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL ``MonetaryValue``."""
    return {
        "value": to_major(amount_minor, currency["decimalDigits"]),
        "formattedValue": format_minor(amount_minor, currency),
        "currency": currency,
    }
