"""Issue 3's "Bad input" list for customer accounts: every case answers with the exact
userError (or GraphQL error) and leaves nothing behind."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from dtc_api.access.clients import ClientCredentials
from dtc_api.store import tables as t
from tests import support
from tests.support import PASSWORD, Shopper

EMAIL = "example@centra.com"
EMAIL_TAKEN = "an account with this e-mail address exists already"
WRONG_CREDENTIALS = {"path": ["login"], "message": "wrong e-mail or password"}

REGISTER = """
mutation Register($input: CustomerRegisterInput!) {
  registerCustomer(input: $input) {
    loggedIn { id email firstName lastName }
    userErrors { message path }
  }
}
"""
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    loggedIn { id email }
    session { loggedIn { id } }
    userErrors { path message }
  }
}
"""
WHO = "{ session { loggedIn { id email } } }"
LOGOUT = "mutation { logout { session { loggedIn { id } } } }"


def registration(*, password: str = PASSWORD, login: bool = False, **address: Any
                 ) -> dict[str, Any]:
    return support.registration(EMAIL, password=password, login=login, address=address)


def at(*path: str) -> list[str]:
    return ["registerCustomer", "input", *path]


async def register(shopper: Shopper, data: dict[str, Any]) -> dict[str, Any]:
    return (await shopper.gql(REGISTER, {"input": data}))["registerCustomer"]  # type: ignore[no-any-return]


async def login(shopper: Shopper, email: str, password: str) -> dict[str, Any]:
    return (await shopper.gql(LOGIN, {"email": email, "password": password}))["login"]  # type: ignore[no-any-return]


async def customer_rows(runtime: Any) -> list[dict[str, Any]]:
    async with runtime.db.read() as conn:
        rows = (await conn.execute(sa.select(t.customers).order_by(t.customers.c.id))).mappings()
        return [dict(row) for row in rows]


async def count(runtime: Any, table: sa.Table) -> int:
    async with runtime.db.read() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def assert_refused(shopper: Shopper, runtime: Any, data: dict[str, Any],
                         errors: list[dict[str, Any]]) -> None:
    """The registration is answered with exactly ``errors`` and stores nothing."""
    payload = await register(shopper, {**data, "loginOnSuccess": True})
    assert payload == {"loggedIn": None, "userErrors": errors}
    assert await customer_rows(runtime) == []
    for table in (t.customer_consents, t.customer_dynamic_attributes,
                  t.customer_mapped_attributes):
        assert await count(runtime, table) == 0
    assert (await shopper.gql(WHO))["session"]["loggedIn"] is None
    # The same e-mail can still register afterwards.
    fine = await register(shopper, registration())
    assert fine["userErrors"] == []


# --- e-mail ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("email", "message"), [
    ("not-an-email", "invalid e-mail address: An email address must have an @-sign."),
    ("daniel@centra", "invalid e-mail address: The part after the @-sign is not valid. "
                      "It should have a period."),
    ("dan@@centra.com", "invalid e-mail address: The part after the @-sign contains invalid "
                        "characters: '@'."),
    ("x" * 244 + "@centra.com", "email must be at most 254 characters"),  # 255 characters
    ("", "email must not be empty"),
    ("   ", "email must not be empty"),
])
async def test_register_invalid_email(shopper: Shopper, runtime: Any, email: str,
                                      message: str) -> None:
    await assert_refused(shopper, runtime, registration(email=email),
                         [{"message": message, "path": at("billingAddress", "email")}])


async def test_register_email_of_300_characters_is_refused(shopper: Shopper, runtime: Any
                                                           ) -> None:
    email = "d" * 289 + "@centra.com"
    assert len(email) == 300
    await assert_refused(
        shopper, runtime, registration(email=email),
        [{"message": "email must be at most 254 characters",
          "path": at("billingAddress", "email")}])


# --- country ---------------------------------------------------------------------------------

