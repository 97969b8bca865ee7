"""The next delivery of a subscription: a number of days, weeks, months or years on."""

from __future__ import annotations

import datetime as dt

import pytest

from dtc_api.orders.subscriptions import after


@pytest.mark.parametrize(("day", "interval", "expected"), [
    (dt.date(2026, 12, 3), ("DAY", 10), dt.date(2026, 12, 13)),
    (dt.date(2026, 12, 3), ("WEEK", 2), dt.date(2026, 12, 17)),
    (dt.date(2026, 12, 3), ("MONTH", 1), dt.date(2027, 1, 3)),
    (dt.date(2027, 1, 31), ("MONTH", 1), dt.date(2027, 2, 28)),
    (dt.date(2028, 1, 31), ("MONTH", 1), dt.date(2028, 2, 29)),
    (dt.date(2026, 11, 30), ("MONTH", 13), dt.date(2027, 12, 30)),
    (dt.date(2028, 2, 29), ("YEAR", 1), dt.date(2029, 2, 28)),
])
def test_after(day: dt.date, interval: tuple[str, int], expected: dt.date) -> None:
    assert after(day, *interval) == expected
