"""The read side of a customer: a GraphQL ``Customer`` in a handful of batched queries.

Only the parts the operation selects are loaded, and each part costs a fixed number of
statements however many orders, wishlists or attributes the customer has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core.money import monetary_value
from dtc_api.shop import catalog
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t

_ELEMENT_TYPES = {"FILE": "AttributeFileElement", "IMAGE": "AttributeImageElement",
                  "SELECT": "AttributeChoiceElement", "BOOLEAN": "AttributeChoiceElement"}


def address_view(geography: Geography, values: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL ``Address`` from camelCase values with ``country``/``state`` as codes."""
    country = values.get("country")
    view = {key: values.get(key) for key in (
        "address1", "address2", "attention", "cellPhoneNumber", "city", "companyName", "email",
        "faxNumber", "firstName", "lastName", "phoneNumber", "stateOrProvince", "vatNumber",
        "zipCode")}
    view["country"] = geography.country(country) if country in geography.countries else None
    view["state"] = geography.state(country, values.get("state")) if country else None
    return view


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


async def view(conn: AsyncConnection, geography: Geography, customer_id: int,
               session: Mapping[str, Any], fields: Collection[str]) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(t.customers).where(t.customers.c.id == customer_id))
           ).mappings().first()
    if row is None:
        return None
    customer: dict[str, Any] = {
        "id": row["id"], "email": row["email"], "firstName": row["first_name"],
        "lastName": row["last_name"], "cellPhoneNumber": row["cell_phone_number"],
        "phoneNumber": row["phone_number"], "websiteUrl": row["website_url"],
        "birthdate": row["birthdate"], "gender": row["gender"],
        "language": geography.language(row["language_code"]),
        "billingAddress": address_view(geography, _billing_address(row)),
    }
    if "attributes" in fields:
        customer["attributes"] = await attributes(conn, customer_id)
    if "newsletterSubscriptions" in fields:
        customer["newsletterSubscriptions"] = await newsletter_subscriptions(
            conn, geography, customer_id)
    if "wishlists" in fields:
        customer["wishlists"] = await wishlists(conn, geography, customer_id, session)
    if "subscriptionContracts" in fields:
        customer["subscriptionContracts"] = await subscription_contracts(
            conn, geography, customer_id)
    if "totalOrders" in fields:
        customer["totalOrders"] = await conn.scalar(
            sa.select(sa.func.count()).select_from(t.orders)
            .where(t.orders.c.customer_id == customer_id))
    return customer


def _element(kind: str, key: str, value: str) -> dict[str, Any]:
    typename = _ELEMENT_TYPES.get(kind, "AttributeStringElement")
    element: dict[str, Any] = {"__typename": typename, "key": key, "kind": kind}
    if typename == "AttributeChoiceElement":
        choice = {"name": value, "value": value}
        element.update(value=choice, values=[choice])
    elif typename in {"AttributeFileElement", "AttributeImageElement"}:
        element["url"] = value
    else:
        element.update(value=value, translations=[])
    return element


async def attributes(conn: AsyncConnection, customer_id: int) -> list[dict[str, Any]]:
    types, elements = t.attribute_types, t.attribute_elements
    dynamic = t.customer_dynamic_attributes
    rows = await conn.execute(
        sa.select(types.c.id, types.c.name, types.c.is_multi, dynamic.c.element_key,
                  dynamic.c.value, elements.c.kind)
        .join(types, types.c.id == dynamic.c.attribute_type_id)
        .join(elements, sa.and_(elements.c.attribute_type_id == types.c.id,
                                elements.c.key == dynamic.c.element_key))
        .where(dynamic.c.customer_id == customer_id)
        .order_by(types.c.name, dynamic.c.element_key)
    )
    result: dict[int, dict[str, Any]] = {}
    for row in rows:
        attribute = result.setdefault(row.id, {
            "__typename": "DynamicAttribute",
            "type": {"name": row.name, "isMulti": row.is_multi}, "elements": []})
        attribute["elements"].append(_element(row.kind, row.element_key, row.value))
    mapped, values = t.customer_mapped_attributes, t.mapped_attribute_values
    rows = await conn.execute(
        sa.select(types.c.name, types.c.is_multi, mapped.c.mapped_attribute_id,
                  values.c.element_key, values.c.value, elements.c.kind)
        .join(types, types.c.id == mapped.c.attribute_type_id)
        .outerjoin(values, values.c.mapped_attribute_id == mapped.c.mapped_attribute_id)
        .outerjoin(elements, sa.and_(elements.c.attribute_type_id == types.c.id,
                                     elements.c.key == values.c.element_key))
        .where(mapped.c.customer_id == customer_id)
        .order_by(types.c.name, values.c.element_key)
    )
    mapped_views: dict[int, dict[str, Any]] = {}
    for row in rows:
        attribute = mapped_views.setdefault(row.mapped_attribute_id, {
            "__typename": "MappedAttribute", "id": row.mapped_attribute_id,
            "type": {"name": row.name, "isMulti": row.is_multi}, "elements": []})
        if row.element_key is not None:
            attribute["elements"].append(
                _element(row.kind or "INPUT", row.element_key, row.value))
    return [*result.values(), *mapped_views.values()]


