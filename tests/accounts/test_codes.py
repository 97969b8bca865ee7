"""The machine codes of customer account userErrors, over HTTP, and the pure account rules
that produce them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dtc_api.access import clients
from dtc_api.access.clients import ClientCredentials
from dtc_api.accounts import password_reset, profile
from dtc_api.accounts.passwords import PasswordPolicy
from dtc_api.clock import SteppableClock
from dtc_api.core.errors import Code, DomainError
from dtc_api.store import tables as t
from tests import support
from tests.support import PASSWORD, Shopper

NEW_PASSWORD = "brand new passphrase here"
REGISTER = """
mutation($input: CustomerRegisterInput!) {
  registerCustomer(input: $input) { loggedIn { id } userErrors { code path } }
}
"""
LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { loggedIn { id } userErrors { code path } }
}
"""
UPDATE = """
mutation($input: CustomerUpdateInput!) {
  updateCustomer(input: $input) { userErrors { code path } }
}
"""
REQUEST = """
mutation($email: String!, $url: String!) {
  resetPasswordEmail(email: $email, url: $url) { userErrors { code path } }
  requestPasswordResetEmail(email: $email, resetPasswordExternalUrl: $url) {
    userErrors { code path }
  }
}
"""
RESET = """
mutation($password: String!, $confirm: String) {
  resetPassword(i: "241279e9ca655ab039c49d0032ed13ce", id: "125", password: $password,
                confirmPassword: $confirm, loginOnSuccess: false) {
    changed userErrors { code path }
  }
}
"""
WISHLIST = """
mutation($item: Int!, $list: Int) {
  addWishlistItem(displayItemId: $item, wishlistId: $list) { userErrors { code path } }
}
"""


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["path"]) for e in payload["userErrors"]]


async def register(shopper: Shopper, email: str = "daniel@example.com", **fields: Any
                   ) -> dict[str, Any]:
    data = support.registration(email, **fields)
    return (await shopper.gql(REGISTER, {"input": data}))["registerCustomer"]  # type: ignore[no-any-return]


async def login(shopper: Shopper, email: str = "daniel@example.com",
                password: str = PASSWORD) -> dict[str, Any]:
    return (await shopper.gql(LOGIN, {"email": email, "password": password}))["login"]  # type: ignore[no-any-return]


async def client(runtime: Any, clock: SteppableClock, name: str, **settings: Any
                 ) -> ClientCredentials:
    async with runtime.db.write() as conn:
        return await clients.create(conn, name, clock.now(), default_country_code="SE",
                                    frontend_url="https://shop.example", **settings)


# --- registerCustomer ------------------------------------------------------------------------

BILLING = ["registerCustomer", "input", "billingAddress"]


@pytest.mark.parametrize(("fields", "expected"), [
    ({"password": "short"}, [(Code.WEAK_PASSWORD, ["registerCustomer", "input", "password"])]),
    ({"address": {"email": "not-an-email"}}, [(Code.INVALID_EMAIL, [*BILLING, "email"])]),
    ({"address": {"email": "x" * 244 + "@centra.com"}},
     [(Code.INVALID_EMAIL, [*BILLING, "email"])]),
    ({"address": {"country": "XX"}}, [(Code.UNKNOWN_COUNTRY, [*BILLING, "country"])]),
    ({"address": {"country": "SWE"}}, [(Code.INVALID_INPUT, [*BILLING, "country"])]),
    ({"address": {"firstName": "  "}}, [(Code.REQUIRED, [*BILLING, "firstName"])]),
    ({"address": {"state": "XX"}}, [(Code.UNKNOWN_STATE, [*BILLING, "state"])]),
])
async def test_register_refusals_have_codes(shopper: Shopper, fields: dict[str, Any],
                                            expected: list[tuple[str, list[str]]]) -> None:
    payload = await register(shopper, **fields)
    assert payload["loggedIn"] is None
    assert codes(payload) == expected


