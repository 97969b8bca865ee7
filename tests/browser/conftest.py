"""Fixtures of the browser tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.support import Chromium, chromium_path


@pytest.fixture
def chromium() -> Iterator[Chromium]:
    """Headless Chromium for one test (its own Playwright driver: a sync driver must not
    outlive the test, as the other tests run event loops on this thread)."""
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium: install Debian's chromium (CI does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield Chromium(browser)
        finally:
            browser.close()
