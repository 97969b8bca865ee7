"""How far a long piece of work has come, for whoever watches it (``dtc-api import``).

Work reports steps one after the other (an import's sections), each with its number of
records; the watcher decides what to show and how often. The work pays for a report only
every so many records (``EVERY``), never a call per record of a fast loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

# Records between two reports of a loop over records (a report is then checked against the
# watcher's own rate: at most 10 a second on a terminal).
EVERY = 50


class Progress(Protocol):
    """A watcher of work done in steps."""

    def start(self, step: str, total: int) -> None:
        """A step begins; it has ``total`` records."""
        ...

    def update(self, done: int) -> None:
        """``done`` records of the current step are done."""
        ...

    def finish(self) -> None:
        """The current step is done, all its records with it."""
        ...


class Silent:
    """No one is watching (the back-office API, the demo data, tests)."""

    def start(self, step: str, total: int) -> None:
        pass

    def update(self, done: int) -> None:
        pass

    def finish(self) -> None:
        pass


SILENT = Silent()


@contextmanager
def step(progress: Progress, name: str, total: int) -> Iterator[None]:
    """A step of ``total`` records, from its start to its finish (a failure ends it
    unfinished: the watcher's ``close`` says what that looks like)."""
    progress.start(name, total)
    yield
    progress.finish()
