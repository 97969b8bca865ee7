"""Requests built to exhaust a worker: each is refused or answered quickly, and while it runs
the event loop stays free (a concurrent /healthz answers within 100 ms)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from graphql import get_introspection_query

from dtc_api.access.clients import ClientCredentials
from dtc_api.config import Settings
from dtc_api.orders import orders
from dtc_api.orders.orders import OrderLine
from tests import documents, support
from tests.support import Shopper

STALL_LIMIT = 0.1  # seconds


async def _customer_with_orders(shopper: Shopper, runtime: Any, clock: Any, count: int) -> int:
    data = await shopper.gql(documents.REGISTER, {"input": support.registration(
        "hostile@example.com", first_name="Ada", last_name="Lovelace", login=True)})
    customer_id = int(data["registerCustomer"]["loggedIn"]["id"])
    async with runtime.db.write() as conn:
        for number in range(1, count + 1):
            await orders.create(
                conn, number=number, customer_id=customer_id,
                order_date=dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC), status="CONFIRMED",
                pricelist_id=1, country_code="SE", market_id=1,
                lines=[OrderLine("1-1", 1, 29900)], now=clock.now(),
            )
    return customer_id


async def _stall_while(http: httpx.AsyncClient, request: Callable[[], Awaitable[Any]],
                       attempts: int = 3) -> tuple[Any, float, float]:
    """Run ``request`` while /healthz is asked again and again on the same event loop.

    Returns the request's result, the slowest /healthz answer, and the longest time the
    loop did not get to run a timer meant to fire every millisecond. Other processes on the
    machine can delay a timer too, so a stall over the limit is measured again, up to
    ``attempts`` times, and the quietest run counts: a request that holds the loop does so
    every time.
    """
    best: tuple[Any, float, float] | None = None
    for _ in range(attempts):
        measured = await _measure(http, request)
        if best is None or max(measured[1:]) < max(best[1:]):
            best = measured
        if max(best[1:]) < STALL_LIMIT:
            break
    assert best is not None
    return best


async def _measure(http: httpx.AsyncClient, request: Callable[[], Awaitable[Any]]
                   ) -> tuple[Any, float, float]:
    done = asyncio.Event()
    slowest_health = 0.0
    longest_gap = 0.0

    async def health() -> None:
        nonlocal slowest_health
        while not done.is_set():
            started = time.perf_counter()
            answer = await http.get("/healthz")
            assert answer.status_code == 200
            slowest_health = max(slowest_health, time.perf_counter() - started)
            await asyncio.sleep(0.002)

    async def ticks() -> None:
        nonlocal longest_gap
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            longest_gap = max(longest_gap, now - last)
            last = now

    probes = [asyncio.create_task(health()), asyncio.create_task(ticks())]
    await asyncio.sleep(0.02)
    try:
        result = await request()
    finally:
        await asyncio.sleep(0.01)
        done.set()
        await asyncio.gather(*probes)
    return result, slowest_health, longest_gap


def _post(http: httpx.AsyncClient, token: str, body: dict[str, Any]
          ) -> Callable[[], Awaitable[httpx.Response]]:
    content = orjson.dumps(body)  # encoded before the clock starts

    def send() -> Awaitable[httpx.Response]:
        return http.post("/graphql", content=content, headers={
            "authorization": f"Bearer {token}", "content-type": "application/json"})
    return send


def _assert_quick(health: float, gap: float) -> None:
    assert health < STALL_LIMIT, f"/healthz waited {health * 1000:.0f} ms"
    assert gap < STALL_LIMIT, f"the event loop was held for {gap * 1000:.0f} ms"


# --- date formats ----------------------------------------------------------------------------

ORDER_DATES = "{ customer { orders(limit: 100) { %s } } }"


async def test_a_huge_date_format_is_refused_without_holding_the_loop(
    http: httpx.AsyncClient, shopper: Shopper, runtime: Any, clock: Any
) -> None:
    await _customer_with_orders(shopper, runtime, clock, 20)
    huge = "Y" * 4_500
    fields = " ".join(f'd{i}: orderDate(format: "{huge}")' for i in range(20))
    response, health, gap = await _stall_while(
        http, _post(http, shopper.token, {"query": ORDER_DATES % fields}))
    _assert_quick(health, gap)
    assert response.status_code == 200
    answer = response.json()
    assert answer["errors"][0]["message"] == "A date format has at most 64 characters"
    assert answer["errors"][0]["path"][:3] == ["customer", "orders", 0]
    assert "Internal server error" not in response.text
    assert len(response.content) < 100_000


async def test_date_formats(shopper: Shopper, runtime: Any, clock: Any) -> None:
    await _customer_with_orders(shopper, runtime, clock, 1)
    data = await shopper.gql(ORDER_DATES % (
        'default: orderDate iso: orderDate(format: null) day: orderDate(format: "d/m Y") '
        r'escaped: orderDate(format: "\\Y Y") longest: orderDate(format: "%s")' % ("d" * 64)))
    assert data["customer"]["orders"] == [{
        "default": "2026-01-01T12:00:00+00:00", "iso": "2026-01-01T12:00:00+00:00",
        "day": "01/01 2026", "escaped": "Y 2026", "longest": "01" * 64,
    }]
    refused = await shopper.raw(ORDER_DATES % r'orderDate(format: "Y\u0007")')
    assert refused["errors"][0]["message"] == (
        "A date format must not contain control characters")
    assert refused["data"] == {"customer": None}


# --- list arguments --------------------------------------------------------------------------

PRICELISTS = "query($ids: [Int!]) { %s }"


def _pricelists(aliases: int) -> str:
    return PRICELISTS % " ".join(f"p{i}: pricelists(id: $ids) {{ id }}" for i in range(aliases))


async def test_huge_list_arguments_are_refused_before_execution(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    body = {"query": _pricelists(100), "variables": {"ids": list(range(100_000))}}
    response, health, gap = await _stall_while(
        http, _post(http, credentials.no_session_token, body))
    _assert_quick(health, gap)
    assert response.json()["errors"] == [{
        "message": "The request passes 10000000 list elements in its arguments; the limit is "
                   "1000.",
        "extensions": {"code": "TOO_MANY_LIST_ITEMS"}}]
    assert "data" not in response.json()


async def test_each_use_of_a_list_counts(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    send = _post(http, credentials.no_session_token,
                 {"query": _pricelists(10), "variables": {"ids": [1] * 100}})
    assert (await send()).json()["data"]["p9"] == [{"id": 1}]
    send = _post(http, credentials.no_session_token,
                 {"query": _pricelists(11), "variables": {"ids": [1] * 100}})
    assert (await send()).json()["errors"][0]["extensions"] == {"code": "TOO_MANY_LIST_ITEMS"}
    # Literal lists and lists in fragments count too.
    literal = "[" + ", ".join(["1"] * 600) + "]"
    query = (f"query {{ ...A ...B }} "
             f"fragment A on Query {{ a: pricelists(id: {literal}) {{ id }} }} "
             f"fragment B on Query {{ b: markets(id: {literal}) {{ id }} }}")
    send = _post(http, credentials.no_session_token, {"query": query})
    assert (await send()).json()["errors"][0]["message"].startswith(
        "The request passes 1200 list elements")


# --- the answer's size -----------------------------------------------------------------------

class TestALimitOnTheAnswer:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return support.settings_for(db_url, max_response_bytes=20_000)

    async def test_an_answer_over_the_limit_is_an_error(
        self, http: httpx.AsyncClient, credentials: ClientCredentials
    ) -> None:
        small = _post(http, credentials.no_session_token,
                      {"query": "{ languages { code } }"})
        assert "errors" not in (await small()).json()
        query = "{{ {} }}".format(" ".join(
            f"c{i}: countries(onlyShipTo: false) {{ code name }}" for i in range(10)))
        response = await _post(http, credentials.no_session_token, {"query": query})()
        assert response.status_code == 200
        assert response.json() == {
            "errors": [{"message": "The answer would be larger than 20000 bytes: ask for "
                                   "fewer fields or items.",
                        "extensions": {"code": "RESPONSE_TOO_LARGE"}}],
            "extensions": response.json()["extensions"],
        }


def _countries(aliases: int) -> str:
    return "{{ {} }}".format(" ".join(
        f"c{i}: countries(onlyShipTo: false) {{ code name states {{ code name }} }}"
        for i in range(aliases)))


async def test_an_answer_with_too_many_fields_is_refused_without_holding_the_loop(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    response, health, gap = await _stall_while(
        http, _post(http, credentials.no_session_token, {"query": _countries(100)}))
    _assert_quick(health, gap)
    assert response.status_code == 200
    assert response.json()["errors"] == [{
        "message": "The answer would hold more than 10000 fields: ask for fewer fields or "
                   "items.",
        "extensions": {"code": "RESPONSE_TOO_LARGE"}}]
    assert "data" not in response.json()


async def test_the_largest_answer_allowed_does_not_hold_the_loop(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    # 850 fields an alias: 9,350 in all, just under the ceiling of 10,000.
    send = _post(http, credentials.no_session_token, {"query": _countries(11)})
    await send()  # the document is prepared and cached: execution alone is measured
    response, health, gap = await _stall_while(http, send)
    assert response.status_code == 200
    assert len(response.json()["data"]["c10"]) > 200
    _assert_quick(health, gap)
    # Resolved over several turns of the loop, the answer is the one resolved at once: every
    # alias in order, each the same as a lone alias's answer (1/11 of it, within a slice).
    alone = (await _post(http, credentials.no_session_token, {"query": _countries(1)})()).json()
    assert list(response.json()["data"]) == [f"c{i}" for i in range(11)]
    assert all(countries == alone["data"]["c0"] for countries in response.json()["data"].values())
    assert "errors" not in response.json()


# --- documents and variables -----------------------------------------------------------------

async def test_a_long_new_document_is_prepared_without_holding_the_loop(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    texts = (f"{{{' '.join(f'f{n}x{i}' for i in range(4_990))}}}" for n in range(100))

    def new_document() -> Awaitable[httpx.Response]:
        # A different text each time, measured again or not: nothing is cached.
        return _post(http, credentials.no_session_token, {"query": next(texts)})()

    for _ in range(3):
        response, health, gap = await _stall_while(http, new_document)
        _assert_quick(health, gap)
        # Validation stops after 100 errors and says so.
        assert len(response.json()["errors"]) == 101


@pytest.mark.parametrize("depth", [33, 400, 1000])
async def test_deeply_nested_variables_are_refused(
    http: httpx.AsyncClient, credentials: ClientCredentials, depth: int,
    caplog: pytest.LogCaptureFixture
) -> None:
    # Written out by hand: JSON encoders refuse to nest this deep.
    nested = '{"a":[' * (depth // 2) + '"x"' + "]}" * (depth // 2) if depth % 2 else (
        "[" * depth + '"x"' + "]" * depth)
    caplog.set_level(logging.INFO, logger="dtc_api")
    body = '{"query": "query($v: String!) { __type(name: $v) { name } }", "variables": {"v": %s}}'
    response = await http.post("/graphql", content=(body % nested).encode(),
                               headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"message": "variables must not nest deeper than 32 levels"}]
    # Only the request's own line: nothing went wrong inside.
    assert [(r.name, r.levelname, r.status) for r in caplog.records  # type: ignore[attr-defined]
            if r.name.startswith("dtc_api")] == [("dtc_api.request", "INFO", 400)]


async def test_variables_nested_32_levels_are_read(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    nested: Any = "x"
    for _ in range(31):
        nested = [nested]
    response = await _post(http, credentials.no_session_token, {
        "query": "query($v: String!) { __type(name: $v) { name } }", "variables": {"v": nested}
    })()
    # Read, then refused by GraphQL's own coercion: a list is not a String.
    assert response.status_code == 200
    assert response.json()["errors"][0]["message"].startswith(
        "Variable '$v' has invalid value: String cannot represent a non string value")


# --- NUL characters in any spelling; statement parameters never logged ----------------------

NUL_REFUSED = [{"message": "Strings must not contain the NUL character (U+0000)"}]


LOGIN_AS = r'mutation {{ login(email: "{}", password: "secret") {{ userErrors {{ message }} }} }}'


@pytest.mark.parametrize("query", [
    LOGIN_AS.format(r"a\u{0}b@example.com"),
    LOGIN_AS.format(r"a\u0000b@example.com"),
    LOGIN_AS.format(r"a\u{000000}b@example.com"),
    r'mutation { registerCustomer(input: {password: "correct horse battery staple", '
    r'billingAddress: {email: "carol@example.com", firstName: "Car\u{0}ol"}}) '
    r'{ userErrors { message } } }',
], ids=["login-braced", "login-four-digits", "login-long-braced", "register"])
async def test_a_nul_escape_in_the_document_is_refused(
    shopper: Shopper, runtime: Any, query: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dtc_api")
    response = await shopper.post(query)
    assert response.status_code == 400
    assert response.json()["errors"] == NUL_REFUSED
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_an_escaped_backslash_before_u0000_is_not_a_nul(shopper: Shopper) -> None:
    answer = await shopper.raw(
        r'mutation { login(email: "a\\u0000b@example.com", password: "secret") '
        "{ userErrors { message } } }")
    assert answer["data"]["login"]["userErrors"] == [{"message": "wrong e-mail or password"}]


async def test_statement_parameters_are_kept_out_of_errors(runtime: Any) -> None:
    secret = "$argon2id$v=19$m=19456,t=2,p=1$not-a-real-hash"
    with pytest.raises(Exception) as raised:
        async with runtime.db.read() as conn:
            await conn.execute(sa.text("SELECT :hash FROM no_such_table"), {"hash": secret})
    assert secret not in str(raised.value)
    assert "no_such_table" in str(raised.value)


# --- faults are logged once, briefly -------------------------------------------------------

async def test_a_fault_in_many_fields_is_logged_once(
    shopper: Shopper, runtime: Any, clock: Any, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    await _customer_with_orders(shopper, runtime, clock, 3)

    def broken(value: Any, fmt: str) -> str:
        raise RuntimeError("formatting broke")

    monkeypatch.setattr("dtc_api.storefront.resolvers.customer.php_format", broken)
    caplog.set_level(logging.INFO, logger="dtc_api")
    aliases = " ".join(f"c{i}: customer {{ orders {{ orderDate }} }}" for i in range(3))
    answer = await shopper.raw(f"{{ {aliases} }}")
    assert answer["data"] == {"c0": None, "c1": None, "c2": None}
    assert [e["message"] for e in answer["errors"]] == ["Internal server error"] * 3
    assert "formatting broke" not in str(answer)
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1
    assert logged[0].getMessage().endswith("(and 2 more)")
    assert logged[0].traceId == answer["extensions"]["traceId"]  # type: ignore[attr-defined]


def test_a_deep_traceback_is_logged_in_a_few_lines() -> None:
    from dtc_api.logs import ConsoleFormatter, JsonFormatter

    def recurse(n: int) -> int:
        return recurse(n + 1) + 1

    try:
        recurse(0)
    except RecursionError:
        record = logging.LogRecord("dtc_api.http", logging.ERROR, __file__, 1, "failed", (),
                                   sys.exc_info())
    for formatter in (ConsoleFormatter(), JsonFormatter()):
        text = formatter.format(record)
        assert "RecursionError" in text
        lines = text.splitlines() if formatter.__class__ is ConsoleFormatter else (
            orjson.loads(text)["exception"].splitlines())
        assert len(lines) < 100


async def test_a_code_generators_introspection_query_is_answered(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    """The whole schema described (graphql-codegen, Apollo): more fields than data may have."""
    response = await _post(http, credentials.no_session_token,
                           {"query": get_introspection_query(descriptions=True)})()
    answer = response.json()
    assert "errors" not in answer, answer.get("errors")
    names = {t["name"] for t in answer["data"]["__schema"]["types"]}
    assert {"Selection", "CheckoutSelection", "DisplayItem", "Customer"} <= names


async def test_introspection_has_a_ceiling_too(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    query = "{{ {} }}".format(" ".join(
        f"s{i}: __schema {{ types {{ name fields {{ name args {{ name type {{ name }} }} "
        f"type {{ name kind }} }} }} }}" for i in range(40)))
    response = await _post(http, credentials.no_session_token, {"query": query})()
    assert response.json()["errors"] == [{
        "message": "The answer would hold more than 10000 fields: ask for fewer fields or "
                   "items.",
        "extensions": {"code": "RESPONSE_TOO_LARGE"}}]