async def test_register_an_existing_email_is_already_exists(shopper: Shopper) -> None:
    assert (await register(shopper))["userErrors"] == []
    payload = await register(shopper, "DANIEL@example.com")
    assert codes(payload) == [(Code.ALREADY_EXISTS, [*BILLING, "email"])]


async def test_register_over_the_limit_is_rate_limited(
    http: httpx.AsyncClient, runtime: Any, clock: SteppableClock
) -> None:
    credentials = await client(runtime, clock, "one-a-shop",
                               rate_limits={"registrationsPerIpPerHour": 1})
    assert (await register(Shopper(http, credentials)))["userErrors"] == []
    payload = await register(Shopper(http, credentials), "other@example.com")
    assert codes(payload) == [(Code.RATE_LIMITED, ["registerCustomer"])]


# --- login -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("email", "password"), [
    ("daniel@example.com", "not the password at all"),
    ("nobody@example.com", PASSWORD),
])
async def test_login_wrong_credentials(shopper: Shopper, email: str, password: str) -> None:
    await register(shopper)
    assert codes(await login(shopper, email, password)) == [
        (Code.WRONG_CREDENTIALS, ["login"])]


async def test_login_blocked(shopper: Shopper, runtime: Any) -> None:
    await register(shopper)
    async with runtime.db.write() as conn:
        await conn.execute(sa.update(t.customers).values(login_blocked=True))
    assert codes(await login(shopper)) == [(Code.LOGIN_BLOCKED, ["login"])]


async def test_login_over_the_address_limit_is_rate_limited(
    http: httpx.AsyncClient, runtime: Any, clock: SteppableClock
) -> None:
    credentials = await client(runtime, clock, "one-login-shop",
                               rate_limits={"loginPerIpPerMinute": 1})
    shopper = Shopper(http, credentials)
    assert codes(await login(shopper)) == [(Code.WRONG_CREDENTIALS, ["login"])]
    assert codes(await login(shopper)) == [(Code.RATE_LIMITED, ["login"])]


async def test_login_backoff_is_rate_limited(shopper: Shopper) -> None:
    await register(shopper)
    for _ in range(5):  # the free failures
        assert codes(await login(shopper, password="not the password at all")) == [
            (Code.WRONG_CREDENTIALS, ["login"])]
    assert codes(await login(shopper)) == [(Code.RATE_LIMITED, ["login"])]


# --- updateCustomer --------------------------------------------------------------------------

OLD = ["updateCustomer", "input", "oldPassword"]


async def update(shopper: Shopper, **data: Any) -> list[tuple[str, list[str]]]:
    return codes((await shopper.gql(UPDATE, {"input": data}))["updateCustomer"])


async def test_update_refusals_have_codes(shopper: Shopper) -> None:
    await register(shopper, login=True)
    assert await update(shopper, password=NEW_PASSWORD, oldPassword="wrong password") == [
        (Code.WRONG_PASSWORD, OLD)]
    assert await update(shopper, oldPassword=PASSWORD) == [(Code.INVALID_INPUT, OLD)]
    assert await update(shopper, password="short") == [
        (Code.WEAK_PASSWORD, ["updateCustomer", "input", "password"])]
    assert await update(shopper, billingAddress={"email": "nope"}) == [
        (Code.INVALID_EMAIL, ["updateCustomer", "input", "billingAddress", "email"])]
    assert await update(shopper, customAttributes={"dynamicAttributes": [{
        "attributeTypeName": "no-such-type", "attributeElementKey": "k",
        "attributeElementValue": "v"}]}) == [
        (Code.NOT_FOUND, ["updateCustomer", "input", "customAttributes", "dynamicAttributes",
                          "0", "attributeTypeName"])]


async def test_update_email_of_another_account_already_exists(shopper: Shopper,
                                                              http: httpx.AsyncClient,
                                                              credentials: ClientCredentials
                                                              ) -> None:
    await register(Shopper(http, credentials), "taken@example.com")
    await register(shopper, login=True)
    assert await update(shopper, billingAddress={"email": "Taken@example.com"}) == [
        (Code.ALREADY_EXISTS, ["updateCustomer", "input", "billingAddress", "email"])]


