"""The read side of a customer: a GraphQL ``Customer`` in a handful of batched queries.

Only the parts the operation selects are loaded, and each part costs a fixed number of
statements however many orders, wishlists or attributes the customer has.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import Any

from dtc_api.core.money import monetary_value
from dtc_api.orders import subscriptions
from dtc_api.shop import catalog
from dtc_api.shop.geography import Geography
from dtc_api.store.reads import Query, Reads, Row


def address_view(geography: Geography, values: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL ``Address`` from camelCase values with ``country``/``state`` as codes."""
    get = values.get
    country = get("country")
    return {
        "address1": get("address1"), "address2": get("address2"),
        "attention": get("attention"), "cellPhoneNumber": get("cellPhoneNumber"),
        "city": get("city"), "companyName": get("companyName"), "email": get("email"),
        "faxNumber": get("faxNumber"), "firstName": get("firstName"),
        "lastName": get("lastName"), "phoneNumber": get("phoneNumber"),
        "stateOrProvince": get("stateOrProvince"), "vatNumber": get("vatNumber"),
        "zipCode": get("zipCode"),
        "country": geography.country(country) if country in geography.countries else None,
        "state": geography.state(country, get("state")) if country else None,
    }


def _billing_address(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "address1": row["address1"], "address2": row["address2"], "attention": row["attention"],
        "cellPhoneNumber": row["cell_phone_number"], "city": row["city"],
        "companyName": row["company_name"], "email": row["email"],
        "faxNumber": row["fax_number"], "firstName": row["first_name"],
        "lastName": row["last_name"], "phoneNumber": row["phone_number"],
        "stateOrProvince": row["state_or_province"], "vatNumber": row["vat_number"],
        "zipCode": row["zip_code"], "country": row["country_code"], "state": row["state_code"],
    }


_CUSTOMER = Query(
    """SELECT id, email, first_name, last_name, cell_phone_number, phone_number, website_url,
    birthdate, gender, language_code, address1, address2, attention, city, company_name,
    fax_number, state_or_province, vat_number, zip_code, country_code, state_code
    FROM customers WHERE id = $1""", birthdate="date")
_DYNAMIC_ATTRIBUTES = Query(
    """SELECT ty.id, ty.name, ty.is_multi, d.element_key, d.value, e.kind
    FROM customer_dynamic_attributes d
    JOIN attribute_types ty ON ty.id = d.attribute_type_id
    JOIN attribute_elements e ON e.attribute_type_id = ty.id AND e.key = d.element_key
    WHERE d.customer_id = $1 ORDER BY ty.name, d.element_key""", is_multi="bool")
_MAPPED_ATTRIBUTES = Query(
    """SELECT ty.name, ty.is_multi, m.mapped_attribute_id, v.element_key, v.value, e.kind
    FROM customer_mapped_attributes m
    JOIN attribute_types ty ON ty.id = m.attribute_type_id
    LEFT JOIN mapped_attribute_values v ON v.mapped_attribute_id = m.mapped_attribute_id
    LEFT JOIN attribute_elements e ON e.attribute_type_id = ty.id AND e.key = v.element_key
    WHERE m.customer_id = $1 ORDER BY ty.name, v.element_key""", is_multi="bool")
_NEWSLETTER = Query(
    """SELECT is_active, created_at, country_code FROM newsletter_subscriptions
    WHERE customer_id = $1 ORDER BY created_at""", is_active="bool", created_at="datetime")
_WISHLISTS = Query(
    """SELECT id, name, is_default FROM wishlists WHERE customer_id = $1
    ORDER BY is_default DESC, id""", is_default="bool")
_WISHLIST_ITEMS = Query(
    """SELECT i.wishlist_id, i.display_item_id FROM wishlist_items i
    JOIN wishlists w ON w.id = i.wishlist_id
    WHERE w.customer_id = $1 ORDER BY i.created_at, i.display_item_id""")
