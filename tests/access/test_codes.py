"""The codes of session mutations' userErrors, and of API client and integration key
refusals."""

from __future__ import annotations

from typing import Any

import pytest

from dtc_api.access import usecases
from dtc_api.core.errors import DomainError
from tests.support import Shopper

ERRORS = "userErrors { code path }"
SET_COUNTRY = f"""
mutation($country: String!, $state: String) {{
  setCountryState(countryCode: $country, stateCode: $state) {{ {ERRORS} }}
}}
"""


@pytest.mark.parametrize(("country", "state", "code", "field"), [
    ("XX", None, "UNKNOWN_COUNTRY", "countryCode"),
    ("US", None, "STATE_REQUIRED", "stateCode"),
    ("US", "ZZ", "UNKNOWN_STATE", "stateCode"),
    ("SE", "ZZ", "UNKNOWN_STATE", "stateCode"),
])
async def test_set_country_state_refusals_have_codes(shopper: Shopper, country: str,
                                                     state: str | None, code: str,
                                                     field: str) -> None:
    answer = await shopper.gql(SET_COUNTRY, {"country": country, "state": state})
    assert answer["setCountryState"]["userErrors"] == [
        {"code": code, "path": ["setCountryState", field]}]


async def test_set_language_unknown_has_its_code(shopper: Shopper) -> None:
    answer = await shopper.gql(f'mutation {{ setLanguage(code: "xx") {{ {ERRORS} }} }}')
    assert answer["setLanguage"]["userErrors"] == [
        {"code": "UNKNOWN_LANGUAGE", "path": ["setLanguage", "code"]}]


@pytest.mark.parametrize("operation", ["setMarket", "setPricelist"])
async def test_unknown_market_or_pricelist_is_not_found(shopper: Shopper,
                                                        operation: str) -> None:
    await shopper.gql("{ session { country { code } } }")
    shopper.shared_secret = shopper.credentials.shared_secret
    answer = await shopper.gql(f"mutation {{ {operation}(id: 999) {{ {ERRORS} }} }}")
    assert answer[operation]["userErrors"] == [{"code": "NOT_FOUND", "path": [operation, "id"]}]


async def refusal(work: Any) -> list[tuple[tuple[str, ...], str]]:
    with pytest.raises(DomainError) as refused:
        await work
    return [(e.path, e.code) for e in refused.value.errors]


async def test_api_client_refusals_have_codes(runtime: Any, clock: Any) -> None:
    db, now = runtime.db, clock.now()
    await usecases.create_client(db, "web", now)
    assert await refusal(usecases.create_client(db, "web", now)) == [
        (("name",), "ALREADY_EXISTS")]
    assert await refusal(usecases.create_client(db, " ", now)) == [(("name",), "REQUIRED")]
    assert await refusal(usecases.create_client(db, "app", now, default_country_code="ZZ")
                         ) == [(("defaultCountry",), "UNKNOWN_COUNTRY")]
    assert await refusal(usecases.update_client(db, "web", default_language_code="xx")) == [
        (("defaultLanguage",), "UNKNOWN_LANGUAGE")]
    assert await refusal(usecases.update_client(db, "web", frontend_url="ftp://x")) == [
        (("frontendUrl",), "INVALID_INPUT")]
    assert await refusal(usecases.rotate_client_credentials(db, "nobody")) == [
        (("name",), "NOT_FOUND")]


async def test_api_client_defaults_keep_their_message(runtime: Any, clock: Any) -> None:
    with pytest.raises(DomainError) as refused:
        await usecases.create_client(runtime.db, "app", clock.now(), default_country_code="ZZ")
    assert refused.value.errors[0].message.startswith("country ZZ not found (load countries")


async def test_integration_key_refusals_have_codes(runtime: Any, clock: Any) -> None:
    db, now = runtime.db, clock.now()
    await usecases.create_integration_key(db, "erp", "write", now)
    assert await refusal(usecases.create_integration_key(db, "erp", "read", now)) == [
        (("name",), "ALREADY_EXISTS")]
    assert await refusal(usecases.create_integration_key(db, "pim", "admin", now)) == [
        (("scope",), "INVALID_INPUT")]
    await usecases.revoke_integration_key(db, "erp", now)
    assert await refusal(usecases.revoke_integration_key(db, "erp", now)) == [
        (("name",), "NOT_FOUND")]
    assert [k["name"] for k in await usecases.list_integration_keys(db)] == ["erp"]
