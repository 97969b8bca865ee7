"""One log line per request: who, what, how it went; never a token, a variable, a password
or an e-mail address."""

from __future__ import annotations

import ipaddress
import logging

import httpx
import orjson
import pytest

from dtc_api.access.clients import ClientCredentials
from dtc_api.config import Settings
from dtc_api.logs import ConsoleFormatter, JsonFormatter
from tests import support
from tests.support import GRAPHQL, Shopper

LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { loggedIn { email } userErrors { message } } }"""
FIELDS = {"traceId", "clientIp", "apiClient", "operation", "operationType", "method", "path",
          "status", "outcome", "durationMs", "bytes"}


@pytest.fixture
def settings(db_url: str) -> Settings:
    # The shop's proxy (the test client's address) forwards the shopper's address.
    return support.settings_for(db_url,
                                trusted_proxies=(ipaddress.ip_network("203.0.113.7/32"),))


@pytest.fixture
def lines(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="dtc_api.request")
    return caplog


def requests(lines: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in lines.records if r.name == "dtc_api.request"]


def entry(record: logging.LogRecord) -> dict[str, object]:
    return orjson.loads(JsonFormatter().format(record))  # type: ignore[no-any-return]


async def test_one_line_per_request_with_what_an_operator_needs(
        shopper: Shopper, lines: pytest.LogCaptureFixture) -> None:
    await support.register(shopper, "logged@example.com")
    lines.clear()
    response = await shopper.post(LOGIN, {"email": "logged@example.com",
                                          "password": support.PASSWORD},
                                  **{"x-forwarded-for": "203.0.113.9"})
    answer = response.json()
    assert answer["data"]["login"]["loggedIn"] == {"email": "logged@example.com"}
    [record] = requests(lines)
    logged = entry(record)
    assert FIELDS <= set(logged)
    assert logged["level"] == "info" and logged["logger"] == "dtc_api.request"
    assert logged["traceId"] == answer["extensions"]["traceId"]
    assert logged["clientIp"] == "203.0.113.9"  # as the limits saw it
    assert logged["apiClient"] == shopper.credentials.name
    assert (logged["operation"], logged["operationType"]) == ("Login", "mutation")
    assert (logged["method"], logged["path"], logged["status"]) == ("POST", GRAPHQL, 200)
    assert logged["outcome"] == "ok"
    assert logged["bytes"] == len(response.content)
    assert isinstance(logged["durationMs"], float) and logged["durationMs"] > 0
    assert logged["message"] == "POST /graphql Login 200"


async def test_no_secret_reaches_the_line(
        shopper: Shopper, credentials: ClientCredentials,
        lines: pytest.LogCaptureFixture) -> None:
    await support.register(shopper, "secret-holder@example.com")
    await shopper.raw(LOGIN, {"email": "secret-holder@example.com",
                              "password": support.PASSWORD})
    await shopper.raw(LOGIN, {"email": "secret-holder@example.com", "password": "wrong guess"})
    # A GET carries its variables in the query string.
    await shopper.http.get(GRAPHQL, params={
        "query": "query Q($e: String!) { __type(name: $e) { name } }",
        "variables": orjson.dumps({"e": "secret-holder@example.com"}).decode()},
        headers={"authorization": f"Bearer {shopper.token}"})
    written = [formatter.format(r) for r in requests(lines)
               for formatter in (JsonFormatter(), ConsoleFormatter())]
    assert len(written) == 2 * 4
    for secret in ("secret-holder", support.PASSWORD, "wrong guess", shopper.token,
                   credentials.session_token, "variables"):
        assert not [line for line in written if secret in line], secret


async def test_outcomes(shopper: Shopper, http: httpx.AsyncClient,
                        lines: pytest.LogCaptureFixture) -> None:
    await shopper.raw(LOGIN, {"email": "nobody@example.com", "password": "not this one"})
    await shopper.raw("{ session { nope } }")
    await http.post(GRAPHQL, content=b"[", headers={"content-type": "application/json"})
    await http.get("/nowhere")
    outcomes = [(r.operation, r.status, r.outcome)  # type: ignore[attr-defined]
                for r in requests(lines)]
    assert outcomes == [("Login", 200, "user_errors"), (None, 200, "graphql_error"),
                        (None, 400, "4xx"), (None, 404, "4xx")]


async def test_probes_are_debug_and_the_rest_info(
        shopper: Shopper, http: httpx.AsyncClient, lines: pytest.LogCaptureFixture) -> None:
    await http.get("/healthz")
    await http.get("/readyz")
    await shopper.gql("{ session { country { code } } }")
    assert [(r.path, r.levelname) for r in requests(lines)] == [  # type: ignore[attr-defined]
        ("/healthz", "DEBUG"), ("/readyz", "DEBUG"), (GRAPHQL, "INFO")]


async def test_the_back_office_names_its_key(
        http: httpx.AsyncClient, key: str, lines: pytest.LogCaptureFixture) -> None:
    await support.backoffice(http, key, "query Clients { apiClients { name } }")
    [record] = requests(lines)
    assert record.apiClient.startswith("integration key ")  # type: ignore[attr-defined]
    assert key not in entry(record).values()


class TestSlow:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return support.settings_for(db_url, slow_request_ms=0)

    async def test_a_slow_request_is_a_warning_with_its_operation(
            self, shopper: Shopper, lines: pytest.LogCaptureFixture) -> None:
        await shopper.gql("query Slowish { session { country { code } } }")
        [record] = requests(lines)
        assert record.levelname == "WARNING"
        assert record.getMessage().startswith("slow request: POST /graphql Slowish 200 in ")
        assert record.operation == "Slowish"  # type: ignore[attr-defined]
