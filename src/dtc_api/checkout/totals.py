"""What a selection costs: items, discounts (vouchers), shipping and the tax included in
the total. Pure functions over rows already read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dtc_api.core.money import monetary_value


@dataclass
class Applied:
    """A voucher as it applies to the selection."""

    voucher: dict[str, Any]  # the vouchers row
    items_minor: int = 0  # taken off the items
    shipping_minor: int = 0  # taken off shipping


@dataclass
class Totals:
    items_minor: int
    shipping_minor: int = 0  # after free shipping
    applied: list[Applied] = field(default_factory=list)
    tax_percent: float | None = None

    @property
    def discount_minor(self) -> int:
        return sum(a.items_minor for a in self.applied)

    @property
    def grand_minor(self) -> int:
        return self.items_minor - self.discount_minor + self.shipping_minor

    @property
    def tax_minor(self) -> int:
        """The tax the grand total includes."""
        if not self.tax_percent:
            return 0
        return round(self.grand_minor * self.tax_percent / (100 + self.tax_percent))

    def rows(self) -> list[dict[str, Any]]:
        """The rows as stored on an order (minor units), in Centra's order."""
        rows: list[dict[str, Any]] = [{"type": "ITEMS_SUBTOTAL", "minor": self.items_minor}]
        if self.discount_minor:
            rows.append({"type": "DISCOUNT", "minor": -self.discount_minor})
        rows += [{"type": "SHIPPING", "minor": self.shipping_minor},
                 {"type": "GRAND_TOTAL", "minor": self.grand_minor}]
        if self.tax_percent:
            rows += [{"type": "INCLUDING_TAX", "minor": self.tax_minor,
                      "taxPercent": self.tax_percent},
                     {"type": "INCLUDING_TAX_TOTAL", "minor": self.tax_minor}]
        return rows


def row_views(rows: list[dict[str, Any]], currency: dict[str, Any]) -> list[dict[str, Any]]:
    """GraphQL ``SelectionTotalRow``s of stored rows."""
    return [{"__typename": "SelectionTotalTaxRow" if "taxPercent" in row
             else "SelectionTotalRowBase", "type": row["type"],
             "price": monetary_value(row["minor"], currency),
             "taxPercent": row.get("taxPercent")} for row in rows]


def usable(voucher: dict[str, Any], now: dt.datetime, pricelist_id: int, items_minor: int
           ) -> str | None:
    """Why the voucher does not apply now (None: it does). Limits on uses are checked when it
    is added and when the order is made."""
    if not voucher["active"]:
        return "is not active"
    if voucher["starts_at"] is not None and now < voucher["starts_at"]:
        return "is not valid yet"
    if voucher["ends_at"] is not None and now >= voucher["ends_at"]:
        return "has expired"
    key = str(pricelist_id)
    if voucher["kind"] == "AMOUNT" and key not in (voucher["amounts"] or {}):
        return "does not apply in this currency"
    minimum = (voucher["minimum"] or {}).get(key)
    if minimum is not None and items_minor < minimum:
        return "needs a larger order"
    return None


def compute(items_minor: int, vouchers: list[dict[str, Any]], shipping: dict[str, Any] | None,
            pricelist_id: int, tax_percent: float | None, now: dt.datetime) -> Totals:
    """Percentages first (each of the items), then amounts, never below zero; shipping is
    free from the method's threshold (items less discounts) or with a free-shipping voucher."""
    totals = Totals(items_minor, tax_percent=tax_percent)
    chosen = [v for v in vouchers if usable(v, now, pricelist_id, items_minor) is None]
    left = items_minor
    for voucher in sorted(chosen, key=lambda v: (v["kind"] != "PERCENT", v["id"])):
        applied = Applied(voucher)
        if voucher["kind"] == "PERCENT":
            applied.items_minor = min(left, round(items_minor * voucher["percent"] / 100))
        elif voucher["kind"] == "AMOUNT":
            applied.items_minor = min(left, voucher["amounts"][str(pricelist_id)])
        left -= applied.items_minor
        totals.applied.append(applied)
    if shipping is not None:
        price = shipping["price_minor"]
        free_from = shipping["free_from_minor"]
        if free_from is not None and left >= free_from:
            price = 0
        totals.shipping_minor = price
        for applied in totals.applied:
            if applied.voucher["kind"] == "FREE_SHIPPING" and totals.shipping_minor:
                applied.shipping_minor = totals.shipping_minor
                totals.shipping_minor = 0
    return totals
