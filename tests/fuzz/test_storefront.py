"""POST /graphql with operations generated from the storefront schema, in every operating mode.

No answer may be a server error, anything but JSON, a traceback or "Internal server error",
whatever the document, the variables or the token.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import fuzz
from tests.fuzz.shoppers import (
    ACCOUNT_CHANGES,
    CUSTOMER_SECRET,
    CUSTOMER_SESSION,
    NEW_SESSION,
    NO_SESSION,
    SHOPPER,
    SHOPPER_SECRET,
    Storefront,
    calls,
)

# Per backend; with the back-office's 400, under a minute of a CI run on each.
GUEST_EXAMPLES = 500
CUSTOMER_EXAMPLES = 400


@fuzz(GUEST_EXAMPLES)
@given(data=st.data())
async def test_storefront_answers_generated_requests_from_guests(
    storefront: Storefront, data: st.DataObject
) -> None:
    who, request = data.draw(calls((NEW_SESSION, SHOPPER, SHOPPER_SECRET, NO_SESSION),
                                   storefront.endpoint.pool))
    await storefront.call(who, request)


@fuzz(CUSTOMER_EXAMPLES)
@given(data=st.data())
async def test_storefront_answers_generated_requests_from_a_customer(
    customer: Storefront, data: st.DataObject
) -> None:
    who, request = data.draw(calls((CUSTOMER_SESSION, CUSTOMER_SECRET), customer.endpoint.pool))
    await customer.call(who, request)
    if any(name in request.query for name in ACCOUNT_CHANGES):
        await customer.log_in()