async def test_update_without_the_required_old_password(
    http: httpx.AsyncClient, runtime: Any, clock: SteppableClock
) -> None:
    shopper = Shopper(http, await client(runtime, clock, "strict", require_old_password=True))
    await register(shopper, login=True)
    assert await update(shopper, password=NEW_PASSWORD) == [(Code.REQUIRED, OLD)]


async def test_guessing_the_old_password_is_rate_limited(shopper: Shopper) -> None:
    await register(shopper, login=True)
    for _ in range(5):
        assert await update(shopper, password=NEW_PASSWORD, oldPassword="wrong password") == [
            (Code.WRONG_PASSWORD, OLD)]
    assert await update(shopper, password=NEW_PASSWORD, oldPassword=PASSWORD) == [
        (Code.RATE_LIMITED, OLD)]


async def test_wishlist_refusal_has_a_code(shopper: Shopper) -> None:
    await register(shopper, login=True)
    payload = (await shopper.gql(WISHLIST, {"item": 999999}))["addWishlistItem"]
    assert codes(payload) == [(Code.NOT_FOUND, ["addWishlistItem", "displayItemId"])]


# --- the forgotten password ------------------------------------------------------------------

async def test_a_bad_reset_url_keeps_its_code_under_both_names(shopper: Shopper) -> None:
    answer = await shopper.gql(REQUEST, {"email": "a@example.com", "url": "https://evil/"})
    assert codes(answer["resetPasswordEmail"]) == [
        (Code.INVALID_INPUT, ["resetPasswordEmail", "url"])]
    assert codes(answer["requestPasswordResetEmail"]) == [
        (Code.INVALID_INPUT, ["requestPasswordResetEmail", "resetPasswordExternalUrl"])]


async def test_a_client_without_frontend_url_is_not_configured(
    http: httpx.AsyncClient, runtime: Any, clock: SteppableClock
) -> None:
    async with runtime.db.write() as conn:
        credentials = await clients.create(conn, "no-frontend", clock.now(),
                                           default_country_code="SE")
    answer = await Shopper(http, credentials).gql(
        REQUEST, {"email": "a@example.com", "url": "customer/reset"})
    assert codes(answer["resetPasswordEmail"]) == [
        (Code.NOT_CONFIGURED, ["resetPasswordEmail", "url"])]


async def test_reset_refusals_have_codes(shopper: Shopper) -> None:
    payload = (await shopper.gql(RESET, {"password": NEW_PASSWORD, "confirm": "other"})
               )["resetPassword"]
    assert payload["changed"] is False
    assert codes(payload) == [(Code.INVALID_LINK, ["resetPassword", "i"]),
                              (Code.PASSWORD_MISMATCH, ["resetPassword", "confirmPassword"])]


# --- pure rules ------------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "email"), [
    ("short", None),
    ("x" * 257, None),
    ("daniel@example.com", "Daniel@Example.com"),
    ("password1", None),  # among the most common
])
def test_password_policy_problems_are_weak_password(password: str, email: str | None) -> None:
    [problem] = PasswordPolicy().problems(password, email, ("password",))
    assert (problem.code, problem.path) == (Code.WEAK_PASSWORD, ("password",))


def test_a_good_password_has_no_problems() -> None:
    assert PasswordPolicy().problems(NEW_PASSWORD, "daniel@example.com", ("password",)) == []


@pytest.mark.parametrize(("typed", "key"), [
    ("  Daniel@Example.COM ", "daniel@example.com"),
    ("daniel@EXAMPLE.com", "daniel@example.com"),
    ("not an address", "not an address"),
    ("x" * 400, "x" * profile.MAX_TYPED_EMAIL),  # only the start of very long input counts
])
def test_login_key(typed: str, key: str) -> None:
    assert profile.login_key(typed) == key


