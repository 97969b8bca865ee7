"""The machine codes of refused orders and subscription contracts (back-office API)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dtc_api.access import integration_keys

ORDER = """
mutation($input: OrderInput!) {
  createOrder(input: $input) { order { number grandTotal } userErrors { code path } }
}
"""
CONTRACT = """
mutation($i: SubscriptionContractInput!) {
  createSubscriptionContract(input: $i) { contract { id } userErrors { code path } }
}
"""


@pytest.fixture
async def key(runtime: Any, clock: Any) -> str:
    async with runtime.db.write() as conn:
        return await integration_keys.create(conn, "erp", "write", clock.now())


async def back_office(http: httpx.AsyncClient, key: str, query: str,
                      variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await http.post("/integration/graphql", json={"query": query,
                                                             "variables": variables},
                               headers={"authorization": f"Bearer {key}"})
    answer = response.json()
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]


def order(number: int, **fields: Any) -> dict[str, Any]:
    return {"number": number, "pricelist": 1, "market": 1, "country": "SE", "language": "en",
            "email": "guest@example.com", "shipping": 49.0,
            "lines": [{"item": "1-1", "quantity": 2, "unitPrice": 299.0}], **fields}


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["path"]) for e in payload["userErrors"]]


@pytest.mark.parametrize(("fields", "code", "path"), [
    ({"pricelist": 99}, "NOT_FOUND", ["pricelist"]),
    ({"market": 99}, "NOT_FOUND", ["market"]),
    ({"country": "XX"}, "UNKNOWN_COUNTRY", ["country"]),
    ({"language": "xx"}, "UNKNOWN_LANGUAGE", ["language"]),
    ({"email": "not-an-email"}, "INVALID_EMAIL", ["email"]),
    ({"customerId": 999, "email": None}, "NOT_FOUND", ["customerId"]),
    ({"customerId": 1}, "INVALID_INPUT", ["customerId"]),
    ({"orderDate": "2026-02-01T10:00:00"}, "INVALID_INPUT", ["orderDate"]),
    ({"shipping": -1.0}, "INVALID_AMOUNT", ["shipping"]),
    ({"lines": [{"item": "1-1", "quantity": 1, "unitPrice": 1.001}]}, "INVALID_AMOUNT",
     ["lines", "0", "unitPrice"]),
    ({"lines": [{"item": "404-1", "quantity": 1, "unitPrice": 1.0}]}, "NOT_FOUND",
     ["lines", "0", "item"]),
    ({"lines": [{"item": "1-1", "quantity": 0, "unitPrice": 1.0}]}, "OUT_OF_RANGE",
     ["lines", "0", "quantity"]),
    ({"lines": []}, "REQUIRED", ["lines"]),
])
async def test_create_order_refusals(http: httpx.AsyncClient, key: str,
                                     fields: dict[str, Any], code: str,
                                     path: list[str]) -> None:
    payload = (await back_office(http, key, ORDER, {"input": order(5001, **fields)}))[
        "createOrder"]
    assert payload["order"] is None
    assert codes(payload) == [(code, ["createOrder", "input", *path])]


async def test_an_order_number_is_used_once(http: httpx.AsyncClient, key: str) -> None:
    first = (await back_office(http, key, ORDER, {"input": order(5002)}))["createOrder"]
    assert first == {"order": {"number": 5002, "grandTotal": 647.0}, "userErrors": []}
    again = (await back_office(http, key, ORDER, {"input": order(5002)}))["createOrder"]
    assert codes(again) == [("ALREADY_EXISTS", ["createOrder", "input", "number"])]


async def test_updating_the_status_of_an_unknown_order(http: httpx.AsyncClient,
                                                       key: str) -> None:
    payload = (await back_office(http, key, "mutation { updateOrderStatus(number: 9, "
                                            "status: SHIPPED) { order { number } userErrors "
                                            "{ code path } } }"))["updateOrderStatus"]
    assert codes(payload) == [("NOT_FOUND", ["updateOrderStatus", "number"])]


async def test_contract_refusals(http: httpx.AsyncClient, key: str) -> None:
    payload = (await back_office(http, key, CONTRACT, {"i": {
        "customerId": 999, "pricelist": 99, "market": 99,
        "shippingAddress": {"city": "Malmö", "country": "xx"}}}))["createSubscriptionContract"]
    assert codes(payload) == [
        ("NOT_FOUND", ["createSubscriptionContract", "input", "customerId"]),
        ("NOT_FOUND", ["createSubscriptionContract", "input", "pricelist"]),
        ("NOT_FOUND", ["createSubscriptionContract", "input", "market"]),
        ("UNKNOWN_COUNTRY", ["createSubscriptionContract", "input", "shippingAddress",
                             "country"])]


async def test_updating_an_unknown_contract(http: httpx.AsyncClient, key: str) -> None:
    payload = (await back_office(http, key, "mutation { updateSubscriptionContract(id: 999, "
                                            "input: {}) { contract { id } userErrors "
                                            "{ code path } } }"))["updateSubscriptionContract"]
    assert codes(payload) == [("NOT_FOUND", ["updateSubscriptionContract", "id"])]
    refused = (await back_office(http, key, "mutation { updateSubscriptionContract(id: 999, "
                                            "input: {pricelist: 99}) { contract { id } "
                                            "userErrors { code path } } }"))[
        "updateSubscriptionContract"]
    assert codes(refused) == [("NOT_FOUND", ["updateSubscriptionContract", "input",
                                             "pricelist"])]
