"""displayItems, displayItem, categories and lookupUri, as Centra storefront pages use them
(most with the no-session token, one market and one pricelist)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from dtc_api.access.clients import ClientCredentials
from dtc_api.shop import catalog
from dtc_api.store.reads import PostgresReads, Reads, _one_by_one
from tests import fragments, support
from tests.support import Shopper, post_as

# Brands, collections and categories of the test's own, given to four of the demo's display
# items (the demo has a catalogue of its own around them).
CATALOGUE = {
    "brands": [{"id": 91, "name": "Acme", "uri": "acme"},
               {"id": 92, "name": "Nordic", "uri": "nordic"}],
    "collections": [{"id": 92, "name": "Holiday", "uri": "holiday"},
                    {"id": 911, "name": "Basics", "uri": "basics"}],
    "categories": [{"id": 9100, "name": "Women", "uri": "t-women", "sortOrder": 1,
                    "metaTitle": "Women's clothes"},
                   {"id": 9101, "name": "Shoes", "uri": "shoes", "parent": 9100},
                   {"id": 9102, "name": "Men", "uri": "t-men", "sortOrder": 2}],
    "displayItems": [
        {"id": 1, "name": "Organic Cotton T-Shirt", "uri": "organic-cotton-t-shirt",
         "productNumber": "TS-100", "brand": 91, "collection": 911, "categories": [9100],
         "description": "Soft <b>cotton</b>.\n\nMade to last.", "metaTitle": "T-shirt",
         "productVariant": {"name": "White", "number": "TS-100-W"}},
        {"id": 2, "name": "Merino Wool Sweater", "uri": "merino-wool-sweater",
         "productNumber": "SW-200", "brand": 92, "collection": 92, "categories": [9100]},
        {"id": 3, "name": "Selvedge Denim Jeans", "uri": "selvedge-denim-jeans",
         "productNumber": "JN-300", "collection": 911, "categories": [9102]},
        {"id": 5, "name": "Leather Sneakers", "uri": "leather-sneakers",
         "productNumber": "SN-500", "brand": 91, "categories": [9101, 9100]},
    ]}
LIST = """query($where: DisplayItemFilter, $sort: [CustomSortInput!] = [], $limit: Int = 40,
               $page: Int = 1) {
  displayItems(where: $where, sort: $sort, limit: $limit, page: $page, market: [1],
               pricelist: [1]) {
    list { id name price { value } }
    pagination { currentPage lastPage total hasNextPage nextPage }
    filters { key selectedValues anyAvailable values { __typename value active count filterCount
      totalCount ... on BrandFilterValue { name } ... on CollectionFilterValue { name }
      ... on CategoryFilterValue { name category { uri } } } }
    userErrors { message path }
  }
}"""


@pytest.fixture
async def catalogue(http: httpx.AsyncClient, key: str) -> None:
    assert await support.upsert_catalogue(http, key, CATALOGUE) == []


async def no_session(http: httpx.AsyncClient, credentials: ClientCredentials, query: str,
                     variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await post_as(http, credentials.no_session_token,
                             {"query": query, "variables": variables or {}})
    answer = response.json()
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]


async def listed(http: httpx.AsyncClient, credentials: ClientCredentials,
                 **variables: Any) -> dict[str, Any]:
    return (await no_session(http, credentials, LIST, variables))["displayItems"]


def option(found: dict[str, Any], key: str) -> dict[str, Any]:
    return next(f for f in found["filters"] if f["key"] == key)


def counts(found: dict[str, Any], key: str) -> dict[str, tuple[int, int, int, bool]]:
    return {v["value"]: (v["count"], v["filterCount"], v["totalCount"], v["active"])
            for v in option(found, key)["values"]}


async def test_a_category_page_with_its_filters(http: httpx.AsyncClient,
                                                credentials: ClientCredentials,
                                                catalogue: None) -> None:
    women = await listed(http, credentials, where={"filters": [
        {"key": "categories", "values": ["9100"]}]})
    # The sneakers are in Shoes, below Women.
    assert [d["id"] for d in women["list"]] == [1, 2, 5]
    assert women["list"][0]["price"] == {"value": 299.0}
    assert women["pagination"] == {"currentPage": 1, "lastPage": 1, "total": 3,
                                   "hasNextPage": False, "nextPage": None}
    brands = counts(women, "brands")
    assert (brands["91"], brands["92"]) == ((2, 2, 2, False), (1, 1, 1, False))
    brand = next(v for v in option(women, "brands")["values"] if v["value"] == "91")
    assert (brand["__typename"], brand["name"]) == ("BrandFilterValue", "Acme")
    category = next(v for v in option(women, "categories")["values"] if v["value"] == "9101")
    assert category["name"] == "Shoes" and category["category"] == {"uri": "t-women/shoes"}

    acme = await listed(http, credentials, where={"filters": [
        {"key": "categories", "values": ["9100"]}, {"key": "brands", "values": ["91"]}]})
    assert [d["id"] for d in acme["list"]] == [1, 5]
    # Nordic: none under every filter, one beside its checkbox (the brand filter aside).
    brands = counts(acme, "brands")
    assert (brands["91"], brands["92"]) == ((2, 2, 2, True), (0, 1, 1, False))
    assert option(acme, "brands")["selectedValues"] == ["91"]
    # Sizes: the T-shirt's and the sneakers'.
    assert {"S", "M", "L", "EU 40"} <= set(counts(acme, "itemName"))


async def test_values_of_a_key_combine_with_or(http: httpx.AsyncClient,
                                               credentials: ClientCredentials,
                                               catalogue: None) -> None:
    found = await listed(http, credentials, where={"filters": [
        {"key": "collections", "values": ["92", "911"]}]})
    assert [d["id"] for d in found["list"]] == [1, 2, 3]
    assert option(found, "collections")["values"][0]["__typename"] == "CollectionFilterValue"


@pytest.mark.parametrize(("search", "ids"), [
    ("sweater", [2]), ("ACME", [1, 5]), ("soft made last", [1]), ("shoes", [5]),
    ("TS-100-S", [1]), ("no such thing", []), ("wool", [2, 11]),
])
async def test_search(http: httpx.AsyncClient, credentials: ClientCredentials,
                      catalogue: None, search: str, ids: list[int]) -> None:
    found = await listed(http, credentials, where={"search": search})
    assert [d["id"] for d in found["list"]] == ids


async def test_an_empty_search_is_no_search(http: httpx.AsyncClient,
                                            credentials: ClientCredentials,
                                            catalogue: None) -> None:
    everything = await listed(http, credentials)
    assert (await listed(http, credentials, where={"search": ""}))["list"] == \
        everything["list"]
    assert everything["pagination"]["total"] == 15  # the demo's display items


async def test_sort_and_pages(http: httpx.AsyncClient, credentials: ClientCredentials,
                              catalogue: None, key: str) -> None:
    mine = {"filters": [{"key": "categories", "values": ["9100", "9102"]}]}
    dear = await listed(http, credentials, where=mine, sort=[{"key": "PRICE", "order": "DESC"}])
    assert [d["id"] for d in dear["list"]] == [5, 3, 2, 1]
    by_uri = await listed(http, credentials, where=mine, sort={"key": "URI", "order": "ASC"})
    assert [d["name"] for d in by_uri["list"]][:2] == ["Leather Sneakers", "Merino Wool Sweater"]
    second = await listed(http, credentials, where=mine, limit=3, page=2)
    assert [d["id"] for d in second["list"]] == [5]
    assert second["pagination"]["currentPage"] == 2 and second["pagination"]["lastPage"] == 2
    beyond = await listed(http, credentials, where=mine, limit=3, page=99)
    assert beyond["pagination"]["currentPage"] == 2
    # The jeans sell out; the parka has none in stock but one size on preorder.
    zero = [{"item": f"3-{n}", "warehouse": "main", "quantity": 0} for n in (1, 2, 3)]
    set_stock = await http.post("/integration/graphql", json={
        "query": "mutation($s: [StockInput!]!) { setStocks(input: $s) { userErrors "
                 "{ message } } }", "variables": {"s": zero}},
        headers={"authorization": f"Bearer {key}"})
    assert set_stock.json()["data"]["setStocks"]["userErrors"] == []
    available = await listed(http, credentials, where={**mine, "onlyAvailable": True})
    assert [d["id"] for d in available["list"]] == [1, 2, 5]
    parka = await listed(http, credentials, where={"onlyAvailable": True, "search": "parka"})
    assert [d["id"] for d in parka["list"]] == [10]


@pytest.mark.parametrize(("filters", "path", "message"), [
    ([{"key": "colour", "values": ["red"]}], ["where", "filters", "0", "key"],
     "unknown filter 'colour': use one of categories, brands, collections, itemName"),
    ([{"key": "categories", "values": ["9100", "999"]}], ["where", "filters", "0", "values", "1"],
     "categories has no value '999'"),
])
async def test_unknown_filters_are_refused(http: httpx.AsyncClient,
                                           credentials: ClientCredentials, catalogue: None,
                                           filters: list[Any], path: list[str],
                                           message: str) -> None:
    found = await listed(http, credentials, where={"filters": filters})
    assert found["userErrors"] == [{"message": message, "path": ["displayItems", *path]}]


async def test_a_product_page(http: httpx.AsyncClient, credentials: ClientCredentials,
                              catalogue: None) -> None:
    item = (await no_session(http, credentials, """{ displayItem(id: 1, market: [1],
      pricelist: [1]) { name brand { name } collection { name } category { name uri }
      categories { id } productVariant { name number } description { raw formatted }
      metaTitle metaDescription price { value } } }"""))["displayItem"]
    assert item["brand"] == {"name": "Acme"} and item["collection"] == {"name": "Basics"}
    assert item["category"] == {"name": ["Women"], "uri": "t-women"}
    assert item["productVariant"] == {"name": "White", "number": "TS-100-W"}
    assert item["description"] == {
        "raw": "Soft <b>cotton</b>.\n\nMade to last.",
        "formatted": "<p>Soft &lt;b&gt;cotton&lt;/b&gt;.</p><p>Made to last.</p>"}
    assert item["metaTitle"] == "T-shirt" and item["metaDescription"] == ""
    shoes = (await no_session(http, credentials, """{ displayItem(id: 5) {
      category { name uri parentCategory { uri } } categories { id } price { value } } }"""))[
        "displayItem"]
    assert shoes["category"] == {"name": ["Women", "Shoes"], "uri": "t-women/shoes",
                                 "parentCategory": {"uri": "t-women"}}
    assert shoes["categories"] == [{"id": 9101}, {"id": 9100}]
    assert shoes["price"] is None  # no market and pricelist given: no price
    assert (await no_session(http, credentials, "{ displayItem(id: 404) { id } }")) == {
        "displayItem": None}


async def test_the_category_tree(http: httpx.AsyncClient, credentials: ClientCredentials,
                                 catalogue: None) -> None:
    top = (await no_session(http, credentials, """{ categories(parent: 0, id: [9100, 9101,
      9102]) { list { id name uri metaTitle childCategories { name uri } }
      pagination { total } } }"""))["categories"]
    assert [(c["id"], c["uri"]) for c in top["list"]] == [(9100, "t-women"), (9102, "t-men")]
    assert top["list"][0]["childCategories"] == [{"name": ["Women", "Shoes"],
                                                  "uri": "t-women/shoes"}]
    assert top["list"][0]["metaTitle"] == "Women's clothes"
    named = (await no_session(http, credentials, "{ categories(id: [9100, 9101, 9102], "
                                                 "sort: [name_ASC]) { list { id } } }"))[
        "categories"]
    assert [c["id"] for c in named["list"]] == [9102, 9101, 9100]  # Men, Shoes, Women
    demo = (await no_session(http, credentials, "{ categories(parent: 0) { list { uri } } }"))
    assert [c["uri"] for c in demo["categories"]["list"]][:4] == [
        "women", "t-women", "men", "t-men"]


LOOKUP = """mutation($uri: String!, $for: [UriLookupType!]!) {
  lookupUri(uri: $uri, for: $for, market: [1], pricelist: [1]) {
    __typename found
    ... on DisplayItemUriLookupPayload { displayItem { id } }
    ... on CategoryUriLookupPayload { category { id name } displayItemList {
      displayItems { id } pagination { total } filters(keys: ["brands"]) { key } } }
  }
}"""


@pytest.mark.parametrize(("uri", "kinds", "expected"), [
    ("t-women/shoes", ["CATEGORY"], ("CategoryUriLookupPayload", 9101)),
    ("organic-cotton-t-shirt", ["DISPLAY_ITEM"], ("DisplayItemUriLookupPayload", 1)),
    ("t-women/organic-cotton-t-shirt", ["DISPLAY_ITEM"], ("DisplayItemUriLookupPayload", 1)),
    ("nowhere/organic-cotton-t-shirt", ["DISPLAY_ITEM"], ("NotFoundUriLookupPayload", None)),
    ("t-women/shoes", ["DISPLAY_ITEM"], ("NotFoundUriLookupPayload", None)),
    ("no-such-thing", ["CATEGORY", "DISPLAY_ITEM"], ("NotFoundUriLookupPayload", None)),
])
async def test_lookup_uri(http: httpx.AsyncClient, credentials: ClientCredentials,
                          catalogue: None, uri: str, kinds: list[str],
                          expected: tuple[str, int | None]) -> None:
    found = (await no_session(http, credentials, LOOKUP, {"uri": uri, "for": kinds}))[
        "lookupUri"]
    kind, id_ = expected
    assert found["__typename"] == kind
    if kind == "CategoryUriLookupPayload":
        assert found["category"] == {"id": id_, "name": ["Women", "Shoes"]}
        assert found["displayItemList"]["displayItems"] == [{"id": 5}]
        assert found["displayItemList"]["filters"] == [{"key": "brands"}]
    elif kind == "DisplayItemUriLookupPayload":
        assert found["displayItem"] == {"id": id_}
    else:
        assert found["found"] == "NOT_FOUND"


async def test_a_session_reads_in_its_own_pricelist(shopper: Shopper, catalogue: None) -> None:
    found = await shopper.gql("""{ displayItems(where: {search: "sweater"}, pricelist: [2])
      { list { price { formattedValue } } } }""")
    assert found["displayItems"]["list"] == [{"price": {"formattedValue": "1 299,00 SEK"}}]


@pytest.mark.parametrize(("change", "path"), [
    (lambda c: c["categories"][1].update(parent=999), ["categories", "1", "parent"]),
    (lambda c: c["categories"][0].update(uri="wo men"), ["categories", "0", "uri"]),
    (lambda c: c["categories"][2].update(uri="t-women"), ["categories", "2", "uri"]),
    (lambda c: c["brands"][1].update(uri="acme"), ["brands", "1", "uri"]),
    (lambda c: c["displayItems"][0].update(brand=9), ["displayItems", "0", "brand"]),
    (lambda c: c["displayItems"][0].update(categories=[100, 999]),
     ["displayItems", "0", "categories", "1"]),
])
async def test_bad_catalogue_records_are_refused(http: httpx.AsyncClient, key: str,
                                                 credentials: ClientCredentials, change: Any,
                                                 path: list[str]) -> None:
    catalogue = copy.deepcopy(CATALOGUE)
    change(catalogue)
    refused = await support.upsert_catalogue(http, key, catalogue)
    assert [e["path"] for e in refused] == [["upsertCatalogue", "input", *path]]
    nothing = (await no_session(http, credentials, "{ categories(id: [9100, 9101, 9102]) "
                                                   "{ list { id } } }"))
    assert nothing["categories"]["list"] == []


TRANSLATED = {
    "attributeTypes": [{"name": "variant_swatch", "kind": "dynamic",
                        "elements": [{"key": "color_code", "kind": "INPUT"}]},
                       {"name": "pd_size_guide", "kind": "dynamic",
                        "elements": [{"key": "table", "kind": "TEXTAREA"}]}],
    "categories": [{"id": 9100, "name": "Women", "uri": "t-women", "translations": [
        {"language": "sv", "name": "Dam", "uri": "t-dam", "metaTitle": "Damkläder"}]},
                   {"id": 9101, "name": "Shoes", "uri": "shoes", "parent": 9100,
                    "translations": [{"language": "sv", "name": "Skor", "uri": "skor"}]}],
    "displayItems": [
        {"id": 1, "name": "Organic Cotton T-Shirt", "uri": "organic-cotton-t-shirt",
         "productNumber": "TS-100", "categories": [9101],
         "translations": [{"language": "sv", "name": "T-shirt i ekologisk bomull",
                           "uri": "t-shirt-ekologisk", "description": "Mjuk."}],
         "relatedDisplayItems": [{"relation": "variant", "displayItems": [2]},
                                 {"relation": "standard", "displayItems": [3, 5]}],
         "attributes": [{"type": "variant_swatch",
                         "values": [{"key": "color_code", "value": "#ffffff"}]},
                        {"type": "pd_size_guide", "values": [{"key": "table",
                                                              "value": "S: 86 cm"}]}]}]}
PRODUCT = """query($language: [String!]) { displayItem(id: 1, languageCode: $language) {
  name uri canonicalUri description { raw }
  translations { language { code } name uri description { formatted } }
  category { name uri translations { language { code } name uri metaTitle } }
  related: relatedDisplayItems(relationType: ["variant"]) { relation displayItems { id name } }
  all: relatedDisplayItems { relation displayItems { id } }
  swatch: attributes(keys: ["variant_swatch"]) { type { name } elements { key
    ... on AttributeStringElement { value } } }
  every: attributes { type { name } }
} }"""


async def test_translations_relations_and_attributes(
    http: httpx.AsyncClient, credentials: ClientCredentials, key: str, catalogue: None
) -> None:
    assert await support.upsert_catalogue(http, key, TRANSLATED) == []
    english = (await no_session(http, credentials, PRODUCT))["displayItem"]
    assert english["name"] == "Organic Cotton T-Shirt"
    assert english["translations"] == [{"language": {"code": "sv"},
                                        "name": "T-shirt i ekologisk bomull",
                                        "uri": "t-shirt-ekologisk",
                                        "description": {"formatted": "<p>Mjuk.</p>"}}]
    assert english["category"]["name"] == ["Women", "Shoes"]
    assert english["category"]["translations"] == [{
        "language": {"code": "sv"}, "name": ["Dam", "Skor"], "uri": "t-dam/skor",
        "metaTitle": ""}]
    assert english["related"] == [{"relation": "variant", "displayItems": [
        {"id": 2, "name": "Merino Wool Sweater"}]}]
    assert english["all"] == [{"relation": "standard", "displayItems": [{"id": 3}, {"id": 5}]},
                              {"relation": "variant", "displayItems": [{"id": 2}]}]
    assert english["swatch"] == [{"type": {"name": "variant_swatch"}, "elements": [
        {"key": "color_code", "value": "#ffffff"}]}]
    assert [a["type"]["name"] for a in english["every"]] == ["pd_size_guide", "variant_swatch"]

    swedish = (await no_session(http, credentials, PRODUCT, {"language": ["sv"]}))[
        "displayItem"]
    assert swedish["name"] == "T-shirt i ekologisk bomull"
    # Links on a Swedish page use the Swedish path; the canonical one stays the shop's own.
    assert (swedish["uri"], swedish["canonicalUri"]) == ("t-shirt-ekologisk",
                                                         "organic-cotton-t-shirt")
    assert english["uri"] == english["canonicalUri"] == "organic-cotton-t-shirt"
    assert swedish["description"] == {"raw": "Mjuk."}
    assert swedish["category"]["name"] == ["Dam", "Skor"]
    assert swedish["category"]["uri"] == "t-dam/skor"  # links on a Swedish page
    # The category page in Swedish resolves by its Swedish path too.
    found = (await no_session(http, credentials, LOOKUP, {"uri": "t-dam/skor",
                                                          "for": ["CATEGORY"]}))["lookupUri"]
    assert found["__typename"] == "CategoryUriLookupPayload"


async def test_a_session_reads_in_its_language(shopper: Shopper, http: httpx.AsyncClient,
                                               key: str, catalogue: None) -> None:
    assert await support.upsert_catalogue(http, key, TRANSLATED) == []
    await shopper.gql('mutation { setLanguage(code: "sv") { userErrors { message } } }')
    added = await shopper.gql('mutation { addItem(item: "1-1") { selection { lines { name '
                              "displayItem { name category { name } } } } } }")
    [line] = added["addItem"]["selection"]["lines"]
    assert line["displayItem"]["name"] == line["name"] == "T-shirt i ekologisk bomull"
    assert line["displayItem"]["category"]["name"] == ["Dam", "Skor"]


@pytest.mark.parametrize(("change", "path"), [
    (lambda c: c["displayItems"][0]["translations"][0].update(language="xx"),
     ["displayItems", "0", "translations", "0", "language"]),
    (lambda c: c["displayItems"][0]["relatedDisplayItems"][1].update(displayItems=[3, 404]),
     ["displayItems", "0", "relatedDisplayItems", "1", "displayItems", "1"]),
    (lambda c: c["displayItems"][0]["attributes"][0].update(type="nope"),
     ["displayItems", "0", "attributes", "0", "type"]),
    (lambda c: c["displayItems"][0]["attributes"][0]["values"][0].update(key="nope"),
     ["displayItems", "0", "attributes", "0", "values", "0", "key"]),
    (lambda c: c["categories"][1]["translations"][0].update(uri="sk/or"),
     ["categories", "1", "translations", "0", "uri"]),
])
async def test_bad_translations_relations_and_attributes(
    http: httpx.AsyncClient, key: str, catalogue: None, change: Any, path: list[str]
) -> None:
    document = copy.deepcopy(TRANSLATED)
    change(document)
    refused = await support.upsert_catalogue(http, key, document)
    assert [e["path"] for e in refused] == [["upsertCatalogue", "input", *path]]


SIZED = [{"id": 53 + n, "name": f"Sized {n}", "uri": f"sized-{n}", "productNumber": f"SZ-{n}",
          "prices": [{"pricelist": "sek", "price": 100.0}],
          "items": [{"id": f"{53 + n}-1", "sizeId": 1, "name": "Z9", "sku": f"SZ-{n}-Z9",
                     "sizeLocalization": [
                         {"displayName": "US", "name": "6", "countries": countries},
                         {"displayName": "EU", "name": "38", "countries": ["SE"]}]}]}
         for n, countries in enumerate((["US"], ["CA", "US"]))]
SIZE_VALUES = """query($where: DisplayItemFilter) {
  displayItems(where: $where, market: [1], pricelist: [1]) {
    filters { key values { value ... on SizeNameFilterValue {
      sizeLocalization { name displayName countries { code } } } } }
  }
}"""


async def test_a_size_filter_value_names_its_localizations(
        http: httpx.AsyncClient, credentials: ClientCredentials, key: str) -> None:
    assert await support.upsert_catalogue(http, key, {"displayItems": SIZED}) == []
    found = (await no_session(http, credentials, SIZE_VALUES,
                              {"where": {"search": "Sized"}}))["displayItems"]
    sizes = {v["value"]: v["sizeLocalization"] for v in option(found, "itemName")["values"]}
    # One entry per localized name, over both display items' sizes of that name.
    assert sizes == {"Z9": [
        {"name": "6", "displayName": "US", "countries": [{"code": "US"}, {"code": "CA"}]},
        {"name": "38", "displayName": "EU", "countries": [{"code": "SE"}]}]}


EVERY_PART = """{ displayItems(limit: 100) { list {
  id name uri productNumber available hasStock createdAt modifiedAt metaTitle
  price { value formattedValue }
  description { formatted raw } shortDescription { raw }
  items { id name sku GTIN productSizeId preorder stock { available quantity }
          sizeLocalization { name displayName countries { code } } }
  media { id altText source { url } }
  subscriptionPlans { id name interval { type value } discount }
  bundle { id type priceType minPrice { value } maxPrice { value }
           sections { id quantity items { id name } } }
  translations { language { code } name uri description { raw } metaTitle }
  relatedDisplayItems { relation displayItems { id name price { value } } }
  attributes { ...AttributeFragment }
} } }""" + fragments.ATTRIBUTE


async def test_display_items_read_in_batches_are_those_read_statement_by_statement(
    http: httpx.AsyncClient, credentials: ClientCredentials, key: str, catalogue: None,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the display items and their items, their media, plans and sizes, and
    their texts, relations and attributes are each read in one statement, as JSON: every
    kind of column (whole floats, JSON, times, booleans, nulls) must read as it does from
    each statement alone (the path taken on SQLite)."""
    assert await support.upsert_catalogue(http, key, TRANSLATED) == []
    batched = await no_session(http, credentials, EVERY_PART)
    monkeypatch.setattr(PostgresReads, "batch", lambda self, calls: _one_by_one(self, calls))
    one_by_one = await no_session(http, credentials, EVERY_PART)

    assert batched == one_by_one
    found = batched["displayItems"]["list"]
    assert len(found) == 15
    assert {p["discount"] for d in found for p in d["subscriptionPlans"]} == {10.0, 15.0}
    assert all(d["createdAt"] and d["media"] for d in found)
    assert any(d["bundle"] for d in found) and any(d["translations"] for d in found)
    assert any(d["relatedDisplayItems"] for d in found) and any(d["attributes"] for d in found)



