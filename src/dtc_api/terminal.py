"""What a command shows of its progress on stderr (``dtc-api import``): a line per step
rewritten in place on a terminal, plain lines in a log or a pipe."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

Timer = Callable[[], float]


class TerminalProgress:
    """One line per step, rewritten in place (``\\r``) at most ``per_second`` times a second:
    ``displayItems  12,000 / 40,000``. A finished step's line stays, with its time."""

    def __init__(self, stream: TextIO, *, timer: Timer = time.monotonic,
                 per_second: float = 10) -> None:
        self.stream, self.timer, self.interval = stream, timer, 1 / per_second
        self.step: str | None = None
        self.total = self.done = 0
        self.began = self.shown = 0.0
        self.width = 0  # of the line on screen, to blank out what a shorter one leaves

    def start(self, step: str, total: int) -> None:
        self.step, self.total, self.done = step, total, 0
        self.began = self.timer()
        self._draw()

    def update(self, done: int) -> None:
        self.done = done
        if self.timer() - self.shown >= self.interval:
            self._draw()

    def finish(self) -> None:
        self.done = self.total
        self._draw(f"  {self.timer() - self.began:.1f} s\n")
        self.step, self.width = None, 0

    def close(self) -> None:
        """End a line left unfinished (the work failed), so what follows starts afresh."""
        if self.step is not None:
            self.stream.write("\n")
            self.stream.flush()
            self.step, self.width = None, 0

    def _draw(self, end: str = "") -> None:
        digits = max(7, len(f"{self.total:,}"))
        line = f"{self.step:<18}{self.done:>{digits},} / {self.total:,}"
        self.stream.write("\r" + line.ljust(self.width) + end)
        self.stream.flush()
        self.width, self.shown = len(line), self.timer()


class LogProgress:
    """Plain lines, for a log or a pipe: a step's start, its count every ``every`` seconds
    while it runs, and its end with the records and seconds it took."""

    def __init__(self, stream: TextIO, *, timer: Timer = time.monotonic,
                 every: float = 5) -> None:
        self.stream, self.timer, self.every = stream, timer, every
        self.step: str | None = None
        self.total = 0
        self.began = self.shown = 0.0

    def start(self, step: str, total: int) -> None:
        self.step, self.total = step, total
        self.began = self.shown = self.timer()
        self._say(f"{step}: {total:,} records ...")

    def update(self, done: int) -> None:
        now = self.timer()
        if now - self.shown >= self.every:
            self.shown = now
            self._say(f"{self.step}: {done:,} / {self.total:,}")

    def finish(self) -> None:
        self._say(f"{self.step}: {self.total:,} records in {self.timer() - self.began:.1f} s")
        self.step = None

    def close(self) -> None:
        self.step = None

    def _say(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


def progress_on(stream: TextIO) -> TerminalProgress | LogProgress:
    """The progress display that suits ``stream``: a terminal's, or plain lines."""
    isatty = getattr(stream, "isatty", None)
    return TerminalProgress(stream) if isatty is not None and isatty() else LogProgress(stream)
