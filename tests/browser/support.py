"""Real-browser tests: the system's Chromium driven by Playwright, and a static server for the
pages a shop would serve from its own origin."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
import urllib.parse
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

    def do_POST(self) -> None:
        """A form posted to a page (a payment provider's return page): the page, with the
        posted fields as JSON in place of ``{{FIELDS}}``."""
        body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
        fields = {name: values[-1] for name, values in urllib.parse.parse_qs(body).items()}
        page = Path(self.directory) / self.path.lstrip("/").partition("?")[0]
        if not page.is_file():
            self.send_error(404)
            return
        content = page.read_text().replace("{{FIELDS}}", json.dumps(fields)).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


class Chromium:
    """One headless browser; each page opened in a fresh context (no shared state)."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser

    def page(self, **context: Any) -> Any:
        """A blank page in a fresh context (``context``: Playwright's options, e.g. viewport)."""
        return self.browser.new_context(**context).new_page()

    def open(self, url: str) -> Any:
        page = self.page()
        page.goto(url)
        return page
