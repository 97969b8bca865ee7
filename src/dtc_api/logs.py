"""Logging set-up: one line per record, JSON or human-readable (DTC_LOG_FORMAT)."""

from __future__ import annotations

import datetime as dt
import io
import logging
import sys
import threading
import time
import traceback
from typing import Any

import orjson

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Frames of a traceback that are logged (the innermost ones): a deep recursion must not
# write thousands of lines.
TRACEBACK_FRAMES = 30


def format_exception(exc_info: Any) -> str:
    return "".join(traceback.format_exception(*exc_info, limit=-TRACEBACK_FRAMES)).rstrip()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = format_exception(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class ConsoleFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        self._second = -1
        self._stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # Every request logs a line: the date and time are formatted once a second.
        second = int(record.created)
        if second != self._second:
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", self.converter(record.created))
            self._second = second
        return f"{self._stamp},{int(record.msecs):03d}"

    def formatException(self, ei: Any) -> str:
        return format_exception(ei)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return line


# Lines below WARNING wait at most this long in the buffer before they are written.
FLUSH_INTERVAL = 0.25


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines to a buffered stream: a WARNING or worse is written at once, the others
    (one per request) at most ``FLUSH_INTERVAL`` later, many in one write instead of one
    system call each."""

    def __init__(self, stream: io.TextIOBase) -> None:
        super().__init__(stream)
        self._waiting = False
        flusher = threading.Thread(target=self._flush_now_and_then, name="dtc-log-flush",
                                   daemon=True)
        flusher.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
            return
        if record.levelno >= logging.WARNING:
            self.flush()
        else:
            self._waiting = True

    def flush(self) -> None:
        self._waiting = False
        super().flush()

    def _flush_now_and_then(self) -> None:
        while True:
            time.sleep(FLUSH_INTERVAL)
            if self._waiting:
                self.flush()


def _buffered_stderr() -> io.TextIOBase:
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # replaced (captured), not a file
        return sys.stderr  # type: ignore[return-value]
    return open(descriptor, "w", buffering=64 * 1024, encoding="utf-8",
                errors="backslashreplace", closefd=False)


def setup(log_format: str, level: str) -> None:
    # Neither format shows the thread or the process: do not collect them for every record.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = LineHandler(_buffered_stderr())
    handler.setFormatter(JsonFormatter() if log_format == "json" else ConsoleFormatter())
    root = logging.getLogger()
    for previous in root.handlers:
        previous.flush()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
