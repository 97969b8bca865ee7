"""registerCustomer, login, logout, updateCustomer and the customer query, over HTTP."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import argon2
import httpx
import pytest
import sqlalchemy as sa

from dtc_api.access import clients
from dtc_api.access.clients import ClientCredentials
from dtc_api.accounts import view
from dtc_api.accounts.passwords import Hasher
from dtc_api.clock import SteppableClock
from dtc_api.config import Settings
from dtc_api.orders import orders
from dtc_api.orders.orders import OrderLine
from dtc_api.shop import wishlists
from dtc_api.store import tables as t
from dtc_api.store.reads import PostgresReads, _one_by_one
from tests import fragments, support
from tests.support import PASSWORD, Shopper, post_as

NEW_PASSWORD = "brand new passphrase here"
WRONG_CREDENTIALS = [{"message": "wrong e-mail or password", "path": ["login"]}]
OLD_PASSWORD_ALONE = {"message": "oldPassword is only accepted with a new password",
                      "path": ["updateCustomer", "input", "oldPassword"]}

CUSTOMER_FIELDS = """
  id email firstName lastName phoneNumber cellPhoneNumber gender
  language { code }
  billingAddress {
    email firstName lastName address1 address2 city zipCode phoneNumber cellPhoneNumber
    companyName vatNumber stateOrProvince
    country { code }
    state { code }
  }
  attributes {
    type { name }
    elements { key ... on AttributeStringElement { value } }
    ... on MappedAttribute { id }
  }
