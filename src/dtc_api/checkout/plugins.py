"""Payment plugins: how a payment method starts a payment and reads its result.

A plugin is one object with two methods. ``start`` answers what the storefront must do (a
GraphQL ``PaymentAction``: a form to show, a page to go to, a script to run) or that the
payment is settled at once. ``result`` reads what the payment provider sent back to the
storefront's return page (``paymentResult(paymentMethodFields:)``) and says whether it is
paid. A provider (Adyen, Stripe, Klarna) is a module of its own with such an object, added
to ``BUILT_IN``; everything else (stock, orders, idempotency) is the checkout's.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Protocol

# PaymentMethodKind: what a storefront knows a method by (it renders only kinds it knows).
KINDS = ("ADYEN_DROPIN", "CYBERSOURCE", "DUMMY", "EXTERNAL_PAYMENT", "KLARNA_CHECKOUT_V3",
         "KLARNA_PAYMENTS", "PAYPAL_COMMERCE", "QLIRO_ONE", "STRIPE_CHECKOUT",
         "STRIPE_PAYMENT_INTENTS", "UNKNOWN")
# The field of the return page's request that names the payment (the storefront passes every
# field it receives on to paymentResult).
PAYMENT_FIELD = "dtcPayment"


@dataclass(frozen=True)
class Start:
    """A payment being started: its key, what it is for, and where the storefront wants the
    shopper sent back."""

    payment_id: str
    amount: str  # formatted, e.g. "1 299,00 SEK"
    return_page: str
    failed_page: str
    method: dict[str, Any]  # the payment_methods row


@dataclass(frozen=True)
class Started:
    """``action``: a GraphQL PaymentAction without its order; ``settled``: paid at once
    (``action`` is then a SUCCESS and the order is made now)."""

    action: dict[str, Any] = field(default_factory=dict)
    settled: bool = False
    # The order's status when made: awaiting payment (invoice) or confirmed (paid).
    order_status: str = "CONFIRMED"


@dataclass(frozen=True)
class Result:
    paid: bool
    message: str = ""
    order_status: str = "CONFIRMED"


class Plugin(Protocol):
    name: str

    def start(self, payment: Start) -> Started: ...

    def result(self, fields: dict[str, Any]) -> Result: ...


_FORM = """<form method="post" action="{action}" class="dtc-test-payment">
<p>{amount}</p>
<input type="hidden" name="{field}" value="{payment}">
<button type="submit" name="result" value="confirm">Pay</button>
<button type="submit" name="result" value="decline">Decline</button>
</form>"""


class TestPlugin:
    """A payment that the shopper confirms or declines on a form of its own (no provider, no
    script): for development and CI. Offered only where an API client configures it."""

    name = "test"

    def start(self, payment: Start) -> Started:
        markup = _FORM.format(action=html.escape(payment.return_page, quote=True),
                              amount=html.escape(payment.amount), field=PAYMENT_FIELD,
                              payment=html.escape(payment.payment_id, quote=True))
        return Started({"__typename": "FormPaymentAction", "action": "FORM", "html": markup,
                        "formType": "dtc-test", "formFields": None, "expressHtml": []})

    def result(self, fields: dict[str, Any]) -> Result:
        if fields.get("result") == "confirm":
            return Result(paid=True)
        return Result(paid=False, message="the payment was declined")


class InvoicePlugin:
    """Pay later, by invoice: the order is made at once and awaits payment."""

    name = "invoice"

    def start(self, payment: Start) -> Started:
        return Started({"__typename": "SuccessPaymentAction", "action": "SUCCESS",
                        "formFields": None}, settled=True, order_status="PENDING")

    def result(self, fields: dict[str, Any]) -> Result:
        return Result(paid=True, order_status="PENDING")


BUILT_IN: dict[str, Plugin] = {plugin.name: plugin for plugin in (TestPlugin(), InvoicePlugin())}