async def test_register_without_country_is_a_graphql_validation_error(
    shopper: Shopper, runtime: Any
) -> None:
    data = registration()
    del data["billingAddress"]["country"]
    answer = await shopper.raw(REGISTER, {"input": data})
    assert "data" not in answer
    [error] = answer["errors"]
    assert error["message"] == (
        "Variable '$input' has invalid value at .billingAddress: Expected value of type "
        "'CustomerRegisterAddressInput' to include required field 'country', found: "
        "{'email': 'example@centra.com', 'firstName': 'Daniel', 'lastName': 'Ford'}."
    )
    assert await customer_rows(runtime) == []


async def test_register_without_country_inline_is_a_graphql_validation_error(
    shopper: Shopper, runtime: Any
) -> None:
    answer = await shopper.raw("""
      mutation {
        registerCustomer(input: {
          password: "correct horse battery staple", loginOnSuccess: true,
          billingAddress: {email: "example@centra.com", firstName: "Daniel", lastName: "Ford"}
        }) { userErrors { message path } }
      }""")
    assert "data" not in answer
    assert [e["message"] for e in answer["errors"]] == [
        "Expected value of type 'CustomerRegisterAddressInput' to include required field "
        "'country', found: { email: \"example@centra.com\", firstName: \"Daniel\", "
        "lastName: \"Ford\" }."]
    assert await customer_rows(runtime) == []


@pytest.mark.parametrize(("country", "message"), [
    ("", "country must not be empty"),
    ("  ", "country must not be empty"),
    ("XX", "country XX not found"),
    ("zz", "country ZZ not found"),
    ("SWE", "country must be at most 2 characters"),
])
async def test_register_bad_country(shopper: Shopper, runtime: Any, country: str,
                                    message: str) -> None:
    await assert_refused(shopper, runtime, registration(country=country),
                         [{"message": message, "path": at("billingAddress", "country")}])


# --- attributes ------------------------------------------------------------------------------

