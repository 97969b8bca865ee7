"""CORS: a shop's pages call the storefront API from the browser, as Centra storefronts do for
the cart; the origins allowed are the API client's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dtc_api.access import clients
from dtc_api.access.clients import ClientCredentials
from dtc_api.store import tables as t
from tests import support
from tests.support import GRAPHQL, UNAUTHORIZED, Shopper

SHOP = "https://shop.example"  # the test client's frontend URL is https://shop.example
READABLE = {"access-control-allow-origin": SHOP,
            "access-control-expose-headers": "Retry-After"}
SESSION = "{ session { country { code } } }"
PREFLIGHT = {"access-control-request-method": "POST",
             "access-control-request-headers": "authorization,content-type"}


async def count_sessions(runtime: Any) -> int:
    async with runtime.db.read() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(t.sessions)))


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


async def preflight(http: httpx.AsyncClient, origin: str, **asked: str) -> httpx.Response:
    headers = {"origin": origin, **PREFLIGHT, **asked}
    return await http.options(GRAPHQL, headers=headers)


async def post_from(http: httpx.AsyncClient, origin: str, token: str, query: str = SESSION
                    ) -> httpx.Response:
    return await http.post(GRAPHQL, json={"query": query}, headers={
        "origin": origin, "authorization": f"Bearer {token}"})


UPDATE = """mutation($input: ApiClientInput!) {
  updateApiClient(input: $input) {
    client { allowedOrigins corsOrigins } userErrors { message path }
  }
}"""


async def test_preflight_from_the_clients_frontend_is_allowed(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    response = await preflight(http, SHOP)
    assert response.status_code == 204
    assert cors_headers(response) == {
        "access-control-allow-origin": SHOP,
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": "authorization, content-type, x-shared-secret, "
                                        "accept, accept-language, content-language",
        "access-control-max-age": "600",
    }
    assert "Origin" in response.headers["vary"]
    # The shared secret is a header a storefront sends on privileged calls.
    asked = await preflight(http, SHOP, **{
        "access-control-request-headers": "Content-Type, Authorization, X-Shared-Secret"})
    assert asked.status_code == 204


@pytest.mark.parametrize("origin", [
    "https://evil.example", "https://shop.example.evil.example", "http://shop.example",
    "https://shop.example:8443", "null", "",
])
async def test_preflight_from_another_origin_is_refused_without_cors_headers(
    http: httpx.AsyncClient, credentials: ClientCredentials, origin: str
) -> None:
    response = await preflight(http, origin)
    assert response.status_code == 403
    assert cors_headers(response) == {}
    assert "is not allowed" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("asked", "message"), [
    ({"access-control-request-method": "PUT"}, "Method PUT is not allowed: use GET or POST"),
    ({"access-control-request-headers": "authorization, x-evil"}, "Headers not allowed: x-evil"),
])
async def test_preflight_for_other_methods_or_headers_is_refused(
    http: httpx.AsyncClient, credentials: ClientCredentials, asked: dict[str, str],
    message: str
) -> None:
    response = await preflight(http, SHOP, **asked)
    assert response.status_code == 403
    assert cors_headers(response) == {}
    assert response.json() == {"errors": [{"message": message}]}


async def test_options_without_a_preflight_lists_the_methods(http: httpx.AsyncClient) -> None:
    response = await http.options(GRAPHQL)
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, POST, OPTIONS"
    assert cors_headers(response) == {}
    # The back-office API is not for browsers.
    assert (await http.options("/integration/graphql", headers={
        "origin": SHOP, **PREFLIGHT})).status_code == 405


async def test_answers_to_the_clients_pages_may_be_read(
    http: httpx.AsyncClient, credentials: ClientCredentials, shopper: Shopper
) -> None:
    await shopper.gql(SESSION)
    response = await post_from(http, SHOP, shopper.token)
    assert response.status_code == 200
    assert response.json()["data"] == {"session": {"country": {"code": "SE"}}}
    assert cors_headers(response) == READABLE  # and no credentials
    assert response.headers["vary"] == "Origin"
    # A server-side call (no Origin) gets no CORS headers; the answer still varies by Origin,
    # so that no cache hands it to a page.
    plain = await shopper.post(SESSION)
    assert cors_headers(plain) == {} and plain.headers["vary"] == "Origin"
    # Refusals before any GraphQL are readable too (the page must see why).
    refused = await http.post(GRAPHQL, content=b"{}", headers={
        "origin": SHOP, "authorization": f"Bearer {shopper.token}", "content-type": "text/plain"})
    assert refused.status_code == 415 and cors_headers(refused) == READABLE


async def test_an_unknown_token_from_a_shop_page_is_readable_as_unauthorized(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    """The page must read "Unauthorized" to start a new session."""
    response = await post_from(http, SHOP, "no-such-token")
    assert response.json() == UNAUTHORIZED
    assert cors_headers(response) == READABLE
    foreign = await post_from(http, "https://evil.example", "no-such-token")
    assert foreign.json() == UNAUTHORIZED
    assert cors_headers(foreign) == {}


async def test_a_page_of_an_origin_the_client_does_not_list_is_refused(
    http: httpx.AsyncClient, credentials: ClientCredentials, shopper: Shopper, runtime: Any,
    clock: Any
) -> None:
    await shopper.gql(SESSION)
    async with runtime.db.write() as conn:
        await clients.create(conn, "other", clock.now(), frontend_url="https://other.example")
    # https://other.example passes a preflight (it is another client's), but its page holds
    # a token of this client: refused, and nothing runs.
    assert (await preflight(http, "https://other.example")).status_code == 204
    response = await post_from(http, "https://other.example", shopper.token,
                               'mutation { setLanguage(code: "de") { userErrors { message } } }')
    assert response.status_code == 403
    assert cors_headers(response) == {}
    assert response.json()["errors"] == [{
        "message": "Origin https://other.example is not allowed for this API client: add it "
                   "to the client's allowed origins"}]
    language = await shopper.gql("{ session { language { code } } }")
    assert language["session"]["language"]["code"] == "en"
    # With the client's session token: refused before a session is created.
    before = await count_sessions(runtime)
    fresh = await post_from(http, "https://other.example", credentials.session_token)
    assert fresh.status_code == 403 and "token" not in fresh.text
    assert await count_sessions(runtime) == before


async def test_a_page_of_the_api_itself_is_not_a_foreign_origin(
    http: httpx.AsyncClient, shopper: Shopper
) -> None:
    await shopper.gql(SESSION)
    response = await post_from(http, "http://dtc.test", shopper.token)  # the Host addressed
    assert response.json()["data"] == {"session": {"country": {"code": "SE"}}}
    assert cors_headers(response) == {}  # same origin: the browser needs none


async def test_more_origins_through_the_back_office(
    http: httpx.AsyncClient, credentials: ClientCredentials, shopper: Shopper, key: str
) -> None:
    staging = "https://staging.shop.example"
    await shopper.gql(SESSION)
    assert (await preflight(http, staging)).status_code == 403
    answer = await support.backoffice(http, key, UPDATE, {"input": {
        "name": "storefront",
        "allowedOrigins": [f"{staging}/", "HTTP://LOCALHOST:3000", "https://x.example:443",
                           "https://Bücher.example", "http://[0:0::1]:8080"]}})
    assert answer["updateApiClient"] == {"client": {
        "allowedOrigins": [staging, "http://localhost:3000", "https://x.example",
                           "https://xn--bcher-kva.example", "http://[::1]:8080"],
        "corsOrigins": ["http://[::1]:8080", "http://localhost:3000", SHOP, staging,
                        "https://x.example", "https://xn--bcher-kva.example"],
    }, "userErrors": []}
    assert (await preflight(http, staging)).status_code == 204
    response = await post_from(http, "http://localhost:3000", shopper.token)
    assert cors_headers(response)["access-control-allow-origin"] == "http://localhost:3000"
    # Null clears the list; the frontend URL's origin stays.
    cleared = await support.backoffice(http, key, UPDATE, {"input": {
        "name": "storefront", "allowedOrigins": None}})
    assert cleared["updateApiClient"]["client"] == {"allowedOrigins": [], "corsOrigins": [SHOP]}
    assert (await preflight(http, staging)).status_code == 403


@pytest.mark.parametrize("origin", [
    "shop.example", "ftp://shop.example", "https://shop.example/path", "https://",
    "https://user:pw@shop.example", "https://shop.example?x=1", "*", "x" * 400,
    "https://shop.example:99999", "https://shop.example#x", "https://a.example,b.example",
    "https://shop .example", "http://0x7f.1", "https://shop.example.", "null",
])
async def test_an_origin_that_is_not_one_is_refused_with_its_path(
    http: httpx.AsyncClient, credentials: ClientCredentials, key: str, origin: str
) -> None:
    answer = await support.backoffice(http, key, UPDATE, {"input": {
        "name": "storefront", "allowedOrigins": ["https://fine.example", origin]}})
    [error] = answer["updateApiClient"]["userErrors"]
    assert error["path"] == ["updateApiClient", "input", "allowedOrigins", "1"]
    assert answer["updateApiClient"]["client"] is None
    assert (await preflight(http, "https://fine.example")).status_code == 403  # nothing saved


async def test_at_most_twenty_origins(
    http: httpx.AsyncClient, credentials: ClientCredentials, key: str
) -> None:
    many = [f"https://s{n}.example" for n in range(21)]
    answer = await support.backoffice(http, key, UPDATE, {"input": {
        "name": "storefront", "allowedOrigins": many}})
    assert answer["updateApiClient"]["userErrors"] == [{
        "message": "at most 20 allowed origins",
        "path": ["updateApiClient", "input", "allowedOrigins"]}]
