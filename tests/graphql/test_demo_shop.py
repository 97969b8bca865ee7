"""`serve --demo` looks like a small shop: categories, products with images served by dtc-api
under /media/, a bundle, a product on subscription, texts in English, Swedish and German."""

from __future__ import annotations

from typing import Any

import httpx

from dtc_api.access.clients import ClientCredentials
from tests.support import Shopper, post_as

SHOP = """{
  categories(parent: 0) { list { uri name translations { language { code } name } } }
  displayItems(limit: 100, market: [1], pricelist: [1]) {
    pagination { total }
    list { id name media { source(sizeName: "mini") { url } } bundle { type }
           subscriptionPlans { id } translations { language { code } } }
  }
}"""


async def no_session(http: httpx.AsyncClient, credentials: ClientCredentials, query: str
                     ) -> dict[str, Any]:
    answer = (await post_as(http, credentials.no_session_token, {"query": query})).json()
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]


async def test_the_demo_is_a_small_shop(http: httpx.AsyncClient,
                                        credentials: ClientCredentials) -> None:
    shop = await no_session(http, credentials, SHOP)
    top = shop["categories"]["list"]
    assert [c["uri"] for c in top] == ["women", "men", "accessories", "gifts"]
    assert {t["language"]["code"] for c in top for t in c["translations"]} == {"sv", "de"}
    items = shop["displayItems"]["list"]
    assert shop["displayItems"]["pagination"]["total"] == len(items) >= 12
    assert all(item["media"] for item in items)
    assert all({t["language"]["code"] for t in item["translations"]} == {"sv", "de"}
               for item in items)
    assert {item["bundle"]["type"] for item in items if item["bundle"]} == {"FIXED", "FLEXIBLE"}
    assert any(item["subscriptionPlans"] for item in items)
    # Every image is served, as the URL says.
    for item in items:
        url = item["media"][0]["source"]["url"]
        assert url.startswith("http://dtc.test/media/")
        image = await http.get(url)
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.content.startswith(b"\x89PNG\r\n\x1a\n")


async def test_media_serves_images_only(http: httpx.AsyncClient) -> None:
    assert (await http.get("/media/no-such.png")).status_code == 404
    assert (await http.get("/media/../data.json")).status_code == 404
    assert (await http.get("/media/%2e%2e/data.json")).status_code == 404


async def test_a_swedish_session_reads_swedish(shopper: Shopper) -> None:
    await shopper.gql('mutation { setLanguage(code: "sv") { userErrors { message } } }')
    found = await shopper.gql('{ displayItem(id: 1) { name category { name uri } } '
                              'categories(parent: 0) { list { name } } }')
    assert found["displayItem"]["name"] == "T-shirt i ekologisk bomull"
    # The category's path is Swedish too: the links of a Swedish page.
    assert found["displayItem"]["category"] == {"name": ["Dam", "Överdelar"],
                                                "uri": "dam/overdelar"}
    assert [c["name"] for c in found["categories"]["list"]] == [
        ["Dam"], ["Herr"], ["Accessoarer"], ["Presenter"]]
