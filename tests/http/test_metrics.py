"""Prometheus metrics at /metrics (DTC_METRICS=true): requests by operation and outcome,
latency, the document cache, the outbox, limits, login failures and the database pools."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dtc_api import metrics
from dtc_api.access.clients import ClientCredentials
from dtc_api.clock import SteppableClock
from dtc_api.config import Settings
from dtc_api.mail import outbox
from dtc_api.mail.render import render
from tests import support
from tests.conftest import SmtpServer
from tests.support import GRAPHQL, Shopper

SESSION = "query Session { session { country { code } } }"
LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { loggedIn { email } userErrors { message } } }"""


@pytest.fixture
def settings(db_url: str) -> Settings:
    return support.settings_for(db_url, metrics=True, login_ip_limit=3)


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def requests(samples: dict[Any, float], operation: str, outcome: str,
             endpoint: str = GRAPHQL) -> float:
    return value(samples, "dtc_requests_total", endpoint=endpoint, operation=operation,
                 outcome=outcome)


async def test_requests_are_counted_by_operation_and_outcome(
        http: httpx.AsyncClient, shopper: Shopper) -> None:
    before = await scrape(http)
    for _ in range(3):
        await shopper.gql(SESSION)
    wrong = await shopper.raw(LOGIN, {"email": "nobody@example.com", "password": "nope-nope"})
    assert wrong["data"]["login"]["userErrors"]
    invalid = await shopper.raw("query Broken { session { nope } }")
    assert invalid["errors"]
    malformed = await http.post(GRAPHQL, content=b"{", headers={
        "content-type": "application/json", "authorization": f"Bearer {shopper.token}"})
    assert malformed.status_code == 400
    unauthorized = await support.post_as(http, "wrong", {"query": SESSION})
    assert unauthorized.json() == support.UNAUTHORIZED
    after = await scrape(http)

    def delta(operation: str, outcome: str) -> float:
        return requests(after, operation, outcome) - requests(before, operation, outcome)

    assert delta("Session", "ok") == 3
    assert delta("Login", "user_errors") == 1
    # A document that does not validate has no operation to speak of yet.
    assert delta("(none)", "graphql_error") == 2  # the invalid document and Unauthorized
    assert delta("(none)", "4xx") == 1
    count = "dtc_request_duration_seconds_count"
    assert value(after, count, endpoint=GRAPHQL, operation="Session") - \
        value(before, count, endpoint=GRAPHQL, operation="Session") == 3
    assert value(after, "dtc_request_duration_seconds_bucket", endpoint=GRAPHQL,
                 operation="Session", le="+Inf") >= 3
    assert value(after, "dtc_login_failures_total", reason="wrong_credentials") - \
        value(before, "dtc_login_failures_total", reason="wrong_credentials") == 1


async def test_an_anonymous_operation_and_other_endpoints(
        http: httpx.AsyncClient, shopper: Shopper, key: str) -> None:
    before = await scrape(http)
    await shopper.gql("{ session { country { code } } }")
    await support.backoffice(http, key, "query Clients { apiClients { name } }")
    assert (await http.get("/healthz")).status_code == 200
    after = await scrape(http)
    assert requests(after, "(anonymous)", "ok") - requests(before, "(anonymous)", "ok") == 1
    assert requests(after, "Clients", "ok", "/integration/graphql") - \
        requests(before, "Clients", "ok", "/integration/graphql") == 1
    assert requests(after, "(none)", "ok", "/healthz") - \
        requests(before, "(none)", "ok", "/healthz") == 1


async def test_operation_names_are_bounded(
        http: httpx.AsyncClient, shopper: Shopper, monkeypatch: pytest.MonkeyPatch) -> None:
    await shopper.gql(SESSION)
    labelled = {labels[1][1] for (name, labels) in await scrape(http)
                if name == "dtc_requests_total"} - {"(none)", "(anonymous)", "other"}
    monkeypatch.setattr(metrics, "MAX_OPERATION_NAMES", len(labelled) + 1)
    first, second, third = (f"Fresh{uuid.uuid4().hex}" for _ in range(3))  # never seen
    for name in (first, second, third):
        await shopper.gql(f"query {name} {{ session {{ country {{ code }} }} }}")
    after = await scrape(http)
    assert requests(after, first, "ok") == 1
    assert requests(after, second, "ok") == 0
    assert requests(after, third, "ok") == 0
    assert requests(after, "other", "ok") >= 2
    assert requests(after, "Session", "ok") >= 1  # a name seen before keeps its label


async def test_the_document_cache(http: httpx.AsyncClient, shopper: Shopper) -> None:
    before = await scrape(http)
    query = "query CacheProbe { session { language { code } } }"
    for _ in range(4):
        await shopper.gql(query)
    after = await scrape(http)
    lookups = "dtc_document_cache_lookups_total"
    assert value(after, lookups, endpoint=GRAPHQL, result="miss") - \
        value(before, lookups, endpoint=GRAPHQL, result="miss") == 1
    assert value(after, lookups, endpoint=GRAPHQL, result="hit") - \
        value(before, lookups, endpoint=GRAPHQL, result="hit") == 3
    assert value(after, "dtc_document_cache_entries", endpoint=GRAPHQL) >= 1
    assert value(after, "dtc_document_cache_bytes", endpoint=GRAPHQL) > 0