_CONTRACTS = Query(
    """SELECT id, created_at, updated_at, market_id, pricelist_id, shipping_address,
    shipping_method, payment_method, payment_status
    FROM subscription_contracts WHERE customer_id = $1 ORDER BY id""",
    created_at="datetime", updated_at="datetime", shipping_address="json",
    shipping_method="json")
_ORDER_COUNT = Query("SELECT count(*) AS count FROM orders WHERE customer_id = $1")
_ORDERS = Query(
    """SELECT id, number, order_date, status, comment, totals, billing_address,
    shipping_address, country_code, state_code, language_code, market_id, currency_id,
    shipping_method
    FROM orders WHERE customer_id = $1 ORDER BY order_date DESC, id DESC
    LIMIT $2 OFFSET $3""",
    order_date="datetime", totals="json", billing_address="json", shipping_address="json",
    shipping_method="json")
_ORDER = Query(
    """SELECT id, number, order_date, status, comment, totals, billing_address,
    shipping_address, country_code, state_code, language_code, market_id, currency_id,
    shipping_method FROM orders WHERE id = $1""",
    order_date="datetime", totals="json", billing_address="json", shipping_address="json",
    shipping_method="json")
# The lines of a page of the customer's orders (``_ORDERS``'s arguments), read with the page.
_PAGE_LINES = Query(
    """SELECT id, order_id, item_id, display_item_id, name, quantity, line_value_minor
    FROM order_lines WHERE order_id IN (
     SELECT id FROM orders WHERE customer_id = $1 ORDER BY order_date DESC, id DESC
     LIMIT $2 OFFSET $3)
    ORDER BY order_id, id""")
_ORDER_LINES = Query(
    """SELECT id, order_id, item_id, display_item_id, name, quantity, line_value_minor
    FROM order_lines WHERE order_id = $1 ORDER BY id""")


# The parts of a customer each read by their id alone, and their statements.
_PARTS: dict[str, tuple[Query, ...]] = {
    "attributes": (_DYNAMIC_ATTRIBUTES, _MAPPED_ATTRIBUTES),
    "newsletterSubscriptions": (_NEWSLETTER,),
    "wishlists": (_WISHLISTS, _WISHLIST_ITEMS),
    "subscriptionContracts": (_CONTRACTS,),
    "totalOrders": (_ORDER_COUNT,),
}


async def view(reads: Reads, geography: Geography, customer_id: int,
               session: Mapping[str, Any], fields: Collection[str],
               orders_page: tuple[int, int] | None = None) -> dict[str, Any] | None:
    """The customer with the parts in ``fields``; with ``orders_page`` (limit, page) also that
    page of their orders, under ``PRELOADED_ORDERS``: the display items of the wishlists and
    of the orders are then read together.

    Every part read by the customer's id alone (and the page of orders with its lines) is
    read in one batch, one round trip on PostgreSQL; then the display items of both."""
    parts = [part for part in _PARTS if part in fields]
    calls: list[tuple[Query, tuple[Any, ...]]] = [(_CUSTOMER, (customer_id,))]
    for part in parts:
        calls.extend((query, (customer_id,)) for query in _PARTS[part])
    page: list[Row] | None = None
    lines: list[Row] = []
    if orders_page is None:
        answers = iter(await reads.batch(calls))
    else:
        try:
            *found, page, lines = await reads.batch(
                [*calls, *_page_calls(customer_id, *orders_page)])
            answers = iter(found)
        except Exception:  # Customer.orders reads them again, and fails there
            answers = iter(await reads.batch(calls))
    rows = next(answers)
    if not rows:
        return None
    row = rows[0]
    customer: dict[str, Any] = {
        "id": row["id"], "email": row["email"], "firstName": row["first_name"],
        "lastName": row["last_name"], "cellPhoneNumber": row["cell_phone_number"],
        "phoneNumber": row["phone_number"], "websiteUrl": row["website_url"],
        "birthdate": row["birthdate"], "gender": row["gender"],
        "language": geography.language(row["language_code"]),
        "billingAddress": address_view(geography, _billing_address(row)),
    }
    read = {part: [next(answers) for _ in _PARTS[part]] for part in parts}
    if "attributes" in read:
        customer["attributes"] = _attributes(*read["attributes"])
    if "newsletterSubscriptions" in read:
        customer["newsletterSubscriptions"] = _newsletter_subscriptions(
            geography, *read["newsletterSubscriptions"])
    lists, members = read.get("wishlists", ([], []))
    wished = {m["display_item_id"] for m in members}
    display = None
    if page is not None:
        # Whatever fails here, Customer.orders reads the orders again and answers the failure
        # at its own path.
        with contextlib.suppress(Exception):
            display = await _display_items(reads, geography, wished | _ordered(lines), session)
            customer[PRELOADED_ORDERS] = (orders_page,
                                          _order_views(geography, page, lines, display))
    if "wishlists" in read:
        if display is None:
            display = await _display_items(reads, geography, wished, session)
        customer["wishlists"] = _wishlists(lists, members, display)
    if "subscriptionContracts" in read:
        customer["subscriptionContracts"] = _subscription_contracts(
            geography, *read["subscriptionContracts"])
    if "totalOrders" in read:
        ((count,),) = read["totalOrders"]
        customer["totalOrders"] = count["count"]
    return customer


