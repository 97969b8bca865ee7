"""A request's log line written without a LogRecord is the line its record would have made,
and is written that way only while nothing else would see the record."""

from __future__ import annotations

import io
import logging

import pytest

from dtc_api import logs

REQUEST = "dtc_api.request"
FIELDS = {"traceId": "ab" * 16, "clientIp": "203.0.113.9", "apiClient": "shop", "operation":
          "Customer", "operationType": "query", "method": "POST", "path": "/graphql",
          "status": 200, "outcome": "ok", "durationMs": 1.25, "bytes": 22142,
          "note": "Åsa \"quoted\"\nnext", "missing": None}
WHEN = 1796420071.0625  # a created time with milliseconds


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> tuple[logs.LineHandler, io.StringIO]:
    """``logs.setup``'s handler, writing to a string (``alone`` makes it the root's only
    one: pytest adds its own when a test starts)."""
    stream = io.StringIO()
    handler = logs.LineHandler(stream)
    monkeypatch.setattr(logs, "_installed", handler)
    monkeypatch.setattr(logs.time, "time", lambda: WHEN)
    return handler, stream


def alone(monkeypatch: pytest.MonkeyPatch, handler: logging.Handler) -> None:
    monkeypatch.setattr(logging.getLogger(), "handlers", [handler])


@pytest.mark.parametrize("formatter", [logs.ConsoleFormatter(), logs.JsonFormatter()],
                         ids=["console", "json"])
@pytest.mark.parametrize("level", [logging.INFO, logging.WARNING])
def test_a_direct_line_is_the_line_of_its_record(
        installed: tuple[logs.LineHandler, io.StringIO], monkeypatch: pytest.MonkeyPatch,
        formatter: logging.Formatter, level: int) -> None:
    handler, stream = installed
    alone(monkeypatch, handler)
    handler.setFormatter(formatter)
    logger = logging.getLogger(REQUEST)

    assert logs.direct(logger, level, "POST /graphql Customer 200", dict(FIELDS))

    record = logger.makeRecord(REQUEST, level, __file__, 0, "%s %d",
                               ("POST /graphql Customer", 200), None, extra=dict(FIELDS))
    record.created = WHEN
    assert stream.getvalue() == formatter.format(record) + "\n"


@pytest.mark.parametrize("change", [
    "a handler of its own", "a handler on a parent", "a filter", "a filter on the handler",
    "another root handler", "a higher handler level", "no propagation", "disabled",
    "another formatter",
])
def test_no_direct_line_where_the_record_would_go_elsewhere(
        installed: tuple[logs.LineHandler, io.StringIO], monkeypatch: pytest.MonkeyPatch,
        change: str) -> None:
    handler, stream = installed
    alone(monkeypatch, handler)
    handler.setFormatter(logs.ConsoleFormatter())
    logger = logging.getLogger(REQUEST)
    other = logging.NullHandler()
    changes = {
        "a handler of its own": (logger, "handlers", [other]),
        "a handler on a parent": (logging.getLogger("dtc_api"), "handlers", [other]),
        "a filter": (logger, "filters", [lambda record: True]),
        "a filter on the handler": (handler, "filters", [lambda record: True]),
        "another root handler": (logging.getLogger(), "handlers", [handler, other]),
        "a higher handler level": (handler, "level", logging.WARNING),
        "no propagation": (logger, "propagate", False),
        "disabled": (logger, "disabled", True),
        "another formatter": (handler, "formatter", logging.Formatter()),
    }
    target, name, value = changes[change]
    monkeypatch.setattr(target, name, value)

    assert not logs.direct(logger, logging.INFO, "POST /graphql Customer 200", dict(FIELDS))
    assert stream.getvalue() == ""


def test_no_direct_line_before_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "_installed", None)
    assert not logs.direct(logging.getLogger(REQUEST), logging.INFO, "x", {})