"""
SELECTION_FIELDS = "id lines { item { id } quantity }"
REGISTER = f"""
mutation($input: CustomerRegisterInput!) {{
  registerCustomer(input: $input) {{
    loggedIn {{ {CUSTOMER_FIELDS} }}
    userErrors {{ message path }}
  }}
}}
"""
LOGIN = f"""
mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{
    loggedIn {{ id email }}
    session {{ loggedIn {{ id }} country {{ code }} pricelist {{ currency {{ code }} }} }}
    selection {{ {SELECTION_FIELDS} }}
    userErrors {{ message path }}
  }}
}}
"""
LOGOUT = f"""
mutation {{
  logout {{
    session {{ loggedIn {{ id }} country {{ code }} }}
    selection {{ {SELECTION_FIELDS} }}
  }}
}}
"""
UPDATE = f"""
mutation($input: CustomerUpdateInput!) {{
  updateCustomer(input: $input) {{
    customer {{ {CUSTOMER_FIELDS} }}
    userErrors {{ message path }}
  }}
}}
"""
CUSTOMER = f"{{ customer {{ {CUSTOMER_FIELDS} }} }}"
SESSION = "{ session { loggedIn { id email } language { code } } }"
ADD_ITEM = f"""
mutation($item: String!) {{
  addItem(item: $item, quantity: 1) {{
    selection {{ {SELECTION_FIELDS} }}
    userErrors {{ message }}
  }}
}}
"""
SELECTION = f"{{ selection {{ {SELECTION_FIELDS} }} }}"
SET_COUNTRY = """
mutation($country: String!) {
  setCountryState(countryCode: $country) { userErrors { message } }
}
"""


def register_input(email: str = "daniel@example.com", *, login: bool = True,
                   **extra: Any) -> dict[str, Any]:
    return support.registration(email, login=login, **extra)


async def register_payload(shopper: Shopper, email: str = "daniel@example.com", *,
                           login: bool = True, **extra: Any) -> dict[str, Any]:
    return (await shopper.gql(REGISTER, {"input": register_input(email, login=login, **extra)})  # type: ignore[no-any-return]
            )["registerCustomer"]


async def register(shopper: Shopper, email: str = "daniel@example.com", *, login: bool = True,
                   **extra: Any) -> dict[str, Any] | None:
    payload = await register_payload(shopper, email, login=login, **extra)
    assert payload["userErrors"] == []
    return payload["loggedIn"]  # type: ignore[no-any-return]


async def login(shopper: Shopper, email: str = "daniel@example.com",
                password: str = PASSWORD) -> dict[str, Any]:
    return (await shopper.gql(LOGIN, {"email": email, "password": password}))["login"]  # type: ignore[no-any-return]


async def logout(shopper: Shopper) -> dict[str, Any]:
    return (await shopper.gql(LOGOUT))["logout"]  # type: ignore[no-any-return]


async def update(shopper: Shopper, **input_: Any) -> dict[str, Any]:
    return (await shopper.gql(UPDATE, {"input": input_}))["updateCustomer"]  # type: ignore[no-any-return]


async def add_item(shopper: Shopper, item: str) -> dict[str, Any]:
    payload = (await shopper.gql(ADD_ITEM, {"item": item}))["addItem"]
    assert payload["userErrors"] == []
    return payload["selection"]  # type: ignore[no-any-return]


def lines(selection: dict[str, Any]) -> list[tuple[str, int]]:
    return [(line["item"]["id"], line["quantity"]) for line in selection["lines"]]


async def unauthorized(http: httpx.AsyncClient, token: str) -> bool:
    response = await post_as(http, token, {"query": "{ session { loggedIn { id } } }"})
    return response.json() == {"errors": [{"message": "Unauthorized"}]}  # type: ignore[no-any-return]


async def make_client(runtime: Any, clock: SteppableClock, name: str, **settings: Any
                      ) -> ClientCredentials:
    async with runtime.db.write() as conn:
        return await clients.create(conn, name, clock.now(), default_country_code="SE",
                                    **settings)


def attributes(customer: dict[str, Any]) -> dict[str, Any]:
    return {
        a["type"]["name"]: (a.get("id"), {e["key"]: e["value"] for e in a["elements"]})
        for a in customer["attributes"]
    }


# --- registration --------------------------------------------------------------------------


async def test_register_without_login_keeps_the_guest_session(shopper: Shopper) -> None:
    guest_token = (await shopper.raw(SESSION))["extensions"]["token"]
    answer = await shopper.raw(REGISTER, {"input": register_input(login=False)})
    assert "errors" not in answer, answer
    assert answer["data"]["registerCustomer"] == {"loggedIn": None, "userErrors": []}
    assert answer["extensions"]["token"] == guest_token  # no change of privilege, no rotation
    assert (await shopper.gql(SESSION))["session"]["loggedIn"] is None
    assert (await shopper.gql(CUSTOMER))["customer"] is None
    assert shopper.token == guest_token

    payload = await login(shopper)
    assert payload["userErrors"] == []
    assert payload["loggedIn"]["email"] == "daniel@example.com"
    assert payload["session"]["loggedIn"] == {"id": payload["loggedIn"]["id"]}
    assert shopper.token != guest_token


async def test_register_with_login_rotates_the_token_and_takes_the_session_language(
    shopper: Shopper, http: httpx.AsyncClient
) -> None:
    answer = await shopper.gql(
        'mutation { setLanguage(code: "sv") { session { language { code } } } }')
    assert answer["setLanguage"]["session"]["language"] == {"code": "sv"}
    guest_token = shopper.token
    customer = await register(shopper)
    assert customer is not None
    assert customer["language"] == {"code": "sv"}
    assert shopper.token != guest_token
    assert await unauthorized(http, guest_token)
    session = (await shopper.gql(SESSION))["session"]
    assert session["loggedIn"] == {"id": customer["id"], "email": "daniel@example.com"}
    assert session["language"] == {"code": "sv"}
    assert (await shopper.gql(CUSTOMER))["customer"]["language"] == {"code": "sv"}


async def test_consents_are_stored_as_records(
    shopper: Shopper, runtime: Any, clock: SteppableClock
) -> None:
    clock.advance(hours=3)
    registered_at = clock.now()
    customer = await register(shopper, consents=[
        {"key": "newsletter", "name": "Newsletter", "version": "2", "data": "<p>Yes</p>",
         "consented": True, "languageCode": "de"},
        {"key": "terms", "name": "Terms and conditions", "version": "1.0",
         "data": '{"url": "https://shop.example/terms"}', "consented": False},
    ])
    assert customer is not None
    clock.advance(days=2)
    payload = await update(shopper, consents=[
        {"key": "newsletter", "name": "Newsletter", "version": "3", "data": "No more",
         "consented": False},
    ])
    assert payload["userErrors"] == []

    consents = t.customer_consents
    async with runtime.db.read() as conn:
        rows = (await conn.execute(
            sa.select(consents.c.customer_id, consents.c.key, consents.c.name,
                      consents.c.version, consents.c.data, consents.c.consented,
                      consents.c.language_code, consents.c.created_at)
            .order_by(consents.c.id))).all()
    cid = customer["id"]
    assert [tuple(row) for row in rows] == [
        (cid, "newsletter", "Newsletter", "2", "<p>Yes</p>", True, "de", registered_at),
        (cid, "terms", "Terms and conditions", "1.0", '{"url": "https://shop.example/terms"}',
         False, "en", registered_at),
        (cid, "newsletter", "Newsletter", "3", "No more", False, "en", clock.now()),
    ]


async def test_email_of_a_non_registered_customer_may_register_separately(
    shopper: Shopper, runtime: Any, clock: SteppableClock
) -> None:
    guest_id = await insert_customer(runtime, clock, "guest@example.com", registered=False,
                                     password_hash=None)
    customer = await register(shopper, "guest@example.com")
    assert customer is not None
    assert customer["id"] != guest_id
    async with runtime.db.read() as conn:
        rows = (await conn.execute(
            sa.select(t.customers.c.id, t.customers.c.registered)
            .where(t.customers.c.email_key == "guest@example.com")
            .order_by(t.customers.c.id))).all()
    assert [tuple(row) for row in rows] == [(guest_id, False), (customer["id"], True)]


# --- login / logout --------------------------------------------------------------------------


async def test_login_keeps_the_guest_selection_and_country(
    shopper: Shopper, http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    await register(Shopper(http, credentials), login=False)
    before = await add_item(shopper, "1-1")
    assert (await shopper.gql(SET_COUNTRY, {"country": "DE"}))["setCountryState"][
        "userErrors"] == []

    payload = await login(shopper)
    assert payload["userErrors"] == []
    assert payload["selection"]["id"] == before["id"]
    assert lines(payload["selection"]) == [("1-1", 1)]
    assert payload["session"]["country"] == {"code": "DE"}
    assert payload["session"]["pricelist"] == {"currency": {"code": "EUR"}}
    assert payload["session"]["loggedIn"] == {"id": payload["loggedIn"]["id"]}
    assert lines((await shopper.gql(SELECTION))["selection"]) == [("1-1", 1)]


async def test_login_merges_the_selection_saved_at_logout(
    shopper: Shopper, http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    await register(shopper, login=False)
    assert (await login(shopper))["userErrors"] == []
    await add_item(shopper, "2-1")
    out = await logout(shopper)
    # The storefront client does not retain the session: the selection leaves with the customer.
    assert out["selection"] == {"id": None, "lines": []}
    assert (await shopper.gql(SELECTION))["selection"] == {"id": None, "lines": []}

    guest = Shopper(http, credentials)
    await add_item(guest, "1-1")
    await add_item(guest, "2-1")
    payload = await login(guest)
    assert payload["userErrors"] == []
    assert lines(payload["selection"]) == [("1-1", 1), ("2-1", 2)]
    assert lines((await guest.gql(SELECTION))["selection"]) == [("1-1", 1), ("2-1", 2)]


async def test_logout_of_a_second_device_keeps_the_saved_selection(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    """Logged in on two devices: the selection the first one left at logout must not be
    dropped when the second one (with an empty selection) logs out too."""
    await register(Shopper(http, credentials), login=False)
    phone, laptop = Shopper(http, credentials), Shopper(http, credentials)
    assert (await login(phone))["userErrors"] == []
    assert (await login(laptop))["userErrors"] == []
    await add_item(phone, "2-1")
    assert (await logout(phone))["selection"] == {"id": None, "lines": []}
    assert (await logout(laptop))["selection"] == {"id": None, "lines": []}

    later = Shopper(http, credentials)
    payload = await login(later)
    assert payload["userErrors"] == []
    assert lines(payload["selection"]) == [("2-1", 1)]


async def test_login_does_not_revive_an_expired_guest_selection(
    shopper: Shopper, http: httpx.AsyncClient, credentials: ClientCredentials,
    runtime: Any, clock: SteppableClock
) -> None:
    await add_item(shopper, "1-1")
    clock.advance(seconds=runtime.settings.selection_ttl + 3600)
    assert (await shopper.gql(SELECTION))["selection"] == {"id": None, "lines": []}

    other = Shopper(http, credentials)
    await register(other)
    await add_item(other, "2-1")
    await logout(other)  # the storefront client does not retain: the selection is saved

    payload = await login(shopper)
    assert payload["userErrors"] == []
    assert lines(payload["selection"]) == [("2-1", 1)]
    assert lines((await shopper.gql(SELECTION))["selection"]) == [("2-1", 1)]


@pytest.mark.parametrize("retain", [True, False], ids=["retain", "no-retain"])
async def test_logout_follows_the_retain_session_setting(
    retain: bool, http: httpx.AsyncClient, runtime: Any, clock: SteppableClock
) -> None:
    shopper = Shopper(http, await make_client(runtime, clock, "other-shop",
                                              retain_session_after_logout=retain))
    await register(shopper)
    selection = await add_item(shopper, "1-1")
    logged_in_token = shopper.token

    out = await logout(shopper)
    assert out["session"]["loggedIn"] is None
    assert out["session"]["country"] == {"code": "SE"}
    assert shopper.token != logged_in_token
    assert await unauthorized(http, logged_in_token)
    expected = ({"id": selection["id"], "lines": [{"item": {"id": "1-1"}, "quantity": 1}]}
                if retain else {"id": None, "lines": []})
    assert out["selection"] == expected
    assert (await shopper.gql(SELECTION))["selection"] == expected
    assert (await shopper.gql(SESSION))["session"]["loggedIn"] is None


async def test_login_rehashes_a_hash_with_other_parameters(
    shopper: Shopper, runtime: Any, clock: SteppableClock
) -> None:
    old_hash = argon2.PasswordHasher(time_cost=1, memory_cost=2048, parallelism=1).hash(PASSWORD)
    assert hash_parameters(old_hash) == "m=2048,t=1,p=1"
    customer_id = await insert_customer(runtime, clock, "daniel@example.com",
                                        registered=True, password_hash=old_hash)
    settings = runtime.settings
    current = (f"m={settings.argon2_memory_kib},t={settings.argon2_time_cost},"
               f"p={settings.argon2_parallelism}")
    assert current != "m=2048,t=1,p=1"

    payload = await login(shopper)
    assert payload["userErrors"] == []
    assert payload["loggedIn"]["id"] == customer_id
    stored = await stored_hash(runtime, customer_id)
    assert stored != old_hash
    assert hash_parameters(stored) == current

    await logout(shopper)
    assert (await login(shopper))["userErrors"] == []
    assert await stored_hash(runtime, customer_id) == stored  # no further rehash


async def test_login_rehashes_after_the_cost_settings_change(
    shopper: Shopper, runtime: Any
) -> None:
    customer = await register(shopper)
    assert customer is not None
    await logout(shopper)
    before = await stored_hash(runtime, customer["id"])
    runtime.hasher = Hasher(memory_kib=2048, time_cost=2, parallelism=1, concurrency=2)
    assert hash_parameters(before) != "m=2048,t=2,p=1"

    assert (await login(shopper))["userErrors"] == []
    assert hash_parameters(await stored_hash(runtime, customer["id"])) == "m=2048,t=2,p=1"
    await logout(shopper)
    assert (await login(shopper))["userErrors"] == []


async def test_a_non_registered_customer_cannot_log_in(
    shopper: Shopper, runtime: Any, clock: SteppableClock
) -> None:
    await insert_customer(runtime, clock, "guest@example.com", registered=False,
                          password_hash=None)
    payload = await login(shopper, "guest@example.com")
    assert payload["userErrors"] == WRONG_CREDENTIALS
    assert payload["loggedIn"] is None
    assert payload["session"]["loggedIn"] is None
    # The same answer as for an address nobody has.
    assert (await login(shopper, "nobody@example.com"))["userErrors"] == WRONG_CREDENTIALS


# --- updateCustomer --------------------------------------------------------------------------


async def test_update_billing_address_subset_leaves_the_rest(shopper: Shopper) -> None:
    registered = await register(shopper, address={
        "address1": "Storgatan 1", "address2": "3 tr", "city": "Stockholm", "zipCode": "111 22",
        "phoneNumber": "+46 8 123 45", "cellPhoneNumber": "+46 70 123 45",
        "companyName": "Ford AB", "vatNumber": "SE556000000001",
    })
    assert registered is not None
    payload = await update(shopper, billingAddress={"city": "Göteborg"})
    assert payload["userErrors"] == []
    customer = payload["customer"]
    assert customer["billingAddress"] == {**registered["billingAddress"], "city": "Göteborg"}
    assert {k: v for k, v in customer.items() if k != "billingAddress"} == {
        k: v for k, v in registered.items() if k != "billingAddress"}
    assert (await shopper.gql(CUSTOMER))["customer"] == customer


async def test_update_email_changes_the_login_email(shopper: Shopper) -> None:
    await register(shopper)
    payload = await update(shopper, billingAddress={"email": "daniel.ford@example.org"})
    assert payload["userErrors"] == []
    assert payload["customer"]["email"] == "daniel.ford@example.org"
    assert payload["customer"]["billingAddress"]["email"] == "daniel.ford@example.org"
    await logout(shopper)

    assert (await login(shopper, "daniel@example.com"))["userErrors"] == WRONG_CREDENTIALS
    payload = await login(shopper, "daniel.ford@example.org")
    assert payload["userErrors"] == []
    assert payload["loggedIn"]["email"] == "daniel.ford@example.org"


@pytest.mark.parametrize("taken", ["other@example.com", "Other@EXAMPLE.com"])
async def test_update_email_to_another_account_is_a_user_error(
    taken: str, shopper: Shopper, http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    await register(Shopper(http, credentials), "other@example.com", login=False)
    await register(shopper)
    payload = await update(shopper, billingAddress={"email": taken, "city": "Malmö"})
    assert payload["userErrors"] == [{
        "message": "an account with this e-mail address exists already",
        "path": ["updateCustomer", "input", "billingAddress", "email"],
    }]
    assert payload["customer"]["email"] == "daniel@example.com"
    assert payload["customer"]["billingAddress"]["city"] is None
    await logout(shopper)
    assert (await login(shopper, "daniel@example.com"))["userErrors"] == []


async def test_update_invalid_email_is_a_user_error(shopper: Shopper) -> None:
    await register(shopper)
    payload = await update(shopper, billingAddress={"email": "not an e-mail", "city": "Malmö"})
    [error] = payload["userErrors"]
    assert error["path"] == ["updateCustomer", "input", "billingAddress", "email"]
    assert error["message"].startswith("invalid e-mail address")
    # Nothing of the refused update was applied.
    customer = (await shopper.gql(CUSTOMER))["customer"]
    assert customer["email"] == "daniel@example.com"
    assert customer["billingAddress"]["city"] is None


async def test_password_change_revokes_every_other_session(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    await register(Shopper(http, credentials), login=False)
    changing, other = Shopper(http, credentials), Shopper(http, credentials)
    assert (await login(changing))["userErrors"] == []
    assert (await login(other))["userErrors"] == []
    before, other_token = changing.token, other.token

    answer = await changing.raw(UPDATE, {"input": {"password": NEW_PASSWORD}})
    assert "errors" not in answer, answer
    assert answer["data"]["updateCustomer"]["userErrors"] == []
    assert answer["extensions"]["token"] != before
    assert changing.token == answer["extensions"]["token"]

    assert await unauthorized(http, other_token)
    assert await unauthorized(http, before)
    session = (await changing.gql(SESSION))["session"]
    assert session["loggedIn"]["email"] == "daniel@example.com"
    assert (await changing.gql(CUSTOMER))["customer"]["email"] == "daniel@example.com"

    fresh = Shopper(http, credentials)
    assert (await login(fresh))["userErrors"] == WRONG_CREDENTIALS
    assert (await login(fresh, password=NEW_PASSWORD))["userErrors"] == []


async def test_password_change_with_a_client_requiring_the_old_password(
    http: httpx.AsyncClient, runtime: Any, clock: SteppableClock
) -> None:
    shopper = Shopper(http, await make_client(runtime, clock, "strict-shop",
                                              retain_session_after_logout=True,
                                              require_old_password=True))
    await register(shopper)
    token = shopper.token

    payload = await update(shopper, password=NEW_PASSWORD)
    assert payload["userErrors"] == [{
        "message": "oldPassword is required to change the password",
        "path": ["updateCustomer", "input", "oldPassword"],
    }]
    payload = await update(shopper, password=NEW_PASSWORD, oldPassword="wrong password entirely")
    assert payload["userErrors"] == [{
        "message": "oldPassword is wrong", "path": ["updateCustomer", "input", "oldPassword"]}]
    assert shopper.token == token  # refused: nothing changed, no rotation

    payload = await update(shopper, password=NEW_PASSWORD, oldPassword=PASSWORD)
    assert payload["userErrors"] == []
    assert shopper.token != token
    await logout(shopper)
    assert (await login(shopper))["userErrors"] == WRONG_CREDENTIALS
    assert (await login(shopper, password=NEW_PASSWORD))["userErrors"] == []


async def test_old_password_alone_is_a_user_error_and_checks_nothing(
    shopper: Shopper, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register(shopper)
    checked: list[str] = []
    original = runtime.hasher.verify

    async def verify(stored: str | None, password: str) -> bool:
        checked.append(password)
        return bool(await original(stored, password))

    monkeypatch.setattr(runtime.hasher, "verify", verify)
    for old in (PASSWORD, "wrong password entirely"):
        payload = await update(shopper, oldPassword=old, billingAddress={"city": "Malmö"})
        assert payload["userErrors"] == [OLD_PASSWORD_ALONE]
    assert checked == []
    customer = (await shopper.gql(CUSTOMER))["customer"]
    assert customer["billingAddress"]["city"] is None  # nothing of the update was applied


async def test_old_password_guesses_are_throttled_and_cannot_clear_their_count(
    http: httpx.AsyncClient, credentials: ClientCredentials, clock: SteppableClock
) -> None:
    # Given a stolen session guessing the current password through updateCustomer, and
    # sending an oldPassword without a new password between guesses to clear the count ...
    shopper = Shopper(http, credentials)
    await register(shopper)
    told = []
    for guess in range(24):
        payload = await update(shopper, password=NEW_PASSWORD, oldPassword=f"guess {guess:03}")
        told.append([e["message"] for e in payload["userErrors"]])
        assert (await update(shopper, oldPassword="x"))["userErrors"] == [OLD_PASSWORD_ALONE]
    # ... only five guesses are checked; the others wait, as at login.
    assert told == [["oldPassword is wrong"]] * 5 + [
        ["too many failed password attempts: try again in 1 second"]] * 19

    # A login with the wrong password, from the same address, shares the count.
    clock.advance(seconds=1)
    assert (await login(Shopper(http, credentials), password="wrong password")
            )["userErrors"] == WRONG_CREDENTIALS
    assert (await update(shopper, password=NEW_PASSWORD, oldPassword=PASSWORD))["userErrors"] == [
        {"message": "too many failed password attempts: try again in 2 seconds",
         "path": ["updateCustomer", "input", "oldPassword"]}]

    # The right old password, once the wait is over, changes it and clears the count.
    clock.advance(seconds=2)
    assert (await update(shopper, password=NEW_PASSWORD, oldPassword=PASSWORD)
            )["userErrors"] == []
    for guess in range(5):
        payload = await update(shopper, password=PASSWORD, oldPassword=f"guess {guess:03}")
        assert [e["message"] for e in payload["userErrors"]] == ["oldPassword is wrong"]


async def test_dynamic_attribute_value_replaces_the_earlier_one(
    shopper: Shopper, runtime: Any
) -> None:
    customer = await register(shopper, customAttributes={"dynamicAttributes": [
        {"attributeTypeName": "health", "attributeElementKey": "diet",
         "attributeElementValue": "none"}]})
    assert customer is not None
    assert attributes(customer) == {"health": (None, {"diet": "none"})}
    payload = await update(shopper, customAttributes={"dynamicAttributes": [
        {"attributeTypeName": "health", "attributeElementKey": "diet",
         "attributeElementValue": "vegan"}]})
    assert payload["userErrors"] == []
    assert attributes(payload["customer"]) == {"health": (None, {"diet": "vegan"})}
    table = t.customer_dynamic_attributes
    async with runtime.db.read() as conn:
        rows = (await conn.execute(sa.select(table.c.element_key, table.c.value)
                                   .where(table.c.customer_id == customer["id"]))).all()
    assert [tuple(row) for row in rows] == [("diet", "vegan")]


async def test_mapped_attribute_replaces_the_earlier_one_of_its_type(
    shopper: Shopper, runtime: Any
) -> None:
    customer = await register(shopper, customAttributes={"mappedAttributes": [
        {"attributeTypeName": "registration_source", "attributeId": 3}]})
    assert customer is not None
    assert attributes(customer) == {"registration_source": (3, {"source": "Mobile app"})}
    payload = await update(shopper, customAttributes={"mappedAttributes": [
        {"attributeTypeName": "registration_source", "attributeId": 1}]})
    assert payload["userErrors"] == []
    assert attributes(payload["customer"]) == {"registration_source": (1, {"source": "Web shop"})}
    table = t.customer_mapped_attributes
    async with runtime.db.read() as conn:
        rows = (await conn.execute(sa.select(table.c.mapped_attribute_id)
                                   .where(table.c.customer_id == customer["id"]))).all()
    assert [tuple(row) for row in rows] == [(1,)]


class TestRegistrationLimit:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return support.settings_for(db_url, register_ip_limit=3)

    async def test_registrations_per_client_address_are_limited(
        self, app: Any, http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any,
        clock: SteppableClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        hashed: list[str] = []
        original = runtime.hasher.hash

        async def hash_(password: str) -> str:
            hashed.append(password)
            return str(await original(password))

        monkeypatch.setattr(runtime.hasher, "hash", hash_)
        # Refused registrations count too: their answers tell which e-mails have accounts.
        assert await register(Shopper(http, credentials), "one@example.com") is not None
        payload = await register_payload(Shopper(http, credentials), "one@example.com")
        assert payload["userErrors"][0]["path"] == [
            "registerCustomer", "input", "billingAddress", "email"]
        assert await register(Shopper(http, credentials), "two@example.com") is not None
        clock.advance(minutes=59, seconds=30)

        payload = await register_payload(Shopper(http, credentials), "three@example.com")
        assert payload == {"loggedIn": None, "userErrors": [{
            "message": "too many registrations from this address: try again in 1 minute",
            "path": ["registerCustomer"]}]}
        assert len(hashed) == 2  # refused before its password is hashed
        assert await registered_emails(runtime) == ["one@example.com", "two@example.com"]

        transport = httpx.ASGITransport(app=app, client=("192.0.2.80", 51000))
        async with httpx.AsyncClient(transport=transport, base_url="http://dtc.test") as other:
            assert await register(Shopper(other, credentials), "three@example.com") is not None
        clock.advance(seconds=30)  # the next hour
        assert await register(Shopper(http, credentials), "four@example.com") is not None


def test_registration_limit_default() -> None:
    assert Settings().register_ip_limit == 30


# --- customer query --------------------------------------------------------------------------


async def test_customer_is_null_for_a_guest(shopper: Shopper) -> None:
    answer = await shopper.raw(CUSTOMER)
    assert answer["data"] == {"customer": None}
    assert "errors" not in answer


async def test_customer_orders_paging_and_date_formats(
    shopper: Shopper, runtime: Any, clock: SteppableClock
) -> None:
    customer = await register(shopper)
    assert customer is not None
    async with runtime.db.write() as conn:
        await conn.execute(sa.update(t.customers).where(t.customers.c.id == customer["id"])
                           .values(birthdate=dt.date(1990, 7, 4)))
        for number in (1, 2, 3):
            await orders.create(
                conn, number=number, customer_id=customer["id"],
                order_date=dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=number),
                status="CONFIRMED", pricelist_id=1, country_code="SE", language_code="en",
                market_id=1, lines=[OrderLine("1-1", 1, 29900)], now=clock.now(),
            )
    data = (await shopper.gql("""{
      customer {
        totalOrders
        birthdate
        european: birthdate(format: "d/m/Y")
        spelled: birthdate(format: "j F Y")
        all: orders { number orderDate(format: "d/m/Y") }
        first: orders(limit: 2, page: 1) { number }
        second: orders(limit: 2, page: 2) { number orderDate }
        third: orders(limit: 2, page: 3) { number }
      }
    }"""))["customer"]
    assert data == {
        "totalOrders": 3,
        "birthdate": "1990-07-04",
        "european": "04/07/1990",
        "spelled": "4 July 1990",
        "all": [{"number": 3, "orderDate": "04/01/2026"},
                {"number": 2, "orderDate": "03/01/2026"},
                {"number": 1, "orderDate": "02/01/2026"}],
        "first": [{"number": 3}, {"number": 2}],
        "second": [{"number": 1, "orderDate": "2026-01-02T12:00:00+00:00"}],
        "third": [],
    }


async def test_orders_read_with_the_customer_answer_as_when_read_alone(
    shopper: Shopper, runtime: Any, clock: SteppableClock
) -> None:
    """A page of orders selected once (or twice alike) is read with the customer, their
    display items together with the wishlist's; the answer is the one each reads alone."""
    customer = await register(shopper)
    assert customer is not None
    async with runtime.db.write() as conn:
        for number, item in ((1, "1-1"), (2, "4-1"), (3, "1-1")):
            await orders.create(
                conn, number=number, customer_id=customer["id"],
                order_date=dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=number),
                status="CONFIRMED", pricelist_id=1, country_code="SE", language_code="en",
                market_id=1, lines=[OrderLine(item, 1, 29900)], now=clock.now(),
            )
        await wishlists.add_item(conn, customer["id"], 1, None, clock.now())  # also ordered
        await wishlists.add_item(conn, customer["id"], 3, None, clock.now())
    lines = "lines { ... on ProductLine { name item { id } displayItem { id name } } }"
    together = await shopper.gql(f"""query Together($limit: Int!, $page: Int!) {{
      customer {{
        ...Wished
        ... on Customer {{ orders(limit: $limit, page: $page) {{ number {lines} }} }}
        again: orders(page: $page, limit: 2) {{ number }}
      }}
    }}
    fragment Wished on Customer {{ wishlists {{ items {{ id name }} }} }}""",
                                   {"limit": 2, "page": 1})
    wished = await shopper.gql("{ customer { wishlists { items { id name } } } }")
    page = await shopper.gql(f"{{ customer {{ orders(limit: 2) {{ number {lines} }} }} }}")
    assert together["customer"]["wishlists"] == wished["customer"]["wishlists"]
    assert [i["id"] for i in together["customer"]["wishlists"][0]["items"]] == [1, 3]
    assert together["customer"]["orders"] == page["customer"]["orders"]
    assert [o["number"] for o in together["customer"]["orders"]] == [3, 2]
    assert together["customer"]["orders"][1]["lines"] == [
        {"name": together["customer"]["orders"][1]["lines"][0]["name"], "item": {"id": "4-1"},
         "displayItem": {"id": 4, "name": together["customer"]["orders"][1]["lines"][0][
             "displayItem"]["name"]}}]
    assert together["customer"]["again"] == [{"number": 3}, {"number": 2}]


