"""The operator's lists: newsletter changes with a cursor, back-in-stock, the outbox."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from dtc_api.store import tables as t
from tests.integration.test_integration_api import data
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

    await shopper.gql('mutation { registerCustomer(input: {password: "correct horse battery '
                      'staple", loginOnSuccess: false, billingAddress: {email: "r@example.com", '
                      'firstName: "R", lastName: "S", country: "SE"}}) { userErrors { message } '
                      "} }")
    await shopper.gql('mutation { resetPasswordEmail(email: "r@example.com", url: "reset") '
                      "{ userErrors { message } } }")
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
