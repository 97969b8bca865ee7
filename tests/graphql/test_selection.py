"""selection, addItem, updateLine, deleteLine: arithmetic, stock, expiry."""

from __future__ import annotations

from typing import Any

import pytest

from dtc_api.clock import SteppableClock
from tests.support import Shopper

SELECTION_FIELDS = """
  id
  lines {
    id name quantity
    item { id stock { available quantity } }
    displayItem { id name price { formattedValue } }
    lineValue { value formattedValue }
  }
  grandTotal { value formattedValue currency { code } }
"""
USER_ERRORS = """
  userErrors {
    __typename message path
    ... on UnavailableItem { availableQuantity originalQuantity unavailableQuantity item { id } }
  }
"""
ADD_ITEM = f"""
mutation($item: String!, $quantity: Int!) {{
  addItem(item: $item, quantity: $quantity) {{
    line {{ id quantity }}
    selection {{ {SELECTION_FIELDS} }}
    {USER_ERRORS}
  }}
}}
"""
UPDATE_LINE = f"""
mutation($line: String!, $quantity: Int!) {{
  updateLine(lineId: $line, quantity: $quantity) {{
    selection {{ {SELECTION_FIELDS} }}
    {USER_ERRORS}
  }}
}}
"""
DELETE_LINE = f"""
mutation($line: String!) {{
  deleteLine(lineId: $line) {{ selection {{ {SELECTION_FIELDS} }} {USER_ERRORS} }}
}}
"""
SET_COUNTRY = f"""
mutation($country: String!, $state: String) {{
  setCountryState(countryCode: $country, stateCode: $state) {{
    selection {{ {SELECTION_FIELDS} }}
    {USER_ERRORS}
  }}
}}
"""


async def add(shopper: Shopper, item: str, quantity: int = 1) -> dict[str, Any]:
    return (await shopper.gql(ADD_ITEM, {"item": item, "quantity": quantity}))["addItem"]


async def selection(shopper: Shopper) -> dict[str, Any]:
    return (await shopper.gql(f"{{ selection {{ {SELECTION_FIELDS} }} }}"))["selection"]


async def test_selection_empty_has_null_id(shopper: Shopper) -> None:
    assert await selection(shopper) == {
        "id": None,
        "lines": [],
        "grandTotal": {"value": 0.0, "formattedValue": "0,00 SEK", "currency": {"code": "SEK"}},
    }


async def test_add_item_fills_the_selection(shopper: Shopper) -> None:
    payload = await add(shopper, "1-1", 2)
    assert payload["userErrors"] == []
    line = payload["selection"]["lines"][0]
    assert payload["line"] == {"id": line["id"], "quantity": 2}
    assert line["name"] == "Organic Cotton T-Shirt"
    assert line["item"] == {"id": "1-1", "stock": {"available": True, "quantity": 40}}
    assert line["displayItem"]["price"] == {"formattedValue": "299,00 SEK"}
    assert line["lineValue"] == {"value": 598.0, "formattedValue": "598,00 SEK"}
    assert payload["selection"]["id"] is not None
    assert await selection(shopper) == payload["selection"]


async def test_add_item_twice_raises_the_line_quantity(shopper: Shopper) -> None:
    first = await add(shopper, "4-1")
    second = await add(shopper, "4-1", 2)
    assert second["line"] == {"id": first["line"]["id"], "quantity": 3}
    assert len(second["selection"]["lines"]) == 1


@pytest.mark.parametrize(
    ("country", "state", "lines", "value", "formatted"),
    # The lines, and shipping by the first method offered until one is chosen: Standard, free
    # from 1,000 SEK, 100 EUR, 1,000 NOK, 750 DKK or 90 GBP; 49 SEK or 9.90 USD otherwise.
    [
        ("SE", None, [("1-1", 1)], 348.0, "348,00 SEK"),
        ("SE", None, [("1-1", 3), ("2-1", 2)], 3495.0, "3 495,00 SEK"),
        ("SE", None, [("5-1", 5)], 8995.0, "8 995,00 SEK"),
        ("SE", None, [("4-1", 100)], 34900.0, "34 900,00 SEK"),
        ("DE", None, [("1-2", 2), ("3-2", 1)], 197.0, "197,00 €"),
        ("NO", None, [("2-1", 1)], 1499.0, "1 499,00 NOK"),
        ("DK", None, [("4-1", 7)], 1813.0, "1.813,00 DKK"),
        ("GB", None, [("2-3", 1), ("3-1", 1)], 218.0, "£218.00"),
        ("US", "NY", [("4-1", 3)], 126.9, "$126.90"),
        ("US", "CA", [("2-2", 1), ("1-1", 1)], 183.9, "$183.90"),
    ],
)
async def test_grand_total_in_the_pricelist_currency(
    shopper: Shopper, country: str, state: str | None, lines: list[tuple[str, int]],
    value: float, formatted: str,
) -> None:
    await shopper.gql(SET_COUNTRY, {"country": country, "state": state})
    for item, quantity in lines:
        assert (await add(shopper, item, quantity))["userErrors"] == []
    total = (await selection(shopper))["grandTotal"]
    assert (total["value"], total["formattedValue"]) == (value, formatted)