async def test_a_broken_order_fails_the_orders_not_the_customer(
    shopper: Shopper, runtime: Any, clock: SteppableClock
) -> None:
    """Orders read with the customer fail where they failed when read alone: at the orders
    field; skipped, they are not read at all."""
    customer = await register(shopper)
    assert customer is not None
    async with runtime.db.write() as conn:
        await _one_order(conn, customer["id"], clock)
        # A total without its amount: the order cannot be shown.
        await conn.execute(sa.update(t.orders).values(totals=[{"type": "SHIPPING"}]))

    skipped = await shopper.raw("query($all: Boolean!) { customer { email "
                                "orders @include(if: $all) { number } } }", {"all": False})
    selected = await shopper.raw("{ customer { email orders { number } } }")

    assert skipped["data"] == {"customer": {"email": customer["email"]}}
    assert "errors" not in skipped
    assert selected["data"] == {"customer": None}  # orders is non-null
    assert [e["path"] for e in selected["errors"]] == [["customer", "orders"]]


async def test_orders_that_cannot_be_read_with_the_customer_are_read_alone(
    shopper: Shopper, runtime: Any, clock: SteppableClock
) -> None:
    """A page of orders that fails to read with the customer (a date the read with the
    customer cannot take) leaves the customer whole: Customer.orders reads the page alone
    and answers what that read gives, at its own path."""
    customer = await register(shopper)
    assert customer is not None
    async with runtime.db.write() as conn:
        await _one_order(conn, customer["id"], clock)
        # SQLite stores any text; PostgreSQL's infinite time has no JSON form the batch reads
        odd = "'not a date'" if runtime.db.is_sqlite else "'infinity'::timestamptz"
        await conn.execute(sa.text(f"UPDATE orders SET order_date = {odd}"))  # noqa: S608

    answer = await shopper.raw("{ customer { email orders { number } } }")

    if runtime.db.is_sqlite:  # alone it fails too: at the orders, not at the customer
        assert answer["data"] == {"customer": None}  # orders is non-null
        assert [e["path"] for e in answer["errors"]] == [["customer", "orders"]]
    else:
        assert answer["data"] == {"customer": {"email": customer["email"],
                                               "orders": [{"number": 1}]}}
        assert "errors" not in answer