def _attributes(dynamic: list[Row], mapped: list[Row]) -> list[dict[str, Any]]:
    result: dict[int, dict[str, Any]] = {}
    for row in dynamic:
        attribute = result.setdefault(row["id"], {
            "__typename": "DynamicAttribute",
            "type": {"name": row["name"], "isMulti": row["is_multi"]}, "elements": []})
        attribute["elements"].append(
            catalog.attribute_element(row["kind"], row["element_key"], row["value"]))
    mapped_views: dict[int, dict[str, Any]] = {}
    for row in mapped:
        attribute = mapped_views.setdefault(row["mapped_attribute_id"], {
            "__typename": "MappedAttribute", "id": row["mapped_attribute_id"],
            "type": {"name": row["name"], "isMulti": row["is_multi"]}, "elements": []})
        if row["element_key"] is not None:
            attribute["elements"].append(
                catalog.attribute_element(row["kind"] or "INPUT", row["element_key"],
                                          row["value"]))
    return [*result.values(), *mapped_views.values()]


def _newsletter_subscriptions(geography: Geography, rows: list[Row]) -> list[dict[str, Any]]:
    return [{"isActive": row["is_active"], "createdAt": row["created_at"],
             "country": geography.country(row["country_code"]) if row["country_code"] else None}
            for row in rows]


