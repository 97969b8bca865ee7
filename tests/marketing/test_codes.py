"""The machine codes of newsletter and back-in-stock refusals, over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dtc_api.access import integration_keys
from dtc_api.config import Settings
from tests.support import Shopper, settings_for

NEWSLETTER = """
mutation($email: String!, $info: NewsletterSubscribeInput) {
  subscribeToNewsletter(email: $email, additionalInfo: $info) {
    subscribed userErrors { code path }
  }
}
"""
BACK_IN_STOCK = """
mutation($input: BackInStockSubscribeInput!) {
  backInStockSubscribe(input: $input) { subscribed userErrors { code path } }
}
"""


@pytest.fixture
def settings(db_url: str) -> Settings:
    return settings_for(db_url, back_in_stock_ip_limit=3)


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["path"]) for e in payload["userErrors"]]


@pytest.mark.parametrize(("email", "info", "code", "path"), [
    ("not-an-email", {}, "INVALID_EMAIL", ["email"]),
    ("a" * 250 + "@example.com", {}, "INVALID_EMAIL", ["email"]),
    ("a@example.com", {"countryCode": "XX"}, "UNKNOWN_COUNTRY",
     ["additionalInfo", "countryCode"]),
    ("a@example.com", {"languageCode": "xx"}, "UNKNOWN_LANGUAGE",
     ["additionalInfo", "languageCode"]),
])
async def test_newsletter_refusals(shopper: Shopper, email: str, info: dict[str, Any],
                                   code: str, path: list[str]) -> None:
    payload = (await shopper.gql(NEWSLETTER, {"email": email, "info": info}))[
        "subscribeToNewsletter"]
    assert payload["subscribed"] is False
    assert codes(payload) == [(code, ["subscribeToNewsletter", *path])]


@pytest.mark.parametrize(("operation", "answer"), [
    ("unsubscribeFromNewsletter", "unsubscribed"),
    ("confirmNewsletterSubscription", "confirmed"),
])
async def test_forged_links(shopper: Shopper, operation: str, answer: str) -> None:
    payload = (await shopper.gql(f"mutation($t: String!) {{ {operation}(token: $t) "
                                 f"{{ {answer} userErrors {{ code path }} }} }}",
                                 {"t": "a@example.com.forged"}))[operation]
    assert payload == {answer: False, "userErrors": [{"code": "INVALID_LINK",
                                                      "path": [operation, "token"]}]}


@pytest.mark.parametrize(("input", "code", "path"), [
    ({"email": None}, "REQUIRED", ["email"]),
    ({"email": "nope"}, "INVALID_EMAIL", ["email"]),
    ({"item": "404-1"}, "NOT_FOUND", ["item"]),
    ({"shipTo": {"countryCode": "XX"}}, "UNKNOWN_COUNTRY", ["shipTo", "countryCode"]),
    ({"shipTo": {"countryCode": "US", "stateCode": "ZZ"}}, "UNKNOWN_STATE",
     ["shipTo", "stateCode"]),
    ({"shipTo": {"countryCode": "SE", "stateCode": "ZZ"}}, "UNKNOWN_STATE",
     ["shipTo", "stateCode"]),
    ({"languageCode": "xx"}, "UNKNOWN_LANGUAGE", ["languageCode"]),
])
async def test_back_in_stock_refusals(shopper: Shopper, input: dict[str, Any], code: str,
                                      path: list[str]) -> None:
    data = {"email": "w@example.com", "shipTo": {"countryCode": "SE"}, "item": "10-1", **input}
    payload = (await shopper.gql(BACK_IN_STOCK, {"input": data}))["backInStockSubscribe"]
    assert payload["subscribed"] is False
    assert codes(payload) == [(code, ["backInStockSubscribe", "input", *path])]


async def test_back_in_stock_refusals_come_together(shopper: Shopper) -> None:
    data = {"email": "nope", "shipTo": {"countryCode": "XX"}, "item": "404-1",
            "languageCode": "xx"}
    payload = (await shopper.gql(BACK_IN_STOCK, {"input": data}))["backInStockSubscribe"]
    assert [code for code, _ in codes(payload)] == [
        "INVALID_EMAIL", "NOT_FOUND", "UNKNOWN_COUNTRY", "UNKNOWN_LANGUAGE"]


async def test_back_in_stock_over_the_limit(shopper: Shopper) -> None:
    for n in range(3):
        data = {"email": f"n{n}@example.com", "shipTo": {"countryCode": "SE"}, "item": "10-1"}
        assert (await shopper.gql(BACK_IN_STOCK, {"input": data}))[
            "backInStockSubscribe"]["subscribed"] is True
    data = {"email": "more@example.com", "shipTo": {"countryCode": "SE"}, "item": "10-1"}
    payload = (await shopper.gql(BACK_IN_STOCK, {"input": data}))["backInStockSubscribe"]
    assert codes(payload) == [("RATE_LIMITED", ["backInStockSubscribe"])]


async def test_refused_back_in_stock_requests_do_not_count(shopper: Shopper) -> None:
    bad = {"email": "nope", "shipTo": {"countryCode": "SE"}, "item": "10-1"}
    for _ in range(5):
        assert codes((await shopper.gql(BACK_IN_STOCK, {"input": bad}))[
            "backInStockSubscribe"]) == [("INVALID_EMAIL", ["backInStockSubscribe", "input",
                                                            "email"])]
    good = {**bad, "email": "ok@example.com"}
    assert (await shopper.gql(BACK_IN_STOCK, {"input": good}))[
        "backInStockSubscribe"]["subscribed"] is True


async def operator(http: httpx.AsyncClient, runtime: Any, clock: Any, query: str
                   ) -> dict[str, Any]:
    async with runtime.db.write() as conn:
        key = await integration_keys.create(conn, "erp", "write", clock.now())
    response = await http.post("/integration/graphql", json={"query": query},
                               headers={"authorization": f"Bearer {key}"})
    answer = response.json()
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]


async def test_operator_refusals(http: httpx.AsyncClient, runtime: Any, clock: Any) -> None:
    unsubscribed = await operator(http, runtime, clock, 'mutation { unsubscribeNewsletter('
                                  'email: "nobody@example.com") { unsubscribed '
                                  "userErrors { code path } } }")
    assert unsubscribed["unsubscribeNewsletter"] == {"unsubscribed": False, "userErrors": [
        {"code": "NOT_FOUND", "path": ["unsubscribeNewsletter", "email"]}]}


async def test_retrying_an_unknown_message(http: httpx.AsyncClient, runtime: Any,
                                           clock: Any) -> None:
    retried = await operator(http, runtime, clock, "mutation { retryOutboxMessage(id: 999) "
                             "{ message { id } userErrors { code path } } }")
    assert retried["retryOutboxMessage"] == {"message": None, "userErrors": [
        {"code": "NOT_FOUND", "path": ["retryOutboxMessage", "id"]}]}
