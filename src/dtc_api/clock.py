"""Time, behind a small interface so tests can step it instead of patching globals."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Where every rule that depends on time reads the time."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class SteppableClock:
    """A clock that stands still until told to move; for tests and simulations."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += dt.timedelta(**delta)
