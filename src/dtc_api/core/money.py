"""Money in minor units (öre, cent) and its presentation in a currency's own format."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any


def to_minor(value: float | str | Decimal, digits: int) -> int | None:
    """An amount in minor units, or None when it has more decimals than the currency has."""
    exact = Decimal(str(value)) * 10**digits
    return int(exact) if exact == exact.to_integral_value() else None


def to_major(amount_minor: int, digits: int) -> float:
    """The amount as a number of whole units (the ``value`` of a ``MonetaryValue``)."""
    return amount_minor / 10**digits


def format_minor(amount_minor: int, currency: Mapping[str, Any]) -> str:
    return _formatted(amount_minor, currency["decimalDigits"], currency["thousandsSeparator"],
                      currency["decimalPoint"], currency["prefix"], currency["suffix"])


@lru_cache(maxsize=8192)  # a shop shows the same few hundred prices over and over
def _formatted(amount_minor: int, digits: int, thousands: str, point: str,
               prefix: str | None, suffix: str | None) -> str:
    sign = "-" if amount_minor < 0 else ""
    whole, fraction = divmod(abs(amount_minor), 10**digits)
    grouped = f"{whole:,}".replace(",", thousands)
    number = grouped + (point + f"{fraction:0{digits}d}" if digits else "")
    return f"{sign}{prefix or ''}{number}{suffix or ''}"


def monetary_value(amount_minor: int, currency: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL ``MonetaryValue``."""
    # to_major and format_minor, inline: a customer's orders hold a hundred of these.
    digits = currency["decimalDigits"]
    return {
        "value": amount_minor / 10**digits,
        "formattedValue": _formatted(amount_minor, digits, currency["thousandsSeparator"],
                                     currency["decimalPoint"], currency["prefix"],
                                     currency["suffix"]),
        "currency": currency,
    }
