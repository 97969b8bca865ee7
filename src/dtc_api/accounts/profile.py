"""Validation of the profile parts a shopper sends: billing address, attributes, consents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core.errors import UserError
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t

# input field -> (column, maximum length)
ADDRESS_FIELDS: dict[str, tuple[str, int]] = {
    "email": ("email", 254),
    "firstName": ("first_name", 200),
    "lastName": ("last_name", 200),
    "address1": ("address1", 300),
    "address2": ("address2", 300),
    "cellPhoneNumber": ("cell_phone_number", 50),
    "city": ("city", 200),
    "companyName": ("company_name", 200),
    "faxNumber": ("fax_number", 50),
    "phoneNumber": ("phone_number", 50),
    "state": ("state_code", 10),
    "stateOrProvince": ("state_or_province", 200),
    "vatNumber": ("vat_number", 50),
    "zipCode": ("zip_code", 30),
    "country": ("country_code", 2),
}
REQUIRED_ON_REGISTER = ("email", "firstName", "lastName", "country")
MAX_ATTRIBUTE_VALUE = 10_000
MAX_CONSENT_DATA = 10_000


def normalise_email(raw: str) -> str:
    """The address as email-validator normalises it; raises ValueError when invalid."""
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None


def email_key(email: str) -> str:
    return email.casefold()


def login_key(typed: str) -> str:
    """The lookup key of an e-mail as typed at login: normalised like at registration when it
    is a valid address (Unicode NFC, IDNA), else just folded, so it still finds nothing."""
    typed = typed.strip()
    try:
        return email_key(normalise_email(typed))
    except ValueError:
        return email_key(typed)


@dataclass
class Changes:
    columns: dict[str, Any] = field(default_factory=dict)
    errors: list[UserError] = field(default_factory=list)


def address(
    geography: Geography,
    data: Mapping[str, Any],
    path: tuple[str, ...],
    *,
    register: bool,
    current_country: str | None = None,
) -> Changes:
    """Columns for the billing address fields present in ``data``."""
    changes = Changes()
    for name, (column, limit) in ADDRESS_FIELDS.items():
        if name not in data:
            if register and name in REQUIRED_ON_REGISTER:
                changes.errors.append(UserError(f"{name} is required", (*path, name)))
            continue
        value = data[name]
        value = value.strip() if isinstance(value, str) else value
        if not value:
            if name in REQUIRED_ON_REGISTER:
                changes.errors.append(UserError(f"{name} must not be empty", (*path, name)))
            else:
                changes.columns[column] = None
            continue
        if len(value) > limit:
            changes.errors.append(
                UserError(f"{name} must be at most {limit} characters", (*path, name))
            )
            continue
        if name == "email":
            try:
                value = normalise_email(value)
            except ValueError as error:
                changes.errors.append(UserError(f"invalid e-mail address: {error}", (*path, name)))
                continue
            changes.columns["email_key"] = email_key(value)
        elif name == "country":
            value = value.upper()
            if value not in geography.countries:
                changes.errors.append(UserError(f"country {value} not found", (*path, name)))
                continue
        changes.columns[column] = value
    country = changes.columns.get("country_code", current_country)
    state = changes.columns.get("state_code")
    if state and country and geography.state(country, state) is None:
        changes.errors.append(UserError(f"state {state} not found in {country}", (*path, "state")))
    elif "country_code" in changes.columns and "state_code" not in changes.columns:
        changes.columns["state_code"] = None  # a state of the old country no longer applies
    return changes


@dataclass
class AttributeChanges:
    dynamic: list[dict[str, Any]] = field(default_factory=list)  # type id, element key, value
    mapped: list[dict[str, Any]] = field(default_factory=list)  # type id, mapped attribute id
    errors: list[UserError] = field(default_factory=list)


async def attributes(
    conn: AsyncConnection, data: Mapping[str, Any] | None, path: tuple[str, ...]
) -> AttributeChanges:
    changes = AttributeChanges()
    if not data:
        return changes
    dynamic = data.get("dynamicAttributes") or []
    mapped = data.get("mappedAttributes") or []
    names = {a["attributeTypeName"] for a in [*dynamic, *mapped]}
    types = {
        row["name"]: row
        for row in (
            await conn.execute(
                sa.select(t.attribute_types).where(t.attribute_types.c.name.in_(names)))
        ).mappings()
    } if names else {}
    elements = {
        (row["attribute_type_id"], row["key"])
        for row in (await conn.execute(
            sa.select(t.attribute_elements.c.attribute_type_id, t.attribute_elements.c.key)
            .where(t.attribute_elements.c.attribute_type_id.in_([r["id"] for r in types.values()]))
        )).mappings()
    } if types else set()
    for index, attribute in enumerate(dynamic):
        at = (*path, "dynamicAttributes", str(index))
        kind = types.get(attribute["attributeTypeName"])
        if kind is None or kind["kind"] != "dynamic":
            changes.errors.append(UserError(
                f"dynamic attribute type {attribute['attributeTypeName']} not found",
                (*at, "attributeTypeName")))
        elif (kind["id"], attribute["attributeElementKey"]) not in elements:
            changes.errors.append(UserError(
                f"attribute element {attribute['attributeElementKey']} not found in "
                f"{kind['name']}", (*at, "attributeElementKey")))
        elif len(attribute["attributeElementValue"]) > MAX_ATTRIBUTE_VALUE:
            changes.errors.append(UserError(
                f"attribute value must be at most {MAX_ATTRIBUTE_VALUE} characters",
                (*at, "attributeElementValue")))
        else:
            changes.dynamic.append({"attribute_type_id": kind["id"],
                                    "element_key": attribute["attributeElementKey"],
                                    "value": attribute["attributeElementValue"]})
    ids = [a["attributeId"] for a in mapped]
    owners = dict((await conn.execute(
        sa.select(t.mapped_attributes.c.id, t.mapped_attributes.c.attribute_type_id)
        .where(t.mapped_attributes.c.id.in_(ids))
    )).all()) if ids else {}
    for index, attribute in enumerate(mapped):
        at = (*path, "mappedAttributes", str(index))
        kind = types.get(attribute["attributeTypeName"])
        if kind is None or kind["kind"] != "mapped":
            changes.errors.append(UserError(
                f"mapped attribute type {attribute['attributeTypeName']} not found",
                (*at, "attributeTypeName")))
        elif owners.get(attribute["attributeId"]) != kind["id"]:
            changes.errors.append(UserError(
                f"attribute {attribute['attributeId']} not found in {kind['name']}",
                (*at, "attributeId")))
        else:
            changes.mapped.append({"attribute_type_id": kind["id"],
                                   "mapped_attribute_id": attribute["attributeId"]})
    return changes


async def save_attributes(conn: AsyncConnection, customer_id: int, changes: AttributeChanges
                          ) -> None:
    """A dynamic value replaces the earlier value of its type and element; a mapped attribute
    replaces the earlier one of its type."""
    from dtc_api.store.upsert import upsert

    await upsert(conn, t.customer_dynamic_attributes,
                 [{"customer_id": customer_id, **row} for row in changes.dynamic],
                 ["customer_id", "attribute_type_id", "element_key"])
    await upsert(conn, t.customer_mapped_attributes,
                 [{"customer_id": customer_id, **row} for row in changes.mapped],
                 ["customer_id", "attribute_type_id"])


def consents(data: Sequence[Mapping[str, Any]] | None, path: tuple[str, ...]
             ) -> tuple[list[dict[str, Any]], list[UserError]]:
    rows, errors = [], []
    for index, consent in enumerate(data or ()):
        at = (*path, str(index))
        too_long = [(name, limit) for name, limit in
                    (("key", 100), ("name", 300), ("version", 50), ("data", MAX_CONSENT_DATA),
                     ("languageCode", 16))
                    if len(consent.get(name) or "") > limit]
        if too_long:
            name, limit = too_long[0]
            errors.append(UserError(f"{name} must be at most {limit} characters", (*at, name)))
            continue
        rows.append({"key": consent["key"], "name": consent["name"],
                     "version": consent["version"], "data": consent["data"],
                     "consented": consent["consented"],
                     "language_code": consent.get("languageCode")})
    return rows, errors


async def save_consents(conn: AsyncConnection, customer_id: int, rows: list[dict[str, Any]],
                        language_code: str | None, now: dt.datetime) -> None:
    if rows:
        await conn.execute(sa.insert(t.customer_consents), [
            {**row, "language_code": row["language_code"] or language_code,
             "customer_id": customer_id, "created_at": now}
            for row in rows
        ])
