"""Subscription contracts as a Centra storefront's account page reads and changes them: the
subscriptions of a contract, and the customer's four changes with Centra's rules."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dtc_api.access.clients import ClientCredentials
from tests import support
from tests.support import Shopper

# The starter's fragments (account → subscriptions), with its line fragment.
FRAGMENTS = """
fragment line on Line {
  __typename id quantity subscriptionId lineValue { value formattedValue }
  item { id name } displayItem { name subscriptionPlans { id } }
}
fragment subscriptionInfo on SubscriptionInfo {
  id status nextOrderDate lines { ...line } interval { value type } plan { id }
}
fragment subscriptionContract on SubscriptionContract {
  id createdAt
  shippingAddress { firstName lastName address1 address2 email phoneNumber zipCode city
    state { name } country { name } }
  shippingOption { name }
  subscriptionPayment { paymentMethod }
  subscriptions { ...subscriptionInfo }
}
"""
CONTRACTS = FRAGMENTS + """
query subscriptionContracts { customer { subscriptionContracts { ...subscriptionContract } } }
"""
PAYLOAD = "contract { ...subscriptionContract } userErrors { message path }"
STATUS = FRAGMENTS + """
mutation($id: Int!, $status: SubscriptionStatus!) {
  updateSubscriptionStatus(subscriptionId: $id, status: $status) { """ + PAYLOAD + """ }
}"""
INTERVAL = FRAGMENTS + """
mutation($id: Int!, $plan: Int!) {
  updateSubscriptionInterval(subscriptionId: $id, subscriptionPlanId: $plan) { """ + PAYLOAD + """ }
}"""
QUANTITY = FRAGMENTS + """
mutation($id: Int!, $quantity: Int!) {
  updateSubscriptionQuantity(subscriptionId: $id, quantity: $quantity) { """ + PAYLOAD + """ }
}"""
ADDRESS = FRAGMENTS + """
mutation($id: Int!, $address: SubscriptionContractAddressInput!) {
  changeSubscriptionContractAddress(contractId: $id, address: $address) { """ + PAYLOAD + """ }
}"""
CREATE = """mutation($input: SubscriptionContractInput!) {
  createSubscriptionContract(input: $input) { contract { id } userErrors { message path } } }"""

PLANS = [{"id": 7, "name": "Every 2 weeks", "interval": {"type": "WEEK", "value": 2},
          "discount": 10.0},
         {"id": 8, "name": "Monthly", "interval": {"type": "MONTH", "value": 1}},
         {"id": 9, "name": "Yearly", "interval": {"type": "YEAR", "value": 1}}]
SHIRT = {"id": 1, "name": "Organic Cotton T-Shirt", "uri": "organic-cotton-t-shirt",
         "productNumber": "TS-100", "subscriptionPlans": [7, 8]}
TOTE = {"id": 4, "name": "Canvas Tote Bag", "uri": "canvas-tote-bag", "productNumber": "TB-400",
        "subscriptionPlans": [7]}


def contract_input(customer_id: int, **fields: Any) -> dict[str, Any]:
    return {"customerId": customer_id, "pricelist": 1, "market": 1,
            "shippingAddress": {"firstName": "Ada", "lastName": "Lovelace",
                                "address1": "Storgatan 1", "city": "Stockholm",
                                "zipCode": "11122", "country": "SE"},
            "shippingMethod": {"id": 1, "name": "Standard"}, "shipping": 49.0,
            "paymentMethod": "Card",
            "subscriptions": [
                {"plan": 7, "lines": [{"item": "1-2", "quantity": 2}],
                 "nextOrderDate": "2027-01-15"},
                {"plan": 7, "lines": [{"item": "4-1", "quantity": 1}]}],
            **fields}


@pytest.fixture
async def contract(http: httpx.AsyncClient, key: str, shopper: Shopper) -> dict[str, Any]:
    assert await support.upsert_catalogue(
        http, key, {"subscriptionPlans": PLANS, "displayItems": [SHIRT, TOTE]}) == []
    customer = await support.register(shopper, "ada@example.com", login=True)
    assert customer is not None
    created = await support.backoffice(http, key, CREATE, {"input": contract_input(
        int(customer["id"]))})
    assert created["createSubscriptionContract"]["userErrors"] == []
    [found] = (await shopper.gql(CONTRACTS))["customer"]["subscriptionContracts"]
    return found  # type: ignore[no-any-return]


async def test_the_account_page_reads_its_contracts(contract: dict[str, Any]) -> None:
    assert contract["shippingAddress"]["firstName"] == "Ada"
    assert contract["shippingAddress"]["country"] == {"name": "Sweden"}
    assert contract["shippingOption"] == {"name": "Standard"}
    assert contract["subscriptionPayment"] == [{"paymentMethod": "Card"}]
    shirt, tote = contract["subscriptions"]
    assert shirt["status"] == "ACTIVE" and shirt["nextOrderDate"] == "2027-01-15"
    assert shirt["interval"] == {"value": 2, "type": "WEEK"} and shirt["plan"] == {"id": 7}
    [line] = shirt["lines"]
    assert line["item"]["id"] == "1-2" and line["quantity"] == 2
    assert line["subscriptionId"] == 7
    assert line["lineValue"] == {"value": 538.2, "formattedValue": "538,20 SEK"}  # less 10 %
    assert line["displayItem"]["subscriptionPlans"] == [{"id": 7}, {"id": 8}]
    assert tote["nextOrderDate"] is None


async def test_pause_resume_and_a_final_cancel(shopper: Shopper,
                                               contract: dict[str, Any]) -> None:
    shirt, tote = (s["id"] for s in contract["subscriptions"])

    async def status(subscription: int, value: str) -> dict[str, Any]:
        return (await shopper.gql(STATUS, {"id": subscription, "status": value}))[
            "updateSubscriptionStatus"]

    assert [s["status"] for s in (await status(shirt, "PAUSED"))["contract"][
        "subscriptions"]] == ["PAUSED", "ACTIVE"]
    assert (await status(shirt, "ACTIVE"))["contract"]["subscriptions"][0]["status"] == "ACTIVE"
    cancelled = await status(shirt, "CANCELLED")
    assert cancelled["contract"]["subscriptionPayment"] == [{"paymentMethod": "Card"}]
    refused = await status(shirt, "ACTIVE")
    assert refused == {"contract": None, "userErrors": [{
        "message": f"subscription {shirt} is cancelled: it cannot be changed",
        "path": ["updateSubscriptionStatus", "subscriptionId"]}]}
    # The last one cancelled: nothing more to pay for, so the payment details go.
    last = await status(tote, "CANCELLED")
    assert last["contract"]["subscriptionPayment"] == []
    assert [s["status"] for s in last["contract"]["subscriptions"]] == ["CANCELLED"] * 2


async def test_an_interval_comes_from_a_plan_the_items_offer(
    shopper: Shopper, contract: dict[str, Any]
) -> None:
    shirt, tote = (s["id"] for s in contract["subscriptions"])
    moved = (await shopper.gql(INTERVAL, {"id": shirt, "plan": 8}))["updateSubscriptionInterval"]
    changed = moved["contract"]["subscriptions"][0]
    assert changed["interval"] == {"value": 1, "type": "MONTH"} and changed["plan"] == {"id": 8}
    assert changed["lines"][0]["lineValue"]["value"] == 598.0  # plan 8 has no discount
    for subscription, plan in ((shirt, 9), (tote, 8), (shirt, 404)):
        refused = (await shopper.gql(INTERVAL, {"id": subscription, "plan": plan}))[
            "updateSubscriptionInterval"]
        assert refused["contract"] is None
        assert [e["path"] for e in refused["userErrors"]] == [
            ["updateSubscriptionInterval", "subscriptionPlanId"]]


async def test_quantity_falls_to_one_and_rises_only_on_the_plans_terms(
    shopper: Shopper, contract: dict[str, Any], http: httpx.AsyncClient, key: str
) -> None:
    shirt = contract["subscriptions"][0]["id"]

    async def quantity(value: int) -> dict[str, Any]:
        return (await shopper.gql(QUANTITY, {"id": shirt, "quantity": value}))[
            "updateSubscriptionQuantity"]

    zero = await quantity(0)
    assert [e["path"] for e in zero["userErrors"]] == [["updateSubscriptionQuantity",
                                                        "quantity"]]
    assert (await quantity(1))["contract"]["subscriptions"][0]["lines"][0]["quantity"] == 1
    assert (await quantity(3))["contract"]["subscriptions"][0]["lines"][0]["quantity"] == 3
    # The plan's discount changes: this subscription keeps its terms, and may only go down.
    changed = [{**PLANS[0], "discount": 20.0}]
    assert await support.upsert_catalogue(http, key, {"subscriptionPlans": changed}) == []
    refused = await quantity(4)
    assert [e["path"] for e in refused["userErrors"]] == [["updateSubscriptionQuantity",
                                                           "quantity"]]
    lower = await quantity(2)
    line = lower["contract"]["subscriptions"][0]["lines"][0]
    assert line["quantity"] == 2 and line["lineValue"]["value"] == 538.2  # still 10 % off


async def test_the_address_changes_contract_wide_in_its_country(
    shopper: Shopper, contract: dict[str, Any]
) -> None:
    changed = (await shopper.gql(ADDRESS, {"id": contract["id"], "address": {
        "firstName": "Augusta", "address1": "Drottninggatan 2", "email": "ADA@example.com",
        "address2": ""}}))["changeSubscriptionContractAddress"]
    address = changed["contract"]["shippingAddress"]
    assert (address["firstName"], address["lastName"], address["address1"],
            address["address2"], address["email"]) == (
        "Augusta", "Lovelace", "Drottninggatan 2", None, "ADA@example.com")
    assert address["country"] == {"name": "Sweden"}
    for variables, path in (
        ({"id": contract["id"], "address": {"email": "not an e-mail"}}, ["address", "email"]),
        ({"id": contract["id"], "address": {"city": "x" * 201}}, ["address", "city"]),
        ({"id": 404, "address": {"city": "Lund"}}, ["contractId"]),
    ):
        refused = (await shopper.gql(ADDRESS, variables))["changeSubscriptionContractAddress"]
        assert refused["contract"] is None
        assert [e["path"] for e in refused["userErrors"]] == [
            ["changeSubscriptionContractAddress", *path]]


async def test_only_the_contracts_customer_may_change_it(
    http: httpx.AsyncClient, credentials: ClientCredentials, contract: dict[str, Any],
    shopper: Shopper
) -> None:
    shirt = contract["subscriptions"][0]["id"]
    other = Shopper(http, credentials)
    await support.register(other, "eve@example.com", login=True)
    for query, variables, name, path in (
        (STATUS, {"id": shirt, "status": "CANCELLED"}, "updateSubscriptionStatus",
         "subscriptionId"),
        (QUANTITY, {"id": shirt, "quantity": 1}, "updateSubscriptionQuantity",
         "subscriptionId"),
        (ADDRESS, {"id": contract["id"], "address": {"city": "Malmö"}},
         "changeSubscriptionContractAddress", "contractId"),
    ):
        refused = (await other.gql(query, variables))[name]
        assert refused["contract"] is None
        assert [e["path"] for e in refused["userErrors"]] == [[name, path]]
    # Nothing changed for the owner.
    [mine] = (await shopper.gql(CONTRACTS))["customer"]["subscriptionContracts"]
    assert mine == contract
    # Without a login, the operations are not open at all.
    anonymous = Shopper(http, credentials)
    answer = await anonymous.raw(STATUS, {"id": shirt, "status": "CANCELLED"})
    assert "data" not in answer and answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(("change", "path"), [
    (lambda c: c["subscriptions"][1].update(plan=8),
     ["subscriptions", "1", "lines", "0", "item"]),
    (lambda c: c["subscriptions"][0]["lines"][0].update(item="404-1"),
     ["subscriptions", "0", "lines", "0", "item"]),
    (lambda c: c["subscriptions"][0].update(plan=404), ["subscriptions", "0", "plan"]),
    (lambda c: c["subscriptions"][0].update(nextOrderDate="15/01/2027"),
     ["subscriptions", "0", "nextOrderDate"]),
    (lambda c: c["subscriptions"][0]["lines"][0].update(quantity=0),
     ["subscriptions", "0", "lines", "0", "quantity"]),
    (lambda c: c.update(paymentMethod="x" * 101), ["paymentMethod"]),
    (lambda c: c.update(shipping=-1.0), ["shipping"]),
])
async def test_a_bad_contract_is_refused_whole(http: httpx.AsyncClient, key: str,
                                               contract: dict[str, Any], shopper: Shopper,
                                               change: Any, path: list[str]) -> None:
    customer_id = (await shopper.gql("{ customer { id } }"))["customer"]["id"]
    data = contract_input(int(customer_id))
    change(data)
    refused = await support.backoffice(http, key, CREATE, {"input": data})
    assert refused["createSubscriptionContract"]["contract"] is None
    assert [e["path"] for e in refused["createSubscriptionContract"]["userErrors"]] == [
        ["createSubscriptionContract", "input", *path]]
    assert len((await shopper.gql(CONTRACTS))["customer"]["subscriptionContracts"]) == 1