class Places:
    """Just enough geography for the address rules."""

    def __init__(self) -> None:
        self.countries = {"SE": {"ship_to": True}, "US": {"ship_to": True}}
        self.states = {"US": [{"code": "NY", "name": "New York"}]}

    def state(self, country: str, state: str | None) -> dict[str, Any] | None:
        found = [s for s in self.states.get(country, []) if s["code"] == state]
        return found[0] if found else None


@pytest.mark.parametrize(("data", "code", "field"), [
    ({"country": "XX"}, Code.UNKNOWN_COUNTRY, "country"),
    ({"country": "US", "state": "ZZ"}, Code.UNKNOWN_STATE, "state"),
    ({"country": "SE", "state": "NY"}, Code.UNKNOWN_STATE, "state"),  # SE has no states
    ({"email": "nope"}, Code.INVALID_EMAIL, "email"),
    ({"email": ""}, Code.REQUIRED, "email"),
    ({"zipCode": "1" * 31}, Code.INVALID_INPUT, "zipCode"),
])
def test_address_errors(data: dict[str, Any], code: str, field: str) -> None:
    changes = profile.address(Places(), data, ("a",), register=False)  # type: ignore[arg-type]
    assert [(e.code, e.path) for e in changes.errors] == [(code, ("a", field))]


def test_address_normalises_the_email_and_its_key() -> None:
    changes = profile.address(Places(), {"email": " Daniel@EXAMPLE.com ", "country": "us",  # type: ignore[arg-type]
                                         "state": "NY"}, ("a",), register=False)
    assert changes.errors == []
    assert changes.columns == {"email": "Daniel@example.com", "email_key": "daniel@example.com",
                               "country_code": "US", "state_code": "NY"}


def test_a_state_is_optional_in_an_address() -> None:
    changes = profile.address(Places(), {"country": "US"}, ("a",), register=False)  # type: ignore[arg-type]
    assert changes.errors == []
    assert changes.columns == {"country_code": "US", "state_code": None}


def test_registration_requires_the_name_email_and_country() -> None:
    changes = profile.address(Places(), {}, ("a",), register=True)  # type: ignore[arg-type]
    assert {(e.code, e.path[-1]) for e in changes.errors} == {
        (Code.REQUIRED, name) for name in profile.REQUIRED_ON_REGISTER}


@pytest.mark.parametrize(("password", "confirm", "expected"), [
    ("short", None, [Code.WEAK_PASSWORD]),
    (NEW_PASSWORD, "other", [Code.PASSWORD_MISMATCH]),
    ("short", "other", [Code.PASSWORD_MISMATCH, Code.WEAK_PASSWORD]),
])
def test_reset_new_password_checks(password: str, confirm: str | None,
                                   expected: list[str]) -> None:
    customer = {"id": 1, "email": "daniel@example.com"}
    with pytest.raises(DomainError) as refused:
        password_reset.check_new_password(PasswordPolicy(), customer, password, confirm)
    assert [e.code for e in refused.value.errors] == expected


def test_reset_without_a_customer_is_an_invalid_link() -> None:
    with pytest.raises(DomainError) as refused:
        password_reset.check_new_password(PasswordPolicy(), None, NEW_PASSWORD, None)
    assert [(e.code, e.path) for e in refused.value.errors] == [(Code.INVALID_LINK, ("i",))]


def test_a_valid_reset_returns_the_customer() -> None:
    customer = {"id": 1, "email": "daniel@example.com"}
    assert password_reset.check_new_password(
        PasswordPolicy(), customer, NEW_PASSWORD, NEW_PASSWORD) is customer


@pytest.mark.parametrize("raw", ["12", "0012"])
def test_reset_link_customer_id(raw: str) -> None:
    assert password_reset.customer_id(raw) == int(raw)


@pytest.mark.parametrize("raw", ["", "-1", "1e3", "١٢", "1234567890"])
def test_reset_link_customer_id_refused(raw: str) -> None:
    assert password_reset.customer_id(raw) is None