async def _display_items(reads: Reads, geography: Geography, ids: Collection[int],
                         session: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    return await catalog.display_items(
        reads, ids, market_id=session["market_id"], pricelist_id=session["pricelist_id"],
        currency=geography.currency_of(session["pricelist_id"]),
        language=session.get("language_code"))


# The key of a customer view under which a page of orders read with it waits for
# ``Customer.orders``: ((limit, page), orders).
PRELOADED_ORDERS = "preloadedOrders"


async def _wishlist_rows(reads: Reads, customer_id: int) -> tuple[list[Row], list[Row]]:
    lists = await reads.all(_WISHLISTS, customer_id)
    return lists, (await reads.all(_WISHLIST_ITEMS, customer_id) if lists else [])


async def wishlists(reads: Reads, geography: Geography, customer_id: int,
                    session: Mapping[str, Any]) -> list[dict[str, Any]]:
    lists, members = await _wishlist_rows(reads, customer_id)
    display = await _display_items(reads, geography, {m["display_item_id"] for m in members},
                                   session)
    return _wishlists(lists, members, display)


def _wishlists(lists: list[Row], members: list[Row], display: Mapping[int, dict[str, Any]]
               ) -> list[dict[str, Any]]:
    by_list: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for member in members:
        by_list[member["wishlist_id"]].append(display[member["display_item_id"]])
    return [{"id": w["id"], "name": w["name"], "isDefault": w["is_default"],
             "items": by_list[w["id"]]} for w in lists]


async def subscription_contracts(reads: Reads, geography: Geography,
                                 customer_id: int) -> list[dict[str, Any]]:
    """GraphQL ``SubscriptionContract``s; their subscriptions are read when asked for."""
    return _subscription_contracts(geography, await reads.all(_CONTRACTS, customer_id))


def _subscription_contracts(geography: Geography, rows: list[Row]) -> list[dict[str, Any]]:
    loader = subscriptions.Loader(geography, rows)
    return [{"id": row["id"], "createdAt": row["created_at"], "updatedAt": row["updated_at"],
             "market": geography.market(row["market_id"]) if row["market_id"] else None,
             "pricelist": geography.pricelist(row["pricelist_id"]),
             "shippingAddress": address_view(geography, row["shipping_address"]),
             "shippingOption": _contract_shipping(geography, row),
             "subscriptionPayment": [] if row["payment_method"] is None else [{
                 "id": row["id"], "paymentMethod": row["payment_method"],
                 "status": row["payment_status"] or "ACTIVE",
                 "createdAt": row["created_at"], "updatedAt": row["updated_at"]}],
             "loader": loader}
            for row in rows]


def _contract_shipping(geography: Geography, row: Mapping[str, Any]) -> dict[str, Any] | None:
    method = row["shipping_method"]
    if method is None:
        return None
    currency = geography.currency_of(row["pricelist_id"])
    return {"id": method["id"], "name": method["name"], "comment": method.get("comment"),
            "price": monetary_value(method.get("priceMinor") or 0, currency), "selected": True}


async def orders(reads: Reads, geography: Geography, customer_id: int,
                 session: Mapping[str, Any], limit: int, page: int) -> list[dict[str, Any]]:
    """One page of the customer's orders, newest first: the page, its lines, then their
    display items. Statement by statement: this is also the read that answers when the page
    could not be read with the customer (a batch's JSON cannot carry every value)."""
    rows, lines = [await reads.all(query, *terms)
                   for query, terms in _page_calls(customer_id, limit, page)]
    return await _orders(reads, geography, rows, lines, session)


def _page_calls(customer_id: int, limit: int, page: int
                ) -> list[tuple[Query, tuple[int, int, int]]]:
    """The statements of a page of the customer's orders (newest first, at most 100 a page)
    and of their lines."""
    limit = max(0, min(limit, 100))
    terms = (customer_id, limit, max(0, page - 1) * limit)
    return [(_ORDERS, terms), (_PAGE_LINES, terms)]


async def order(reads: Reads, geography: Geography, order_id: int,
                session: Mapping[str, Any]) -> dict[str, Any] | None:
    """One order (the one a session placed last), whoever's it is."""
    rows = await reads.all(_ORDER, order_id)
    if not rows:
        return None
    lines = await reads.all(_ORDER_LINES, order_id)
    return (await _orders(reads, geography, rows, lines, session))[0]


async def _orders(reads: Reads, geography: Geography, rows: list[Row], lines: list[Row],
                  session: Mapping[str, Any]) -> list[dict[str, Any]]:
    display = await _display_items(reads, geography, _ordered(lines), session)
    return _order_views(geography, rows, lines, display)


def _ordered(lines: list[Row]) -> set[int]:
    """The display items of order lines (a line of a deleted one has none)."""
    return {line["display_item_id"] for line in lines if line["display_item_id"]}


def _order_views(geography: Geography, rows: list[Row], lines: list[Row],
                 display: Mapping[int, dict[str, Any]]) -> list[dict[str, Any]]:
    by_order: dict[int, list[Any]] = defaultdict(list)
    for line in lines:
        by_order[line["order_id"]].append(line)
    items = {(display_id, item["id"]): item
             for display_id, display_item in display.items() for item in display_item["items"]}
    return [_order(geography, row, by_order[row["id"]], display, items) for row in rows]


def _order(geography: Geography, row: Mapping[str, Any], lines: list[Any],
           display: Mapping[int, dict[str, Any]],
           items: Mapping[tuple[int, int], dict[str, Any]]) -> dict[str, Any]:
    currency = geography.currencies[row["currency_id"]]
    country = row["country_code"]
    return {
        "id": str(row["id"]), "number": row["number"], "orderDate": row["order_date"],
        "status": row["status"], "comment": row["comment"],
        "totals": [{"type": total["type"], "price": monetary_value(total["minor"], currency),
                    "taxPercent": total.get("taxPercent")} for total in row["totals"]],
        "lines": [_order_line(line, display, items, currency) for line in lines],
        "shippingMethod": _shipping_method(row, currency),
        "billingAddress": address_view(geography, row["billing_address"])
        if row["billing_address"] else None,
        "shippingAddress": address_view(geography, row["shipping_address"])
        if row["shipping_address"] else None,
        "country": geography.country(country) if country in geography.countries else None,
        "state": geography.state(country, row["state_code"]) if country else None,
        "language": geography.language(row["language_code"]),
        "market": geography.market(row["market_id"]) if row["market_id"] in geography.markets
        else None,
    }


def _shipping_method(row: Mapping[str, Any], currency: dict[str, Any]) -> dict[str, Any]:
    """The method the order was shipped with, at the price paid. An order recorded without
    one (before methods were recorded, or by a system that has none) answers id 0 and an
    empty name: the field is non-null in Centra's schema."""
    method = row["shipping_method"] or {"id": 0, "name": "", "comment": None}
    shipping = next((total["minor"] for total in row["totals"] if total["type"] == "SHIPPING"),
                    0)
    return {"id": method["id"], "name": method["name"], "comment": method.get("comment"),
            "price": monetary_value(shipping, currency), "selected": True}


def _order_line(line: Mapping[str, Any], display: Mapping[int, dict[str, Any]],
                items: Mapping[tuple[int, int], dict[str, Any]],
                currency: dict[str, Any]) -> dict[str, Any] | None:
    """The line, or None when its display item or item has left the catalogue since."""
    item = items.get((line["display_item_id"], line["item_id"]))
    if item is None:
        return None
    return {"__typename": "ProductLine", "id": str(line["id"]), "name": line["name"],
            "quantity": line["quantity"], "item": item,
            "displayItem": display[line["display_item_id"]],
            "lineValue": monetary_value(line["line_value_minor"], currency)}


# The parts of a customer the operator sees, besides the storefront's own fields.
PROFILE_FIELDS = ("attributes", "newsletterSubscriptions", "wishlists",
                  "subscriptionContracts", "totalOrders")


_CUSTOMER_COUNTRY = Query("SELECT country_code FROM customers WHERE id = $1")


async def profile(reads: Reads, geography: Geography, customer_id: int
                  ) -> dict[str, Any] | None:
    """The customer as the storefront would show them, with every part and their latest 100
    orders, priced in the market and pricelist of their country."""
    country = await reads.scalar(_CUSTOMER_COUNTRY, customer_id)
    market, pricelist = geography.market_and_pricelist(country or "")
    where = {"market_id": market, "pricelist_id": pricelist}
    customer = await view(reads, geography, customer_id, where, PROFILE_FIELDS)
    if customer is not None:
        customer["orders"] = await orders(reads, geography, customer_id, where, 100, 1)
    return _public(customer)


# Keys of the views that serve resolvers, not readers.
_INTERNAL = frozenset({"extras", "priceMinor", "parts", "memberIds", "loader", "tree",
                       "parentId", PRELOADED_ORDERS})


def _public(value: Any) -> Any:
    """``value`` without the views' internal keys (the profile is served as JSON)."""
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items() if k not in _INTERNAL}
    if isinstance(value, list):
        return [_public(v) for v in value]
    return value
