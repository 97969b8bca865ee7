"""addWishlistItem, removeWishlistItem and customer.wishlists, over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dtc_api.access.clients import ClientCredentials
from dtc_api.clock import SteppableClock
from tests import support
from tests.support import Shopper

DISPLAY_ITEM = """
  id name uri productNumber
  price { value formattedValue currency { code } }
  items { id stock { available quantity } }
"""
WISHLIST = f"id name isDefault items {{ {DISPLAY_ITEM} }}"
ADD = f"""
mutation($item: Int!, $wishlist: Int) {{
  addWishlistItem(displayItemId: $item, wishlistId: $wishlist) {{
    wishlist {{ {WISHLIST} }}
    userErrors {{ message path }}
  }}
}}
"""
REMOVE = f"""
mutation($item: Int!, $wishlist: Int!) {{
  removeWishlistItem(displayItemId: $item, wishlistId: $wishlist) {{
    wishlist {{ {WISHLIST} }}
    userErrors {{ message path }}
  }}
}}
"""
WISHLISTS = f"{{ customer {{ wishlists {{ {WISHLIST} }} }} }}"


async def register(shopper: Shopper, email: str = "daniel@example.com") -> int:
    return int((await support.register(shopper, email, login=True))["id"])  # type: ignore[index]


async def add(shopper: Shopper, item: int, wishlist: int | None = None) -> dict[str, Any]:
    return (await shopper.gql(ADD, {"item": item, "wishlist": wishlist}))["addWishlistItem"]  # type: ignore[no-any-return]


async def remove(shopper: Shopper, item: int, wishlist: int) -> dict[str, Any]:
    return (await shopper.gql(REMOVE, {"item": item, "wishlist": wishlist}))[  # type: ignore[no-any-return]
        "removeWishlistItem"]


async def wishlists(shopper: Shopper) -> list[dict[str, Any]]:
    return (await shopper.gql(WISHLISTS))["customer"]["wishlists"]  # type: ignore[no-any-return]


def ids(wishlist: dict[str, Any]) -> list[int]:
    return [item["id"] for item in wishlist["items"]]


async def test_add_creates_the_default_wishlist_on_first_use(shopper: Shopper) -> None:
    await register(shopper)
    assert await wishlists(shopper) == []
    payload = await add(shopper, 1)
    assert payload["userErrors"] == []
    wishlist = payload["wishlist"]
    assert isinstance(wishlist["id"], int)
    assert wishlist["isDefault"] is True
    assert wishlist["name"]
    [item] = wishlist["items"]
    assert {k: item[k] for k in ("id", "name", "uri", "productNumber")} == {
        "id": 1, "name": "Organic Cotton T-Shirt", "uri": "organic-cotton-t-shirt",
        "productNumber": "TS-100"}
    assert item["price"] == {"value": 299.0, "formattedValue": "299,00 SEK",
                             "currency": {"code": "SEK"}}
    assert [i["id"] for i in item["items"]] == ["1-1", "1-2", "1-3"]
    assert item["items"][0]["stock"]["available"] is True
    assert await wishlists(shopper) == [wishlist]

    second = await add(shopper, 2)
    assert second["userErrors"] == []
    assert second["wishlist"]["id"] == wishlist["id"]  # the same default list, not a new one
    assert ids(second["wishlist"]) == [1, 2]
    assert len(await wishlists(shopper)) == 1


async def test_add_twice_and_remove_are_idempotent(shopper: Shopper) -> None:
    await register(shopper)
    first = await add(shopper, 3)
    wishlist_id = first["wishlist"]["id"]
    again = await add(shopper, 3)
    assert again["userErrors"] == []
    assert again["wishlist"] == first["wishlist"]
    again = await add(shopper, 3, wishlist_id)
    assert again["userErrors"] == []
    assert ids(again["wishlist"]) == [3]

    removed = await remove(shopper, 3, wishlist_id)
    assert removed["userErrors"] == []
    assert removed["wishlist"]["id"] == wishlist_id
    assert removed["wishlist"]["items"] == []
    absent = await remove(shopper, 3, wishlist_id)
    assert absent["userErrors"] == []
    assert absent["wishlist"]["items"] == []
    never_added = await remove(shopper, 4, wishlist_id)
    assert never_added["userErrors"] == []
    [wishlist] = await wishlists(shopper)
    assert (wishlist["id"], wishlist["isDefault"], wishlist["items"]) == (wishlist_id, True, [])


async def test_unknown_display_item_is_a_user_error(shopper: Shopper) -> None:
    await register(shopper)
    payload = await add(shopper, 999)
    assert payload == {"wishlist": None, "userErrors": [
        {"message": "display item 999 not found", "path": ["addWishlistItem", "displayItemId"]}]}
    assert await wishlists(shopper) == []  # no default wishlist was made for it


async def test_a_wishlist_of_another_customer_is_a_user_error(
    shopper: Shopper, http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    other = Shopper(http, credentials)
    await register(other, "other@example.com")
    foreign = (await add(other, 1))["wishlist"]
    await register(shopper)

    added = await add(shopper, 2, foreign["id"])
    assert added["wishlist"] is None
    [error] = added["userErrors"]
    assert error["path"] == ["addWishlistItem", "wishlistId"]
    removed = await remove(shopper, 1, foreign["id"])
    assert removed["wishlist"] is None
    [error] = removed["userErrors"]
    assert error["path"] == ["removeWishlistItem", "wishlistId"]

    assert await wishlists(other) == [foreign]
    assert await wishlists(shopper) == []


@pytest.mark.parametrize("operation", [
    "mutation { addWishlistItem(displayItemId: 1) { userErrors { message } } }",
    "mutation { removeWishlistItem(displayItemId: 1, wishlistId: 1) { userErrors { message } } }",
])
async def test_wishlist_mutations_need_a_login(operation: str, shopper: Shopper) -> None:
    answer = await shopper.raw(operation)
    assert "data" not in answer
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]


async def test_wishlist_prices_follow_the_session_pricelist(shopper: Shopper) -> None:
    await register(shopper)
    await add(shopper, 1)
    await add(shopper, 2)
    [wishlist] = await wishlists(shopper)
    assert [(i["price"]["formattedValue"], i["price"]["currency"]["code"])
            for i in wishlist["items"]] == [("299,00 SEK", "SEK"), ("1 299,00 SEK", "SEK")]

    answer = await shopper.gql(
        'mutation { setCountryState(countryCode: "DE") { userErrors { message } } }')
    assert answer["setCountryState"]["userErrors"] == []
    [wishlist] = await wishlists(shopper)
    assert [(i["price"]["value"], i["price"]["formattedValue"], i["price"]["currency"]["code"])
            for i in wishlist["items"]] == [(29.0, "29,00 €", "EUR"), (119.0, "119,00 €", "EUR")]
    # The mutation payload prices in the session's pricelist too.
    payload = await add(shopper, 4)
    assert [i["price"]["formattedValue"] for i in payload["wishlist"]["items"]] == [
        "29,00 €", "119,00 €", "32,00 €"]


async def test_wishlist_items_paging(shopper: Shopper, clock: SteppableClock) -> None:
    await register(shopper)
    for item in (5, 1, 3, 2, 4):
        clock.advance(seconds=1)
        assert (await add(shopper, item))["userErrors"] == []
    data = await shopper.gql("""{
      customer {
        wishlists {
          all: items { id }
          first: items(limit: 2) { id }
          second: items(limit: 2, page: 2) { id }
          third: items(limit: 2, page: 3) { id }
          beyond: items(limit: 2, page: 4) { id }
        }
      }
    }""")
    [wishlist] = data["customer"]["wishlists"]
    pages = {name: [item["id"] for item in items] for name, items in wishlist.items()}
    assert pages == {"all": [5, 1, 3, 2, 4], "first": [5, 1], "second": [3, 2],
                     "third": [4], "beyond": []}