async def test_line_prices_follow_the_country(shopper: Shopper) -> None:
    await add(shopper, "3-2", 2)
    payload = (await shopper.gql(SET_COUNTRY, {"country": "DE"}))["setCountryState"]
    assert payload["userErrors"] == []
    assert payload["selection"]["lines"][0]["lineValue"]["formattedValue"] == "278,00 €"
    assert payload["selection"]["grandTotal"]["formattedValue"] == "278,00 €"


@pytest.mark.parametrize("item", ["99-1", "1-99", "", "1-1; DROP TABLE items"])
async def test_add_item_unknown_item_is_a_user_error(shopper: Shopper, item: str) -> None:
    payload = await add(shopper, item)
    assert payload["userErrors"] == [{
        "__typename": "UserErrorBase", "message": f"item {item} not found",
        "path": ["addItem", "item"],
    }]
    assert payload["line"] is None
    assert payload["selection"]["id"] is None


@pytest.mark.parametrize("quantity", [0, -1, -2147483648, 100_001])
async def test_add_item_quantity_out_of_range(shopper: Shopper, quantity: int) -> None:
    payload = await add(shopper, "1-1", quantity)
    assert payload["userErrors"][0]["path"] == ["addItem", "quantity"]
    assert payload["selection"]["lines"] == []


async def test_add_item_out_of_stock_everywhere(shopper: Shopper) -> None:
    payload = await add(shopper, "10-1")
    assert payload["line"] is None
    assert payload["userErrors"] == [{
        "__typename": "UnavailableItem",
        "message": "item 10-1 is not available in the requested quantity",
        "path": ["addItem", "item"],
        "availableQuantity": 0, "originalQuantity": 1, "unavailableQuantity": 1,
        "item": {"id": "10-1"},
    }]
    assert payload["selection"]["id"] is None


async def test_add_item_more_than_in_stock_adds_what_there_is(shopper: Shopper) -> None:
    payload = await add(shopper, "1-3", 5)  # 3 in the warehouse serving Sweden
    assert payload["line"]["quantity"] == 3
    error = payload["userErrors"][0]
    assert (error["originalQuantity"], error["availableQuantity"],
            error["unavailableQuantity"]) == (5, 3, 2)


async def test_add_item_on_preorder_ignores_stock(shopper: Shopper) -> None:
    payload = await add(shopper, "10-2", 4)
    assert payload["userErrors"] == []
    assert payload["line"]["quantity"] == 4


async def test_set_country_state_removes_lines_the_new_market_cannot_supply(
    shopper: Shopper,
) -> None:
    await shopper.gql(SET_COUNTRY, {"country": "US", "state": "NY"})
    assert (await add(shopper, "2-2", 2))["userErrors"] == []  # only in the US warehouse
    assert (await add(shopper, "4-1", 1))["userErrors"] == []
    payload = (await shopper.gql(SET_COUNTRY, {"country": "SE"}))["setCountryState"]
    assert [e["__typename"] for e in payload["userErrors"]] == ["UnavailableItem"]
    assert payload["userErrors"][0]["path"] == ["setCountryState", "countryCode"]
    assert payload["userErrors"][0]["item"] == {"id": "2-2"}
    assert [line["item"]["id"] for line in payload["selection"]["lines"]] == ["4-1"]


async def test_update_line_sets_the_quantity(shopper: Shopper) -> None:
    line_id = (await add(shopper, "1-1"))["line"]["id"]
    payload = (await shopper.gql(UPDATE_LINE, {"line": line_id, "quantity": 4}))["updateLine"]
    assert payload["userErrors"] == []
    assert payload["selection"]["lines"][0]["quantity"] == 4
    assert payload["selection"]["grandTotal"]["formattedValue"] == "1 196,00 SEK"


