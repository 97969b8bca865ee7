"""A shop's page in a real browser calls the API cross-origin, as a Centra storefront's cart
does: fetch with the token in Authorization (a preflighted request), then the shopper token
from the answer. A page of an origin no client lists cannot read any answer."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.support import Chromium, PageServer
from tests.faults.support import Served, serve

# Runs in the page: a session, then an item added with the shopper token of the first answer.
CART = """
async ([api, clientToken]) => {
  const call = async (token, query) => {
    const response = await fetch(api, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": `Bearer ${token}`},
      body: JSON.stringify({query}),
    });
    return response.json();
  };
  try {
    const first = await call(clientToken, "{ session { country { code } } }");
    const token = first.extensions.token;
    const added = await call(token, 'mutation { addItem(item: "1-1") { ' +
                             'selection { lines { quantity } } userErrors { message } } }');
    return {country: first.data.session.country.code, added: added.data.addItem,
            sameToken: added.extensions.token === token};
  } catch (error) {
    return {failed: String(error)};
  }
}
"""


@pytest.fixture
def api(empty_db_url: str, tmp_path: Path) -> Iterator[Served]:
    with serve(empty_db_url, tmp_path) as served:
        yield served


def create_client(database_url: str, name: str, frontend_url: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "dtc_api.cli", "--database-url", database_url, "clients",
         "create", "--name", name, "--frontend-url", frontend_url, "--default-country", "SE",
         "--json"],
        capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["sessionToken"]  # type: ignore[no-any-return]


def test_a_shop_page_adds_to_its_cart_cross_origin(
    api: Served, empty_db_url: str, chromium: Chromium, tmp_path: Path
) -> None:
    with PageServer(tmp_path) as shop, PageServer(tmp_path) as stranger:
        token = create_client(empty_db_url, "web", shop.origin)
        page = chromium.open(f"{shop.origin}/index.html")
        result = page.evaluate(CART, [f"{api.base}/graphql", token])
        assert result == {"country": "SE", "sameToken": True, "added": {
            "selection": {"lines": [{"quantity": 1}]}, "userErrors": []}}

        # The same call from a page of an origin no client lists: the browser refuses it at
        # the preflight, and the page sees only a network error.
        other = chromium.open(f"{stranger.origin}/index.html")
        refused = other.evaluate(CART, [f"{api.base}/graphql", token])
        assert refused == {"failed": "TypeError: Failed to fetch"}
