"""The operator's lists: newsletter changes with a cursor, back-in-stock, the outbox."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dtc_api.jobs import loop
from dtc_api.store import tables as t
from tests import documents, support
from tests.conftest import SmtpServer
from tests.integration.test_integration_api import call, data
from tests.integration.test_integration_api import key as key
from tests.integration.test_integration_api import settings as settings
from tests.support import Shopper

CHANGES = """
query($since: String) {
  newsletterSubscriptions(since: $since, limit: 2) {
    subscriptions { email isActive country apiClient unsubscribedAt }
    nextCursor
  }
}
"""


async def subscribe(shopper: Shopper, email: str) -> None:
    await shopper.gql('mutation($e: String!) { subscribeToNewsletter(email: $e, additionalInfo:'
                      ' {countryCode: "SE"}) { subscribed } }', {"e": email})


async def request_a_reset_link(shopper: Shopper) -> None:
    """A customer r@example.com asks for a reset link: one password_reset e-mail queued."""
    await shopper.gql(documents.REGISTER_ERRORS, {"input": support.registration(
        "r@example.com", first_name="R", last_name="S")})
    await shopper.gql('mutation { resetPasswordEmail(email: "r@example.com", url: "reset") '
                      "{ userErrors { message } } }")


async def test_newsletter_changes_page_with_a_cursor(http: httpx.AsyncClient, key: str,
                                                     shopper: Shopper, clock: Any) -> None:
    for n in range(3):
        await subscribe(shopper, f"n{n}@example.com")
        clock.advance(seconds=1)
    first = (await data(http, key, CHANGES))["newsletterSubscriptions"]
    assert [s["email"] for s in first["subscriptions"]] == ["n0@example.com", "n1@example.com"]
    assert first["subscriptions"][0]["apiClient"] == "storefront"
    second = (await data(http, key, CHANGES, {"since": first["nextCursor"]}))[
        "newsletterSubscriptions"]
    assert [s["email"] for s in second["subscriptions"]] == ["n2@example.com"]
    unsubscribed = await data(http, key, 'mutation { unsubscribeNewsletter(email: '
                                         '"N0@example.com") { unsubscribed userErrors '
                                         "{ message } } }")
    assert unsubscribed["unsubscribeNewsletter"] == {"unsubscribed": True, "userErrors": []}
    third = (await data(http, key, CHANGES, {"since": second["nextCursor"]}))[
        "newsletterSubscriptions"]
    assert [(s["email"], s["isActive"]) for s in third["subscriptions"]] == [
        ("n0@example.com", False)]
    empty = (await data(http, key, CHANGES, {"since": third["nextCursor"]}))[
        "newsletterSubscriptions"]
    assert empty == {"subscriptions": [], "nextCursor": third["nextCursor"]}
    bad = await http.post("/integration/graphql", json={"query": CHANGES,
                                                        "variables": {"since": "garbage"}},
                          headers={"authorization": f"Bearer {key}"})
    assert bad.json()["errors"][0]["message"] == "since is not a cursor from an earlier page"
    missing = await data(http, key, 'mutation { unsubscribeNewsletter(email: "x@example.com")'
                                    " { unsubscribed userErrors { path } } }")
    assert missing["unsubscribeNewsletter"] == {
        "unsubscribed": False, "userErrors": [{"path": ["unsubscribeNewsletter", "email"]}]}


async def test_back_in_stock_listing(http: httpx.AsyncClient, key: str,
                                     shopper: Shopper) -> None:
    for item in ("10-1", "10-2"):
        await shopper.gql('mutation($i: String!) { backInStockSubscribe(input: {email: '
                          '"w@example.com", item: $i, shipTo: {countryCode: "SE"}}) '
                          "{ subscribed } }", {"i": item})
    listed = await data(http, key, '{ backInStockSubscriptions(item: "10-1", waiting: true) '
                                   "{ email item country notifiedAt } }")
    assert listed["backInStockSubscriptions"] == [
        {"email": "w@example.com", "item": "10-1", "country": "SE", "notifiedAt": None}]


async def test_outbox_listing_and_retry(http: httpx.AsyncClient, key: str, shopper: Shopper,
                                        runtime: Any, clock: Any,
                                        smtp_server: Any) -> None:
    from dtc_api.jobs import loop

    await request_a_reset_link(shopper)
    smtp_server.stop()
    await loop.deliver_mail_once(runtime)
    waiting = (await data(http, key, '{ outboxMessages(status: "pending") '
                                     "{ id kind recipient attempts lastError } }"))[
        "outboxMessages"]
    assert [(m["kind"], m["recipient"], m["attempts"]) for m in waiting] == [
        ("password_reset", "r@example.com", 1)]
    assert waiting[0]["lastError"]
    smtp_server.start()
    retried = await data(http, key, "mutation($id: Int!) { retryOutboxMessage(id: $id) "
                                    "{ message { status } userErrors { message } } }",
                         {"id": waiting[0]["id"]})
    assert retried["retryOutboxMessage"] == {"message": {"status": "pending"}, "userErrors": []}
    assert await loop.deliver_mail_once(runtime) == (1, 0)
    async with runtime.db.read() as conn:
        assert await conn.scalar(sa.select(t.outbox.c.status)) == "sent"
    again = await data(http, key, "mutation($id: Int!) { retryOutboxMessage(id: $id) "
                                  "{ userErrors { message path } } }", {"id": waiting[0]["id"]})
    assert again["retryOutboxMessage"]["userErrors"][0]["path"] == ["retryOutboxMessage", "id"]


def _cursor(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize("since", [
    _cursor("2026-01-01T00:00:00|1"),
    _cursor("2026-01-01T00:00:00+00:00|99999999999999999999"),
    _cursor("2026-01-01T00:00:00+00:00|-1"),
    _cursor("2026-01-01T00:00:00+00:00|"),
    _cursor("0001-01-01T00:00:00+01:00|1"),
    _cursor("9999-12-31T23:59:59-01:00|1"),
    _cursor("2026-13-01T00:00:00+00:00|1"),
    _cursor(b"\xff\xfe|1"),
    "garbage", "\u00e9\u00e9\u00e9\u00e9", "====", "x" * 10_000,
], ids=["no-time-zone", "id-too-large", "negative-id", "no-id", "before-year-1",
        "after-year-9999", "month-13", "not-utf-8", "garbage", "not-base64", "padding-only",
        "oversized"])
async def test_a_malformed_cursor_is_refused(http: httpx.AsyncClient, key: str,
                                             shopper: Shopper, since: str) -> None:
    await subscribe(shopper, "n0@example.com")
    answer = await call(http, key, CHANGES, {"since": since})
    assert answer["data"] is None
    assert [e["message"] for e in answer["errors"]] == [
        "since is not a cursor from an earlier page"]


async def test_a_cursor_of_the_wrong_type_is_a_request_error(http: httpx.AsyncClient,
                                                             key: str) -> None:
    answer = await call(http, key, CHANGES, {"since": 5})
    assert "data" not in answer
    assert "String cannot represent a non string value" in answer["errors"][0]["message"]


RETRY = """
mutation($id: Int!) {
  retryOutboxMessage(id: $id) { message { status attempts } userErrors { message path } }
}
"""
FAILED = '{ outboxMessages(status: "failed") { id kind recipient attempts lastError failedAt } }'


async def test_failed_messages_are_listed_and_may_be_sent_again(
    http: httpx.AsyncClient, key: str, shopper: Shopper, runtime: Any, clock: Any,
    smtp_server: SmtpServer,
) -> None:
    # given: a back-in-stock e-mail and a reset link, refused for good
    await shopper.gql('mutation { backInStockSubscribe(input: {email: "w@example.com", '
                      'item: "10-1", shipTo: {countryCode: "SE"}}) { subscribed } }')
    await data(http, key, 'mutation { setStock(item: "10-1", warehouse: "main", quantity: 5) '
                          "{ notificationsQueued } }")
    await request_a_reset_link(shopper)
    smtp_server.refuse_recipients = "550 5.1.1 No such user"
    assert await loop.deliver_mail_once(runtime) == (0, 2)
    # then: the operator sees them
    failed = (await data(http, key, FAILED))["outboxMessages"]
    assert [(m["kind"], m["recipient"], m["attempts"]) for m in failed] == [
        ("password_reset", "r@example.com", 1), ("back_in_stock", "w@example.com", 1)]
    assert all("550 5.1.1 No such user" in m["lastError"] and m["failedAt"] for m in failed)
    reset, restock = failed
    # when: the server takes mail again and the operator retries both
    smtp_server.refuse_recipients = None
    again = (await data(http, key, RETRY, {"id": restock["id"]}))["retryOutboxMessage"]
    assert again == {"message": {"status": "pending", "attempts": 0}, "userErrors": []}
    erased = (await data(http, key, RETRY, {"id": reset["id"]}))["retryOutboxMessage"]
    assert erased["message"] is None
    assert erased["userErrors"][0]["path"] == ["retryOutboxMessage", "id"]
    assert "one-time link" in erased["userErrors"][0]["message"]
    # then: the one with its content is sent; the reset link is not
    assert await loop.deliver_mail_once(runtime) == (1, 0)
    assert [m["To"] for m in smtp_server.messages] == ["w@example.com"]
    assert [m["id"] for m in (await data(http, key, FAILED))["outboxMessages"]] == [
        reset["id"]]
