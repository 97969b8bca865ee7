"""PHP-style date formats (Centra's `Y-m-d`, `Y-m-dTH:i:sP`)."""

from __future__ import annotations

import datetime as dt

import pytest

from dtc_api.core.dates import MAX_FORMAT_LENGTH, DateFormatError, php_format

CEST = dt.timezone(dt.timedelta(hours=2))
INDIA = dt.timezone(dt.timedelta(hours=5, minutes=30))
NEWFOUNDLAND = dt.timezone(-dt.timedelta(hours=3, minutes=30))
# Tuesday 5 March 2024, 07:08:09 UTC
MORNING = dt.datetime(2024, 3, 5, 7, 8, 9, tzinfo=dt.UTC)
# Sunday 24 November 2002, 17:45:00 at UTC+2
EVENING = dt.datetime(2002, 11, 24, 17, 45, tzinfo=CEST)


@pytest.mark.parametrize(("code", "morning", "evening"), [
    ("d", "05", "24"), ("j", "5", "24"), ("D", "Tue", "Sun"), ("l", "Tuesday", "Sunday"),
    ("N", "2", "7"),
    ("m", "03", "11"), ("n", "3", "11"), ("M", "Mar", "Nov"), ("F", "March", "November"),
    ("Y", "2024", "2002"), ("y", "24", "02"),
    ("H", "07", "17"), ("G", "7", "17"), ("i", "08", "45"), ("s", "09", "00"),
    ("P", "+00:00", "+02:00"), ("O", "+0000", "+0200"), ("U", "1709622489", "1038152700"),
])
def test_each_code(code: str, morning: str, evening: str) -> None:
    assert php_format(MORNING, code) == morning
    assert php_format(EVENING, code) == evening


@pytest.mark.parametrize(("value", "fmt", "expected"), [
    # Centra's defaults: `T` is a literal T, so the second one is ISO 8601.
    (MORNING, "Y-m-d", "2024-03-05"),
    (MORNING, "Y-m-dTH:i:sP", "2024-03-05T07:08:09+00:00"),
    (EVENING, "Y-m-dTH:i:sP", "2002-11-24T17:45:00+02:00"),
    (dt.datetime(2024, 3, 5, 23, 59, 59, tzinfo=INDIA), "Y-m-dTH:i:sP",
     "2024-03-05T23:59:59+05:30"),
    (dt.datetime(2024, 3, 5, 0, 0, tzinfo=NEWFOUNDLAND), "Y-m-dTH:i:sO",
     "2024-03-05T00:00:00-0330"),
    (MORNING, "T", "T"),
    (MORNING, "d.m.Y", "05.03.2024"),
    (MORNING, "D, j M Y", "Tue, 5 Mar 2024"),
    (MORNING, "l jS F", "Tuesday 5S March"),
    (dt.datetime(987, 6, 7, tzinfo=dt.UTC), "Y y", "0987 87"),
    # Characters that are no code are written as they are.
    (MORNING, "", ""),
    (MORNING, "abc xz", "abc xz"),
    (MORNING, "Ä/ö—日", "Ä/ö—日"),
])
def test_formats(value: dt.datetime, fmt: str, expected: str) -> None:
    assert php_format(value, fmt) == expected


@pytest.mark.parametrize(("fmt", "expected"), [
    (r"\Y", "Y"),
    (r"\Y-m", "Y-03"),
    (r"Y\-m", "2024-03"),
    (r"\d\a\y: j", "day: 5"),
    (r"\\Y", "\\2024"),
    (r"\\\Y", "\\Y"),
    (r"\T", "T"),
    # A trailing backslash escapes nothing and is dropped.
    ("Y\\", "2024"),
])
def test_a_backslash_escapes_the_next_character(fmt: str, expected: str) -> None:
    assert php_format(MORNING, fmt) == expected


@pytest.mark.parametrize(("fmt", "expected"), [
    ("Y-m-d", "2024-03-05"),
    ("H:i:s", "00:00:00"),
    ("G", "0"),
    ("P O", "+00:00 +0000"),
    # A date has no instant.
    ("U", ""),
])
def test_a_date_without_time(fmt: str, expected: str) -> None:
    assert php_format(dt.date(2024, 3, 5), fmt) == expected


def test_a_naive_datetime_has_a_zero_offset() -> None:
    assert php_format(dt.datetime(2024, 3, 5, 7, 8, 9), "Y-m-dTH:i:sP") == \
        "2024-03-05T07:08:09+00:00"


def test_the_format_length_is_bounded_at_64_characters() -> None:
    assert MAX_FORMAT_LENGTH == 64
    assert php_format(MORNING, "Y" * 64) == "2024" * 64
    assert php_format(MORNING, "x" * 64) == "x" * 64
    with pytest.raises(DateFormatError, match=r"^A date format has at most 64 characters$"):
        php_format(MORNING, "Y" * 65)
    with pytest.raises(DateFormatError, match=r"^A date format has at most 64 characters$"):
        php_format(MORNING, "x" * 10_000)


@pytest.mark.parametrize("fmt", ["Y\x00", "\tY", "Y\nm", "\r", "\x1b[31mY", "Y\x7f", "\x1f"])
def test_control_characters_are_refused(fmt: str) -> None:
    with pytest.raises(DateFormatError,
                       match=r"^A date format must not contain control characters$"):
        php_format(MORNING, fmt)


@pytest.mark.parametrize("fmt", [" ", "~", "\x80", "\u00a0Y"])
def test_characters_next_to_the_control_ranges_are_allowed(fmt: str) -> None:
    assert php_format(MORNING, fmt) == fmt.replace("Y", "2024")


def test_a_refused_format_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(DateFormatError):
            php_format(MORNING, "Y\x00")


@pytest.mark.parametrize("value", [
    MORNING, EVENING, dt.datetime(2024, 3, 5, 23, 59, 59, 999_999, tzinfo=INDIA),
    dt.datetime(1, 1, 1, tzinfo=NEWFOUNDLAND), dt.datetime(987, 6, 7, 1, 2, 3),
    dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC), dt.date(2024, 2, 29), dt.date(12, 1, 9),
])
@pytest.mark.parametrize("fmt", ["Y-m-d", "Y-m-dTH:i:sP"])
def test_the_default_formats_read_as_their_codes_do(value: dt.date, fmt: str) -> None:
    # The defaults have a path of their own; spelled with an escape, the format takes the
    # general one. Both must write the same text.
    general = fmt.replace("T", "\\T")
    assert php_format(value, fmt) == php_format(value, general)
    assert php_format(value, fmt) == "".join(php_format(value, code) if code != "T" else "T"
                                             for code in fmt)
