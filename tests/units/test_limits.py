"""The rate limiter's arithmetic: stored keys of bounded length, fixed windows, and which
limit applies to a client."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from dtc_api.config import Settings
from dtc_api.core import limits
from dtc_api.core.limits import HOUR, KEY_LENGTH, MINUTE, Count, bounded, window_start

UTC = dt.UTC
CEST = dt.timezone(dt.timedelta(hours=2))


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.mark.parametrize(("value", "length", "expected"), [
    ("", 10, ""),
    ("login:ip:203.0.113.7", 200, "login:ip:203.0.113.7"),
    ("x" * 70, 70, "x" * 70),
    ("x" * 71, 70, "x" * 6 + "#" + digest("x" * 71)),
    ("login:ip:" + "9" * 300, 100, "login:ip:" + "9" * 27 + "#" + digest("login:ip:" + "9" * 300)),
    ("å" * 201, 200, "å" * 136 + "#" + digest("å" * 201)),
])
def test_bounded(value: str, length: int, expected: str) -> None:
    assert bounded(value, length) == expected


@pytest.mark.parametrize("size", [KEY_LENGTH + 1, 255, 1_000, 100_000])
def test_a_bounded_key_fits_the_column(size: int) -> None:
    # The column holds KEY_LENGTH + 1 characters.
    assert len(bounded("k" * size, KEY_LENGTH)) == KEY_LENGTH + 1


def test_a_lone_surrogate_is_digested_too() -> None:
    value = "\ud800" * 300
    assert bounded(value, KEY_LENGTH) == "\ud800" * 136 + "#" + hashlib.sha256(
        value.encode("utf-8", "surrogatepass")).hexdigest()


@pytest.mark.parametrize(("window", "now", "expected"), [
    (MINUTE, dt.datetime(2024, 3, 5, 7, 8, 9, 500_000, tzinfo=UTC),
     dt.datetime(2024, 3, 5, 7, 8, tzinfo=UTC)),
    (MINUTE, dt.datetime(2024, 3, 5, 7, 8, tzinfo=UTC), dt.datetime(2024, 3, 5, 7, 8, tzinfo=UTC)),
    (MINUTE, dt.datetime(2024, 3, 5, 7, 8, 59, 999_999, tzinfo=UTC),
     dt.datetime(2024, 3, 5, 7, 8, tzinfo=UTC)),
    (HOUR, dt.datetime(2024, 3, 5, 7, 59, 59, tzinfo=UTC), dt.datetime(2024, 3, 5, 7, tzinfo=UTC)),
    (HOUR, dt.datetime(2024, 3, 5, 8, 0, tzinfo=UTC), dt.datetime(2024, 3, 5, 8, tzinfo=UTC)),
    # Windows start at multiples of their length since 2000-01-01T00:00Z.
    (dt.timedelta(minutes=7), dt.datetime(2000, 1, 1, 0, 20, tzinfo=UTC),
     dt.datetime(2000, 1, 1, 0, 14, tzinfo=UTC)),
    (dt.timedelta(minutes=7), dt.datetime(2000, 1, 1, 0, 21, tzinfo=UTC),
     dt.datetime(2000, 1, 1, 0, 21, tzinfo=UTC)),
    (dt.timedelta(days=1), dt.datetime(2024, 3, 5, 23, 59, tzinfo=UTC),
     dt.datetime(2024, 3, 5, tzinfo=UTC)),
    # An hour window is the same hour in every time zone; a day window is a UTC day.
    (HOUR, dt.datetime(2024, 3, 5, 9, 30, tzinfo=CEST), dt.datetime(2024, 3, 5, 7, tzinfo=UTC)),
    (dt.timedelta(days=1), dt.datetime(2024, 3, 5, 1, 0, tzinfo=CEST),
     dt.datetime(2024, 3, 4, tzinfo=UTC)),
    # Before 2000 the window still starts at or before now.
    (MINUTE, dt.datetime(1999, 12, 31, 23, 59, 30, tzinfo=UTC),
     dt.datetime(1999, 12, 31, 23, 59, tzinfo=UTC)),
])
def test_window_start(window: dt.timedelta, now: dt.datetime, expected: dt.datetime) -> None:
    assert window_start(window, now) == expected


@pytest.mark.parametrize("window", [MINUTE, HOUR, dt.timedelta(seconds=90)])
def test_the_next_window_starts_where_this_one_ends(window: dt.timedelta) -> None:
    now = dt.datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC)
    start = window_start(window, now)
    assert start <= now < start + window
    assert window_start(window, start + window) == start + window
    assert window_start(window, start + window - dt.timedelta(microseconds=1)) == start


@pytest.mark.parametrize(("hits", "ceiling", "over"), [(1, 10, False), (10, 10, False),
                                                       (11, 10, True), (2, 1, True)])
def test_a_count_is_over_above_its_ceiling(hits: int, ceiling: int, over: bool) -> None:
    assert Count(hits, ceiling, dt.datetime(2024, 3, 5, tzinfo=UTC)).over is over


@pytest.mark.parametrize(("client", "expected"), [
    ({}, 10),
    ({"rate_limits": None}, 10),
    ({"rate_limits": {}}, 10),
    ({"rate_limits": {"newsletterPerIpPerHour": 3}}, 10),
    ({"rate_limits": {"loginPerIpPerMinute": 2}}, 2),
    ({"rate_limits": {"loginPerIpPerMinute": 500}}, 500),
])
def test_a_client_may_override_a_limit(client: dict[str, object], expected: int) -> None:
    assert limits.limit(Settings(login_ip_limit=10), client, "loginPerIpPerMinute") == expected


def test_each_limit_has_its_own_default() -> None:
    settings = Settings(login_ip_limit=1, session_ip_limit=2, reset_account_limit=3,
                        reset_ip_limit=4, newsletter_ip_limit=5, back_in_stock_ip_limit=6,
                        register_ip_limit=7)
    assert {name: limits.limit(settings, {}, name) for name in limits.LIMITS} == {
        "loginPerIpPerMinute": 1, "newSessionsPerIpPerMinute": 2,
        "passwordResetsPerAccountPerHour": 3, "passwordResetsPerIpPerHour": 4,
        "newsletterPerIpPerHour": 5, "backInStockPerIpPerHour": 6,
        "registrationsPerIpPerHour": 7}


def test_a_misspelt_limit_fails_loudly() -> None:
    with pytest.raises(KeyError):
        limits.limit(Settings(), {}, "loginPerIPPerMinute")
    with pytest.raises(KeyError):
        limits.overridden({"rate_limits": {"loginPerIPPerMinute": 1}}, "loginPerIPPerMinute", 5)


@pytest.mark.parametrize(("overrides", "refused"), [
    ({}, []),
    ({"loginPerIpPerMinute": 1, "registrationsPerIpPerHour": 500}, []),
    ({"loginPerIpPerMinute": 0}, ["loginPerIpPerMinute"]),
    ({"loginPerIpPerMinute": -1}, ["loginPerIpPerMinute"]),
    ({"loginPerIpPerMinute": 1.5}, ["loginPerIpPerMinute"]),
    ({"loginPerIpPerMinute": "5"}, ["loginPerIpPerMinute"]),
    ({"loginPerIpPerMinute": None}, ["loginPerIpPerMinute"]),
    ({"unknownLimit": 5}, ["unknownLimit"]),
    ({"newsletterPerIpPerHour": 0, "loginPerIpPerMinute": 3, "backInStockPerIpPerHour": 0},
     ["newsletterPerIpPerHour", "backInStockPerIpPerHour"]),
])
def test_check_names_the_overrides_that_are_not_positive_integers(
    overrides: dict[str, object], refused: list[str]
) -> None:
    assert limits.check(overrides) == refused
