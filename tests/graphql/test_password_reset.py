"""Forgotten password over HTTP, with mail delivered to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from dtc_api.accounts import password_reset
from dtc_api.config import Settings
from dtc_api.jobs import loop
from dtc_api.store import tables as t
from tests import support
from tests.conftest import SmtpServer
from tests.support import PASSWORD, Shopper

NEW_PASSWORD = "a brand new passphrase"
EMAIL = "reset@example.com"

SEED_REQUEST = """
mutation {
resetPasswordEmail(
email: "example@centra.com"
url: "customer/reset-password"
) {
userErrors {
message
path
}
}
}
"""
SEED_VERIFY = """
mutation {
verifyResetPasswordHashes(
i: "241279e9ca655ab039c49d0032ed13ce"
id: "125"
) {
valid
userErrors {
message
path
}
}
}
"""
SEED_RESET = """
mutation {
resetPassword(
password: "new_secret"
confirmPassword: "new_secret"
id: "125"
i: "241279e9ca655ab039c49d0032ed13ce"
loginOnSuccess: false
) {
changed
userErrors {
message
path
}
}
}
"""
REQUEST = """
mutation($email: String!, $url: String!) {
  resetPasswordEmail(email: $email, url: $url) { userErrors { message path } }
}
"""
VERIFY = """
mutation($i: String!, $id: String!) {
  verifyResetPasswordHashes(i: $i, id: $id) { valid userErrors { message path } }
}
"""
RESET = """
mutation($i: String!, $id: String!, $password: String!, $confirm: String, $login: Boolean!) {
  resetPassword(i: $i, id: $id, password: $password, confirmPassword: $confirm,
                loginOnSuccess: $login) {
    changed session { loggedIn { email } } userErrors { message path }
  }
}
"""
LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { loggedIn { email } userErrors { message } }
}
"""


@pytest.fixture
def settings(db_url: str, smtp_server: SmtpServer) -> Settings:
    return support.mail_settings(db_url, smtp_server.url)


async def deliver(runtime: Any, clock: Any) -> tuple[int, int]:
    """What the delivery worker does on each turn."""
    return await loop.deliver_mail_once(runtime)


async def register(shopper: Shopper, email: str = EMAIL, first_name: str = "Ada",
                   language: str | None = None, login: bool = False) -> None:
    if language:
        await shopper.gql('mutation($c: String!) { setLanguage(code: $c) { userErrors '
                          '{ message } } }', {"c": language})
    await support.register(shopper, email, first_name=first_name, last_name="Lovelace",
                           login=login)


async def request(shopper: Shopper, email: str = EMAIL, url: str = "customer/reset-password"
                  ) -> list[dict[str, Any]]:
    return (await shopper.gql(REQUEST, {"email": email, "url": url}))[
        "resetPasswordEmail"]["userErrors"]


