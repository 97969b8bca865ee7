"""session, setCountryState, setLanguage, countries, languages."""

from __future__ import annotations

import pytest

from tests.support import Shopper, post_as

SESSION = """
query {
  session {
    country { code name isEU }
    countryState { code name }
    language { code name default }
    market { id name }
    pricelist { id name currency { code } }
    loggedIn { id }
  }
}
"""

SET_COUNTRY = """
mutation($country: String!, $state: String) {
  setCountryState(countryCode: $country, stateCode: $state) {
    selection { grandTotal { formattedValue currency { code } } }
    userErrors { message path }
  }
}
"""


async def test_session_new_shopper_gets_the_client_defaults(shopper: Shopper) -> None:
    session = (await shopper.gql(SESSION))["session"]
    assert session == {
        "country": {"code": "SE", "name": "Sweden", "isEU": True},
        "countryState": None,
        "language": {"code": "en", "name": "English", "default": True},
        "market": {"id": 1, "name": "Sweden"},
        "pricelist": {"id": 1, "name": "SEK", "currency": {"code": "SEK"}},
        "loggedIn": None,
    }


@pytest.mark.parametrize(
    ("country", "market", "pricelist", "currency"),
    [
        ("SE", "Sweden", "SEK", "SEK"),
        ("DE", "Europe", "EUR", "EUR"),
        ("AT", "Europe", "EUR", "EUR"),
        ("NO", "Europe", "NOK", "NOK"),
        ("GB", "International", "GBP", "GBP"),
        # Not a ship-to country: the store's default market and pricelist.
        ("JP", "International", "USD", "USD"),
    ],
)
async def test_set_country_state_derives_market_and_pricelist(
    shopper: Shopper, country: str, market: str, pricelist: str, currency: str
) -> None:
    payload = (await shopper.gql(SET_COUNTRY, {"country": country}))["setCountryState"]
    assert payload["userErrors"] == []
    assert payload["selection"]["grandTotal"]["currency"]["code"] == currency
    session = (await shopper.gql(SESSION))["session"]
    assert session["country"]["code"] == country
    assert session["market"]["name"] == market
    assert session["pricelist"]["name"] == pricelist


async def test_set_country_state_unknown_country_is_a_user_error(shopper: Shopper) -> None:
    payload = (await shopper.gql(SET_COUNTRY, {"country": "XX"}))["setCountryState"]
    assert payload["userErrors"] == [
        {"message": "country XX not found", "path": ["setCountryState", "countryCode"]}
    ]
    assert (await shopper.gql(SESSION))["session"]["country"]["code"] == "SE"


async def test_set_country_state_with_states(shopper: Shopper) -> None:
    missing = (await shopper.gql(SET_COUNTRY, {"country": "US"}))["setCountryState"]
    assert missing["userErrors"] == [
        {"message": "country US requires a state", "path": ["setCountryState", "stateCode"]}
    ]
    wrong = (await shopper.gql(SET_COUNTRY, {"country": "US", "state": "ZZ"}))["setCountryState"]
    assert wrong["userErrors"][0]["path"] == ["setCountryState", "stateCode"]

    done = (await shopper.gql(SET_COUNTRY, {"country": "US", "state": "NY"}))["setCountryState"]
    assert done["userErrors"] == []
    session = (await shopper.gql(SESSION))["session"]
    assert session["countryState"] == {"code": "NY", "name": "New York"}
    assert session["pricelist"]["currency"]["code"] == "USD"


async def test_set_language_translates_country_names(shopper: Shopper) -> None:
    data = await shopper.gql(
        'mutation { setLanguage(code: "sv") { session { language { code } country { name } }'
        " userErrors { message } } }"
    )
    assert data["setLanguage"] == {
        "session": {"language": {"code": "sv"}, "country": {"name": "Sverige"}},
        "userErrors": [],
    }


async def test_set_language_unknown_is_a_user_error(shopper: Shopper) -> None:
    data = await shopper.gql(
        'mutation { setLanguage(code: "xx") { session { language { code } } '
        "userErrors { message path } } }"
    )
    assert data["setLanguage"]["userErrors"] == [
        {"message": "language xx not found", "path": ["setLanguage", "code"]}
    ]
    assert data["setLanguage"]["session"]["language"]["code"] == "en"


async def test_countries_only_ship_to(shopper: Shopper) -> None:
    data = await shopper.gql(
        "{ shipTo: countries(onlyShipTo: true) { code shipTo defaultLanguage { code } } "
        "all: countries(onlyShipTo: false) { code } }"
    )
    codes = {c["code"] for c in data["shipTo"]}
    assert codes == {"SE", "DE", "AT", "FI", "FR", "NL", "DK", "NO", "GB", "US"}
    assert all(c["shipTo"] for c in data["shipTo"])
    sweden = next(c for c in data["shipTo"] if c["code"] == "SE")
    assert sweden["defaultLanguage"] == {"code": "sv"}
    assert len(data["all"]) == 249  # every ISO 3166-1 country


async def test_country_translations_and_states(shopper: Shopper) -> None:
    data = await shopper.gql(
        "{ countries(onlyShipTo: true) { code states { code } "
        "translations { language { code } name } } }"
    )
    germany = next(c for c in data["countries"] if c["code"] == "DE")
    assert {t["language"]["code"]: t["name"] for t in germany["translations"]} == {
        "de": "Deutschland", "en": "Germany", "sv": "Tyskland"}
    assert germany["states"] is None
    usa = next(c for c in data["countries"] if c["code"] == "US")
    assert {"CA", "NY", "DC"} <= {s["code"] for s in usa["states"]}


async def test_languages(shopper: Shopper) -> None:
    data = await shopper.gql("{ languages { code name default languageCode } }")
    assert data["languages"] == [
        {"code": "de", "name": "German", "default": False, "languageCode": "de"},
        {"code": "en", "name": "English", "default": True, "languageCode": "en"},
        {"code": "sv", "name": "Swedish", "default": False, "languageCode": "sv"},
    ]


async def test_markets_and_pricelists_in_no_session_mode(http, credentials) -> None:
    response = await post_as(
        http, credentials.no_session_token,
        {"query": '{ markets(countryCode: ["DE"]) { id name countries { code } } '
                  "pricelists(id: [1]) { name currency { code } countries { code } } }"},
    )
    data = response.json()["data"]
    assert [m["name"] for m in data["markets"]] == ["Europe"]
    assert {"DE", "AT", "FI"} <= {c["code"] for c in data["markets"][0]["countries"]}
    assert data["pricelists"] == [
        {"name": "SEK", "currency": {"code": "SEK"}, "countries": [{"code": "SE"}]}
    ]