async def test_a_line_whose_product_left_the_catalogue_answers_null(
    shopper: Shopper, runtime: Any, clock: SteppableClock
) -> None:
    """A deleted item or display item leaves its order lines without one (SET NULL): those
    lines answer null, read with the customer or alone; the order's other lines still show."""
    customer = await register(shopper)
    assert customer is not None
    async with runtime.db.write() as conn:
        for number in (1, 2, 3):
            await orders.create(
                conn, number=number, customer_id=customer["id"],
                order_date=dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC) + dt.timedelta(days=number),
                status="CONFIRMED", pricelist_id=1, country_code="SE", language_code="en",
                market_id=1, lines=[OrderLine("1-1", 1, 29900), OrderLine("4-1", 2, 59800)],
                now=clock.now(),
            )
        numbered = sa.select(t.orders.c.id).where(t.orders.c.number == sa.bindparam("n"))
        lines = t.order_lines
        await conn.execute(sa.update(lines).where(
            lines.c.order_id == numbered.params(n=1).scalar_subquery(),
            lines.c.quantity == 1).values(item_id=None))
        await conn.execute(sa.update(lines).where(
            lines.c.order_id == numbered.params(n=2).scalar_subquery(),
            lines.c.quantity == 2).values(display_item_id=None))
    shown = "lines { ... on ProductLine { quantity item { id } displayItem { id } } }"
    with_customer = await shopper.gql(f"{{ customer {{ email orders {{ number {shown} }} }} }}")
    # Two pages: neither is read with the customer.
    alone = await shopper.gql(f"{{ customer {{ orders(limit: 3) {{ number {shown} }} "
                              "newest: orders(limit: 1) { number } } }")
    whole = [{"quantity": 1, "item": {"id": "1-1"}, "displayItem": {"id": 1}},
             {"quantity": 2, "item": {"id": "4-1"}, "displayItem": {"id": 4}}]
    expected = [{"number": 3, "lines": whole},
                {"number": 2, "lines": [whole[0], None]},
                {"number": 1, "lines": [None, whole[1]]}]
    assert with_customer["customer"]["orders"] == expected
    assert alone["customer"]["orders"] == expected
    assert alone["customer"]["newest"] == [{"number": 3}]


