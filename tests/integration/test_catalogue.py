"""upsertCatalogue, and the whole back-office story over HTTP."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import sqlalchemy as sa

from dtc_api.jobs import loop
from dtc_api.store import tables as t
from tests.conftest import SmtpServer
from tests.integration.test_integration_api import ORDER, data, order, register
from tests.integration.test_integration_api import key as key
from tests.integration.test_integration_api import settings as settings
from tests.support import Shopper

UPSERT = """
mutation($input: CatalogueInput!) {
  upsertCatalogue(input: $input) { counts { section records } userErrors { message path } }
}
"""
CATALOGUE = {
    "currencies": [{"code": "CHF", "name": "Swiss franc", "isoNumber": "756", "suffix": " CHF",
                    "decimalDigits": 2, "decimalPoint": ".", "thousandsSeparator": "'",
                    "baseRate": 12.1}],
    "markets": [{"key": "switzerland", "name": "Switzerland"}],
    "pricelists": [{"key": "chf", "name": "CHF", "currency": "CHF"}],
    "countries": [{"code": "CH", "shipTo": True, "market": "switzerland", "pricelist": "chf",
                   "defaultLanguage": "de"}],
    "warehouses": [{"key": "zurich", "name": "Zürich", "markets": ["switzerland"]}],
    "displayItems": [{"id": 20, "name": "Wool Beanie", "uri": "wool-beanie",
                      "productNumber": "BN-20", "prices": [{"pricelist": "chf", "price": 39.9},
                                                           {"pricelist": "sek", "price": 349}],
                      "items": [{"id": "20-1", "sizeId": 1, "name": "One size",
                                 "sku": "BN-20-OS"}]}],
}


async def test_upsert_catalogue_feeds_the_storefront(http: httpx.AsyncClient, key: str,
                                                     shopper: Shopper) -> None:
    answer = (await data(http, key, UPSERT, {"input": CATALOGUE}))["upsertCatalogue"]
    assert answer["userErrors"] == []
    assert {c["section"]: c["records"] for c in answer["counts"]}["displayItems"] == 1
    await data(http, key, 'mutation { setStock(item: "20-1", warehouse: "zurich", quantity: 3)'
                          " { userErrors { message } } }")
    moved = await shopper.gql('mutation { setCountryState(countryCode: "CH") '
                              "{ userErrors { message } } }")
    assert moved["setCountryState"]["userErrors"] == []
    session = await shopper.gql("{ session { market { name } pricelist { currency { code } } "
                                "country { name } } }")
    assert session["session"]["market"] == {"name": "Switzerland"}
    assert session["session"]["pricelist"] == {"currency": {"code": "CHF"}}
    added = await shopper.gql('mutation { addItem(item: "20-1", quantity: 2) { selection '
                              "{ grandTotal { formattedValue } } userErrors { message } } }")
    assert added["addItem"] == {"selection": {"grandTotal": {"formattedValue": "79.80 CHF"}},
                                "userErrors": []}
    # Upserting again changes, not duplicates.
    renamed = copy.deepcopy(CATALOGUE["displayItems"])
    renamed[0]["name"] = "Merino Beanie"
    await data(http, key, UPSERT, {"input": {"displayItems": renamed}})
    line = await shopper.gql("{ selection { lines { name } } }")
    assert line["selection"]["lines"] == [{"name": "Merino Beanie"}]


async def test_a_bad_reference_writes_nothing(http: httpx.AsyncClient, key: str,
                                              runtime: Any) -> None:
    document = {**CATALOGUE, "countries": [
        {"code": "CH", "shipTo": True, "market": "switzerland", "pricelist": "nope"}]}
    answer = (await data(http, key, UPSERT, {"input": document}))["upsertCatalogue"]
    assert answer == {"counts": [], "userErrors": [{
        "message": "pricelist nope not found",
        "path": ["upsertCatalogue", "input", "countries", "0", "pricelist"]}]}
    async with runtime.db.read() as conn:
        assert await conn.scalar(sa.select(t.currencies.c.id)
                                 .where(t.currencies.c.code == "CHF")) is None
    clash = {"displayItems": [{"id": 21, "name": "Copy", "uri": "canvas-tote-bag",
                               "productNumber": "X", "items": [{"id": "22-1", "sizeId": 1,
                                                                "name": "S", "sku": "X"}]}]}
    errors = (await data(http, key, UPSERT, {"input": clash}))["upsertCatalogue"]["userErrors"]
    assert [e["path"][-1] for e in errors] == ["uri", "id"]


async def test_the_whole_story(http: httpx.AsyncClient, key: str, shopper: Shopper,
                               runtime: Any, smtp_server: SmtpServer) -> None:
    # The operator loads a catalogue.
    assert (await data(http, key, UPSERT, {"input": CATALOGUE}))["upsertCatalogue"][
        "userErrors"] == []
    # A shopper registers and asks to hear when 10-1 is back.
    customer_id = await register(shopper, "story@example.com")
    subscribed = await shopper.gql('mutation { backInStockSubscribe(input: {shipTo: '
                                   '{countryCode: "SE"}, item: "10-1", languageCode: "en"}) '
                                   "{ subscribed userErrors { message } } }")
    assert subscribed["backInStockSubscribe"] == {"subscribed": True, "userErrors": []}
    # The operator records two orders and restocks 10-1.
    for number in (501, 502):
        created = await data(http, key, ORDER, {"input": order(number, customerId=customer_id)})
        assert created["createOrder"]["userErrors"] == []
    restock = await data(http, key, 'mutation { setStock(item: "10-1", warehouse: "main", '
                                    "quantity: 8) { notificationsQueued } }")
    assert restock["setStock"]["notificationsQueued"] == 1
    # The shopper sees both orders; the SMTP server gets the e-mail.
    mine = (await shopper.gql("{ customer { totalOrders orders { number } } }"))["customer"]
    assert mine == {"totalOrders": 2, "orders": [{"number": 502}, {"number": 501}]}
    await loop.deliver_mail_once(runtime)
    [message] = smtp_server.messages
    assert message["To"] == "story@example.com"
    assert message["Subject"] == "Recycled Down Parka is back in stock"


async def test_attribute_types_are_upserted_and_usable(http: httpx.AsyncClient, key: str,
                                                       shopper: Shopper) -> None:
    types = {"attributeTypes": [
        {"name": "shoe_size", "kind": "dynamic", "elements": [{"key": "eu", "kind": "INPUT"}]},
        {"name": "loyalty_tier", "kind": "mapped", "elements": [{"key": "tier", "kind": "INPUT"}],
         "attributes": [{"id": 40, "values": [{"key": "tier", "value": "Gold"}]}]},
    ]}
    answer = (await data(http, key, UPSERT, {"input": types}))["upsertCatalogue"]
    assert answer["userErrors"] == []
    registered = await shopper.gql(
        'mutation { registerCustomer(input: {password: "correct horse battery staple", '
        'loginOnSuccess: true, billingAddress: {email: "tier@example.com", firstName: "T", '
        'lastName: "G", country: "SE"}, customAttributes: {dynamicAttributes: '
        '[{attributeTypeName: "shoe_size", attributeElementKey: "eu", attributeElementValue: '
        '"42"}], mappedAttributes: [{attributeTypeName: "loyalty_tier", attributeId: 40}]}}) '
        "{ userErrors { message } loggedIn { attributes { type { name } elements { key "
        "... on AttributeStringElement { value } } } } } }")
    payload = registered["registerCustomer"]
    assert payload["userErrors"] == []
    assert {a["type"]["name"]: a["elements"][0]["value"]
            for a in payload["loggedIn"]["attributes"]} == {"shoe_size": "42",
                                                            "loyalty_tier": "Gold"}
    stolen = {"attributeTypes": [{"name": "other", "kind": "mapped",
                                  "elements": [{"key": "x", "kind": "INPUT"}],
                                  "attributes": [{"id": 3}]}]}
    errors = (await data(http, key, UPSERT, {"input": stolen}))["upsertCatalogue"]["userErrors"]
    assert errors == [{"message": "attribute 3 belongs to registration_source",
                       "path": ["upsertCatalogue", "input", "attributeTypes", "0", "attributes",
                                "0", "id"]}]


# --- values the columns or the rules cannot hold are userErrors, on both backends -----------

BOUNDED = """
mutation($input: CatalogueInput!) {
  upsertCatalogue(input: $input) { counts { section records } userErrors { code path } }
}
"""


async def test_out_of_bounds_values_are_user_errors_and_write_nothing(
    http: httpx.AsyncClient, key: str
) -> None:
    document = copy.deepcopy(CATALOGUE)
    document["currencies"][0]["decimalDigits"] = 2_147_483_647
    document["markets"][0]["name"] = "M" * 201
    document["displayItems"][0]["items"][0]["id"] = "20-" + "x" * 62
    document["displayItems"][0]["prices"][1]["price"] = 1e17
    answer = (await data(http, key, BOUNDED, {"input": document}))["upsertCatalogue"]
    assert answer == {"counts": [], "userErrors": [
        {"code": "INVALID_INPUT", "path": ["upsertCatalogue", "input", "markets", "0", "name"]},
        {"code": "INVALID_INPUT", "path": ["upsertCatalogue", "input", "displayItems", "0",
                                           "items", "0", "id"]},
        {"code": "OUT_OF_RANGE", "path": ["upsertCatalogue", "input", "currencies", "0",
                                          "decimalDigits"]},
    ]}
    document = copy.deepcopy(CATALOGUE)
    document["displayItems"][0]["prices"][1]["price"] = 1e17
    answer = (await data(http, key, BOUNDED, {"input": document}))["upsertCatalogue"]
    assert answer["userErrors"] == [{"code": "INVALID_AMOUNT", "path": [
        "upsertCatalogue", "input", "displayItems", "0", "prices", "1", "price"]}]
    stock = await data(http, key, '{ stock(item: "20-1") { item } }')
    assert stock == {"stock": None}  # nothing was written


async def test_a_switch_of_an_api_client_refuses_null(http: httpx.AsyncClient, key: str
                                                      ) -> None:
    for switch in ("requireOldPassword", "retainSessionAfterLogout", "newsletterDoubleOptIn"):
        answer = await data(http, key, """mutation($input: ApiClientInput!) {
            updateApiClient(input: $input) { client { name } userErrors { code path } } }""",
                            {"input": {"name": "storefront", switch: None}})
        assert answer["updateApiClient"] == {"client": None, "userErrors": [
            {"code": "REQUIRED", "path": ["updateApiClient", "input", switch]}]}
