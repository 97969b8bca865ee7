"""Dates in the PHP-style formats Centra's API takes (`Y-m-d`, `Y-m-dTH:i:sP`)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

_CODES = {
    "d": lambda d: f"{d.day:02d}",
    "j": lambda d: str(d.day),
    "D": lambda d: d.strftime("%a"),
    "l": lambda d: d.strftime("%A"),
    "N": lambda d: str(d.isoweekday()),
    "m": lambda d: f"{d.month:02d}",
    "n": lambda d: str(d.month),
    "M": lambda d: d.strftime("%b"),
    "F": lambda d: d.strftime("%B"),
    "Y": lambda d: f"{d.year:04d}",
    "y": lambda d: f"{d.year % 100:02d}",
    "H": lambda d: f"{getattr(d, 'hour', 0):02d}",
    "G": lambda d: str(getattr(d, "hour", 0)),
    "i": lambda d: f"{getattr(d, 'minute', 0):02d}",
    "s": lambda d: f"{getattr(d, 'second', 0):02d}",
    "P": lambda d: _offset(d, ":"),
    "O": lambda d: _offset(d, ""),
    "U": lambda d: str(int(d.timestamp())) if isinstance(d, dt.datetime) else "",
}


def _offset(value: dt.date, separator: str) -> str:
    offset = value.utcoffset() if isinstance(value, dt.datetime) else None
    if not offset:
        return "+00:00" if separator else "+0000"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{separator}{minutes:02d}"


MAX_FORMAT_LENGTH = 64


class DateFormatError(ValueError):
    """A format that is refused: too long, or with control characters."""


def php_format(value: dt.date, fmt: str) -> str:
    """Format like PHP's date(); a backslash escapes the next character.

    `T` is written as a literal "T" (not PHP's time-zone abbreviation) so that Centra's
    default `Y-m-dTH:i:sP` gives ISO 8601, which is what that default is meant to produce.
    Formats are at most ``MAX_FORMAT_LENGTH`` characters: an answer's dates cost little.
    """
    fast = _DEFAULTS.get(fmt)
    if fast is not None:
        return fast(value)
    return "".join(part if isinstance(part, str) else part(value) for part in _compile(fmt))


def _date(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def _date_time(d: dt.date) -> str:
    if not isinstance(d, dt.datetime):
        return f"{_date(d)}T00:00:00+00:00"
    return f"{_date(d)}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}{_offset(d, ':')}"


# Centra's two default formats, which nearly every answer uses, in one step each (the same
# text as the general path: tests/units/test_dates.py compares them).
_DEFAULTS = {"Y-m-d": _date, "Y-m-dTH:i:sP": _date_time}


@lru_cache(maxsize=256)
def _compile(fmt: str) -> tuple[Any, ...]:
    if len(fmt) > MAX_FORMAT_LENGTH:
        raise DateFormatError(f"A date format has at most {MAX_FORMAT_LENGTH} characters")
    if any(char < " " or char == "\x7f" for char in fmt):
        raise DateFormatError("A date format must not contain control characters")
    parts: list[Any] = []
    escaped = False
    for char in fmt:
        if escaped:
            parts.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append(_CODES.get(char, char))
    return tuple(parts)
