"""Bundles: their definition in the back-office, their sections, price and stock on the
display item, and bundle lines in the cart (addItem for FIXED, addFlexibleBundle)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests import support
from tests.support import Shopper

LINE = """
fragment line on Line {
  __typename id quantity subscriptionId
  lineValue { value }
  item { id stock { available quantity } }
  displayItem { id price { value } }
  ... on BundleLine {
    bundle { id type priceType sections { id quantity lines { id name quantity
      lineValue { value } item { id } } } }
  }
}
"""
ERRORS = "userErrors { __typename message path ... on UnavailableItem { availableQuantity } }"
ADD = LINE + """
mutation($item: String!, $quantity: Int! = 1) {
  addItem(item: $item, quantity: $quantity) {
    line { ...line } selection { lines { ...line } grandTotal { value } } """ + ERRORS + """
  }
}"""
ADD_FLEXIBLE = LINE + """
mutation($item: String!, $quantity: Int! = 1, $sections: [BundleSectionInput!]!) {
  addFlexibleBundle(item: $item, quantity: $quantity, sections: $sections) {
    line { ...line } selection { lines { ...line } } """ + ERRORS + """
  }
}"""
UPDATE = LINE + """
mutation($line: String!, $quantity: Int) {
  updateLine(lineId: $line, quantity: $quantity) {
    selection { lines { ...line } } """ + ERRORS + """
  }
}"""
BUNDLE = """{ selection { lines { displayItem { id price { value } bundle {
  id type priceType minPrice { value } maxPrice { value }
  sections { id quantity items { id name price { value } } } } } } } }"""


def bundle(id_: int, kind: str, price_type: str, sections: list[tuple[int, int, list[int]]],
           sizes: int = 1, price: float | None = None) -> dict[str, Any]:
    return {"id": id_, "name": f"Bundle {id_}", "uri": f"bundle-{id_}",
            "productNumber": f"B-{id_}",
            "prices": [] if price is None else [{"pricelist": "sek", "price": price}],
            "items": [{"id": f"{id_}-{n}", "sizeId": n, "name": f"Size {n}",
                       "sku": f"B-{id_}-{n}"} for n in range(1, sizes + 1)],
            "bundle": {"type": kind, "priceType": price_type, "sections": [
                {"id": s, "quantity": q, "displayItems": members}
                for s, q, members in sections]}}


# T-shirt (1: S, M, L), sweater (2), jeans (3), tote bag (4: one size), 299/1299/1499/349 SEK.
CATALOGUE = {"displayItems": [
    bundle(20, "FIXED", "STATIC", [(201, 1, [1]), (202, 2, [4])], sizes=2, price=1499.0),
    bundle(21, "FLEXIBLE", "DYNAMIC", [(211, 1, [1, 2]), (212, 1, [3])]),
    bundle(22, "FIXED", "DYNAMIC", [(221, 1, [1]), (222, 1, [4])]),
]}


@pytest.fixture
async def bundles(http: httpx.AsyncClient, key: str) -> None:
    assert await support.upsert_catalogue(http, key, CATALOGUE) == []


async def add(shopper: Shopper, item: str, quantity: int = 1) -> dict[str, Any]:
    return (await shopper.gql(ADD, {"item": item, "quantity": quantity}))["addItem"]


async def add_flexible(shopper: Shopper, sections: dict[int, str], quantity: int = 1,
                       item: str = "21-1") -> dict[str, Any]:
    chosen = [{"sectionId": s, "item": i} for s, i in sections.items()]
    return (await shopper.gql(ADD_FLEXIBLE, {"item": item, "quantity": quantity,
                                             "sections": chosen}))["addFlexibleBundle"]


async def test_a_fixed_bundle_line_holds_its_sections(shopper: Shopper, bundles: None) -> None:
    added = await add(shopper, "20-2", 2)
    assert added["userErrors"] == []
    line = added["line"]
    assert line["__typename"] == "BundleLine"
    assert line["lineValue"] == {"value": 2998.0}  # its own price, twice
    # The bundle's stock is its sections': M T-shirts (55) and tote bags (120, 2 a bundle).
    assert line["item"]["stock"] == {"available": True, "quantity": 55}
    assert line["bundle"]["type"] == "FIXED" and line["bundle"]["priceType"] == "STATIC"
    assert [(s["id"], s["quantity"], [(x["item"]["id"], x["quantity"], x["lineValue"]["value"])
                                      for x in s["lines"]])
            for s in line["bundle"]["sections"]] == [
        (201, 1, [("1-2", 2, 0.0)]), (202, 2, [("4-1", 4, 0.0)])]
    assert line["bundle"]["sections"][0]["lines"][0]["name"] == "Organic Cotton T-Shirt"
    assert added["selection"]["grandTotal"] == {"value": 2998.0}


async def test_the_display_item_shows_its_bundle(shopper: Shopper, bundles: None) -> None:
    await add(shopper, "20-1")
    await add(shopper, "22-1")
    await add_flexible(shopper, {211: "1-1", 212: "3-1"})
    found = {line["displayItem"]["id"]: line["displayItem"]
             for line in (await shopper.gql(BUNDLE))["selection"]["lines"]}
    fixed, flexible, summed = found[20], found[21], found[22]
    assert fixed["price"] == {"value": 1499.0}
    assert fixed["bundle"]["minPrice"] == fixed["bundle"]["maxPrice"] == {"value": 1499.0}
    assert [(s["id"], s["quantity"], [i["id"] for i in s["items"]])
            for s in fixed["bundle"]["sections"]] == [(201, 1, [1]), (202, 2, [4])]
    # A FLEXIBLE, DYNAMIC bundle has no single price: the cheapest and dearest contents.
    assert flexible["price"] is None
    assert flexible["bundle"]["minPrice"] == {"value": 299.0 + 1499.0}
    assert flexible["bundle"]["maxPrice"] == {"value": 1299.0 + 1499.0}
    assert [i["name"] for i in flexible["bundle"]["sections"][0]["items"]] == [
        "Organic Cotton T-Shirt", "Merino Wool Sweater"]
    # A FIXED, DYNAMIC bundle costs the sum of what it holds.
    assert summed["price"] == {"value": 299.0 + 349.0}


async def test_a_flexible_bundle_line_per_choice(shopper: Shopper, bundles: None) -> None:
    first = await add_flexible(shopper, {211: "2-1", 212: "3-2"})
    assert first["userErrors"] == []
    assert first["line"]["lineValue"] == {"value": 1299.0 + 1499.0}
    assert [[(x["item"]["id"], x["lineValue"]["value"]) for x in s["lines"]]
            for s in first["line"]["bundle"]["sections"]] == [[("2-1", 1299.0)],
                                                               [("3-2", 1499.0)]]
    same = await add_flexible(shopper, {212: "3-2", 211: "2-1"}, quantity=2)
    assert same["line"]["id"] == first["line"]["id"] and same["line"]["quantity"] == 3
    other = await add_flexible(shopper, {211: "1-3", 212: "3-2"})
    assert other["line"]["id"] != first["line"]["id"]
    assert [x["quantity"] for x in other["selection"]["lines"]] == [3, 1]


async def test_stock_is_the_sections_and_shared_with_other_lines(shopper: Shopper,
                                                                 bundles: None) -> None:
    # Jeans 34/34: 2 in stock. Sweaters L: 4.
    short = await add_flexible(shopper, {211: "2-3", 212: "3-3"}, quantity=3)
    assert [(e["__typename"], e["availableQuantity"]) for e in short["userErrors"]] == [
        ("UnavailableItem", 2)]
    assert short["line"]["quantity"] == 2
    # Both pairs are in the bundle: none left for a line of the jeans themselves.
    none_left = await add(shopper, "3-3")
    assert [e["availableQuantity"] for e in none_left["userErrors"]] == [0]
    assert [x["__typename"] for x in none_left["selection"]["lines"]] == ["BundleLine"]
    # Nor for more bundles.
    more = await shopper.gql(UPDATE, {"line": short["line"]["id"], "quantity": 5})
    assert [e["availableQuantity"] for e in more["updateLine"]["userErrors"]] == [2]
    assert [x["quantity"] for x in more["updateLine"]["selection"]["lines"]] == [2]


@pytest.mark.parametrize(("sections", "item", "path", "message"), [
    ({211: "1-1"}, "21-1", ["sections"], "give an item for section 212"),
    ({211: "1-1", 999: "3-1"}, "21-1", ["sections", "1", "sectionId"],
     "section 999 is not a section of the bundle"),
    ({211: "3-1", 212: "3-1"}, "21-1", ["sections", "0", "item"],
     "item 3-1 is not a choice of section 211"),
    ({211: "1-1", 212: "3-1"}, "1-1", ["item"], "item 1-1 is not a bundle"),
    ({201: "1-1", 202: "4-1"}, "20-1", ["item"], "item 20-1 is a FIXED bundle: add it with "
                                                 "addItem"),
    ({211: "1-1", 212: "3-1"}, "404-1", ["item"], "item 404-1 not found"),
])
async def test_flexible_bundle_bad_input(shopper: Shopper, bundles: None,
                                         sections: dict[int, str], item: str,
                                         path: list[str], message: str) -> None:
    refused = await add_flexible(shopper, sections, item=item)
    assert [(e["message"], e["path"]) for e in refused["userErrors"]] == [
        (message, ["addFlexibleBundle", *path])]
    assert refused["line"] is None and refused["selection"]["lines"] == []


async def test_a_section_given_twice_is_refused(shopper: Shopper, bundles: None) -> None:
    refused = (await shopper.gql(ADD_FLEXIBLE, {"item": "21-1", "sections": [
        {"sectionId": 211, "item": "1-1"}, {"sectionId": 211, "item": "2-1"}]}))[
        "addFlexibleBundle"]
    assert [e["path"] for e in refused["userErrors"]] == [
        ["addFlexibleBundle", "sections", "1", "sectionId"]]


async def test_a_flexible_bundle_is_not_added_with_add_item(shopper: Shopper,
                                                            bundles: None) -> None:
    refused = await add(shopper, "21-1")
    assert [e["path"] for e in refused["userErrors"]] == [["addItem", "item"]]
    assert refused["selection"]["lines"] == []


async def test_a_new_market_without_the_bundles_price_takes_it_out(
    shopper: Shopper, bundles: None
) -> None:
    await add(shopper, "20-1")
    await add_flexible(shopper, {211: "1-1", 212: "3-1"})
    moved = await shopper.gql("""mutation { setCountryState(countryCode: "DE") {
      selection { lines { __typename displayItem { id } quantity } }
      userErrors { __typename message } } }""")
    # The STATIC bundle has no EUR price; the DYNAMIC one's contents do.
    assert [(x["displayItem"]["id"], x["quantity"])
            for x in moved["setCountryState"]["selection"]["lines"]] == [(21, 1)]
    assert [e["__typename"] for e in moved["setCountryState"]["userErrors"]] == [
        "UnavailableItem"]


@pytest.mark.parametrize(("change", "path"), [
    (lambda c: c["displayItems"][0]["bundle"]["sections"][0].update(displayItems=[1, 2]),
     ["displayItems", "0", "bundle", "sections", "0", "displayItems"]),
    (lambda c: c["displayItems"][1]["bundle"]["sections"][1].update(displayItems=[404]),
     ["displayItems", "1", "bundle", "sections", "1", "displayItems", "0"]),
    (lambda c: c["displayItems"][1]["bundle"]["sections"][1].update(displayItems=[20]),
     ["displayItems", "1", "bundle", "sections", "1", "displayItems", "0"]),
    (lambda c: c["displayItems"][1]["bundle"]["sections"][1].update(id=201),
     ["displayItems", "1", "bundle", "sections", "1", "id"]),
    (lambda c: c["displayItems"][2]["bundle"]["sections"][0].update(quantity=0),
     ["displayItems", "2", "bundle", "sections", "0", "quantity"]),
    (lambda c: c["displayItems"][2]["bundle"].update(sections=[]),
     ["displayItems", "2", "bundle", "sections"]),
])
async def test_bad_bundle_definitions_are_refused_whole(
    http: httpx.AsyncClient, key: str, shopper: Shopper, change: Any, path: list[str]
) -> None:
    catalogue = copy.deepcopy(CATALOGUE)
    change(catalogue)
    refused = await support.upsert_catalogue(http, key, catalogue)
    assert [e["path"] for e in refused] == [["upsertCatalogue", "input", *path]]
    missing = await add(shopper, "20-1")
    assert [e["path"] for e in missing["userErrors"]] == [["addItem", "item"]]
