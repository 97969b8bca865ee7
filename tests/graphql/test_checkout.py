"""Checkout, as a Centra storefront runs it: address, delivery, vouchers, payment
instructions, the return page's paymentResult, the receipt. The demo's shipping methods,
vouchers and tax rates; payment methods of the test's own API client."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dtc_api.clock import SteppableClock
from dtc_api.orders.subscriptions import after
from dtc_api.store import tables as t
from tests import support
from tests.support import Shopper

SELECTION = """fragment co on Selection {
  id grandTotal { value formattedValue } lines { id quantity }
  externalGiftCardAvailable
  discounts { __typename name value { value } totalShippingReduction { value }
    ... on CodeVoucher { code } }
  checkout {
    shippingAddress { country { code } firstName email address1 }
    hasSeparateBillingAddress separateBillingAddress { firstName country { code } }
    shippingMethods { id name price { value } selected }
    shippingMethod { id name price { value } }
    paymentMethods { id name kind uri }
    paymentMethod { id }
    totals { __typename type price { value } ... on SelectionTotalTaxRow { taxPercent } }
  }
}"""
ERRORS = "userErrors { __typename message path ... on UserErrorBase { code } }"
SHOW = "query { selection { ...co } }\n" + SELECTION
ADD = ("mutation($item: String!, $quantity: Int!) { addItem(item: $item, quantity: $quantity) "
       "{ " + ERRORS + " } }")
SET_ADDRESS = """mutation($shipping: AddressInput!, $billing: AddressInput) {
  setAddress(shippingAddress: $shipping, separateBillingAddress: $billing) {
    selection { ...co } """ + ERRORS + " } }\n" + SELECTION
SET_SHIPPING = ("mutation($id: Int!) { setShippingMethod(id: $id) { selection { ...co } "
                + ERRORS + " } }\n" + SELECTION)
VOUCHER = ("mutation($code: String!) { addVoucher(code: $code) { selection { ...co } "
           + ERRORS + " } }\n" + SELECTION)
REMOVE_VOUCHER = ("mutation($code: String!) { removeVoucher(code: $code) { selection { ...co } "
                  + ERRORS + " } }\n" + SELECTION)
INSTRUCTIONS = """mutation($input: PaymentInstructionsInput!) {
  paymentInstructions(input: $input) {
    action { __typename action
      ... on FormPaymentAction { html formType }
      ... on SuccessPaymentAction { order { number status } } }
    selection { ...co } """ + ERRORS + " } }\n" + SELECTION
RESULT = """mutation($fields: Map!) {
  paymentResult(paymentMethodFields: $fields) {
    __typename type selection { id lines { id } } """ + ERRORS + """
    ... on PaymentResultSuccessPayload { order { id number status
      totals { type price { value } ... on SelectionTotalTaxRow { taxPercent } }
      shippingMethod { id name price { value } }
      shippingAddress { firstName city country { code } }
      lines { name quantity lineValue { value } } } }
  }
}"""
RECEIPT = "query { order { number status totals { type price { value } } } }"
STOCK = "query($item: String!) { stock(item: $item) { warehouses { warehouse quantity } } }"

TEST_METHOD, INVOICE = 11, 12
STANDARD, EXPRESS = 1, 2
PAYMENT_METHODS = [
    {"id": TEST_METHOD, "client": "storefront", "name": "Card (test)", "uri": "test-card",
     "plugin": "test", "kind": "ADYEN_DROPIN", "position": 1},
    {"id": INVOICE, "client": "storefront", "name": "Invoice", "uri": "invoice",
     "plugin": "invoice", "kind": "DUMMY", "position": 2}]
VOUCHERS = [
    {"id": 21, "code": "OLD", "name": "Last year", "kind": "PERCENT", "percent": 20,
     "endsAt": "2000-01-01T00:00:00+00:00"},
    {"id": 22, "code": "ONCE", "name": "One order only", "kind": "PERCENT", "percent": 5,
     "maxUses": 1}]
ADDRESS = {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
           "address1": "Drottninggatan 5", "city": "Stockholm", "zipCode": "11151",
           "country": "SE"}
RETURN = {"paymentReturnPage": "https://shop.example/success",
          "paymentFailedPage": "https://shop.example/failed"}


@pytest.fixture
async def methods(http: httpx.AsyncClient, key: str) -> None:
    assert await support.upsert_catalogue(
        http, key, {"paymentMethods": PAYMENT_METHODS, "vouchers": VOUCHERS}) == []


def pay_input(method: int = TEST_METHOD, **changes: Any) -> dict[str, Any]:
    return {"shippingAddress": ADDRESS, "paymentMethod": method, "termsAndConditions": True,
            **RETURN, **changes}


async def add(shopper: Shopper, item: str = "1-1", quantity: int = 2) -> None:
    assert (await shopper.gql(ADD, {"item": item, "quantity": quantity}))["addItem"][
        "userErrors"] == []


async def instructions(shopper: Shopper, **changes: Any) -> dict[str, Any]:
    return (await shopper.gql(INSTRUCTIONS, {"input": pay_input(**changes)}))[
        "paymentInstructions"]


def payment_key(action: dict[str, Any]) -> str:
    found = re.search(r'name="dtcPayment" value="([^"]+)"', action["html"])
    assert found, action["html"]
    return found[1]


async def result(shopper: Shopper, fields: dict[str, Any]) -> dict[str, Any]:
    return (await shopper.gql(RESULT, {"fields": fields}))["paymentResult"]


async def units(http: httpx.AsyncClient, key: str, item: str) -> int:
    stock = (await support.backoffice(http, key, STOCK, {"item": item}))["stock"]
    return sum(w["quantity"] for w in stock["warehouses"] if w["warehouse"] == "main")


def totals(selection: dict[str, Any]) -> dict[str, float]:
    return {row["type"]: row["price"]["value"] for row in selection["checkout"]["totals"]}


async def test_a_guest_checks_out_and_pays(shopper: Shopper, http: httpx.AsyncClient, key: str,
                                           runtime: Any, methods: None) -> None:
    await add(shopper)  # 2 x 299.00 SEK
    address = (await shopper.gql(SET_ADDRESS, {"shipping": ADDRESS}))["setAddress"]
    assert address["userErrors"] == []
    selection = address["selection"]
    checkout = selection["checkout"]
    assert checkout["shippingAddress"]["email"] == "ada@example.com"
    assert checkout["hasSeparateBillingAddress"] is False
    # Standard is free from 1,000 SEK; Express never. Until the shopper chooses, the first
    # method offered is the cart's.
    assert [(m["id"], m["price"]["value"], m["selected"]) for m in checkout["shippingMethods"]
            ] == [(STANDARD, 49.0, True), (EXPRESS, 129.0, False)]
    assert [m["uri"] for m in checkout["paymentMethods"]] == ["test-card", "invoice"]
    assert checkout["shippingMethod"]["name"] == "Standard"
    # Swedish prices include 25 % VAT: 647.00 holds 129.40.
    assert totals(selection) == {"ITEMS_SUBTOTAL": 598.0, "SHIPPING": 49.0, "GRAND_TOTAL": 647.0,
                                 "INCLUDING_TAX": 129.4, "INCLUDING_TAX_TOTAL": 129.4}
    tax_row = next(r for r in checkout["totals"] if r["type"] == "INCLUDING_TAX")
    assert (tax_row["__typename"], tax_row["taxPercent"]) == ("SelectionTotalTaxRow", 25.0)

    chosen = (await shopper.gql(SET_SHIPPING, {"id": STANDARD}))["setShippingMethod"]
    assert chosen["userErrors"] == []
    assert chosen["selection"]["grandTotal"]["value"] == 647.0
    assert chosen["selection"]["checkout"]["shippingMethod"]["name"] == "Standard"

    before = await units(http, key, "1-1")
    started = await instructions(shopper)
    assert started["userErrors"] == []
    action = started["action"]
    assert (action["__typename"], action["action"], action["formType"]) == (
        "FormPaymentAction", "FORM", "dtc-test")
    assert 'action="https://shop.example/success"' in action["html"]
    assert "<script" not in action["html"]
    # The payment holds the units; the selection stays until it is paid.
    assert await units(http, key, "1-1") == before - 2
    assert started["selection"]["checkout"]["paymentMethod"] == {"id": TEST_METHOD}

    # The return page passes on every field it received.
    paid = await result(shopper, {"dtcPayment": payment_key(action), "result": "confirm",
                                  "centraPaymentMethod": str(TEST_METHOD)})
    assert paid["userErrors"] == [] and paid["type"] == "SUCCESS"
    order = paid["order"]
    assert order["status"] == "CONFIRMED"
    assert {r["type"]: r["price"]["value"] for r in order["totals"]}["GRAND_TOTAL"] == 647.0
    assert order["shippingMethod"] == {"id": STANDARD, "name": "Standard",
                                       "price": {"value": 49.0}}
    assert order["shippingAddress"] == {"firstName": "Ada", "city": "Stockholm",
                                        "country": {"code": "SE"}}
    assert order["lines"] == [{"name": "Organic Cotton T-Shirt", "quantity": 2,
                               "lineValue": {"value": 598.0}}]
    assert paid["selection"] == {"id": None, "lines": []}
    assert await units(http, key, "1-1") == before - 2  # drawn down for good

    # The receipt page: the guest's session answers its order.
    receipt = (await shopper.gql(RECEIPT))["order"]
    assert receipt["number"] == order["number"]
    # A repeated result (a reload of the return page) answers the same order.
    again = await result(shopper, {"dtcPayment": payment_key(action), "result": "confirm"})
    assert again["type"] == "SUCCESS" and again["order"]["number"] == order["number"]
    async with runtime.db.read() as conn:
        placed = (await conn.execute(sa.select(t.orders.c.number, t.customers.c.email,
                                               t.customers.c.registered)
                                     .join(t.customers))).all()
        mail = (await conn.execute(sa.select(t.outbox.c.recipient, t.outbox.c.subject)
                                   .where(t.outbox.c.kind == "order_confirmation"))).all()
    assert [(n, e, r) for n, e, r in placed if n == order["number"]] == [
        (order["number"], "ada@example.com", False)]
    assert mail == [("ada@example.com", f"Your order {order['number']}")]
    backoffice = (await support.backoffice(http, key, "query($n: Int!) { order(number: $n) { "
                                           "status grandTotal } }", {"n": order["number"]}))
    assert backoffice["order"] == {"status": "CONFIRMED", "grandTotal": 647.0}


async def test_a_declined_payment_returns_the_stock(shopper: Shopper, http: httpx.AsyncClient,
                                                     key: str, methods: None) -> None:
    await add(shopper, "1-3", 3)  # every unit there is
    started = await instructions(shopper)
    assert await units(http, key, "1-3") == 0
    failed = await result(shopper, {"dtcPayment": payment_key(started["action"]),
                                    "result": "decline"})
    assert failed["type"] == "FAILED"
    assert failed["userErrors"][0]["path"] == ["paymentResult", "paymentMethodFields"]
    assert await units(http, key, "1-3") == 3
    assert len(failed["selection"]["lines"]) == 1  # the cart is kept, to try again
    assert (await shopper.gql(RECEIPT))["order"] is None


async def test_an_invoice_orders_at_once(shopper: Shopper, methods: None) -> None:
    await add(shopper)
    started = await instructions(shopper, method=INVOICE, shippingMethod=EXPRESS)
    assert started["userErrors"] == []
    assert started["action"]["__typename"] == "SuccessPaymentAction"
    assert started["action"]["order"]["status"] == "PENDING"  # awaiting payment
    assert started["selection"]["id"] is None
    assert (await shopper.gql(RECEIPT))["order"]["totals"][-3:][0] == {
        "type": "GRAND_TOTAL", "price": {"value": 727.0}}  # 598 + Express 129


async def test_vouchers(shopper: Shopper, methods: None) -> None:
    await add(shopper)
    welcome = (await shopper.gql(VOUCHER, {"code": " welcome10 "}))["addVoucher"]
    assert welcome["userErrors"] == []
    selection = welcome["selection"]
    assert selection["discounts"] == [{"__typename": "CodeVoucher", "name": "Welcome: 10 % off",
                                       "value": {"value": -59.8},
                                       "totalShippingReduction": {"value": 0.0},
                                       "code": "WELCOME10"}]
    assert totals(selection)["DISCOUNT"] == -59.8
    assert selection["grandTotal"]["value"] == 587.2  # with Standard shipping
    await shopper.gql(SET_SHIPPING, {"id": EXPRESS})
    free = (await shopper.gql(VOUCHER, {"code": "FREESHIP"}))["addVoucher"]["selection"]
    assert totals(free)["SHIPPING"] == 0.0 and free["grandTotal"]["value"] == 538.2
    assert free["discounts"][1]["totalShippingReduction"] == {"value": 129.0}

    removed = (await shopper.gql(REMOVE_VOUCHER, {"code": "freeship"}))["removeVoucher"]
    assert removed["userErrors"] == [] and removed["selection"]["grandTotal"]["value"] == 667.2


@pytest.mark.parametrize(("code", "mutation", "error"), [
    ("NOPE", VOUCHER, ("voucher NOPE not found", "NOT_FOUND")),
    ("OLD", VOUCHER, ("voucher OLD has expired", "UNAVAILABLE")),
    ("SAVE50", VOUCHER, ("voucher SAVE50 needs a larger order", "UNAVAILABLE")),
    ("WELCOME10", REMOVE_VOUCHER, ("voucher WELCOME10 is not applied", "NOT_FOUND")),
])
async def test_a_voucher_refused(shopper: Shopper, methods: None, code: str, mutation: str,
                                 error: tuple[str, str]) -> None:
    await add(shopper, quantity=1)  # 299.00
    payload = next(iter((await shopper.gql(mutation, {"code": code})).values()))
    name = "addVoucher" if mutation is VOUCHER else "removeVoucher"
    assert [(e["message"], e["path"], e["code"]) for e in payload["userErrors"]] == [
        (*error[:1], [name, "code"], error[1])]
    assert payload["selection"]["discounts"] == []


async def test_a_voucher_over_its_limit(http: httpx.AsyncClient, credentials: Any,
                                        shopper: Shopper, methods: None) -> None:
    await add(shopper)
    assert (await shopper.gql(VOUCHER, {"code": "ONCE"}))["addVoucher"]["userErrors"] == []
    other = Shopper(http, credentials)
    await add(other)
    assert (await other.gql(VOUCHER, {"code": "ONCE"}))["addVoucher"]["userErrors"] == []
    started = await instructions(shopper, method=INVOICE)
    assert started["userErrors"] == []
    # Used once now: the other cart cannot pay with it, nor add it again.
    refused = await instructions(other, method=INVOICE)
    assert refused["action"] is None
    assert [(e["message"], e["path"]) for e in refused["userErrors"]] == [
        ("voucher ONCE has been used up", ["paymentInstructions", "input"])]
    third = Shopper(http, credentials)
    await add(third)
    assert (await third.gql(VOUCHER, {"code": "ONCE"}))["addVoucher"]["userErrors"][0][
        "message"] == "voucher ONCE has been used up"


async def test_a_shipping_method_of_another_country(shopper: Shopper, methods: None) -> None:
    await add(shopper)
    moved = (await shopper.gql(SET_ADDRESS, {"shipping": {**ADDRESS, "country": "GB"}}))[
        "setAddress"]
    assert moved["userErrors"] == []
    # The session follows the shipping country: its pricelist (GBP) prices the methods.
    assert [(m["id"], m["price"]["value"]) for m in
            moved["selection"]["checkout"]["shippingMethods"]] == [(STANDARD, 4.9)]
    refused = (await shopper.gql(SET_SHIPPING, {"id": EXPRESS}))["setShippingMethod"]
    assert [(e["path"], e["code"]) for e in refused["userErrors"]] == [
        (["setShippingMethod", "id"], "NOT_FOUND")]
    assert refused["selection"]["checkout"]["shippingMethod"]["id"] == STANDARD


@pytest.mark.parametrize(("changes", "errors"), [
    ({"termsAndConditions": False},
     [(["paymentInstructions", "input", "termsAndConditions"], "REQUIRED")]),
    ({"shippingAddress": {"country": "SE", "firstName": "Ada"}},
     [(["paymentInstructions", "input", "shippingAddress", name], "REQUIRED")
      for name in ("email", "lastName", "address1", "city", "zipCode")]),
    ({"shippingAddress": {**ADDRESS, "country": "XX"}},
     [(["paymentInstructions", "input", "shippingAddress", "country"], "UNKNOWN_COUNTRY")]),
    ({"shippingAddress": {**ADDRESS, "country": "US"}},
     [(["paymentInstructions", "input", "shippingAddress", "state"], "STATE_REQUIRED")]),
    ({"shippingAddress": {**ADDRESS, "email": "not an address"}},
     [(["paymentInstructions", "input", "shippingAddress", "email"], "INVALID_EMAIL")]),
    ({"paymentMethod": 999}, [(["paymentInstructions", "input", "paymentMethod"], "NOT_FOUND")]),
    ({"paymentReturnPage": "javascript:alert(1)", "paymentFailedPage": "/failed"},
     [(["paymentInstructions", "input", "paymentReturnPage"], "INVALID_INPUT"),
      (["paymentInstructions", "input", "paymentFailedPage"], "INVALID_INPUT")]),
    ({"shippingMethod": 999}, [(["paymentInstructions", "input", "shippingMethod"],
                                "NOT_FOUND")]),
])
async def test_payment_instructions_refused(shopper: Shopper, http: httpx.AsyncClient, key: str,
                                            methods: None, changes: dict[str, Any],
                                            errors: list[tuple[list[str], str]]) -> None:
    await add(shopper)
    before = await units(http, key, "1-1")
    refused = await instructions(shopper, **changes)
    assert refused["action"] is None
    assert [(e["path"], e["code"]) for e in refused["userErrors"]] == errors
    assert await units(http, key, "1-1") == before


async def test_an_empty_selection_cannot_be_paid(shopper: Shopper, methods: None) -> None:
    refused = await instructions(shopper)
    assert refused["action"] is None
    assert [(e["path"], e["code"]) for e in refused["userErrors"]] == [
        (["paymentInstructions", "input"], "UNAVAILABLE")]
    # An empty selection still has a checkout (storefronts need it on every page).
    assert refused["selection"]["checkout"]["totals"][0]["type"] == "ITEMS_SUBTOTAL"


async def test_out_of_stock_at_payment(http: httpx.AsyncClient, key: str, credentials: Any,
                                       methods: None) -> None:
    await support.set_stocks(http, key, [{"item": "4-1", "warehouse": "main", "quantity": 1}])
    first, second = Shopper(http, credentials), Shopper(http, credentials)
    await add(first, "4-1", 1)
    await add(second, "4-1", 1)
    assert (await instructions(first))["action"] is not None
    refused = await instructions(second)
    assert refused["action"] is None
    error = refused["userErrors"][0]
    assert (error["__typename"], error["path"]) == ("UnavailableItem",
                                                    ["paymentInstructions", "selection"])


async def test_two_checkouts_of_the_last_unit(http: httpx.AsyncClient, key: str,
                                              credentials: Any, methods: None) -> None:
    await support.set_stocks(http, key, [{"item": "4-1", "warehouse": "main", "quantity": 1}])
    shoppers = [Shopper(http, credentials) for _ in range(2)]
    for shopper in shoppers:
        await add(shopper, "4-1", 1)
    answers = await asyncio.gather(*(instructions(s, method=INVOICE) for s in shoppers))
    ordered = [a for a in answers if a["action"] is not None]
    refused = [a for a in answers if a["action"] is None]
    assert len(ordered) == len(refused) == 1
    assert refused[0]["userErrors"][0]["__typename"] == "UnavailableItem"
    assert await units(http, key, "4-1") == 0


async def test_raced_payment_results_make_one_order(shopper: Shopper, runtime: Any,
                                                    methods: None) -> None:
    await add(shopper)
    key_ = payment_key((await instructions(shopper))["action"])
    fields = {"dtcPayment": key_, "result": "confirm"}
    answers = await asyncio.gather(*(result(shopper, fields) for _ in range(4)))
    assert {a["type"] for a in answers} == {"SUCCESS"}
    assert len({a["order"]["number"] for a in answers}) == 1
    async with runtime.db.read() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(t.orders).where(
            t.orders.c.number == answers[0]["order"]["number"]))).scalar_one() == 1


async def test_an_expired_payment(shopper: Shopper, http: httpx.AsyncClient, key: str,
                                  clock: SteppableClock, runtime: Any, methods: None) -> None:
    from dtc_api.jobs import loop

    await add(shopper)
    before = await units(http, key, "1-1")
    action = (await instructions(shopper))["action"]
    clock.advance(seconds=runtime.settings.payment_ttl + 1)
    assert (await loop.run_once(runtime, [loop.Job("expire", loop.expire_payments)])) == {
        "expire": 1}
    assert await units(http, key, "1-1") == before
    late = await result(shopper, {"dtcPayment": payment_key(action), "result": "confirm"})
    assert late["type"] == "FAILED"
    assert late["userErrors"][0]["message"] == "the payment has expired"


async def test_a_payment_of_another_session(http: httpx.AsyncClient, credentials: Any,
                                            shopper: Shopper, methods: None) -> None:
    await add(shopper)
    action = (await instructions(shopper))["action"]
    stranger = Shopper(http, credentials)
    await stranger.gql("query { session { country { code } } }")
    answer = await result(stranger, {"dtcPayment": payment_key(action), "result": "confirm"})
    assert answer["type"] == "FAILED"
    assert answer["userErrors"][0]["code"] == "NOT_FOUND"


async def test_a_logged_in_checkout_is_the_customers_order(shopper: Shopper,
                                                           methods: None) -> None:
    await support.register(shopper, "grace@example.com", first_name="Grace", login=True)
    await add(shopper)
    # No e-mail in the address: the customer's own.
    address = {k: v for k, v in ADDRESS.items() if k != "email"}
    started = await instructions(shopper, method=INVOICE, shippingAddress=address)
    assert started["userErrors"] == []
    number = started["action"]["order"]["number"]
    orders = (await shopper.gql("query { customer { orders { number } } }"))["customer"]
    assert orders["orders"] == [{"number": number}]


async def test_gift_cards_widgets_and_express_checkout(shopper: Shopper, methods: None) -> None:
    await add(shopper)
    card = (await shopper.gql("""mutation { applyGiftCard(input: {cardNumber: "1234"}) {
      selection { externalGiftCardAvailable } """ + ERRORS + " } }"))["applyGiftCard"]
    assert card["selection"]["externalGiftCardAvailable"] is False
    assert [(e["path"], e["code"]) for e in card["userErrors"]] == [
        (["applyGiftCard", "input", "cardNumber"], "NOT_CONFIGURED")]
    widget = (await shopper.gql('mutation { handleWidgetEvent(payload: {a: 1}) { '
                                'selection { lines { id } } userErrors { message } } }'))
    assert widget["handleWidgetEvent"]["userErrors"] == []
    express = await shopper.gql("""query { expressCheckoutWidgets(configurationOnly: true,
      plugins: [{type: express_checkout_adyen, additionalData: {amount: 100, lineItems: [],
      returnUrl: "https://shop.example/success"}}]) { list { name } userErrors { message } } }""")
    assert express["expressCheckoutWidgets"] == {"list": [], "userErrors": []}


async def test_payment_methods_in_the_back_office_are_checked(http: httpx.AsyncClient,
                                                             key: str) -> None:
    bad = [{**PAYMENT_METHODS[0], "client": "nobody", "plugin": "bank", "kind": "CASH"}]
    errors = await support.upsert_catalogue(http, key, {"paymentMethods": bad})
    assert sorted(e["path"][-1] for e in errors) == ["client", "kind", "plugin"]
    bad_voucher = [{"id": 30, "code": "X", "name": "x", "kind": "PERCENT", "percent": 150}]
    errors = await support.upsert_catalogue(http, key, {"vouchers": bad_voucher})
    assert [e["path"] for e in errors] == [["upsertCatalogue", "input", "vouchers", "0", "percent"]]


PLANNED = ('mutation { addItem(item: "11-1", quantity: 2, subscriptionPlan: 1) '
           "{ userErrors { message } } }")
CONTRACTS = """query { customer { subscriptionContracts {
  shippingOption { name } subscriptionPayment { paymentMethod }
  subscriptions { status interval { type value } nextOrderDate lines { quantity item { id } } }
} } }"""


async def test_a_subscription_bought_at_checkout(shopper: Shopper, clock: SteppableClock,
                                                 methods: None) -> None:
    assert (await shopper.gql(PLANNED))["addItem"]["userErrors"] == []
    # A guest cannot subscribe: the storefront asks the shopper to log in.
    refused = await instructions(shopper, method=INVOICE)
    assert [(e["path"], e["code"]) for e in refused["userErrors"]] == [
        (["paymentInstructions", "input"], "LOGIN_REQUIRED")]
    await support.register(shopper, "sub@example.com", first_name="Sub", login=True)
    started = await instructions(shopper, method=INVOICE)
    assert started["userErrors"] == []
    [contract] = (await shopper.gql(CONTRACTS))["customer"]["subscriptionContracts"]
    assert contract["shippingOption"] == {"name": "Standard"}
    assert contract["subscriptionPayment"] == [{"paymentMethod": "Invoice"}]
    [subscription] = contract["subscriptions"]
    interval = subscription["interval"]
    assert subscription["status"] == "ACTIVE"
    assert subscription["lines"] == [{"quantity": 2, "item": {"id": "11-1"}}]
    # The order is the first delivery; the next is one interval on.
    assert subscription["nextOrderDate"] == after(clock.now().date(), interval["type"],
                                                  interval["value"]).isoformat()


async def test_an_automatic_voucher_applies_when_the_cart_qualifies(
        shopper: Shopper, http: httpx.AsyncClient, key: str, methods: None) -> None:
    assert await support.upsert_catalogue(http, key, {"vouchers": [
        {"id": 31, "name": "10 off from 500", "kind": "AMOUNT",
         "amounts": [{"pricelist": "sek", "amount": 10}],
         "minimum": [{"pricelist": "sek", "amount": 500}]}]}) == []
    await add(shopper, quantity=1)  # 299.00: not yet
    assert (await shopper.gql(SHOW))["selection"]["discounts"] == []
    await add(shopper, quantity=1)  # 598.00
    selection = (await shopper.gql(SHOW))["selection"]
    assert [(d["__typename"], d["name"], d["value"]["value"]) for d in selection["discounts"]
            ] == [("AutoVoucher", "10 off from 500", -10.0)]
    assert selection["grandTotal"]["value"] == 637.0  # with Standard shipping
    started = await instructions(shopper, method=INVOICE)
    totals_ = (await shopper.gql(RECEIPT))["order"]["totals"]
    assert started["userErrors"] == []
    assert {"type": "DISCOUNT", "price": {"value": -10.0}} in totals_


async def test_a_voucher_once_per_customer(shopper: Shopper, http: httpx.AsyncClient,
                                           key: str, methods: None) -> None:
    assert await support.upsert_catalogue(http, key, {"vouchers": [
        {"id": 32, "code": "FIRST", "name": "First order", "kind": "PERCENT", "percent": 15,
         "maxUsesPerCustomer": 1}]}) == []
    await support.register(shopper, "once@example.com", first_name="Once", login=True)
    for attempt in range(2):
        await add(shopper, quantity=1)
        added = (await shopper.gql(VOUCHER, {"code": "first"}))["addVoucher"]
        if attempt == 0:
            assert added["userErrors"] == []
            assert (await instructions(shopper, method=INVOICE))["userErrors"] == []
        else:
            assert [e["message"] for e in added["userErrors"]] == [
                "voucher FIRST has been used as many times as it may be by one customer"]


@pytest.mark.parametrize("change", ["addItem", "addVoucher", "setShippingMethod", "setAddress"])
async def test_a_cart_changed_during_payment_needs_a_new_one(
        shopper: Shopper, http: httpx.AsyncClient, key: str, methods: None,
        change: str) -> None:
    await add(shopper)
    before = await units(http, key, "1-1")
    action = (await instructions(shopper))["action"]
    assert await units(http, key, "1-1") == before - 2
    if change == "addItem":
        await add(shopper, quantity=1)
    elif change == "addVoucher":
        await shopper.gql(VOUCHER, {"code": "WELCOME10"})
    elif change == "setShippingMethod":
        await shopper.gql(SET_SHIPPING, {"id": EXPRESS})
    else:
        await shopper.gql(SET_ADDRESS, {"shipping": {**ADDRESS, "city": "Uppsala"}})
    assert await units(http, key, "1-1") == before  # the payment's hold is gone
    stale = await result(shopper, {"dtcPayment": payment_key(action), "result": "confirm"})
    assert stale["type"] == "FAILED"
    assert stale["userErrors"][0]["message"] == "the payment has expired"
    assert len(stale["selection"]["lines"]) == 1  # the cart is kept
    fresh = await instructions(shopper)
    paid = await result(shopper, {"dtcPayment": payment_key(fresh["action"]),
                                  "result": "confirm"})
    assert paid["type"] == "SUCCESS"


async def test_checkout_orders_in_the_back_office_listing(shopper: Shopper, http: httpx.AsyncClient,
                                                         key: str, methods: None) -> None:
    await add(shopper)
    await shopper.gql(VOUCHER, {"code": "WELCOME10"})
    number = (await instructions(shopper, method=INVOICE))["action"]["order"]["number"]
    listed = (await support.backoffice(http, key, """query { orders(limit: 5, status: PENDING) {
      total orders { number status paymentMethod vouchers grandTotal } } }"""))["orders"]
    assert listed["total"] == 1
    assert listed["orders"] == [{"number": number, "status": "PENDING",
                                 "paymentMethod": "Invoice", "vouchers": ["WELCOME10"],
                                 "grandTotal": 587.2}]  # with Standard shipping
    refused = await http.post(support.BACKOFFICE,
                              json={"query": "{ orders(limit: 500) { total } }"},
                              headers={"authorization": f"Bearer {key}"})
    assert refused.json()["errors"][0]["extensions"]["code"] == "OUT_OF_RANGE"