def link_in(message: Any) -> tuple[str, str, str]:
    """The reset link of a received e-mail: (link, id, i)."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https://shop\.example/\S+", text).group(0)
    query = parse_qs(urlsplit(link).query)
    return link, query["id"][0], query["i"][0]


async def login(shopper: Shopper, password: str) -> dict[str, Any]:
    return (await shopper.gql(LOGIN, {"email": EMAIL, "password": password}))["login"]


async def test_seed_examples_verbatim(shopper: Shopper, runtime: Any, clock: Any,
                                      smtp_server: SmtpServer) -> None:
    answer = await shopper.gql(SEED_REQUEST)
    assert answer == {"resetPasswordEmail": {"userErrors": []}}
    assert await shopper.gql(SEED_VERIFY) == {
        "verifyResetPasswordHashes": {"valid": False, "userErrors": []}}
    reset = (await shopper.gql(SEED_RESET))["resetPassword"]
    assert reset["changed"] is False
    assert reset["userErrors"][0]["path"] == ["resetPassword", "i"]
    assert await deliver(runtime, clock) == (0, 0)  # no account, no e-mail
    assert smtp_server.messages == []


async def test_round_trip(shopper: Shopper, http: Any, credentials: Any, runtime: Any,
                          clock: Any, smtp_server: SmtpServer) -> None:
    await register(shopper)
    old_session = Shopper(http, credentials)
    assert (await login(old_session, PASSWORD))["userErrors"] == []

    assert await request(shopper) == []
    assert await deliver(runtime, clock) == (1, 0)
    [message] = smtp_server.messages
    assert message["To"] == EMAIL
    assert message["Subject"] == "Reset your password"
    link, customer_id, hash_ = link_in(message)
    assert link.startswith(f"https://shop.example/customer/reset-password?id={customer_id}&i=")
    assert re.fullmatch(r"[0-9a-f]{32}", hash_)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{link.replace("&", "&amp;")}"' in html

    verified = await shopper.gql(VERIFY, {"i": hash_, "id": customer_id})
    assert verified["verifyResetPasswordHashes"] == {"valid": True, "userErrors": []}
    before = shopper.token
    reset = (await shopper.gql(RESET, {"i": hash_, "id": customer_id, "password": NEW_PASSWORD,
                                       "confirm": NEW_PASSWORD, "login": True}))["resetPassword"]
    assert reset == {"changed": True, "session": {"loggedIn": {"email": EMAIL}},
                     "userErrors": []}
    assert shopper.token != before

    stale = await old_session.post("{ session { loggedIn { email } } }")
    assert stale.json() == {"errors": [{"message": "Unauthorized"}]}
    fresh = Shopper(http, credentials)
    assert (await login(fresh, PASSWORD))["userErrors"] == [
        {"message": "wrong e-mail or password"}]
    assert (await login(fresh, NEW_PASSWORD))["userErrors"] == []

    assert await deliver(runtime, clock) == (1, 0)
    assert smtp_server.messages[-1]["Subject"] == "Your password was changed"
    used = await shopper.gql(VERIFY, {"i": hash_, "id": customer_id})
    assert used["verifyResetPasswordHashes"]["valid"] is False
    again = (await shopper.gql(RESET, {"i": hash_, "id": customer_id, "password": PASSWORD,
                                       "confirm": PASSWORD, "login": False}))["resetPassword"]
    assert again["changed"] is False
    assert again["userErrors"] == [{"message": "the reset link is invalid or has expired",
                                    "path": ["resetPassword", "i"]}]


async def _hash(shopper: Shopper, runtime: Any, clock: Any, smtp_server: SmtpServer
                ) -> tuple[str, str]:
    assert await request(shopper) == []
    await deliver(runtime, clock)
    _, customer_id, hash_ = link_in(smtp_server.messages[-1])
    return customer_id, hash_


async def test_link_expires_after_an_hour(shopper: Shopper, runtime: Any, clock: Any,
                                          smtp_server: SmtpServer) -> None:
    await register(shopper)
    customer_id, hash_ = await _hash(shopper, runtime, clock, smtp_server)
    clock.advance(minutes=59)
    assert (await shopper.gql(VERIFY, {"i": hash_, "id": customer_id}))[
        "verifyResetPasswordHashes"]["valid"] is True
    clock.advance(minutes=1)
    assert (await shopper.gql(VERIFY, {"i": hash_, "id": customer_id}))[
        "verifyResetPasswordHashes"]["valid"] is False
    reset = (await shopper.gql(RESET, {"i": hash_, "id": customer_id, "password": NEW_PASSWORD,
                                       "login": False}))["resetPassword"]
    assert reset["changed"] is False


async def test_a_newer_request_voids_the_older_link(shopper: Shopper, runtime: Any, clock: Any,
                                                    smtp_server: SmtpServer) -> None:
    await register(shopper)
    customer_id, first = await _hash(shopper, runtime, clock, smtp_server)
    _, second = await _hash(shopper, runtime, clock, smtp_server)
    assert first != second
    valid = [(await shopper.gql(VERIFY, {"i": h, "id": customer_id}))[
        "verifyResetPasswordHashes"]["valid"] for h in (first, second)]
    assert valid == [False, True]


async def test_a_password_changed_elsewhere_voids_the_link(
    shopper: Shopper, runtime: Any, clock: Any, smtp_server: SmtpServer
) -> None:
    await register(shopper, login=True)
    customer_id, hash_ = await _hash(shopper, runtime, clock, smtp_server)
    changed = await shopper.gql('mutation($p: String!) { updateCustomer(input: {password: $p})'
                                ' { userErrors { message } } }', {"p": NEW_PASSWORD})
    assert changed["updateCustomer"]["userErrors"] == []
    assert (await shopper.gql(VERIFY, {"i": hash_, "id": customer_id}))[
        "verifyResetPasswordHashes"]["valid"] is False



async def test_a_reset_without_login_keeps_the_token_the_storefront_holds(
    shopper: Shopper, http: Any, runtime: Any, clock: Any, smtp_server: SmtpServer
) -> None:
    """A storefront does not read the token of a reset's answer: it logs in next with the
    token it had, so an anonymous session that resets must keep it."""
    await register(shopper)
    customer_id, hash_ = await _hash(shopper, runtime, clock, smtp_server)
    kept = shopper.token
    response = await shopper.post(RESET, {"i": hash_, "id": customer_id,
                                          "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                          "login": False})
    answer = response.json()
    assert answer["data"]["resetPassword"] == {"changed": True, "session": {"loggedIn": None},
                                               "userErrors": []}
    assert answer["extensions"]["token"] == kept
    # The same token, never updated from the reset's answer, logs in with the new password.
    logged_in = await support.post_as(http, kept, {"query": LOGIN, "variables": {
        "email": EMAIL, "password": NEW_PASSWORD}})
    assert logged_in.json()["data"]["login"] == {"loggedIn": {"email": EMAIL},
                                                 "userErrors": []}
    assert logged_in.json()["extensions"]["token"] != kept  # logging in renews it


async def test_a_reset_renews_the_token_when_the_session_changes_hands(
    shopper: Shopper, runtime: Any, clock: Any, smtp_server: SmtpServer
) -> None:
    # Logged in as the customer and not asked to stay: logged out, with a new token.
    await register(shopper, login=True)
    customer_id, hash_ = await _hash(shopper, runtime, clock, smtp_server)
    before = shopper.token
    reset = (await shopper.gql(RESET, {"i": hash_, "id": customer_id, "password": NEW_PASSWORD,
                                       "confirm": NEW_PASSWORD, "login": False}))["resetPassword"]
    assert reset["session"] == {"loggedIn": None}
    assert shopper.token != before
    # Anonymous and asked to log in: logged in, with a new token.
    customer_id, hash_ = await _hash(shopper, runtime, clock, smtp_server)
    before = shopper.token
    reset = (await shopper.gql(RESET, {"i": hash_, "id": customer_id, "password": PASSWORD,
                                       "confirm": PASSWORD, "login": True}))["resetPassword"]
    assert reset["session"] == {"loggedIn": {"email": EMAIL}}
    assert shopper.token != before

@pytest.mark.parametrize(("i", "id_"), [
    ("", ""), ("x", "1"), ("241279e9ca655ab039c49d0032ed13ce", "abc"),
    ("241279e9ca655ab039c49d0032ed13ce", "-1"), ("a" * 5000, "1"),
    ("241279e9ca655ab039c49d0032ed13ce", "99999999999999999999"),
])
async def test_verify_malformed_values_are_just_invalid(shopper: Shopper, i: str, id_: str
                                                        ) -> None:
    answer = await shopper.gql(VERIFY, {"i": i, "id": id_})
    assert answer["verifyResetPasswordHashes"] == {"valid": False, "userErrors": []}


async def test_reset_checks_confirmation_and_policy(shopper: Shopper, runtime: Any, clock: Any,
                                                    smtp_server: SmtpServer) -> None:
    await register(shopper)
    customer_id, hash_ = await _hash(shopper, runtime, clock, smtp_server)
    mismatch = (await shopper.gql(RESET, {"i": hash_, "id": customer_id,
                                          "password": NEW_PASSWORD, "confirm": "other thing",
                                          "login": False}))["resetPassword"]
    assert mismatch["userErrors"] == [{"message": "confirmPassword does not match password",
                                       "path": ["resetPassword", "confirmPassword"]}]
    weak = (await shopper.gql(RESET, {"i": hash_, "id": customer_id, "password": "short",
                                      "login": False}))["resetPassword"]
    assert weak["userErrors"][0]["path"] == ["resetPassword", "password"]
    # Refusals do not use the link up.
    assert (await shopper.gql(VERIFY, {"i": hash_, "id": customer_id}))[
        "verifyResetPasswordHashes"]["valid"] is True


async def test_unknown_and_never_registered_get_the_same_answer_and_no_mail(
    shopper: Shopper, runtime: Any, clock: Any, smtp_server: SmtpServer
) -> None:
    await register(shopper)
    async with runtime.db.write() as conn:
        await conn.execute(sa.insert(t.customers).values(
            email="guest@example.com", email_key="guest@example.com", registered=False,
            created_at=clock.now(), updated_at=clock.now()))
    answers = [await shopper.raw(REQUEST, {"email": e, "url": "customer/reset-password"})
               for e in ("nobody@example.com", "guest@example.com", EMAIL)]
    assert [a["data"] for a in answers] == [{"resetPasswordEmail": {"userErrors": []}}] * 3
    assert await deliver(runtime, clock) == (1, 0)
    assert [m["To"] for m in smtp_server.messages] == [EMAIL]


@pytest.mark.parametrize("url", [
    "https://evil.example/reset", "//evil.example/reset", "\\\\evil.example\\reset",
    "/\\evil.example", "javascript:alert(1)", "reset\npage", "reset\tpage", "reset#frag",
    "", "   ", "http:evil.example", "reset?id=1&i=0123", "reset page", "reset\u202epage",
    "reset\x85page", "reset   URGENT: call us",
])
async def test_url_must_be_a_relative_path(shopper: Shopper, runtime: Any, clock: Any,
                                           smtp_server: SmtpServer, url: str) -> None:
    await register(shopper)
    errors = await request(shopper, url=url)
    assert [e["path"] for e in errors] == [["resetPasswordEmail", "url"]]
    assert await deliver(runtime, clock) == (0, 0)


async def test_current_schema_name_is_the_same_service(shopper: Shopper, runtime: Any,
                                                       clock: Any, smtp_server: SmtpServer
                                                       ) -> None:
    await register(shopper)
    bad = await shopper.gql('mutation { requestPasswordResetEmail(email: "x@example.com", '
                            'resetPasswordExternalUrl: "//evil") { userErrors { path } } }')
    assert bad["requestPasswordResetEmail"]["userErrors"] == [
        {"path": ["requestPasswordResetEmail", "resetPasswordExternalUrl"]}]
    good = await shopper.gql('mutation($e: String!) { requestPasswordResetEmail(email: $e, '
                             'resetPasswordExternalUrl: "account/reset") '
                             '{ userErrors { path } } }', {"e": EMAIL})
    assert good["requestPasswordResetEmail"]["userErrors"] == []
    await deliver(runtime, clock)
    assert link_in(smtp_server.messages[0])[0].startswith("https://shop.example/account/reset?")


async def test_client_without_frontend_url_is_told_what_to_configure(
    http: Any, runtime: Any, clock: Any
) -> None:
    from dtc_api.access import clients

    async with runtime.db.write() as conn:
        bare = await clients.create(conn, "bare", clock.now(), default_country_code="SE")
    errors = await request(Shopper(http, bare))
    assert errors == [{"message": "this API client has no frontend URL: set one (dtc-api "
                                  "clients, frontendUrl) so reset links can point to the shop",
                       "path": ["resetPasswordEmail", "url"]}]


async def test_mail_in_the_customers_language_with_escaped_html(
    shopper: Shopper, runtime: Any, clock: Any, smtp_server: SmtpServer
) -> None:
    await register(shopper, first_name="<b>Åsa</b> & co", language="sv")
    await request(shopper)
    await deliver(runtime, clock)
    [message] = smtp_server.messages
    assert message["Subject"] == "Återställ ditt lösenord"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hej <b>Åsa</b> & co," in text
    assert "Hej &lt;b&gt;Åsa&lt;/b&gt; &amp; co," in html
    assert "<b>" not in html
    assert "1 timme" in text


async def test_requests_over_the_limit_answer_like_success(
    shopper: Shopper, runtime: Any, clock: Any, smtp_server: SmtpServer
) -> None:
    await register(shopper)
    for _ in range(5):
        assert await request(shopper) == []
    await deliver(runtime, clock)
    assert len(smtp_server.messages) == 3  # at most 3 an hour per account
    clock.advance(hours=1)
    assert await request(shopper) == []
    await deliver(runtime, clock)
    assert len(smtp_server.messages) == 4


async def test_concurrent_resets_with_one_link_change_once(
    http: Any, credentials: Any, shopper: Shopper, runtime: Any, clock: Any,
    smtp_server: SmtpServer
) -> None:
    await register(shopper)
    customer_id, hash_ = await _hash(shopper, runtime, clock, smtp_server)
    shoppers = [Shopper(http, credentials) for _ in range(4)]
    results = await asyncio.gather(*[
        s.gql(RESET, {"i": hash_, "id": customer_id, "password": f"{NEW_PASSWORD} {n}",
                      "login": False}) for n, s in enumerate(shoppers)])
    changed = [r["resetPassword"]["changed"] for r in results]
    assert changed.count(True) == 1


async def test_mail_survives_an_smtp_outage(shopper: Shopper, http: Any, credentials: Any,
                                            runtime: Any, clock: Any,
                                            smtp_server: SmtpServer) -> None:
    for n in range(3):
        await register(Shopper(http, credentials), email=f"c{n}@example.com")
    smtp_server.stop()
    for n in range(3):
        assert await request(shopper, email=f"c{n}@example.com") == []
    assert await deliver(runtime, clock) == (0, 3)
    async with runtime.db.read() as conn:
        rows = (await conn.execute(sa.select(t.outbox))).mappings().all()
    assert {(r["status"], r["attempts"]) for r in rows} == {("pending", 1)}
    assert all(r["last_error"] for r in rows)
    clock.advance(seconds=5)
    assert await deliver(runtime, clock) == (0, 0)  # not due yet: backing off
    smtp_server.start()
    clock.advance(minutes=1)
    assert await deliver(runtime, clock) == (3, 0)
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "c0@example.com", "c1@example.com", "c2@example.com"]
    assert await deliver(runtime, clock) == (0, 0)


async def outbox_rows(runtime: Any) -> list[dict[str, Any]]:
    async with runtime.db.read() as conn:
        return [dict(r) for r in (await conn.execute(
            sa.select(t.outbox).order_by(t.outbox.c.id))).mappings()]


async def test_no_reset_link_stays_in_the_outbox_once_delivery_is_over(
    shopper: Shopper, http: Any, credentials: Any, runtime: Any, clock: Any,
    smtp_server: SmtpServer,
) -> None:
    # given: a reset e-mail delivered
    await register(shopper)
    customer_id, hash_ = await _hash(shopper, runtime, clock, smtp_server)
    # then: the outbox keeps who, what and when, but no trace of the link, which still works
    [sent] = await outbox_rows(runtime)
    assert (sent["status"], sent["recipient"], sent["subject"]) == (
        "sent", EMAIL, "Reset your password")
    assert sent["sent_at"] is not None
    assert hash_ not in repr(sent)
    assert (await shopper.gql(VERIFY, {"i": hash_, "id": customer_id}))[
        "verifyResetPasswordHashes"]["valid"] is True

    # given: a reset e-mail waiting while the server refuses its recipient for good
    await register(Shopper(http, credentials), email="refused@example.com")
    smtp_server.refuse_recipients = "550 5.1.1 No such user"
    assert await request(shopper, email="refused@example.com") == []
    assert await password_reset.process_requests(runtime) == 1
    waiting = (await outbox_rows(runtime))[-1]
    refused_hash = parse_qs(urlsplit(re.search(r"https://\S+", waiting["text_body"]).group(0)
                                     ).query)["i"][0]
    # when: delivery fails for good
    assert await deliver(runtime, clock) == (0, 1)
    # then: the link it held is gone too
    failed = (await outbox_rows(runtime))[-1]
    assert (failed["id"], failed["status"]) == (waiting["id"], "failed")
    assert refused_hash not in repr(failed)
    assert failed["last_error"] and "550" in failed["last_error"]