async def test_catalogue_statements_batched_give_the_rows_they_give_alone(
    http: httpx.AsyncClient, key: str, catalogue: None, runtime: Any
) -> None:
    """Row by row and type by type (a whole float stays a float, a time a datetime)."""
    assert await support.upsert_catalogue(http, key, TRANSLATED) == []
    ids = list(range(1, 20))
    calls = [(catalog._DISPLAY_ITEMS, (ids, 1, "sv")), (catalog._ITEMS, (ids, 1)),
             (catalog._MEDIA, (ids,)), (catalog._PLANS, (ids,)), (catalog._SIZES, (ids,)),
             (catalog._OWN_TEXTS, (ids, "sv")), (catalog._ITEM_TEXTS, (ids,)),
             (catalog._RELATIONS, (ids,)), (catalog._ATTRIBUTES, (ids,))]

    async def both(reads: Reads) -> tuple[list[Any], list[Any]]:
        return ([await reads.all(query, *args) for query, args in calls],
                await reads.batch(calls))

    alone, batched = await runtime.db.reads(both)

    def typed(rows: list[Any]) -> list[Any]:
        return [{k: (type(v).__name__, v) for k, v in row.items()} for row in rows]

    assert [typed(rows) for rows in batched] == [typed(rows) for rows in alone]
    # The demo localizes no sizes: every other statement has rows to compare.
    assert [bool(rows) for rows in alone] == [True] * 4 + [False] + [True] * 4
    assert {type(row["discount"]) for row in alone[3]} == {float}