async def test_update_line_to_zero_removes_it(shopper: Shopper) -> None:
    line_id = (await add(shopper, "1-1"))["line"]["id"]
    payload = (await shopper.gql(UPDATE_LINE, {"line": line_id, "quantity": 0}))["updateLine"]
    assert payload["userErrors"] == []
    assert payload["selection"]["lines"] == []
    assert payload["selection"]["id"] is None


async def test_update_line_beyond_stock_is_capped(shopper: Shopper) -> None:
    line_id = (await add(shopper, "3-3"))["line"]["id"]  # 2 in stock
    payload = (await shopper.gql(UPDATE_LINE, {"line": line_id, "quantity": 9}))["updateLine"]
    assert payload["selection"]["lines"][0]["quantity"] == 2
    assert payload["userErrors"][0]["path"] == ["updateLine", "quantity"]
    assert payload["userErrors"][0]["unavailableQuantity"] == 7


@pytest.mark.parametrize(
    ("variables", "path"),
    [
        ({"line": "no-such-line", "quantity": 1}, ["updateLine", "lineId"]),
        ({"line": None, "quantity": -1}, ["updateLine", "quantity"]),
    ],
)
async def test_update_line_bad_input(
    shopper: Shopper, variables: dict[str, Any], path: list[str]
) -> None:
    line_id = (await add(shopper, "1-1"))["line"]["id"]
    variables = {**variables, "line": variables["line"] or line_id}
    payload = (await shopper.gql(UPDATE_LINE, variables))["updateLine"]
    assert payload["userErrors"][0]["path"] == path
    assert payload["selection"]["lines"][0]["quantity"] == 1


async def test_delete_line(shopper: Shopper) -> None:
    keep = (await add(shopper, "1-1"))["line"]["id"]
    drop = (await add(shopper, "2-1"))["line"]["id"]
    payload = (await shopper.gql(DELETE_LINE, {"line": drop}))["deleteLine"]
    assert payload["userErrors"] == []
    assert [line["id"] for line in payload["selection"]["lines"]] == [keep]
    again = (await shopper.gql(DELETE_LINE, {"line": drop}))["deleteLine"]
    assert again["userErrors"] == [{
        "__typename": "UserErrorBase", "message": f"line {drop} not found",
        "path": ["deleteLine", "lineId"],
    }]


async def test_lines_of_another_session_cannot_be_touched(
    shopper: Shopper, http: Any, credentials: Any
) -> None:
    line_id = (await add(shopper, "1-1"))["line"]["id"]
    other = Shopper(http, credentials)
    payload = (await other.gql(DELETE_LINE, {"line": line_id}))["deleteLine"]
    assert payload["userErrors"][0]["path"] == ["deleteLine", "lineId"]
    assert len((await selection(shopper))["lines"]) == 1


async def test_selection_expires_after_seven_days_without_change(
    shopper: Shopper, clock: SteppableClock
) -> None:
    await add(shopper, "1-1")
    clock.advance(days=6, hours=23)
    assert len((await selection(shopper))["lines"]) == 1
    await add(shopper, "1-1")  # a change restarts the seven days
    clock.advance(days=6, hours=23)
    assert (await selection(shopper))["lines"][0]["quantity"] == 2
    clock.advance(hours=2)
    assert await selection(shopper) == {
        "id": None, "lines": [],
        "grandTotal": {"value": 0.0, "formattedValue": "0,00 SEK", "currency": {"code": "SEK"}},
    }
    payload = await add(shopper, "2-1")  # a new selection starts
    assert [line["item"]["id"] for line in payload["selection"]["lines"]] == ["2-1"]


async def test_add_item_without_a_price_in_the_pricelist_is_refused(
    shopper: Shopper, runtime: Any
) -> None:
    import sqlalchemy as sa

    from dtc_api.store import tables as t

    async with runtime.db.write() as conn:
        prices = t.display_item_prices
        await conn.execute(sa.delete(prices).where(
            prices.c.display_item_id == 4, prices.c.pricelist_id == 1))
    payload = await add(shopper, "4-1", 3)
    assert payload["line"] is None
    assert payload["userErrors"][0]["__typename"] == "UnavailableItem"
    assert payload["userErrors"][0]["availableQuantity"] == 0
    assert payload["selection"]["lines"] == []
    # Still sold in Germany: added there, then removed when the shopper moves to Sweden.
    await shopper.gql(SET_COUNTRY, {"country": "DE"})
    assert (await add(shopper, "4-1"))["userErrors"] == []
    moved = (await shopper.gql(SET_COUNTRY, {"country": "SE"}))["setCountryState"]
    assert moved["selection"]["lines"] == []
    assert moved["userErrors"][0]["item"] == {"id": "4-1"}
