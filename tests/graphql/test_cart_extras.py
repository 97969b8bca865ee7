"""Media, subscription plans and localized sizes of the catalogue, and subscription lines in
the cart: the selection read with the fragments a Centra storefront's header uses."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests import support
from tests.support import Shopper

# The line and item fragments of a Centra storefront's cart (names as it writes them).
CART = """
fragment item on Item {
  id name
  sizeLocalization { name displayName countries { code } }
  stock { available quantity }
}
fragment displayItem on DisplayItem {
  id name uri
  media { id altText source(sizeName: "mini") { url type mimeType mediaSize { name } } }
  subscriptionPlans { id name discount interval { type value } }
}
fragment line on Line {
  __typename id quantity subscriptionId
  lineValue { value formattedValue }
  item { ...item }
  displayItem { ...displayItem }
}
fragment selection on Selection {
  id grandTotal { value }
  lines { ...line }
}
"""
ERRORS = "userErrors { __typename message path ... on UnavailableItem { availableQuantity } }"
ADD = CART + """
mutation($item: String!, $quantity: Int! = 1, $plan: Int) {
  addItem(item: $item, quantity: $quantity, subscriptionPlan: $plan) {
    line { ...line } selection { ...selection } """ + ERRORS + """
  }
}"""
UPDATE = CART + """
mutation($line: String!, $quantity: Int, $plan: Int) {
  updateLine(lineId: $line, quantity: $quantity, subscriptionPlanId: $plan) {
    selection { ...selection } """ + ERRORS + """
  }
}"""
REMOVE_PLAN = CART + """
mutation($line: String!) {
  removeSubscriptionPlanFromLine(lineId: $line) { selection { ...selection } """ + ERRORS + """ }
}"""

PLANS = [{"id": 7, "name": "Every 2 weeks", "interval": {"type": "WEEK", "value": 2},
          "discount": 10.0},
         {"id": 8, "name": "Monthly", "interval": {"type": "MONTH", "value": 1}}]
# A display item of the test's own (the demo's have media and plans already).
SHIRT = {"id": 51, "name": "Test Shirt", "uri": "test-shirt", "productNumber": "TS-5100",
         "prices": [{"pricelist": "sek", "price": 299.0}], "subscriptionPlans": [7, 8],
         "media": [
             {"altText": "Front", "sources": [
                 {"size": "standard", "url": "https://cdn.example/1-front.jpg"},
                 {"size": "mini", "url": "https://cdn.example/1-front-mini.jpg"},
                 {"size": "1350x0", "url": "https://cdn.example/1-front-1350.webp"}]},
             {"sources": [{"size": "standard", "url": "/media/1-back.png"}]}],
         "items": [{"id": "51-1", "sizeId": 1, "name": "S", "sku": "TS-5100-S",
                    "sizeLocalization": [
                        {"displayName": "US", "name": "XS", "countries": ["us", "CA"]},
                        {"displayName": "EU", "name": "44", "countries": ["SE", "DE"]}]}]}


PLAIN = {"id": 52, "name": "Plain Shirt", "uri": "plain-shirt", "productNumber": "PS-5200",
         "prices": [{"pricelist": "sek", "price": 199.0}],
         "items": [{"id": "52-1", "sizeId": 1, "name": "S", "sku": "PS-5200-S"}]}


@pytest.fixture
async def catalogue(http: httpx.AsyncClient, key: str) -> None:
    assert await support.upsert_catalogue(
        http, key, {"subscriptionPlans": PLANS, "displayItems": [SHIRT, PLAIN]}) == []
    await support.set_stocks(http, key, [{"item": "51-1", "warehouse": "main", "quantity": 40},
                                {"item": "52-1", "warehouse": "main", "quantity": 40}])


async def add(shopper: Shopper, item: str, quantity: int = 1, plan: int | None = None
              ) -> dict[str, Any]:
    return (await shopper.gql(ADD, {"item": item, "quantity": quantity, "plan": plan}))[
        "addItem"]


async def test_the_cart_fragment_reads_media_plans_and_sizes(
    shopper: Shopper, catalogue: None
) -> None:
    added = await add(shopper, "51-1", 2, plan=7)
    assert added["userErrors"] == []
    line = added["line"]
    assert line["__typename"] == "ProductLine" and line["subscriptionId"] == 7
    # 2 x 299.00 less the plan's 10 %.
    assert line["lineValue"] == {"value": 538.2, "formattedValue": "538,20 SEK"}
    assert line["item"]["sizeLocalization"] == [
        {"name": "XS", "displayName": "US", "countries": [{"code": "US"}, {"code": "CA"}]},
        {"name": "44", "displayName": "EU", "countries": [{"code": "SE"}, {"code": "DE"}]}]
    display = line["displayItem"]
    assert [m["altText"] for m in display["media"]] == ["Front", None]
    assert display["media"][0]["source"] == {
        "url": "https://cdn.example/1-front-mini.jpg", "type": "IMAGE",
        "mimeType": "image/jpeg", "mediaSize": {"name": "mini"}}
    # A medium without the size asked for serves its standard size, and says so.
    assert display["media"][1]["source"] == {
        "url": "http://dtc.test/media/1-back.png", "type": "IMAGE", "mimeType": "image/png",
        "mediaSize": {"name": "standard"}}
    assert display["subscriptionPlans"] == [
        {"id": 7, "name": "Every 2 weeks", "discount": 10.0,
         "interval": {"type": "WEEK", "value": 2}},
        {"id": 8, "name": "Monthly", "discount": None,
         "interval": {"type": "MONTH", "value": 1}}]
    assert added["selection"]["grandTotal"] == {"value": 587.2}  # and Standard shipping


async def test_media_sizes_by_name(shopper: Shopper, catalogue: None) -> None:
    await add(shopper, "51-1")
    answer = await shopper.gql("""{ selection { lines { displayItem { media {
      big: source(sizeName: "1350x0") { url mimeType mediaSize { name maxWidth maxHeight } }
      plain: source { url }
      unknown: source(sizeName: "huge") { url mediaSize { name } } } } } } }""")
    front = answer["selection"]["lines"][0]["displayItem"]["media"][0]
    assert front["big"] == {"url": "https://cdn.example/1-front-1350.webp",
                            "mimeType": "image/webp",
                            "mediaSize": {"name": "1350x0", "maxWidth": 1350, "maxHeight": None}}
    assert front["plain"] == {"url": "https://cdn.example/1-front.jpg"}
    assert front["unknown"] == {"url": "https://cdn.example/1-front.jpg",
                                "mediaSize": {"name": "standard"}}


async def test_display_items_without_extras_answer_empty_lists(shopper: Shopper,
                                                               catalogue: None) -> None:
    added = await add(shopper, "52-1")
    display = added["line"]["displayItem"]
    assert display["media"] == [] and display["subscriptionPlans"] == []
    assert added["line"]["item"]["sizeLocalization"] == []
    assert added["line"]["subscriptionId"] is None


async def test_a_line_per_item_and_plan(shopper: Shopper, catalogue: None) -> None:
    planned = (await add(shopper, "51-1", 1, plan=7))["line"]["id"]
    once = (await add(shopper, "51-1", 1))["line"]["id"]
    assert once != planned
    again = await add(shopper, "51-1", 2, plan=7)
    assert again["line"]["id"] == planned and again["line"]["quantity"] == 3
    lines = again["selection"]["lines"]
    assert [(x["id"], x["quantity"], x["subscriptionId"]) for x in lines] == [
        (planned, 3, 7), (once, 1, None)]
    # 3 x 299 less 10 %, and 1 x 299 (over 1,000 SEK: free shipping).
    assert again["selection"]["grandTotal"] == {"value": round(3 * 299 * 0.9 + 299, 2)}


async def test_update_line_keeps_or_changes_the_plan(shopper: Shopper, catalogue: None) -> None:
    planned = (await add(shopper, "51-1", 1, plan=7))["line"]["id"]
    once = (await add(shopper, "51-1", 2))["line"]["id"]

    # A quantity change with the line's plan (as storefronts send it), then without any.
    kept = (await shopper.gql(UPDATE, {"line": planned, "quantity": 4, "plan": 7}))["updateLine"]
    assert kept["userErrors"] == []
    kept = (await shopper.gql(UPDATE, {"line": planned, "quantity": 5}))["updateLine"]
    assert [(x["quantity"], x["subscriptionId"]) for x in kept["selection"]["lines"]] == [
        (5, 7), (2, None)]
    # Another plan.
    moved = (await shopper.gql(UPDATE, {"line": planned, "plan": 8}))["updateLine"]
    assert [(x["id"], x["quantity"], x["subscriptionId"])
            for x in moved["selection"]["lines"]] == [(planned, 5, 8), (once, 2, None)]
    # The line bought once takes plan 8: it joins the line on plan 8.
    joined = (await shopper.gql(UPDATE, {"line": once, "plan": 8}))["updateLine"]
    assert [(x["id"], x["quantity"], x["subscriptionId"])
            for x in joined["selection"]["lines"]] == [(planned, 7, 8)]
    # Bought once again; quantity 0 removes the line whatever its plan.
    single = (await shopper.gql(REMOVE_PLAN, {"line": planned}))[
        "removeSubscriptionPlanFromLine"]
    assert [(x["quantity"], x["subscriptionId"]) for x in single["selection"]["lines"]] == [
        (7, None)]
    gone = (await shopper.gql(UPDATE, {"line": planned, "quantity": 0}))["updateLine"]
    assert gone["selection"]["lines"] == []


@pytest.mark.parametrize(("item", "plan", "message"), [
    ("51-1", 999, "subscription plan 999 is not offered for item 51-1"),
    ("2-1", 7, "subscription plan 7 is not offered for item 2-1"),
])
async def test_a_plan_the_item_does_not_offer_is_refused(
    shopper: Shopper, catalogue: None, item: str, plan: int, message: str
) -> None:
    refused = await add(shopper, item, 1, plan=plan)
    assert refused["userErrors"] == [{"__typename": "UserErrorBase", "message": message,
                                          "path": ["addItem", "subscriptionPlan"]}]
    assert refused["selection"]["lines"] == [] and refused["line"] is None


async def test_update_line_refuses_a_plan_not_offered_and_an_unknown_line(
    shopper: Shopper, catalogue: None
) -> None:
    line = (await add(shopper, "2-1"))["line"]["id"]
    refused = (await shopper.gql(UPDATE, {"line": line, "plan": 7}))["updateLine"]
    assert [(e["message"], e["path"]) for e in refused["userErrors"]] == [
        ("subscription plan 7 is not offered for item 2-1", ["updateLine", "subscriptionPlanId"])]
    assert [(x["quantity"], x["subscriptionId"]) for x in refused["selection"]["lines"]] == [
        (1, None)]
    unknown = (await shopper.gql(REMOVE_PLAN, {"line": "nope"}))[
        "removeSubscriptionPlanFromLine"]
    assert [e["path"] for e in unknown["userErrors"]] == [
        ["removeSubscriptionPlanFromLine", "lineId"]]
    negative = (await shopper.gql(UPDATE, {"line": line, "quantity": -1}))["updateLine"]
    assert [e["path"] for e in negative["userErrors"]] == [["updateLine", "quantity"]]


async def test_stock_covers_all_lines_of_an_item_together(
    shopper: Shopper, catalogue: None, http: httpx.AsyncClient, key: str
) -> None:
    await support.set_stocks(http, key, [{"item": "51-1", "warehouse": "main", "quantity": 3}])
    await add(shopper, "51-1", 2)
    short = await add(shopper, "51-1", 2, plan=7)
    assert [(e["__typename"], e["availableQuantity"]) for e in short["userErrors"]] == [
        ("UnavailableItem", 1)]
    assert [(x["quantity"], x["subscriptionId"]) for x in short["selection"]["lines"]] == [
        (2, None), (1, 7)]
    once = short["selection"]["lines"][0]["id"]
    over = (await shopper.gql(UPDATE, {"line": once, "quantity": 3}))["updateLine"]
    assert [e["availableQuantity"] for e in over["userErrors"]] == [2]
    assert [x["quantity"] for x in over["selection"]["lines"]] == [2, 1]


async def test_a_shortfall_without_a_quantity_names_the_line(
    shopper: Shopper, catalogue: None, http: httpx.AsyncClient, key: str
) -> None:
    await support.set_stocks(http, key, [{"item": "51-1", "warehouse": "main", "quantity": 3}])
    once = (await add(shopper, "51-1", 2))["line"]["id"]
    planned = (await add(shopper, "51-1", 1, plan=7))["line"]["id"]
    await support.set_stocks(http, key, [{"item": "51-1", "warehouse": "main", "quantity": 2}])

    # Bought once again, the planned line joins the other: 3 where stock covers 2.
    joined = (await shopper.gql(REMOVE_PLAN, {"line": planned}))[
        "removeSubscriptionPlanFromLine"]

    assert [(e["__typename"], e["path"], e["availableQuantity"])
            for e in joined["userErrors"]] == [
        ("UnavailableItem", ["removeSubscriptionPlanFromLine", "lineId"], 2)]
    assert [(x["id"], x["quantity"], x["subscriptionId"])
            for x in joined["selection"]["lines"]] == [(once, 2, None)]
    # With a quantity asked for, the shortfall is the quantity's.
    over = (await shopper.gql(UPDATE, {"line": once, "quantity": 5}))["updateLine"]
    assert [(e["path"], e["availableQuantity"]) for e in over["userErrors"]] == [
        (["updateLine", "quantity"], 2)]


@pytest.mark.parametrize(("change", "path"), [
    (lambda c: c["subscriptionPlans"][0].update(discount=150.0),
     ["subscriptionPlans", "0", "discount"]),
    (lambda c: c["subscriptionPlans"][1]["interval"].update(value=0),
     ["subscriptionPlans", "1", "interval", "value"]),
    (lambda c: c["displayItems"][0].update(subscriptionPlans=[7, 404]),
     ["displayItems", "0", "subscriptionPlans", "1"]),
    (lambda c: c["displayItems"][0]["media"][1]["sources"][0].update(url="javascript:x()"),
     ["displayItems", "0", "media", "1", "sources", "0", "url"]),
    (lambda c: c["displayItems"][0]["media"][1]["sources"][0].update(url="//evil.example/a"),
     ["displayItems", "0", "media", "1", "sources", "0", "url"]),
    (lambda c: c["displayItems"][0]["media"][0]["sources"][1].update(size="mini size"),
     ["displayItems", "0", "media", "0", "sources", "1", "size"]),
    (lambda c: c["displayItems"][0]["media"][0]["sources"][1].update(size="standard"),
     ["displayItems", "0", "media", "0", "sources", "1", "size"]),
    (lambda c: c["displayItems"][0]["media"][1].update(sources=[]),
     ["displayItems", "0", "media", "1", "sources"]),
    (lambda c: c["displayItems"][0]["items"][0]["sizeLocalization"][1].update(
        countries=["SE", "XX"]),
     ["displayItems", "0", "items", "0", "sizeLocalization", "1", "countries", "1"]),
])
async def test_bad_catalogue_records_are_refused_whole(
    http: httpx.AsyncClient, key: str, shopper: Shopper, change: Any, path: list[str]
) -> None:
    catalogue = copy.deepcopy({"subscriptionPlans": PLANS, "displayItems": [SHIRT]})
    change(catalogue)
    refused = await support.upsert_catalogue(http, key, catalogue)
    assert [e["path"] for e in refused] == [["upsertCatalogue", "input", *path]]
    # Nothing was written: not even the display item.
    missing = await add(shopper, "51-1")
    assert [e["path"] for e in missing["userErrors"]] == [["addItem", "item"]]


async def test_lists_given_replace_the_stored_ones(
    http: httpx.AsyncClient, key: str, shopper: Shopper, catalogue: None
) -> None:
    shirt = {k: v for k, v in SHIRT.items() if k not in ("media", "items", "prices")}
    assert await support.upsert_catalogue(
        http, key, {"displayItems": [{**shirt, "subscriptionPlans": [8]}]}) == []
    line = (await add(shopper, "51-1"))["line"]
    # Plans replaced; media and sizes not given, so kept.
    assert [p["id"] for p in line["displayItem"]["subscriptionPlans"]] == [8]
    assert len(line["displayItem"]["media"]) == 2
    assert len(line["item"]["sizeLocalization"]) == 2
