"""Money in minor units (öre, cent) and its presentation in a currency's own format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
        "value": amount_minor / 10 ** currency["decimalDigits"],
        "formattedValue": format_minor(amount_minor, currency),
        "currency": currency,
    }
