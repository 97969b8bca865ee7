"""A guest buys in a real browser, the way a Centra storefront's checkout does it: the cart
and paymentInstructions from the shop's page (cross-origin), the test payment method's own
form shown in the page, the shopper's click posting it to the shop's return page, and that
page calling paymentResult and then the receipt (``order``)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.support import Chromium, PageServer
from tests.browser.test_cors_in_a_browser import create_client
from tests.faults.support import Served, serve

CHECKOUT = """
async ([api, clientToken, returnPage]) => {
  const call = async (token, query, variables) => {
    const response = await fetch(api, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": `Bearer ${token}`},
      body: JSON.stringify({query, variables}),
    });
    return response.json();
  };
  const token = (await call(clientToken, "{ session { country { code } } }")).extensions.token;
  await call(token, 'mutation { addItem(item: "1-1", quantity: 2) { userErrors { message } } }');
  const paying = await call(token, `mutation($input: PaymentInstructionsInput!) {
    paymentInstructions(input: $input) {
      action { __typename ... on FormPaymentAction { html } } userErrors { message path } } }`,
    {input: {paymentMethod: 7, termsAndConditions: true, paymentReturnPage: returnPage,
             paymentFailedPage: returnPage + "?failed",
             shippingAddress: {firstName: "Ada", lastName: "Lovelace", email: "ada@example.com",
                               address1: "Drottninggatan 5", city: "Stockholm",
                               zipCode: "11151", country: "SE"}}});
  localStorage.setItem("shopper", token);
  localStorage.setItem("api", api);
  const answer = paying.data.paymentInstructions;
  if (answer.action) document.body.innerHTML = answer.action.html;
  return answer;
}
"""
# The shop's return page: every field it received goes to paymentResult, then the receipt.
RETURN_PAGE = """<!doctype html><html><head><meta charset=utf-8><title>return</title></head>
<body><script>
const fields = {{FIELDS}};
(async () => {
  const call = async (query, variables) => (await fetch(localStorage.getItem("api"), {
    method: "POST",
    headers: {"Content-Type": "application/json",
              "Authorization": `Bearer ${localStorage.getItem("shopper")}`},
    body: JSON.stringify({query, variables}),
  })).json();
  const result = await call(`mutation($fields: Map!) { paymentResult(paymentMethodFields: $fields) {
    type userErrors { message } ... on PaymentResultSuccessPayload { order { number } } } }`,
    {fields});
  const receipt = await call("{ order { number status } selection { lines { id } } }");
  window.outcome = {result: result.data.paymentResult, receipt: receipt.data};
})();
</script></body></html>"""


@pytest.fixture
def api(empty_db_url: str, tmp_path: Path) -> Iterator[Served]:
    with serve(empty_db_url, tmp_path) as served:
        yield served


def enable_test_payments(database_url: str, client: str, work: Path) -> None:
    """The API client offers the test payment method (through `dtc-api import`)."""
    document = work / "payments.json"
    document.write_text(json.dumps({"paymentMethods": [
        {"id": 7, "client": client, "name": "Card (test)", "uri": "test-card",
         "plugin": "test", "kind": "ADYEN_DROPIN"}]}))
    subprocess.run([sys.executable, "-m", "dtc_api.cli", "--database-url", database_url,
                    "import", str(document)], capture_output=True, text=True, check=True)


@pytest.mark.parametrize(("button", "outcome"), [("confirm", "SUCCESS"), ("decline", "FAILED")])
def test_a_guest_pays_on_the_test_payment_form(api: Served, empty_db_url: str,
                                              chromium: Chromium, tmp_path: Path,
                                              button: str, outcome: str) -> None:
    with PageServer(tmp_path) as shop:
        (shop.root / "success.html").write_text(RETURN_PAGE)
        token = create_client(empty_db_url, "web", shop.origin)
        enable_test_payments(empty_db_url, "web", tmp_path)
        page = chromium.open(f"{shop.origin}/index.html")
        paying = page.evaluate(CHECKOUT, [f"{api.base}/graphql", token,
                                          f"{shop.origin}/success.html"])
        assert paying["userErrors"] == []
        assert paying["action"]["__typename"] == "FormPaymentAction"

        with page.expect_navigation():
            page.click(f"button[value={button}]")
        page.wait_for_function("window.outcome !== undefined", timeout=10_000)
        result = page.evaluate("window.outcome")
        page.screenshot(path=str(tmp_path / f"return-page-{button}.png"))
        assert result["result"]["type"] == outcome
        if outcome == "SUCCESS":
            number = result["result"]["order"]["number"]
            assert result["receipt"] == {"order": {"number": number, "status": "CONFIRMED"},
                                         "selection": {"lines": []}}
        else:
            assert result["result"]["userErrors"] == [
                {"message": "the payment was declined"}]
            assert result["receipt"]["order"] is None
            assert len(result["receipt"]["selection"]["lines"]) == 1
