"""POST /integration/graphql with operations generated from the back-office schema, sent with
a write key: every query and mutation, with inline arguments and with hostile variables.

What the back-office changes (currencies, prices, markets, API clients) the storefront then
shows, so a guest and the no-session token read it back now and then.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dtc_api.backoffice.resolvers import build_schema
from tests.fuzz.conftest import fuzz
from tests.fuzz.endpoint import Endpoint
from tests.fuzz.operations import graphql_requests, root_fields
from tests.fuzz.shoppers import NO_SESSION, SHOPPER, Storefront, calls

BACK_OFFICE_EXAMPLES = 400  # per backend
SCHEMA = build_schema()
EVERY_FIELD = root_fields(SCHEMA, lambda _kind, _name: True)
WRITE_KEY = "a back-office write key"


@fuzz(BACK_OFFICE_EXAMPLES)
@given(data=st.data())
async def test_back_office_answers_generated_requests(
    back_office: tuple[Endpoint, dict[str, str]], storefront: Storefront, data: st.DataObject
) -> None:
    if not storefront.endpoint.pool.line_ids:
        await storefront.add_item()
    endpoint, headers = back_office
    await endpoint.send(data.draw(graphql_requests(SCHEMA, EVERY_FIELD, endpoint.pool)),
                        headers, WRITE_KEY)
    if data.draw(st.integers(0, 3)) == 0:
        who, read = data.draw(calls((SHOPPER, NO_SESSION), storefront.endpoint.pool,
                                    kinds=("query",)))
        await storefront.call(who, read)