async def test_a_customer_read_in_one_batch_is_the_customer_read_statement_by_statement(
    shopper: Shopper, runtime: Any, clock: SteppableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the parts read by the customer's id come back as JSON in one statement;
    every kind of column (dates, times to the microsecond, JSON, booleans, nulls) must read
    as it does from each statement alone (the path taken on SQLite)."""
    customer = await register(shopper, login=True, customAttributes={
        "dynamicAttributes": [{"attributeTypeName": "health", "attributeElementKey": "diet",
                               "attributeElementValue": "vegan"}],
        "mappedAttributes": [{"attributeTypeName": "registration_source", "attributeId": 3}]})
    assert customer is not None
    address = {"firstName": "Daniel", "lastName": "Ford", "address1": "Storgatan 1",
               "city": "Stockholm", "zipCode": "111 22", "country": "SE"}
    async with runtime.db.write() as conn:
        await conn.execute(sa.update(t.customers).where(t.customers.c.id == customer["id"])
                           .values(birthdate=dt.date(1990, 7, 4)))
        await conn.execute(sa.insert(t.newsletter_subscriptions).values(
            email_key=customer["email"], customer_id=customer["id"], country_code="SE",
            is_active=True, created_at=dt.datetime(2026, 3, 1, 9, 30, 0, 123456, dt.UTC)))
        for number in (1, 2):
            await orders.create(
                conn, number=number, customer_id=customer["id"],
                order_date=dt.datetime(2026, 1, 1, 12, 0, 0, 5 * number, dt.UTC),
                status="CONFIRMED", pricelist_id=1, country_code="SE", language_code="en",
                market_id=1, billing_address=address, shipping_address=address,
                lines=[OrderLine("1-1", 2, 29900)], shipping_minor=4900, now=clock.now())
        await wishlists.add_item(conn, customer["id"], 3, None, clock.now())
        await orders.create_subscription_contract(
            conn, customer_id=customer["id"], pricelist_id=1, market_id=1,
            shipping_address=address, now=clock.now())
    query = "query Customer { customer { ...CustomerFragment } }" + fragments.FOR_CUSTOMER
    geography = await runtime.geography.get()
    session = {"market_id": 1, "pricelist_id": 1, "language_code": "en"}
    parts = ("attributes", "newsletterSubscriptions", "wishlists", "subscriptionContracts",
             "totalOrders")

    async def read() -> tuple[Any, Any]:
        found = await runtime.db.reads(view.view, geography, customer["id"], session, parts,
                                       (10, 1))
        return found, await shopper.gql(query)

    batched = await read()
    monkeypatch.setattr(PostgresReads, "batch", lambda self, calls: _one_by_one(self, calls))
    one_by_one = await read()

    assert _values(batched[0]) == _values(one_by_one[0])
    assert batched[1] == one_by_one[1]
    found = batched[0]
    assert found["birthdate"] == dt.date(1990, 7, 4)
    assert found["newsletterSubscriptions"][0]["createdAt"] == dt.datetime(
        2026, 3, 1, 9, 30, 0, 123456, dt.UTC)
    assert [o["orderDate"].microsecond for o in found[view.PRELOADED_ORDERS][1]] == [10, 5]
    assert found[view.PRELOADED_ORDERS][1][0]["billingAddress"]["city"] == "Stockholm"
    assert found["wishlists"][0]["isDefault"] is True
    assert found["totalOrders"] == 2
    assert {a["type"]["name"] for a in found["attributes"]} == {"health",
                                                                 "registration_source"}
    assert batched[1]["customer"]["totalOrders"] == 2


def _values(found: Any) -> Any:
    """A view's values with their types (10 is not 10.0); the loaders it carries for later
    fields (objects of their own per read) by their type alone."""
    if isinstance(found, dict):
        return {key: _values(value) for key, value in found.items()}
    if isinstance(found, (list, tuple)):
        return [_values(value) for value in found]
    if found is None:
        return None
    if isinstance(found, (str, int, float, dt.date)):
        return type(found).__name__, found
    return type(found).__name__

# --- helpers that write the database directly ------------------------------------------------


async def _one_order(conn: Any, customer_id: int, clock: SteppableClock) -> None:
    """Order number 1, of one line."""
    await orders.create(
        conn, number=1, customer_id=customer_id,
        order_date=dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC), status="CONFIRMED",
        pricelist_id=1, country_code="SE", language_code="en", market_id=1,
        lines=[OrderLine("1-1", 1, 29900)], now=clock.now())


async def insert_customer(runtime: Any, clock: SteppableClock, email: str, *,
                          registered: bool, password_hash: str | None) -> int:
    async with runtime.db.write() as conn:
        return int((await conn.execute(sa.insert(t.customers).values(
            email=email, email_key=email.casefold(), registered=registered,
            password_hash=password_hash, first_name="Daniel", last_name="Ford",
            country_code="SE", language_code="en", created_at=clock.now(),
            updated_at=clock.now(),
        ).returning(t.customers.c.id))).scalar_one())


async def stored_hash(runtime: Any, customer_id: int) -> str:
    async with runtime.db.read() as conn:
        return str(await conn.scalar(sa.select(t.customers.c.password_hash)
                                     .where(t.customers.c.id == customer_id)))


async def registered_emails(runtime: Any) -> list[str]:
    async with runtime.db.read() as conn:
        return list((await conn.execute(sa.select(t.customers.c.email).where(
            t.customers.c.registered).order_by(t.customers.c.id))).scalars())


def hash_parameters(encoded: str) -> str:
    """The ``m=...,t=...,p=...`` part of an argon2 PHC string."""
    match = re.search(r"\$(m=\d+,t=\d+,p=\d+)\$", encoded)
    assert match is not None, encoded
    return match.group(1)
