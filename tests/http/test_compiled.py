"""Compiled plans answer the storefront's cached queries themselves, byte for byte as
graphql-core does; what they cannot answer exactly (a resolver's error, a null where the
schema says non-null) goes to graphql-core. The rest of the suite runs with
DTC_COMPILED_EXECUTION=verify: every query it sends is answered both ways and compared."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from graphql import ExecutionResult, parse

from dtc_api.config import Settings
from dtc_api.http import compiled
from dtc_api.storefront import build_schema
from tests import fragments, support
from tests.documents import CUSTOMER_ORDERS, LISTING, SESSION
from tests.graphql import test_checkout as checkout
from tests.http.test_statement_counts import _history
from tests.support import Shopper

CUSTOMER_FULL = "query Customer { customer { ...CustomerFragment } }" + fragments.FOR_CUSTOMER
# The cart and its checkout: lines, totals, discounts, shipping and payment methods (read
# by resolvers of their own, below the root).
SELECTION = "query Selection { selection { ...SelectionFragment ...co } }" + \
    fragments.SELECTION + fragments.DISPLAY_ITEM + fragments.ATTRIBUTE + checkout.SELECTION


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Both ways, compared by the endpoint (a difference fails the request)."""
    return support.settings_for(db_url, compiled_execution="verify")


@pytest.fixture
def planned(monkeypatch: pytest.MonkeyPatch) -> list[ExecutionResult | None]:
    """What each compiled attempt answered (None: it left the request to graphql-core)."""
    answers: list[ExecutionResult | None] = []
    attempt = compiled.execute

    async def recorded(*args: Any) -> ExecutionResult | None:
        answers.append(await attempt(*args))
        return answers[-1]

    monkeypatch.setattr(compiled, "execute", recorded)
    return answers


@pytest.mark.parametrize("query", [SESSION, CUSTOMER_ORDERS, CUSTOMER_FULL, LISTING, SELECTION],
                         ids=["session", "customer-orders", "customer-full", "listing",
                              "selection"])
async def test_the_plan_answers_the_storefronts_queries(
        shopper: Shopper, runtime: Any, planned: list[ExecutionResult | None],
        query: str) -> None:
    customer = await support.register(shopper, login=True)
    assert customer is not None
    await _history(runtime, int(customer["id"]), order_count=10)
    await shopper.gql('mutation { addItem(item: "1-1") { userErrors { message } } }')
    planned.clear()
    answer = await shopper.raw(query)
    assert "errors" not in answer
    assert len(planned) == 1 and planned[0] is not None
    assert orjson.dumps(planned[0].data) == orjson.dumps(answer["data"])


@pytest.fixture
def media_field(app: Any) -> Any:
    return build_schema().type_map["DisplayItem"].fields["media"]  # type: ignore[union-attr]


MEDIA = '{ displayItem(id: 1) { id name media { id } } session { country { code } } }'


async def test_a_resolvers_error_is_graphql_cores(
        shopper: Shopper, planned: list[ExecutionResult | None], media_field: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the media store is down")

    monkeypatch.setattr(media_field, "resolve", broken)
    answer = await shopper.raw(MEDIA)
    assert planned == [None]  # the plan gave up: graphql-core answered
    assert answer["data"] == {"displayItem": None, "session": {"country": {"code": "SE"}}}
    assert [e["path"] for e in answer["errors"]] == [["displayItem", "media"]]


async def test_a_null_where_the_schema_says_non_null_is_graphql_cores(
        shopper: Shopper, planned: list[ExecutionResult | None], media_field: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media_field, "resolve", lambda *_, **__: None)  # [ProductMedia!]!
    answer = await shopper.raw(MEDIA)
    assert planned == [None]
    assert answer["data"]["displayItem"] is None
    assert answer["errors"][0]["path"] == ["displayItem", "media"]


async def test_mutations_are_graphql_cores(shopper: Shopper,
                                           planned: list[ExecutionResult | None]) -> None:
    await shopper.gql('mutation { addItem(item: "1-1") { userErrors { message } } }')
    assert planned == [None]


async def test_skip_and_include_have_a_plan_each(
        shopper: Shopper, planned: list[ExecutionResult | None]) -> None:
    query = """query($full: Boolean!) { session { country { code name @include(if: $full) }
      language @skip(if: $full) { code } } }"""
    short = await shopper.post(query, {"full": False})
    full = await shopper.post(query, {"full": True})
    assert short.json()["data"]["session"] == {"country": {"code": "SE"},
                                               "language": {"code": "en"}}
    assert full.json()["data"]["session"] == {"country": {"code": "SE", "name": "Sweden"}}
    assert all(p is not None for p in planned)


def test_the_plans_of_a_process_are_bounded() -> None:
    """However many distinct documents clients send, the plans kept stay within a budget of
    planned fields (least recently used first out); a document too large is not planned."""
    schema = build_schema()
    budget = compiled.Budget(fields=60, plans=10)
    documents = [compiled.Compiled(schema, parse(f"{{ s{n}: session {{ country {{ code }} }} "
                                                 f"c{n}: countries(onlyShipTo: true) "
                                                 "{ code name } }"))
                 for n in range(10)]
    for document in documents:
        document.compile_after = 1
        plan = document.plan(None, compiled._NO_VARIABLES)
        assert plan is not None
        budget.add(document, (None,), plan)
    kept = [d for d in documents if d.plans.get((None,)) is not None]
    assert sum(p()._field_ids for _, _, p in budget.entries.values()) <= 60
    assert kept == documents[-len(kept):]  # the newest
    huge = "{ " + " ".join(f"a{n}: session {{ country {{ code name }} }}"
                           for n in range(compiled.MAX_FIELD_PLANS)) + " }"
    too_large = compiled.Compiled(schema, parse(huge))
    too_large.compile_after = 1
    assert too_large.plan(None, compiled._NO_VARIABLES) is None


class TestOnlyRepeatedDocumentsArePlanned:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        """No kept answers: every use of the document is executed."""
        return support.settings_for(db_url, compiled_execution="true", answer_cache_bytes=0)

    async def test_a_document_is_planned_from_its_third_use(
            self, shopper: Shopper, planned: list[ExecutionResult | None]) -> None:
        for _ in range(4):
            await shopper.gql(SESSION)
        assert [p is not None for p in planned] == [False, False, True, True]
