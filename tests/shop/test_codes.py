"""The codes of the shop's userErrors: selection mutations, catalogue upserts, stock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dtc_api.core.errors import DomainError
from dtc_api.shop import usecases
from tests.integration.test_integration_api import data
from tests.integration.test_integration_api import key as key
from tests.integration.test_integration_api import settings as settings
from tests.support import Shopper

ERRORS = "userErrors { code path }"
ADD_ITEM = f"""
mutation($item: String!, $quantity: Int!) {{
  addItem(item: $item, quantity: $quantity) {{ line {{ id }} {ERRORS} }}
}}
"""


async def add(shopper: Shopper, item: str, quantity: int = 1) -> dict[str, Any]:
    return (await shopper.gql(ADD_ITEM, {"item": item, "quantity": quantity}))["addItem"]


@pytest.mark.parametrize(("item", "quantity", "code", "field"), [
    ("404-1", 1, "NOT_FOUND", "item"),
    ("1-1", 0, "OUT_OF_RANGE", "quantity"),
    ("1-1", 100_001, "OUT_OF_RANGE", "quantity"),
])
async def test_add_item_refusals_have_codes(shopper: Shopper, item: str, quantity: int,
                                            code: str, field: str) -> None:
    payload = await add(shopper, item, quantity)
    assert payload["userErrors"] == [{"code": code, "path": ["addItem", field]}]


async def test_unavailable_item_has_its_code(shopper: Shopper) -> None:
    answer = await shopper.gql(
        'mutation { addItem(item: "10-1", quantity: 100) { userErrors { code path '
        "... on UnavailableItem { availableQuantity item { id } } } } }")
    [error] = answer["addItem"]["userErrors"]
    assert error["code"] == "UNAVAILABLE"
    assert error["path"] == ["addItem", "item"]
    assert error["item"] == {"id": "10-1"}


async def test_unknown_line_is_not_found(shopper: Shopper) -> None:
    updated = await shopper.gql(
        f'mutation {{ updateLine(lineId: "nope", quantity: 1) {{ {ERRORS} }} }}')
    deleted = await shopper.gql(f'mutation {{ deleteLine(lineId: "nope") {{ {ERRORS} }} }}')
    assert updated["updateLine"]["userErrors"] == [
        {"code": "NOT_FOUND", "path": ["updateLine", "lineId"]}]
    assert deleted["deleteLine"]["userErrors"] == [
        {"code": "NOT_FOUND", "path": ["deleteLine", "lineId"]}]


async def test_update_line_quantity_out_of_range(shopper: Shopper) -> None:
    line = (await add(shopper, "1-1"))["line"]["id"]
    answer = await shopper.gql(
        f'mutation {{ updateLine(lineId: "{line}", quantity: -1) {{ {ERRORS} }} }}')
    assert answer["updateLine"]["userErrors"] == [
        {"code": "OUT_OF_RANGE", "path": ["updateLine", "quantity"]}]


UPSERT = f"""
mutation($input: CatalogueInput!) {{ upsertCatalogue(input: $input) {{ {ERRORS} }} }}
"""
PRODUCT = {"id": 20, "name": "Wool Beanie", "uri": "wool-beanie", "productNumber": "BN-20",
           "items": [{"id": "20-1", "sizeId": 1, "name": "One size", "sku": "BN-20-OS"}]}


@pytest.mark.parametrize(("document", "code", "path"), [
    ({"countries": [{"code": "CH", "shipTo": True, "pricelist": "nope"}]},
     "NOT_FOUND", ["countries", "0", "pricelist"]),
    ({"countries": [{"code": "CH", "shipTo": True, "defaultLanguage": "xx"}]},
     "UNKNOWN_LANGUAGE", ["countries", "0", "defaultLanguage"]),
    ({"countries": [{"code": "QQ", "shipTo": True}]}, "REQUIRED", ["countries", "0", "name"]),
    ({"displayItems": [{**PRODUCT, "prices": [{"pricelist": "sek", "price": 1.001}]}]},
     "INVALID_AMOUNT", ["displayItems", "0", "prices", "0", "price"]),
    ({"displayItems": [{**PRODUCT, "prices": [{"pricelist": "sek", "price": -1}]}]},
     "INVALID_AMOUNT", ["displayItems", "0", "prices", "0", "price"]),
    ({"displayItems": [{**PRODUCT, "uri": "canvas-tote-bag"}]},
     "ALREADY_EXISTS", ["displayItems", "0", "uri"]),
    ({"displayItems": [{**PRODUCT, "items": [{"id": "21-1", "sizeId": 1, "name": "S",
                                              "sku": "X"}]}]},
     "INVALID_INPUT", ["displayItems", "0", "items", "0", "id"]),
])
async def test_upsert_catalogue_refusals_have_codes(http: httpx.AsyncClient, key: str,
                                                    document: dict[str, Any], code: str,
                                                    path: list[str]) -> None:
    answer = (await data(http, key, UPSERT, {"input": document}))["upsertCatalogue"]
    assert answer["userErrors"] == [{"code": code, "path": ["upsertCatalogue", "input", *path]}]


@pytest.mark.parametrize(("item", "warehouse", "quantity", "codes"), [
    ("404-1", "main", 1, {("item",): "NOT_FOUND"}),
    ("10-1", "nowhere", 1, {("warehouse",): "NOT_FOUND"}),
    ("10-1", "main", -1, {("quantity",): "OUT_OF_RANGE"}),
])
async def test_set_stock_refusals_have_codes(runtime: Any, clock: Any, item: str,
                                             warehouse: str, quantity: int,
                                             codes: dict[tuple[str, ...], str]) -> None:
    with pytest.raises(DomainError) as refused:
        await usecases.set_stock(runtime.db, None, item, warehouse, quantity, clock.now())
    assert {e.path: e.code for e in refused.value.errors} == codes


async def test_set_stocks_names_the_row(runtime: Any, clock: Any) -> None:
    rows = [{"item": "10-1", "warehouse": "main", "quantity": 2},
            {"item": "10-1", "warehouse": "nowhere", "quantity": 2}]
    with pytest.raises(DomainError) as refused:
        await usecases.set_stocks(runtime.db, None, rows, clock.now())
    assert [(e.path, e.code) for e in refused.value.errors] == [
        (("input", "1", "warehouse"), "NOT_FOUND")]
    assert await usecases.stock_of(runtime.db, "404-1") is None
