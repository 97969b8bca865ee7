"""subscribeToNewsletter: the seed example, honeypot, linking, unsubscribe, double opt-in."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from dtc_api.access import clients
from dtc_api.cli import main
from dtc_api.config import Settings
from dtc_api.jobs import loop
from dtc_api.marketing import newsletter
from dtc_api.store import tables as t
from tests import documents, support
from tests.conftest import SmtpServer
from tests.support import Shopper

SEED = """
mutation {
subscribeToNewsletter(
email: "example@centra.com"
additionalInfo: {
emailField: ""
countryCode: "SE"
languageCode: "en"
gender: MALE
}
) {
subscribed
userErrors {
path
message
}
}
}
"""
SUBSCRIBE = """
mutation($email: String!, $info: NewsletterSubscribeInput) {
  subscribeToNewsletter(email: $email, additionalInfo: $info) {
    subscribed userErrors { path message }
  }
}
"""
SUBSCRIPTIONS = "{ customer { newsletterSubscriptions { isActive createdAt country { code } } } }"


@pytest.fixture
def settings(db_url: str, smtp_server: SmtpServer) -> Settings:
    return support.mail_settings(db_url, smtp_server.url)


def member(email: str) -> dict[str, Any]:
    """The variables of a registration that logs the new customer in."""
    return {"input": support.registration(email, first_name="A", last_name="B", login=True)}


async def rows(runtime: Any) -> list[dict[str, Any]]:
    async with runtime.db.read() as conn:
        return [dict(r) for r in (await conn.execute(
            sa.select(t.newsletter_subscriptions))).mappings()]


async def test_seed_example(shopper: Shopper, runtime: Any) -> None:
    assert await shopper.gql(SEED) == {
        "subscribeToNewsletter": {"subscribed": True, "userErrors": []}}
    [row] = await rows(runtime)
    assert (row["email"], row["country_code"], row["language_code"], row["gender"],
            row["is_active"]) == ("example@centra.com", "SE", "en", "MALE", True)


async def test_honeypot_answers_alike_and_stores_nothing(
    shopper: Shopper, runtime: Any, clock: Any, smtp_server: SmtpServer
) -> None:
    real = await shopper.post(SUBSCRIBE, {"email": "human@example.com",
                                          "info": {"emailField": "", "countryCode": "SE"}})
    bot = await shopper.post(SUBSCRIBE, {"email": "bot@example.com",
                                         "info": {"emailField": "x", "countryCode": "SE"}})
    strip = re.compile(rb'"extensions":\{[^}]*\}')
    assert strip.sub(b"", real.content) == strip.sub(b"", bot.content)
    assert real.status_code == bot.status_code == 200
    assert [r["email"] for r in await rows(runtime)] == ["human@example.com"]
    async with runtime.db.read() as conn:
        assert await conn.scalar(sa.select(sa.func.count())
                                 .select_from(t.newsletter_bot_signups)) == 1
    await loop.deliver_mail_once(runtime)
    assert smtp_server.messages == []


@pytest.mark.parametrize(("info", "path", "message"), [
    ({"countryCode": "XX"}, ["subscribeToNewsletter", "additionalInfo", "countryCode"],
     "country XX not found"),
    ({"languageCode": "xx"}, ["subscribeToNewsletter", "additionalInfo", "languageCode"],
     "language not found"),
])
async def test_unknown_country_or_language(shopper: Shopper, runtime: Any, info: dict,
                                           path: list[str], message: str) -> None:
    answer = (await shopper.gql(SUBSCRIBE, {"email": "a@example.com", "info": info}))[
        "subscribeToNewsletter"]
    assert answer == {"subscribed": False, "userErrors": [{"path": path, "message": message}]}
    assert await rows(runtime) == []


async def test_invalid_email(shopper: Shopper) -> None:
    answer = (await shopper.gql(SUBSCRIBE, {"email": "not-an-email"}))["subscribeToNewsletter"]
    assert answer["subscribed"] is False
    assert answer["userErrors"][0]["path"] == ["subscribeToNewsletter", "email"]


async def test_subscribing_again_updates_and_reactivates(shopper: Shopper, runtime: Any,
                                                         clock: Any) -> None:
    await shopper.gql(SUBSCRIBE, {"email": "a@example.com", "info": {"countryCode": "SE"}})
    async with runtime.db.write() as conn:
        token = await newsletter.unsubscribe_token(conn, "a@example.com", clock.now())
    done = await shopper.gql('mutation($t: String!) { unsubscribeFromNewsletter(token: $t) '
                             '{ unsubscribed userErrors { path } } }', {"t": token})
    assert done["unsubscribeFromNewsletter"] == {"unsubscribed": True, "userErrors": []}
    assert [r["is_active"] for r in await rows(runtime)] == [False]
    await shopper.gql(SUBSCRIBE, {"email": "A@example.com",
                                  "info": {"countryCode": "DE", "languageCode": "de"}})
    [row] = await rows(runtime)
    assert (row["is_active"], row["country_code"], row["language_code"]) == (True, "DE", "de")


async def test_unsubscribe_with_a_forged_token(shopper: Shopper, runtime: Any) -> None:
    await shopper.gql(SUBSCRIBE, {"email": "a@example.com"})
    for token in ["a@example.com.forged", "", "x" * 500, "a@example.com"]:
        answer = await shopper.gql('mutation($t: String!) { unsubscribeFromNewsletter(token: $t)'
                                   ' { unsubscribed userErrors { path } } }', {"t": token})
        assert answer["unsubscribeFromNewsletter"] == {
            "unsubscribed": False, "userErrors": [{"path": ["unsubscribeFromNewsletter",
                                                            "token"]}]}
    assert [r["is_active"] for r in await rows(runtime)] == [True]


async def test_guest_subscription_joins_the_account_registered_later(shopper: Shopper) -> None:
    await shopper.gql(SUBSCRIBE, {"email": "later@example.com", "info": {"countryCode": "SE"}})
    assert (await shopper.gql(documents.REGISTER_ERRORS, member("later@example.com")))[
        "registerCustomer"]["userErrors"] == []
    subscriptions = (await shopper.gql(SUBSCRIPTIONS))["customer"]["newsletterSubscriptions"]
    assert [(s["isActive"], s["country"]) for s in subscriptions] == [(True, {"code": "SE"})]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", subscriptions[0]["createdAt"])


async def test_logged_in_subscription_is_linked(shopper: Shopper) -> None:
    await shopper.gql(documents.REGISTER_ERRORS, member("member@example.com"))
    await shopper.gql(SUBSCRIBE, {"email": "member@example.com", "info": {"countryCode": "DE"}})
    subscriptions = (await shopper.gql(SUBSCRIPTIONS))["customer"]["newsletterSubscriptions"]
    assert [s["country"] for s in subscriptions] == [{"code": "DE"}]


async def test_double_opt_in_waits_for_the_link(http: Any, runtime: Any, clock: Any,
                                                smtp_server: SmtpServer) -> None:
    async with runtime.db.write() as conn:
        client = await clients.create(conn, "careful", clock.now(),
                                      frontend_url="https://shop.example",
                                      newsletter_double_opt_in=True, default_country_code="SE")
    shopper = Shopper(http, client)
    answer = await shopper.gql(SUBSCRIBE, {"email": "careful@example.com",
                                           "info": {"languageCode": "sv"}})
    assert answer["subscribeToNewsletter"]["subscribed"] is True
    assert [r["is_active"] for r in await rows(runtime)] == [False]
    await loop.deliver_mail_once(runtime)
    [message] = smtp_server.messages
    assert message["Subject"] == "Bekräfta din prenumeration på nyhetsbrevet"
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https://shop\.example/newsletter/confirm\?\S+", text).group(0)
    token = parse_qs(urlsplit(link).query)["token"][0]
    confirmed = await shopper.gql('mutation($t: String!) { confirmNewsletterSubscription('
                                  'token: $t) { confirmed } }', {"t": token})
    assert confirmed["confirmNewsletterSubscription"]["confirmed"] is True
    assert [r["is_active"] for r in await rows(runtime)] == [True]


async def test_per_ip_limit_answers_like_success(shopper: Shopper, runtime: Any) -> None:
    for n in range(35):
        answer = await shopper.gql(SUBSCRIBE, {"email": f"n{n}@example.com"})
        assert answer["subscribeToNewsletter"] == {"subscribed": True, "userErrors": []}
    assert len(await rows(runtime)) == 30


UNSUBSCRIBE = """
mutation($t: String!) { unsubscribeFromNewsletter(token: $t) { unsubscribed userErrors { path } } }
"""
CONFIRM = """
mutation($t: String!) { confirmNewsletterSubscription(token: $t) { confirmed userErrors { path } } }
"""
WITHOUT_EXTENSIONS = re.compile(rb'"extensions":\{[^}]*\}')


async def test_another_shopper_cannot_take_over_a_subscription(
    http: Any, credentials: Any, runtime: Any, clock: Any
) -> None:
    # given: Alice, logged in, subscribed in Sweden
    alice = Shopper(http, credentials)
    await alice.gql(documents.REGISTER_ERRORS, member("alice@example.com"))
    await alice.gql(SUBSCRIBE, {"email": "alice@example.com",
                                "info": {"countryCode": "SE", "languageCode": "sv"}})
    [before] = await rows(runtime)
    clock.advance(minutes=5)
    # when: Bob, logged in, subscribes her address and a new one with his details
    bob = Shopper(http, credentials)
    await bob.gql(documents.REGISTER_ERRORS, member("bob@example.com"))
    his = {"countryCode": "DE", "languageCode": "de", "gender": "MALE"}
    existing = await bob.post(SUBSCRIBE, {"email": "Alice@example.com", "info": his})
    new = await bob.post(SUBSCRIBE, {"email": "carol@example.com", "info": his})
    # and an anonymous shopper does the same
    stranger = Shopper(http, credentials)
    await stranger.gql(SUBSCRIBE, {"email": "alice@example.com", "info": his})
    # then: the answers tell nothing about Alice's subscription
    assert existing.status_code == new.status_code == 200
    assert WITHOUT_EXTENSIONS.sub(b"", existing.content) == WITHOUT_EXTENSIONS.sub(
        b"", new.content)
    assert new.json()["data"] == {"subscribeToNewsletter": {"subscribed": True,
                                                            "userErrors": []}}
    # and her subscription is hers, as she left it; Bob has none
    assert [r for r in await rows(runtime) if r["email_key"] == "alice@example.com"] == [before]
    assert (await alice.gql(SUBSCRIPTIONS))["customer"]["newsletterSubscriptions"] == [
        {"isActive": True, "createdAt": before["created_at"].isoformat(),
         "country": {"code": "SE"}}]
    assert (await bob.gql(SUBSCRIPTIONS))["customer"]["newsletterSubscriptions"] == []
    carol = [r for r in await rows(runtime) if r["email_key"] == "carol@example.com"]
    assert [(r["customer_id"], r["country_code"]) for r in carol] == [(None, "DE")]
    # but Alice herself may change it
    await alice.gql(SUBSCRIBE, {"email": "alice@example.com", "info": {"countryCode": "DE"}})
    assert [s["country"] for s in (await alice.gql(SUBSCRIPTIONS))["customer"][
        "newsletterSubscriptions"]] == [{"code": "DE"}]


@pytest.mark.parametrize("token", [
    "alice@example.com.\u00e9", "x.\u00fc", "\u00e9", "a@example.com." + "\u00e9" * 27,
    "a@example.com." + "A" * 26 + "\u00c5", "\u00e5\u00e4\u00f6@example.com.abc",
    ".", "..", "a@example.com.", "%00.%ff", "a@example.com." + "x" * 5000,
    "\U0001f600" * 300 + ".abc",
])
async def test_malformed_tokens_are_user_errors(shopper: Shopper, runtime: Any,
                                                token: str) -> None:
    await shopper.gql(SUBSCRIBE, {"email": "a@example.com"})
    unsubscribed = await shopper.gql(UNSUBSCRIBE, {"t": token})
    confirmed = await shopper.gql(CONFIRM, {"t": token})
    assert unsubscribed["unsubscribeFromNewsletter"] == {
        "unsubscribed": False, "userErrors": [{"path": ["unsubscribeFromNewsletter", "token"]}]}
    assert confirmed["confirmNewsletterSubscription"] == {
        "confirmed": False, "userErrors": [{"path": ["confirmNewsletterSubscription", "token"]}]}
    assert [r["is_active"] for r in await rows(runtime)] == [True]


async def test_the_longest_addresses_unsubscribe_with_their_link(
    shopper: Shopper, runtime: Any, db_url: str
) -> None:
    address = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 45}.example.com"
    assert len(address) == 250
    answer = await shopper.gql(SUBSCRIBE, {"email": address})
    assert answer["subscribeToNewsletter"] == {"subscribed": True, "userErrors": []}
    # the link the shop's mailer gets from the command line
    printed = await asyncio.to_thread(
        CliRunner().invoke, main, ["--database-url", db_url, "newsletter", "unsubscribe-link",
                                   address, "--client", "storefront"],
        env={"DTC_LOG_LEVEL": "WARNING"})
    assert printed.exit_code == 0, printed.output
    link = printed.stdout.strip()
    assert link.startswith("https://shop.example/newsletter/unsubscribe?token=")
    token = parse_qs(urlsplit(link).query)["token"][0]
    done = await shopper.gql(UNSUBSCRIBE, {"t": token})
    assert done["unsubscribeFromNewsletter"] == {"unsubscribed": True, "userErrors": []}
    assert [(r["email"], r["is_active"]) for r in await rows(runtime)] == [(address, False)]