def with_attributes(dynamic: list[dict[str, Any]] | None = None,
                    mapped: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {**registration(),
            "customAttributes": {"dynamicAttributes": dynamic or [],
                                 "mappedAttributes": mapped or []}}


def dynamic(type_name: str, key: str = "diet", value: str = "none") -> dict[str, Any]:
    return {"attributeTypeName": type_name, "attributeElementKey": key,
            "attributeElementValue": value}


def mapped(type_name: str, attribute_id: int) -> dict[str, Any]:
    return {"attributeTypeName": type_name, "attributeId": attribute_id}


@pytest.mark.parametrize("type_name", ["nutrition", "registration_source", "HEALTH", ""])
async def test_register_unknown_dynamic_attribute_type(shopper: Shopper, runtime: Any,
                                                       type_name: str) -> None:
    # registration_source exists but is a mapped type; names are case-sensitive.
    await assert_refused(
        shopper, runtime, with_attributes(dynamic=[dynamic("health"), dynamic(type_name)]),
        [{"message": f"dynamic attribute type {type_name} not found",
          "path": at("customAttributes", "dynamicAttributes", "1", "attributeTypeName")}])


@pytest.mark.parametrize("type_name", ["source", "health"])
async def test_register_unknown_mapped_attribute_type(shopper: Shopper, runtime: Any,
                                                      type_name: str) -> None:
    # health exists but is a dynamic type.
    await assert_refused(
        shopper, runtime, with_attributes(mapped=[mapped(type_name, 3)]),
        [{"message": f"mapped attribute type {type_name} not found",
          "path": at("customAttributes", "mappedAttributes", "0", "attributeTypeName")}])


@pytest.mark.parametrize("key", ["allergies", "Diet", ""])
async def test_register_unknown_attribute_element_key(shopper: Shopper, runtime: Any,
                                                      key: str) -> None:
    await assert_refused(
        shopper, runtime, with_attributes(dynamic=[dynamic("health", key)]),
        [{"message": f"attribute element {key} not found in health",
          "path": at("customAttributes", "dynamicAttributes", "0", "attributeElementKey")}])


@pytest.mark.parametrize("attribute_id", [99, 0, -1])
async def test_register_mapped_attribute_that_does_not_exist(shopper: Shopper, runtime: Any,
                                                             attribute_id: int) -> None:
    await assert_refused(
        shopper, runtime, with_attributes(mapped=[mapped("registration_source", attribute_id)]),
        [{"message": f"attribute {attribute_id} not found in registration_source",
          "path": at("customAttributes", "mappedAttributes", "0", "attributeId")}])


async def test_register_mapped_attribute_of_another_type(shopper: Shopper, runtime: Any
                                                         ) -> None:
    async with runtime.db.write() as conn:
        type_id = (await conn.execute(sa.insert(t.attribute_types).values(
            name="loyalty_tier", kind="mapped", is_multi=False,
        ).returning(t.attribute_types.c.id))).scalar_one()
        await conn.execute(sa.insert(t.mapped_attributes).values(id=50,
                                                                 attribute_type_id=type_id))
    await assert_refused(
        shopper, runtime,
        with_attributes(mapped=[mapped("registration_source", 50), mapped("loyalty_tier", 3)]),
        [{"message": "attribute 50 not found in registration_source",
          "path": at("customAttributes", "mappedAttributes", "0", "attributeId")},
         {"message": "attribute 3 not found in loyalty_tier",
          "path": at("customAttributes", "mappedAttributes", "1", "attributeId")}])


# --- passwords -------------------------------------------------------------------------------

def test_common_password_examples_are_in_zxcvbn_list() -> None:
    common = set(FREQUENCY_LISTS["passwords"])
    assert {"password1", "iloveyou", "qwertyuiop"} <= common
    assert PASSWORD not in common


@pytest.mark.parametrize(("password", "message"), [
    ("", "password must be at least 8 characters"),
    ("abc1234", "password must be at least 8 characters"),
    ("x" * 257, "password must be at most 256 characters"),
    ("password1", "password is too common: choose a less guessable one"),
    ("iloveyou", "password is too common: choose a less guessable one"),
    ("QWERTYUIOP", "password is too common: choose a less guessable one"),
    (EMAIL, "password must not be the e-mail address"),
    ("Example@Centra.COM", "password must not be the e-mail address"),
], ids=["empty", "7-characters", "257-characters", "password1", "iloveyou", "QWERTYUIOP",
        "the-email", "the-email-in-other-case"])
async def test_register_bad_password(shopper: Shopper, runtime: Any, password: str,
                                     message: str) -> None:
    await assert_refused(shopper, runtime, registration(password=password),
                         [{"message": message, "path": at("password")}])


@pytest.mark.parametrize("password", ["zq8#Lmv2", "y" * 256, " " * 8],
                         ids=["8-characters", "256-characters", "8-spaces"])
async def test_register_password_policy_boundaries_are_accepted(shopper: Shopper,
                                                                password: str) -> None:
    payload = await register(shopper, registration(password=password))
    assert payload["userErrors"] == []
    assert (await login(shopper, EMAIL, password))["userErrors"] == []


async def test_register_reports_every_problem_at_once(shopper: Shopper, runtime: Any) -> None:
    data = {**registration(password="short", email="nope", country="XX"),
            "customAttributes": {"dynamicAttributes": [dynamic("health", "sugar")]}}
    await assert_refused(shopper, runtime, data, [
        {"message": "invalid e-mail address: An email address must have an @-sign.",
         "path": at("billingAddress", "email")},
        {"message": "country XX not found", "path": at("billingAddress", "country")},
        {"message": "password must be at least 8 characters", "path": at("password")},
        {"message": "attribute element sugar not found in health",
         "path": at("customAttributes", "dynamicAttributes", "0", "attributeElementKey")},
    ])


# --- consents --------------------------------------------------------------------------------

@pytest.mark.parametrize("missing", ["key", "name", "version", "data", "consented"])
async def test_register_consent_missing_a_required_field(shopper: Shopper, runtime: Any,
                                                         missing: str) -> None:
    consent = {"key": "newsletter", "name": "Newsletter", "version": "1",
               "data": "I agree", "consented": True}
    del consent[missing]
    answer = await shopper.raw(REGISTER, {"input": {**registration(), "consents": [consent]}})
    assert "data" not in answer
    [error] = answer["errors"]
    assert error["message"] == (
        "Variable '$input' has invalid value at .consents[0]: Expected value of type "
        f"'ConsentInput' to include required field '{missing}', found: {consent!r}.")
    assert await customer_rows(runtime) == []
    assert await count(runtime, t.customer_consents) == 0


# --- operations that need a login --------------------------------------------------------------

@pytest.mark.parametrize(("field", "document"), [
    ("updateCustomer",
     'mutation { updateCustomer(input: {billingAddress: {firstName: "Eve"}}) '
     "{ customer { id } userErrors { message path } } }"),
    ("addWishlistItem",
     "mutation { addWishlistItem(displayItemId: 1) { wishlist { id } userErrors { message } } }"),
    ("removeWishlistItem",
     "mutation { removeWishlistItem(displayItemId: 1, wishlistId: 1) "
     "{ wishlist { id } userErrors { message } } }"),
])
async def test_logged_in_mutations_refused_for_a_guest(shopper: Shopper, runtime: Any,
                                                       field: str, document: str) -> None:
    answer = await shopper.raw(document)
    assert "data" not in answer
    [error] = answer["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN"}
    assert error["message"].startswith(f"{field} requires ")
    assert await count(runtime, t.wishlists) == 0
    assert await count(runtime, t.wishlist_items) == 0


async def test_logged_in_mutations_refused_after_logout(shopper: Shopper, runtime: Any) -> None:
    await register(shopper, registration(login=True))
    await shopper.gql(LOGOUT)
    answer = await shopper.raw(
        "mutation { addWishlistItem(displayItemId: 1) { wishlist { id } } }")
    assert "data" not in answer
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["FORBIDDEN"]
    assert await count(runtime, t.wishlists) == 0


async def test_customer_query_for_a_guest_is_null(shopper: Shopper) -> None:
    answer = await shopper.raw("{ customer { id email wishlists { id } } }")
    assert "errors" not in answer
    assert answer["data"] == {"customer": None}


# --- login -----------------------------------------------------------------------------------

async def test_wrong_password_and_unknown_email_give_the_same_answer(shopper: Shopper) -> None:
    await register(shopper, registration())
    wrong_password = await login(shopper, EMAIL, "correct horse battery stable")
    unknown_email = await login(shopper, "nobody@centra.com", PASSWORD)
    assert wrong_password == unknown_email == {
        "loggedIn": None, "session": {"loggedIn": None}, "userErrors": [WRONG_CREDENTIALS]}
    right = await login(shopper, EMAIL, PASSWORD)
    assert right["userErrors"] == []
    assert right["loggedIn"]["email"] == EMAIL


@pytest.mark.parametrize("email", [
    "a" * 10_240,
    "a" * 10_229 + "@centra.com",
    "example@centra.com" + "m" * 10_222,
    "ä" * 5_000 + "@" + "ß" * 2_000 + ".com",
])
async def test_login_with_an_email_of_10_kb(shopper: Shopper, runtime: Any, email: str) -> None:
    await register(shopper, registration())
    payload = await login(shopper, email, PASSWORD)
    assert payload["userErrors"] == [WRONG_CREDENTIALS]
    assert payload["loggedIn"] is None
    # Still serving, and the account is untouched.
    assert (await login(shopper, EMAIL, PASSWORD))["userErrors"] == []
    assert len(await customer_rows(runtime)) == 1


async def test_login_with_an_empty_email_and_password(shopper: Shopper) -> None:
    payload = await login(shopper, "", "")
    assert payload["userErrors"] == [WRONG_CREDENTIALS]


async def test_login_email_is_case_insensitive_but_not_for_the_password(shopper: Shopper
                                                                         ) -> None:
    await register(shopper, registration())
    assert (await login(shopper, "EXAMPLE@Centra.Com", PASSWORD.upper()))["userErrors"] == [
        WRONG_CREDENTIALS]
    assert (await login(shopper, " EXAMPLE@Centra.Com ", PASSWORD))["userErrors"] == []


# --- names -----------------------------------------------------------------------------------

HOSTILE_NAMES = [
    ('<script>alert("pwned")</script>', "<img src=x onerror=alert(1)>"),
    ("Robert'); DROP TABLE customers;--", "O'Brien & \"Sons\" &amp; &lt;b&gt;"),
    ("{{7*7}} ${7*7} <%= 7*7 %>", "</title><svg/onload=alert`1`>\u202e\u00e9\u0301"),
]


@pytest.mark.parametrize(("first", "last"), HOSTILE_NAMES, ids=["script", "sql", "template"])
async def test_html_in_names_is_stored_and_returned_unchanged(
    shopper: Shopper, runtime: Any, first: str, last: str
) -> None:
    payload = await register(shopper, registration(firstName=first, lastName=last, login=True))
    assert payload["userErrors"] == []
    assert (payload["loggedIn"]["firstName"], payload["loggedIn"]["lastName"]) == (first, last)
    [row] = await customer_rows(runtime)
    assert (row["first_name"], row["last_name"]) == (first, last)
    response = await shopper.post(
        "{ customer { firstName lastName billingAddress { firstName lastName } } }")
    assert response.headers["content-type"].startswith("application/json")
    customer = response.json()["data"]["customer"]
    assert customer == {"firstName": first, "lastName": last,
                        "billingAddress": {"firstName": first, "lastName": last}}
    # The same holds for a change through updateCustomer.
    updated = await shopper.gql(
        "mutation($input: CustomerUpdateInput!) { updateCustomer(input: $input) "
        "{ customer { firstName lastName } userErrors { message path } } }",
        {"input": {"billingAddress": {"firstName": last, "lastName": first}}})
    assert updated["updateCustomer"] == {"customer": {"firstName": last, "lastName": first},
                                         "userErrors": []}


# --- uniqueness ------------------------------------------------------------------------------

@pytest.mark.parametrize("again", [EMAIL, "Example@Centra.com", "EXAMPLE@CENTRA.COM",
                                   " example@centra.com "])
async def test_register_an_email_that_has_an_account(shopper: Shopper, runtime: Any,
                                                     again: str) -> None:
    first = await register(shopper, registration(firstName="First"))
    assert first["userErrors"] == []
    payload = await register(shopper, registration(email=again, firstName="Second",
                                                   password="another long passphrase",
                                                   login=True))
    assert payload == {"loggedIn": None, "userErrors": [
        {"message": EMAIL_TAKEN, "path": at("billingAddress", "email")}]}
    rows = await customer_rows(runtime)
    assert [(r["email"], r["first_name"]) for r in rows] == [(EMAIL, "First")]
    assert (await shopper.gql(WHO))["session"]["loggedIn"] is None
    assert (await login(shopper, EMAIL, "another long passphrase"))["userErrors"] == [
        WRONG_CREDENTIALS]


async def test_register_mixed_case_email_then_lower_case(shopper: Shopper, runtime: Any
                                                         ) -> None:
    first = await register(shopper, registration(email="Example@Centra.com"))
    assert first["userErrors"] == []
    payload = await register(shopper, registration(email=EMAIL))
    assert payload["userErrors"] == [{"message": EMAIL_TAKEN,
                                      "path": at("billingAddress", "email")}]
    assert len(await customer_rows(runtime)) == 1
    # The e-mail is kept as given (email-validator lower-cases the domain only).
    assert (await login(shopper, EMAIL, PASSWORD))["loggedIn"]["email"] == "Example@centra.com"


async def test_a_non_registered_customer_does_not_block_registration(
    shopper: Shopper, runtime: Any, clock: Any
) -> None:
    now = clock.now()
    async with runtime.db.write() as conn:
        guest_id = (await conn.execute(sa.insert(t.customers).values(
            email="Example@centra.com", email_key=EMAIL, registered=False,
            first_name="Guest", last_name="Buyer", country_code="DE",
            created_at=now - dt.timedelta(days=3), updated_at=now - dt.timedelta(days=3),
        ).returning(t.customers.c.id))).scalar_one()
    before = await customer_rows(runtime)

    payload = await register(shopper, registration(login=True))
    assert payload["userErrors"] == []
    account_id = payload["loggedIn"]["id"]
    assert account_id != guest_id
    rows = await customer_rows(runtime)
    assert len(rows) == 2
    assert rows[0] == before[0]  # the guest profile is untouched
    assert (rows[1]["id"], rows[1]["registered"], rows[1]["first_name"]) == (
        account_id, True, "Daniel")
    customer = (await shopper.gql(
        "{ customer { id firstName billingAddress { country { code } } } }"))["customer"]
    assert customer == {"id": account_id, "firstName": "Daniel",
                        "billingAddress": {"country": {"code": "SE"}}}
    # Login finds the account, not the guest profile; a second registration is refused.
    await shopper.gql(LOGOUT)
    assert (await login(shopper, EMAIL, PASSWORD))["loggedIn"]["id"] == account_id
    again = await register(shopper, registration())
    assert again["userErrors"] == [{"message": EMAIL_TAKEN,
                                    "path": at("billingAddress", "email")}]


@pytest.mark.parametrize("second_email", [EMAIL, "Example@CENTRA.com"])
async def test_concurrent_registrations_of_one_email(
    http: Any, credentials: ClientCredentials, runtime: Any, second_email: str
) -> None:
    one, two = Shopper(http, credentials), Shopper(http, credentials)
    answers = await asyncio.gather(
        register(one, registration(login=True, firstName="One")),
        register(two, registration(email=second_email, login=True, firstName="Two")),
    )
    errors = [a["userErrors"] for a in answers]
    assert sorted(errors, key=len) == [
        [], [{"message": EMAIL_TAKEN, "path": at("billingAddress", "email")}]]
    winner = next(a for a in answers if not a["userErrors"])
    loser = next(a for a in answers if a["userErrors"])
    assert loser["loggedIn"] is None
    rows = [r for r in await customer_rows(runtime) if r["registered"]]
    assert len(rows) == 1
    assert rows[0]["id"] == winner["loggedIn"]["id"]
    assert rows[0]["first_name"] == winner["loggedIn"]["firstName"]


async def test_many_concurrent_registrations_of_one_email(
    http: Any, credentials: ClientCredentials, runtime: Any
) -> None:
    shoppers = [Shopper(http, credentials) for _ in range(6)]
    answers = await asyncio.gather(*(
        register(s, registration(email=EMAIL if i % 2 else EMAIL.upper(), firstName=f"N{i}"))
        for i, s in enumerate(shoppers)))
    assert sorted(len(a["userErrors"]) for a in answers) == [0, 1, 1, 1, 1, 1]
    assert len(await customer_rows(runtime)) == 1


@pytest.mark.parametrize(("registered", "again"), [
    ("user@bücher.de", "USER@xn--BCHER-KVA.de"),
    ("jose\u0301@centra.com", "JOS\u00c9@centra.com"),  # decomposed, then composed
], ids=["idna", "nfc"])
async def test_register_an_email_that_has_an_account_in_another_spelling(
    shopper: Shopper, runtime: Any, registered: str, again: str
) -> None:
    assert (await register(shopper, registration(email=registered)))["userErrors"] == []
    payload = await register(shopper, registration(email=again))
    assert payload["userErrors"] == [{"message": EMAIL_TAKEN,
                                      "path": at("billingAddress", "email")}]
    assert len(await customer_rows(runtime)) == 1


@pytest.mark.parametrize(("email", "stored"), [
    ("Example@Centra.com", "Example@centra.com"),
    ("user@BÜCHER.de", "user@bücher.de"),
    # email-validator normalises these beyond letter case (NFC, IDNA): the shopper still
    # logs in with exactly what they registered with.
    ("jose\u0301@centra.com", "jos\u00e9@centra.com"),
    ("user@xn--bcher-kva.de", "user@bücher.de"),
], ids=["mixed-case", "idn-upper-case", "nfd-local-part", "idna-a-label"])
async def test_login_with_the_email_exactly_as_registered(shopper: Shopper, email: str,
                                                          stored: str) -> None:
    payload = await register(shopper, registration(email=email))
    assert payload["userErrors"] == []
    answer = await login(shopper, email, PASSWORD)
    assert answer["userErrors"] == []
    assert answer["loggedIn"]["email"] == stored


# --- NUL characters: PostgreSQL cannot store them in text; both backends must answer alike --

NUL_REFUSED = {"errors": [{"message": "Strings must not contain the NUL character (U+0000)"}]}


async def test_login_with_a_nul_character(shopper: Shopper) -> None:
    await register(shopper, registration())
    for email, password in [("exam\x00ple@centra.com", PASSWORD), ("\x00", "\x00"),
                            (EMAIL, PASSWORD + "\x00")]:
        response = await shopper.post(LOGIN, {"email": email, "password": password})
        assert response.status_code == 400
        assert {k: v for k, v in response.json().items() if k != "extensions"} == NUL_REFUSED
    assert (await login(shopper, EMAIL, PASSWORD))["userErrors"] == []


@pytest.mark.parametrize("data", [
    registration(firstName="Dan\x00iel"),
    registration(lastName="Ford\x00"),
    registration(city="Stock\x00holm"),
    with_attributes(dynamic=[dynamic("health", value="no\x00ne")]),
    {**registration(), "consents": [{"key": "terms", "name": "Terms", "version": "1",
                                     "data": "I agree\x00", "consented": True}]},
], ids=["firstName", "lastName", "city", "attribute", "consent"])
async def test_register_with_a_nul_character_is_refused(
    shopper: Shopper, runtime: Any, data: dict[str, Any]
) -> None:
    response = await shopper.post(REGISTER, {"input": {**data, "loginOnSuccess": True}})
    assert response.status_code == 400
    assert {k: v for k, v in response.json().items() if k != "extensions"} == NUL_REFUSED
    assert await customer_rows(runtime) == []
    assert await count(runtime, t.customer_consents) == 0
    assert await count(runtime, t.customer_dynamic_attributes) == 0


async def test_nul_in_a_string_literal_of_the_document_is_refused(shopper: Shopper) -> None:
    response = await shopper.post('mutation { addItem(item: "1-1\\u0000") { line { id } } }')
    assert response.status_code == 400
    assert {k: v for k, v in response.json().items() if k != "extensions"} == NUL_REFUSED


# --- a logout earlier in the same document ends what the document may do ----------------------

@pytest.mark.parametrize("mutation", [
    'updateCustomer(input: {billingAddress: {firstName: "Eve"}}) { userErrors { message } }',
    "addWishlistItem(displayItemId: 1) { userErrors { message } }",
    "removeWishlistItem(displayItemId: 1, wishlistId: 1) { userErrors { message } }",
])
async def test_a_logged_in_mutation_after_logout_in_one_document_is_refused(
    shopper: Shopper, runtime: Any, mutation: str
) -> None:
    await register(shopper, registration(login=True))
    answer = await shopper.raw(f"mutation {{ logout {{ __typename }} {mutation} }}")
    name = mutation.split("(")[0]
    # The payload is non-null, so the refusal nulls the whole answer; the logout stands.
    assert answer["data"] is None
    assert answer["errors"] == [{
        "message": f"{name} requires a logged-in customer's session (mode LOGGED_IN)",
        "locations": answer["errors"][0]["locations"], "path": [name],
        "extensions": {"code": "FORBIDDEN"}}]
    async with runtime.db.read() as conn:
        first_names = (await conn.execute(sa.select(t.customers.c.first_name))).scalars().all()
        wishlists = (await conn.execute(sa.select(t.wishlists.c.id))).scalars().all()
    assert "Eve" not in first_names
    assert wishlists == []
    assert (await shopper.gql(WHO))["session"]["loggedIn"] is None