async def newsletter_subscriptions(conn: AsyncConnection, geography: Geography,
                                   customer_id: int) -> list[dict[str, Any]]:
    table = t.newsletter_subscriptions
    rows = await conn.execute(
        sa.select(table).where(table.c.customer_id == customer_id).order_by(table.c.created_at))
    return [{"isActive": row.is_active, "createdAt": row.created_at,
             "country": geography.country(row.country_code) if row.country_code else None}
            for row in rows]


async def _display_items(conn: AsyncConnection, geography: Geography, ids: Collection[int],
                         session: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    return await catalog.display_items(
        conn, ids, market_id=session["market_id"], pricelist_id=session["pricelist_id"],
        currency=geography.currency_of(session["pricelist_id"]))


async def wishlists(conn: AsyncConnection, geography: Geography, customer_id: int,
                    session: Mapping[str, Any]) -> list[dict[str, Any]]:
    lists = (await conn.execute(
        sa.select(t.wishlists).where(t.wishlists.c.customer_id == customer_id)
        .order_by(t.wishlists.c.is_default.desc(), t.wishlists.c.id))).mappings().all()
    if not lists:
        return []
    items = t.wishlist_items
    members = (await conn.execute(
        sa.select(items.c.wishlist_id, items.c.display_item_id)
        .where(items.c.wishlist_id.in_([w["id"] for w in lists]))
        .order_by(items.c.created_at, items.c.display_item_id))).all()
    display = await _display_items(conn, geography, {m.display_item_id for m in members},
                                   session)
    by_list: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for member in members:
        by_list[member.wishlist_id].append(display[member.display_item_id])
    return [{"id": w["id"], "name": w["name"], "isDefault": w["is_default"],
             "items": by_list[w["id"]]} for w in lists]


async def subscription_contracts(conn: AsyncConnection, geography: Geography,
                                 customer_id: int) -> list[dict[str, Any]]:
    table = t.subscription_contracts
    rows = await conn.execute(
        sa.select(table).where(table.c.customer_id == customer_id).order_by(table.c.id))
    return [{"id": row.id, "createdAt": row.created_at, "updatedAt": row.updated_at,
             "market": geography.market(row.market_id) if row.market_id else None,
             "pricelist": geography.pricelist(row.pricelist_id),
             "shippingAddress": address_view(geography, row.shipping_address)}
            for row in rows]


async def orders(conn: AsyncConnection, geography: Geography, customer_id: int,
                 session: Mapping[str, Any], limit: int, page: int) -> list[dict[str, Any]]:
    """One page of the customer's orders, newest first, in three or four statements."""
    limit = max(0, min(limit, 100))
    offset = max(0, page - 1) * limit
    rows = (await conn.execute(
        sa.select(t.orders).where(t.orders.c.customer_id == customer_id)
        .order_by(t.orders.c.order_date.desc(), t.orders.c.id.desc())
        .limit(limit).offset(offset))).mappings().all()
    if not rows:
        return []
    lines = (await conn.execute(
        sa.select(t.order_lines).where(t.order_lines.c.order_id.in_([r["id"] for r in rows]))
        .order_by(t.order_lines.c.id))).mappings().all()
    display = await _display_items(
        conn, geography, {line["display_item_id"] for line in lines if line["display_item_id"]},
        session)
    by_order: dict[int, list[Any]] = defaultdict(list)
    for line in lines:
        by_order[line["order_id"]].append(line)
    return [_order(geography, row, by_order[row["id"]], display) for row in rows]


def _order(geography: Geography, row: Mapping[str, Any], lines: list[Any],
           display: Mapping[int, dict[str, Any]]) -> dict[str, Any]:
    currency = geography.currencies[row["currency_id"]]
    country = row["country_code"]
    return {
        "id": str(row["id"]), "number": row["number"], "orderDate": row["order_date"],
        "status": row["status"], "comment": row["comment"],
        "totals": [{"type": total["type"], "price": monetary_value(total["minor"], currency)}
                   for total in row["totals"]],
        "lines": [_order_line(line, display, currency) for line in lines],
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


def _order_line(line: Mapping[str, Any], display: Mapping[int, dict[str, Any]],
                currency: dict[str, Any]) -> dict[str, Any] | None:
    display_item = display.get(line["display_item_id"])
    if display_item is None:
        return None  # the product was deleted from the catalogue since
    item = next((i for i in display_item["items"] if i["id"] == line["item_id"]), None)
    if item is None:
        return None
    return {"__typename": "ProductLine", "id": str(line["id"]), "name": line["name"],
            "quantity": line["quantity"], "item": item, "displayItem": display_item,
            "lineValue": monetary_value(line["line_value_minor"], currency)}


# The parts of a customer the operator sees, besides the storefront's own fields.
PROFILE_FIELDS = ("attributes", "newsletterSubscriptions", "wishlists",
                  "subscriptionContracts", "totalOrders")


async def profile(conn: AsyncConnection, geography: Geography, customer_id: int
                  ) -> dict[str, Any] | None:
    """The customer as the storefront would show them, with every part and their latest 100
    orders, priced in the market and pricelist of their country."""
    country = await conn.scalar(sa.select(t.customers.c.country_code)
                                .where(t.customers.c.id == customer_id))
    market, pricelist = geography.market_and_pricelist(country or "")
    where = {"market_id": market, "pricelist_id": pricelist}
    customer = await view(conn, geography, customer_id, where, PROFILE_FIELDS)
    if customer is not None:
        customer["orders"] = await orders(conn, geography, customer_id, where, 100, 1)
    return customer