async def test_kept_answers(http: httpx.AsyncClient, shopper: Shopper) -> None:
    await support.register(shopper, login=True)
    before = await scrape(http)
    for _ in range(3):
        await shopper.gql("query KeptProbe { customer { firstName } }")
    after = await scrape(http)
    lookups = "dtc_answer_cache_lookups_total"
    assert value(after, lookups, endpoint=GRAPHQL, result="miss") - \
        value(before, lookups, endpoint=GRAPHQL, result="miss") == 1
    assert value(after, lookups, endpoint=GRAPHQL, result="hit") - \
        value(before, lookups, endpoint=GRAPHQL, result="hit") == 2
    assert value(after, "dtc_answer_cache_entries", endpoint=GRAPHQL) >= 1
    assert value(after, "dtc_answer_cache_bytes", endpoint=GRAPHQL) > 0


async def test_limit_refusals_by_name(http: httpx.AsyncClient, shopper: Shopper) -> None:
    before = await scrape(http)
    refused = "dtc_limit_refusals_total"
    assert (refused, (("limit", "loginPerIpPerMinute"),)) in before  # known from the start
    for _ in range(5):  # the limit is 3 a minute
        await shopper.raw(LOGIN, {"email": "someone@example.com", "password": "wrong-wrong"})
    after = await scrape(http)
    assert value(after, refused, limit="loginPerIpPerMinute") - \
        value(before, refused, limit="loginPerIpPerMinute") == 2


async def test_the_outbox_as_the_database_holds_it(
        http: httpx.AsyncClient, runtime: Any, clock: SteppableClock) -> None:
    quiet = await scrape(http)
    assert value(quiet, "dtc_outbox_messages", status="pending") == 0
    assert value(quiet, "dtc_outbox_oldest_pending_seconds") == 0
    # Messages are queued by jobs and use cases alike: queue two as they do.
    message = render("password_changed", "en", {"name": "Outbox"})
    async with runtime.db.write() as conn:
        for recipient in ("one@example.com", "two@example.com"):
            await outbox.enqueue(conn, "password_changed", recipient, message, clock.now())
    clock.advance(seconds=90)
    after = await scrape(http)
    assert value(after, "dtc_outbox_messages", status="pending") == 2
    assert value(after, "dtc_outbox_oldest_pending_seconds") >= 90


async def test_database_pools(http: httpx.AsyncClient, shopper: Shopper) -> None:
    await shopper.gql(SESSION)
    samples = await scrape(http)
    pool = "dtc_db_pool_connections"
    assert value(samples, pool, pool="write", state="idle") >= 1
    assert (pool, (("pool", "write"), ("state", "in_use"))) in samples
    assert any(name == pool and dict(labels)["pool"] == "read" for name, labels in samples)


async def test_the_metrics_name_no_secret(
        http: httpx.AsyncClient, shopper: Shopper, credentials: ClientCredentials) -> None:
    await support.register(shopper, "private@example.com")
    await shopper.raw(LOGIN, {"email": "private@example.com", "password": support.PASSWORD})
    text = (await http.get("/metrics")).text
    for secret in ("private@example.com", support.PASSWORD, credentials.session_token,
                   shopper.token):
        assert secret not in text


class TestMail:
    @pytest.fixture
    def settings(self, db_url: str, smtp_server: SmtpServer) -> Settings:
        return support.mail_settings(db_url, smtp_server.url, metrics=True)

    async def test_deliveries_by_outcome(self, http: httpx.AsyncClient, runtime: Any,
                                         clock: SteppableClock, smtp_server: SmtpServer
                                         ) -> None:
        before = await scrape(http)
        message = render("password_changed", "en", {"name": "Mail"})
        async with runtime.db.write() as conn:
            await outbox.enqueue(conn, "password_changed", "a@example.com", message,
                                 clock.now())
        assert await self.deliver(runtime, clock) == (1, 0)
        smtp_server.refuse_recipients = "450 4.2.0 Mailbox busy"  # tried again later
        async with runtime.db.write() as conn:
            await outbox.enqueue(conn, "password_changed", "b@example.com", message,
                                 clock.now())
        assert await self.deliver(runtime, clock) == (0, 1)
        smtp_server.refuse_recipients = "550 5.1.1 No such user"  # given up
        clock.advance(hours=2)
        assert await self.deliver(runtime, clock) == (0, 1)
        after = await scrape(http)
        for outcome in ("sent", "retry", "failed"):
            assert value(after, "dtc_mail_deliveries_total", outcome=outcome) - \
                value(before, "dtc_mail_deliveries_total", outcome=outcome) == 1, outcome

    @staticmethod
    async def deliver(runtime: Any, clock: SteppableClock) -> tuple[int, int]:
        return await outbox.deliver_due(runtime.db, runtime.mail_sender, "shop@example.com",
                                        clock, lease=dt.timedelta(seconds=60), max_attempts=5)


class TestOff:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return support.settings_for(db_url)

    async def test_no_metrics_unless_chosen(self, http: httpx.AsyncClient) -> None:
        assert (await http.get("/metrics")).status_code == 404
