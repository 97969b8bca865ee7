"""Validators of what clients send, each written once: e-mail addresses, countries and
states, languages, and paging bounds. Each raises (or returns) a ``DomainError`` /
``UserError`` with a stable code and the argument path it was given, and says the same thing
for the same failure wherever it is called from."""

from __future__ import annotations

from typing import Any, Protocol

from email_validator import EmailNotValidError, validate_email

from dtc_api.core.errors import Code, DomainError, UserError

MAX_EMAIL = 254  # RFC 5321: the longest address that can be delivered


class Places(Protocol):
    """What the validators need of the geography (shop.geography.Geography)."""

    countries: dict[str, Any]
    states: dict[str, Any]

    def language(self, code: str | None) -> dict[str, Any] | None: ...


def normalise_email(raw: str) -> str:
    """The address as email-validator normalises it; raises ValueError when invalid."""
    if len(raw) > MAX_EMAIL:
        raise ValueError(f"An e-mail address has at most {MAX_EMAIL} characters")
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None


def email_key(email: str) -> str:
    """The key an address is looked up by: case does not make another account."""
    return email.casefold()


def email(raw: str, *path: str) -> str:
    """A valid address, normalised (NFC, IDNA), or a userError at ``path``."""
    try:
        return normalise_email(raw.strip())
    except ValueError as error:
        raise DomainError(UserError(f"invalid e-mail address: {error}", path,
                                    code=Code.INVALID_EMAIL)) from None


def country_error(places: Places, code: str | None, *path: str,
                  ship_to: bool = False) -> UserError | None:
    """Why ``code`` is not a country (one shipped to, with ``ship_to``), or None."""
    if code is None or code not in places.countries:
        return UserError(f"country {code} not found", path, code=Code.UNKNOWN_COUNTRY)
    if ship_to and not places.countries[code].get("ship_to", True):
        return UserError(f"country {code} is not shipped to", path, code=Code.UNKNOWN_COUNTRY)
    return None


def state_error(places: Places, country_code: str, state_code: str | None,
                *path: str) -> UserError | None:
    """Why ``state_code`` is not a state of the country (or is missing where the country has
    states), or None."""
    states = places.states.get(country_code, ())
    if not states:
        return None
    if state_code is None:
        return UserError(f"a state is required in {country_code}", path,
                         code=Code.STATE_REQUIRED)
    if not any(state["code"] == state_code for state in states):
        return UserError(f"state {state_code} not found in {country_code}", path,
                         code=Code.UNKNOWN_STATE)
    return None


def language_error(places: Places, code: str | None, *path: str) -> UserError | None:
    """Why ``code`` is not one of the store's languages, or None."""
    if places.language(code) is None:
        return UserError(f"language {code} not found", path, code=Code.UNKNOWN_LANGUAGE)
    return None


def page(page: int, limit: int, max_limit: int) -> int:
    """The offset of ``page`` (1-based) of ``limit`` rows; refuses bounds outside
    1..``max_limit`` and pages below 1."""
    if limit < 1 or limit > max_limit:
        raise DomainError(UserError(f"limit must be between 1 and {max_limit}", ("limit",),
                                    code=Code.OUT_OF_RANGE))
    if page < 1:
        raise DomainError(UserError("page must be 1 or more", ("page",),
                                    code=Code.OUT_OF_RANGE))
    return (page - 1) * limit


def clamp_page(items: list[Any], limit: int | None, page: int | None) -> list[Any]:
    """A page of an already loaded list, for the storefront's lenient paging arguments
    (missing or out-of-range values give the first page or nothing, never an error)."""
    if limit is None:
        return items
    limit = max(0, limit)
    start = max(0, (page or 1) - 1) * limit
    return items[start:start + limit]
