"""The explorer in a real browser, as a developer uses it: the link `serve --demo` prints,
GraphiQL from the package's own files under the page's strict CSP, and three operations typed
and run one after another as one shopper: the token of each answer goes with the next
request, so the login holds for the customer query that follows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import support
from tests.browser.support import Chromium
from tests.faults.support import REGISTER, Served, serve

EMAIL = "ada@example.com"
PASSWORD = "secret"  # the documented examples' password: the demo's policy admits it
SESSION = """query ShopperSession {
session { country { code } loggedIn { email } }
}"""
LOGIN = f"""mutation ShopperLogin {{
login(email: "{EMAIL}", password: "{PASSWORD}") {{
loggedIn {{ email firstName }}
userErrors {{ message }}
}}
}}"""
CUSTOMER = """query ShopperCustomer {
customer { email firstName lastName }
}"""
MARKET = """mutation ShopperMarket {
setMarket(id: 2) { session { market { name } } userErrors { message } }
}"""


@pytest.fixture
def api(empty_db_url: str, tmp_path: Path) -> Iterator[Served]:
    with serve(empty_db_url, tmp_path) as served:
        yield served


def register(api: Served) -> None:
    """A customer with the documented password, registered from another session."""
    answer = httpx.post(f"{api.base}/graphql",
                        headers={"authorization": f"Bearer {api.session_token}"},
                        json={"query": REGISTER, "variables": {"input": support.registration(
                            EMAIL, first_name="Ada", last_name="Lovelace",
                            password=PASSWORD)}}).json()
    assert answer["data"]["registerCustomer"] == {"loggedIn": None, "userErrors": []}, answer


def run(page: Any, document: str, shown: str) -> str:
    """Type ``document`` (one named operation) into the query editor, run it, wait until the
    answer shows ``shown``, and return the answer as the page shows it."""
    page.click(".graphiql-query-editor .CodeMirror")
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(document)
    # GraphiQL reads the document a moment after the last keystroke; until then its run
    # button would offer the operations of the document before. Its tab shows the name once
    # it has read it (the names are not those of the default document's operations).
    name = document.split()[1]
    page.wait_for_function(
        "name => document.querySelector('.graphiql-tab-active').innerText.trim() === name",
        arg=name)
    page.click(".graphiql-execute-button")
    page.wait_for_function(
        "shown => document.querySelector('.graphiql-response').innerText.includes(shown)",
        arg=shown)
    return page.inner_text(".graphiql-response")  # type: ignore[no-any-return]


def record(page: Any, api: Served) -> list[Any]:
    """The page's requests to the API, as they are sent."""
    sent: list[Any] = []
    page.on("request", lambda request: sent.append(request)
            if request.method == "POST" and request.url == f"{api.base}/graphql" else None)
    return sent


def test_a_shopper_logs_in_in_the_explorer(api: Served, chromium: Chromium,
                                           tmp_path: Path) -> None:
    register(api)
    link = re.search(r"explorer \(open in a browser\): (\S+)", api.output())
    assert link is not None, api.output()
    assert link.group(1) == f"{api.base}/graphql#token={api.session_token}"

    page = chromium.page(viewport={"width": 1400, "height": 900})
    sent = record(page, api)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)

    # The link hands the page the API client's session token in the fragment; the page
    # keeps it and takes it off the address bar. GraphiQL asks for the schema with it,
    # which starts the session.
    page.goto(link.group(1))
    page.wait_for_function("() => document.getElementById('shopper-token').title !== ''")
    assert page.url == f"{api.base}/graphql"
    assert page.input_value("#client-token") == api.session_token

    run(page, SESSION, '"code": "SE"')
    shown = run(page, LOGIN, f'"email": "{EMAIL}"')
    assert '"loggedIn": {' in shown and '"firstName": "Ada"' in shown, shown
    run(page, CUSTOMER, '"lastName": "Lovelace"')
    screenshot = tmp_path / "explorer.png"
    page.screenshot(path=str(screenshot))
    print(f"screenshot: {screenshot}")

    # Each request went with the token of the answer before it: the first with the client's
    # session token, the login with the session's, the customer query with the new token
    # the login answered (the old one stopped working).
    answers = [request.response().json() for request in sent]
    tokens = [request.headers["authorization"].removeprefix("Bearer ") for request in sent]
    assert len(sent) == 4, [request.post_data for request in sent]
    assert "IntrospectionQuery" in sent[0].post_data
    assert tokens[0] == api.session_token
    for before, token in zip(answers, tokens[1:], strict=False):
        assert token == before["extensions"]["token"]
    session, login, customer = answers[1:]
    assert session["data"] == {"session": {"country": {"code": "SE"}, "loggedIn": None}}
    assert login["data"]["login"] == {"loggedIn": {"email": EMAIL, "firstName": "Ada"},
                                      "userErrors": []}
    assert login["extensions"]["token"] != tokens[2]
    assert customer["data"] == {"customer": {"email": EMAIL, "firstName": "Ada",
                                             "lastName": "Lovelace"}}

    # "New session": back to the client's token, and a guest again.
    page.click("#new-session")
    run(page, SESSION, '"loggedIn": null')
    assert sent[-1].headers["authorization"] == f"Bearer {api.session_token}"
    assert problems == []


def test_a_token_typed_in_and_the_shared_secret(api: Served, chromium: Chromium) -> None:
    """Without the link: the page has no token until one is typed in; then GraphiQL asks
    for the schema again, with it. A shared secret typed in goes with every request."""
    secret = re.search(r"demo client shared secret:\s+(\S+)", api.output())
    assert secret is not None
    page = chromium.page()
    sent = record(page, api)
    page.goto(f"{api.base}/graphql")
    page.wait_for_function("() => document.querySelector('.graphiql-response') !== null")
    page.wait_for_function("() => document.querySelector('.graphiql-response')"
                           ".innerText.includes('Unauthorized')")
    assert page.input_value("#client-token") == ""
    assert "authorization" not in sent[0].headers

    page.fill("#client-token", api.session_token)
    page.press("#client-token", "Tab")
    page.wait_for_function("() => document.getElementById('shopper-token').title !== ''")
    assert sent[-1].headers["authorization"] == f"Bearer {api.session_token}"
    run(page, SESSION, '"code": "SE"')
    assert "x-shared-secret" not in sent[-1].headers

    # setMarket needs the shared secret.
    page.fill("#shared-secret", secret.group(1))
    shown = run(page, MARKET, '"market": {')
    assert sent[-1].headers["x-shared-secret"] == secret.group(1)
    assert sent[-1].headers["authorization"] == \
        f"Bearer {sent[-2].response().json()['extensions']['token']}"
    answer = sent[-1].response().json()
    assert "errors" not in answer and answer["data"]["setMarket"]["userErrors"] == [], shown
