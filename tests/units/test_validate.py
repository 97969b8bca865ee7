"""Validators of what clients send: e-mail addresses, countries and states, languages,
paging. Each failure comes with its stable code and the path it was given."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dtc_api.accounts import profile
from dtc_api.core import validate
from dtc_api.core.errors import Code, DomainError, UserError


class Places:
    def __init__(self) -> None:
        self.countries: dict[str, Any] = {
            "SE": {"ship_to": True}, "US": {"ship_to": True}, "NO": {"ship_to": False}, "DE": {}}
        self.states: dict[str, Any] = {"US": [{"code": "CA"}, {"code": "NY"}], "SE": []}

    def language(self, code: str | None) -> dict[str, Any] | None:
        return {"code": code} if code in {"en", "sv"} else None


PLACES = Places()


# --- e-mail ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("ada@example.com", "ada@example.com"),
    # Surrounding space is trimmed; the domain is lower-cased, the local part kept.
    ("  Ada@Example.COM\t", "Ada@example.com"),
    ("ada+shop@sub.example.co.uk", "ada+shop@sub.example.co.uk"),
    # International domains in their Unicode form, whichever form was sent.
    ("ada@bücher.example", "ada@bücher.example"),
    ("ada@xn--bcher-kva.example", "ada@bücher.example"),
    # NFC: a decomposed é is stored as the one character.
    ("e\u0301@example.com", "\u00e9@example.com"),
])
def test_email_normalises(raw: str, expected: str) -> None:
    assert validate.email(raw, "input", "email") == expected


@pytest.mark.parametrize(("raw", "reason"), [
    ("", "An email address must have an @-sign."),
    ("no-at-sign", "An email address must have an @-sign."),
    ("a@b", "The part after the @-sign is not valid. It should have a period."),
    ("a@@example.com", "The part after the @-sign contains invalid characters: '@'."),
    ("x" * 243 + "@example.com", "An e-mail address has at most 254 characters"),
])
def test_email_refuses(raw: str, reason: str) -> None:
    with pytest.raises(DomainError) as refused:
        validate.email(raw, "input", "billingAddress", "email")
    assert refused.value.errors == (UserError(
        f"invalid e-mail address: {reason}", ("input", "billingAddress", "email"),
        code=Code.INVALID_EMAIL),)


def test_the_longest_address_is_254_characters() -> None:
    address = "x" * 242 + "@example.com"
    assert len(address) == validate.MAX_EMAIL == 254
    assert validate.normalise_email(address) == address
    with pytest.raises(ValueError, match=r"^An e-mail address has at most 254 characters$"):
        validate.normalise_email("x" + address)


def test_normalise_email_does_not_trim() -> None:
    with pytest.raises(ValueError, match="invalid characters before the @-sign: SPACE"):
        validate.normalise_email(" ada@example.com")


@pytest.mark.parametrize(("email", "key"), [
    ("ada@example.com", "ada@example.com"),
    ("Ada@Example.com", "ada@example.com"),
    ("ADA@BÜCHER.EXAMPLE", "ada@bücher.example"),
    # Case folding, not only lower-casing.
    ("STRASSE@example.com", "strasse@example.com"),
    ("straße@example.com", "strasse@example.com"),
])
def test_email_key_ignores_case(email: str, key: str) -> None:
    assert validate.email_key(email) == key


# --- countries, states, languages ------------------------------------------------------------

@pytest.mark.parametrize(("code", "ship_to", "message"), [
    ("SE", False, None),
    ("SE", True, None),
    ("NO", False, None),
    ("NO", True, "country NO is not shipped to"),
    # A country that does not say is shipped to.
    ("DE", True, None),
    ("XX", False, "country XX not found"),
    ("se", False, "country se not found"),
    (None, False, "country None not found"),
])
def test_country_error(code: str | None, ship_to: bool, message: str | None) -> None:
    error = validate.country_error(PLACES, code, "input", "country", ship_to=ship_to)
    expected = None if message is None else UserError(message, ("input", "country"),
                                                      code=Code.UNKNOWN_COUNTRY)
    assert error == expected


@pytest.mark.parametrize(("country", "state", "expected"), [
    ("US", "CA", None),
    ("US", "NY", None),
    ("US", None, UserError("a state is required in US", ("state",), code=Code.STATE_REQUIRED)),
    ("US", "TX", UserError("state TX not found in US", ("state",), code=Code.UNKNOWN_STATE)),
    ("US", "ca", UserError("state ca not found in US", ("state",), code=Code.UNKNOWN_STATE)),
    # A country without states takes any state, or none.
    ("SE", None, None),
    ("SE", "AB", None),
    ("DE", "XY", None),
])
def test_state_error(country: str, state: str | None, expected: UserError | None) -> None:
    assert validate.state_error(PLACES, country, state, "state") == expected


@pytest.mark.parametrize(("code", "expected"), [
    ("en", None),
    ("sv", None),
    ("de", UserError("language de not found", ("code",), code=Code.UNKNOWN_LANGUAGE)),
    ("EN", UserError("language EN not found", ("code",), code=Code.UNKNOWN_LANGUAGE)),
    (None, UserError("language None not found", ("code",), code=Code.UNKNOWN_LANGUAGE)),
])
def test_language_error(code: str | None, expected: UserError | None) -> None:
    assert validate.language_error(PLACES, code, "code") == expected


# --- paging ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("page", "limit", "offset"), [
    (1, 1, 0), (1, 100, 0), (2, 100, 100), (3, 25, 50), (10, 7, 63),
])
def test_page_offset(page: int, limit: int, offset: int) -> None:
    assert validate.page(page, limit, 100) == offset


@pytest.mark.parametrize(("page", "limit", "expected"), [
    (1, 0, UserError("limit must be between 1 and 100", ("limit",), code=Code.OUT_OF_RANGE)),
    (1, -5, UserError("limit must be between 1 and 100", ("limit",), code=Code.OUT_OF_RANGE)),
    (1, 101, UserError("limit must be between 1 and 100", ("limit",), code=Code.OUT_OF_RANGE)),
    (0, 10, UserError("page must be 1 or more", ("page",), code=Code.OUT_OF_RANGE)),
    (-1, 10, UserError("page must be 1 or more", ("page",), code=Code.OUT_OF_RANGE)),
    # The limit is checked first.
    (0, 0, UserError("limit must be between 1 and 100", ("limit",), code=Code.OUT_OF_RANGE)),
])
def test_page_refuses(page: int, limit: int, expected: UserError) -> None:
    with pytest.raises(DomainError) as refused:
        validate.page(page, limit, 100)
    assert refused.value.errors == (expected,)


ITEMS = list(range(1, 11))


@pytest.mark.parametrize(("limit", "page", "expected"), [
    (None, None, ITEMS),
    (None, 3, ITEMS),
    (3, None, [1, 2, 3]),
    (3, 1, [1, 2, 3]),
    (3, 2, [4, 5, 6]),
    (3, 4, [10]),
    (3, 5, []),
    (20, 1, ITEMS),
    # Out-of-range values give the first page or nothing, never an error.
    (3, 0, [1, 2, 3]),
    (3, -2, [1, 2, 3]),
    (0, 1, []),
    (-3, 1, []),
])
def test_clamp_page(limit: int | None, page: int | None, expected: list[int]) -> None:
    assert validate.clamp_page(ITEMS, limit, page) == expected


def _validated_key(typed: str) -> str:
    """``login_key`` without its shortcut: every address through email-validator."""
    typed = typed[:profile.MAX_TYPED_EMAIL].strip()
    try:
        return validate.email_key(validate.normalise_email(typed))
    except ValueError:
        return validate.email_key(typed)


@pytest.mark.parametrize("typed", [
    "Ada@Example.COM", " ada.lovelace+shop@example.com ", "a!#$%&'*+/=?^_`{|}~-@example.org",
    "a..b@example.com", "a@example.com.", ".a@example.com", "a@-example.com", "a@b", "@", "",
    "a@@example.com", "x@localhost", "x@example.test", "a@xn--bcher-kva.example",
    "a@XN--BCHER-KVA.example", '"john"@example.com', '"John Doe"@Example.com',
    "a@[192.0.2.1]", "ada@bücher.example", "ÅSA@example.se", "a\\b@example.com",
    "a b@example.com", "a@ab--cd.com", "a@123.456", "x" * 65 + "@example.com",
    "x@" + "y" * 250 + ".com", "ada@example.com" + " " * 400 + "tail",
])
def test_a_login_key_is_what_the_validated_address_gives(typed: str) -> None:
    assert profile.login_key(typed) == _validated_key(typed)


_ATEXT = "aZ09!#$%&'*+/=?^_`{|}~-"
_ADDRESSES = st.builds(
    "{}@{}.{}".format,
    st.text(alphabet=_ATEXT + ".", min_size=1, max_size=20),
    st.lists(st.text(alphabet="aZ09-xn", min_size=1, max_size=12), min_size=1, max_size=3)
    .map(".".join),
    st.sampled_from(["com", "SE", "org", "xn--p1ai", "XN--P1AI", "test", "9", "co-op"]))


@settings(max_examples=500, deadline=None)
@given(st.one_of(_ADDRESSES, st.text(alphabet=_ATEXT + ".@xn", max_size=40)))
def test_a_plain_address_gets_the_validated_key(typed: str) -> None:
    assert profile.login_key(typed) == _validated_key(typed)
