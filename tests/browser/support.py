"""Real-browser tests: the system's Chromium driven by Playwright, and a static server for the
pages a shop would serve from its own origin."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.faults.support import free_port

BLANK = ("<!doctype html><html><head><meta charset=utf-8><title>shop</title></head>"
         "<body></body></html>")


def chromium_path() -> str | None:
    """The browser binary: $DTC_TEST_CHROMIUM, or Debian's chromium."""
    return os.environ.get("DTC_TEST_CHROMIUM") or shutil.which("chromium")


class PageServer:
    """Static pages on 127.0.0.1 and a port of their own (so an origin of their own)."""

    def __init__(self, work: Path) -> None:
        self.port = free_port()
        self.root = work / f"pages-{self.port}"
        self.root.mkdir()
        (self.root / "index.html").write_text(BLANK)
        handler = functools.partial(_QuietHandler, directory=str(self.root))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Chromium:
    """One headless browser; each page opened in a fresh context (no shared state)."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser

    def open(self, url: str) -> Any:
        page = self.browser.new_context().new_page()
        page.goto(url)
        return page
