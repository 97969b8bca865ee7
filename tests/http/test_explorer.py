"""The explorer (DTC_EXPLORER): GraphiQL for a browser's GET /graphql, from files shipped in
the package; every GraphQL request is answered as without it, and with it off nothing
changes at all."""

from __future__ import annotations

import gzip
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from dtc_api.access.clients import ClientCredentials
from dtc_api.app import create_app
from dtc_api.clock import SteppableClock
from dtc_api.config import ConfigError, Settings
from dtc_api.http.explorer import FILES
from tests import support
from tests.support import GRAPHQL, JSON

# What Chromium sends when it opens a page.
BROWSER = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
           "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
TYPENAME = {"query": "{ __typename }"}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return support.settings_for(db_url, explorer=True)


@pytest.fixture
async def plain_http(db_url: str, clock: SteppableClock) -> AsyncIterator[httpx.AsyncClient]:
    """The app as deployed by default: explorer off."""
    application = create_app(support.settings_for(db_url), clock=clock)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.7", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://dtc.test") as client:
            yield client


def bearer(credentials: ClientCredentials) -> dict[str, str]:
    return {"authorization": f"Bearer {credentials.session_token}"}


def page_assets(page: str) -> list[str]:
    """The files the page loads, in order: every one its own (the icon is an empty data:
    URL, so that the browser asks for no /favicon.ico)."""
    loaded = [url for url in re.findall(r'(?:src|href)="([^"]+)"', page) if url != "data:,"]
    assert all(url.startswith("graphql/explorer/") for url in loaded), loaded
    return loaded


async def test_explorer_page_for_a_browser(http: httpx.AsyncClient) -> None:
    response = await http.get(GRAPHQL, headers={"accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["vary"] == "Accept"
    assert response.headers["x-frame-options"] == "DENY"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "default-src 'none'" in policy
    assert "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
    # Scripts only from files of its own: none inline, none from elsewhere.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.DOTALL)
    assert len(scripts) == 4
    assert all('src="graphql/explorer/' in attributes and not body.strip()
               for attributes, body in scripts)
    assert len(page_assets(response.text)) == len(FILES)
    assert "{{" not in response.text


async def test_every_file_the_page_names_is_served(http: httpx.AsyncClient) -> None:
    page = (await http.get(GRAPHQL, headers={"accept": BROWSER})).text
    names = page_assets(page)
    assert {name.partition("?")[0].removeprefix("graphql/explorer/") for name in names} \
        == set(FILES)
    for name in names:
        response = await http.get(f"/{name}")
        assert response.status_code == 200, name
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(("name", "media_type", "starts"), [
    ("graphiql.min.js", "text/javascript; charset=utf-8", b"!function(e,t)"),
    ("react.production.min.js", "text/javascript; charset=utf-8", b"/**"),
    ("react-dom.production.min.js", "text/javascript; charset=utf-8", b"/**"),
    ("explorer.js", "text/javascript; charset=utf-8", b"// The explorer page"),
    ("graphiql.min.css", "text/css; charset=utf-8", b""),
    ("explorer.css", "text/css; charset=utf-8", b"/*"),
])
async def test_explorer_files_and_their_media_types(
    http: httpx.AsyncClient, name: str, media_type: str, starts: bytes
) -> None:
    plain = await http.get(f"/graphql/explorer/{name}", headers={"accept-encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["content-type"] == media_type
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert "content-encoding" not in plain.headers
    assert plain.content.startswith(starts) and len(plain.content) > 500

    # Gzipped for a browser that takes it (GraphiQL's 1.5 MB are 0.6 MB so).
    raw = b""
    async with http.stream("GET", f"/graphql/explorer/{name}",
                           headers={"accept-encoding": "gzip, deflate, br"}) as zipped:
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.headers["vary"] == "Accept-Encoding"
        async for chunk in zipped.aiter_raw():
            raw += chunk
    assert gzip.decompress(raw) == plain.content
    assert zipped.headers["etag"] != plain.headers["etag"]

    # A browser that has it asks again only to hear that it has not changed.
    again = await http.get(f"/graphql/explorer/{name}", headers={
        "accept-encoding": "identity", "if-none-match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize("name", ["nothing.js", "..%2Fendpoint.py", "vendor%2Fgraphiql.min.js",
                                  "LICENSE.graphiql", "page.html"])
async def test_only_the_pages_files_are_served(http: httpx.AsyncClient, name: str) -> None:
    assert (await http.get(f"/graphql/explorer/{name}")).status_code == 404


@pytest.mark.parametrize("accept", [None, "*/*", JSON, "application/graphql-response+json",
                                    "application/json, text/html", "text/html;q=0.5, */*"])
async def test_graphql_clients_get_answers_as_before(
    http: httpx.AsyncClient, credentials: ClientCredentials, accept: str | None
) -> None:
    headers = bearer(credentials) | ({"accept": accept} if accept is not None else {})
    got = await http.get(GRAPHQL, params=TYPENAME, headers=headers)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/")
    assert got.json()["data"] == {"__typename": "Query"}
    posted = await http.post(GRAPHQL, json=TYPENAME, headers=headers)
    assert posted.json()["data"] == {"__typename": "Query"}


async def test_a_browser_posting_gets_json(http: httpx.AsyncClient,
                                           credentials: ClientCredentials) -> None:
    """The page's own requests, and a form's: only a GET can be the page."""
    posted = await http.post(GRAPHQL, json=TYPENAME,
                             headers=bearer(credentials) | {"accept": BROWSER})
    assert posted.headers["content-type"] == "application/json; charset=utf-8"
    assert posted.json()["data"] == {"__typename": "Query"}
    head = await http.head(GRAPHQL, headers={"accept": BROWSER})
    assert head.status_code == 405


async def test_a_browser_opening_a_query_url_gets_the_page(http: httpx.AsyncClient) -> None:
    """The page puts the URL's query into the editor."""
    response = await http.get(GRAPHQL, params=TYPENAME, headers={"accept": BROWSER})
    assert response.headers["content-type"] == "text/html; charset=utf-8"


async def answers_of(http: httpx.AsyncClient, accept: str) -> tuple[int, str, Any]:
    response = await http.get(GRAPHQL, headers={"accept": accept})
    return response.status_code, response.headers["content-type"], response.json()


async def test_explorer_off_changes_nothing(plain_http: httpx.AsyncClient) -> None:
    # A browser gets JSON (it accepts */*): there is no query to run.
    status, media_type, body = await answers_of(plain_http, BROWSER)
    assert (status, media_type) == (400, "application/json; charset=utf-8")
    assert body["errors"] == [{"message": "query is missing"}]
    # Only HTML is not something /graphql speaks.
    status, media_type, body = await answers_of(plain_http, "text/html")
    assert (status, media_type) == (406, "application/json; charset=utf-8")
    assert body["errors"][0]["message"].startswith("Not Acceptable")
    # And none of the page's files.
    for name in FILES:
        assert (await plain_http.get(f"/graphql/explorer/{name}")).status_code == 404


@pytest.mark.parametrize(("value", "on"), [("true", True), ("1", True), ("false", False),
                                           ("", False)])
def test_dtc_explorer_setting(value: str, on: bool) -> None:
    assert Settings.from_env({"DTC_EXPLORER": value}).explorer is on
    assert Settings.from_env({}).explorer is False


def test_dtc_explorer_must_be_a_boolean() -> None:
    with pytest.raises(ConfigError, match="DTC_EXPLORER"):
        Settings.from_env({"DTC_EXPLORER": "sometimes"})
