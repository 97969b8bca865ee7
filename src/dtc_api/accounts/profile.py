"""Validation of the profile parts a shopper sends: billing address, attributes, consents."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core import validate
from dtc_api.core.errors import Code, DomainError, UserError
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t

# input field -> (column, maximum length)
ADDRESS_FIELDS: dict[str, tuple[str, int]] = {
    "email": ("email", validate.MAX_EMAIL),
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
# The most of an e-mail address as typed (at login, in a reset request) that is looked at:
# longer input finds nothing either way, and costs no more to look up.
MAX_TYPED_EMAIL = 320


# Characters of which email-validator changes nothing but the domain's case: quotes,
# backslashes, brackets and non-ASCII characters are left out, and IDNA labels (xn--) are
# looked for apart.
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]+")


def login_key(typed: str) -> str:
    """The lookup key of an e-mail as typed at login: normalised like at registration when it
    is a valid address (Unicode NFC, IDNA), else just folded, so it still finds nothing.

    An address of plain characters alone is its folded self either way, so it is not
    validated (~70 µs a login): valid, its normal form differs only in case; invalid, it is
    folded as it is.
    """
    typed = typed[:MAX_TYPED_EMAIL].strip()
    if _PLAIN_EMAIL.fullmatch(typed) and "xn--" not in typed.casefold():
        return validate.email_key(typed)
    try:
        return validate.email_key(validate.normalise_email(typed))
    except ValueError:
        return validate.email_key(typed)


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
                changes.errors.append(UserError(f"{name} is required", (*path, name),
                                                code=Code.REQUIRED))
            continue
        value = data[name]
        value = value.strip() if isinstance(value, str) else value
        if not value:
            if name in REQUIRED_ON_REGISTER:
                changes.errors.append(UserError(f"{name} must not be empty", (*path, name),
                                                code=Code.REQUIRED))
            else:
                changes.columns[column] = None
            continue
        try:
            changes.columns.update(_field(geography, name, column, limit, value, path))
        except DomainError as refused:
            changes.errors += refused.errors
    _check_state(geography, changes, path, current_country)
    return changes


def _field(geography: Geography, name: str, column: str, limit: int, value: str,
           path: tuple[str, ...]) -> dict[str, Any]:
    """The column(s) of one non-empty address field, or a DomainError."""
    if len(value) > limit:
        raise DomainError(UserError(f"{name} must be at most {limit} characters", (*path, name),
                                    code=Code.INVALID_EMAIL if name == "email"
                                    else Code.INVALID_INPUT))
    if name == "email":
        value = validate.email(value, *path, name)
        return {column: value, "email_key": validate.email_key(value)}
    if name == "country":
        value = value.upper()
        refused = validate.country_error(geography, value, *path, name)
        if refused is not None:
            raise DomainError(refused)
    return {column: value}


def _check_state(geography: Geography, changes: Changes, path: tuple[str, ...],
                 current_country: str | None) -> None:
    """A state given must be one of the country's. Unlike the session's country (see
    ``core.validate.state_error``) a billing address may leave the state out, and a state given
    for a country without states is refused."""
    country = changes.columns.get("country_code", current_country)
    state = changes.columns.get("state_code")
    if state and country and geography.state(country, state) is None:
        changes.errors.append(UserError(f"state {state} not found in {country}", (*path, "state"),
                                        code=Code.UNKNOWN_STATE))
    elif "country_code" in changes.columns and "state_code" not in changes.columns:
        changes.columns["state_code"] = None  # a state of the old country no longer applies


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
    _dynamic(changes, dynamic, types, elements, (*path, "dynamicAttributes"))
    ids = [a["attributeId"] for a in mapped]
    owners = dict((await conn.execute(
        sa.select(t.mapped_attributes.c.id, t.mapped_attributes.c.attribute_type_id)
        .where(t.mapped_attributes.c.id.in_(ids))
    )).all()) if ids else {}
    _mapped(changes, mapped, types, owners, (*path, "mappedAttributes"))
    return changes


def _dynamic(changes: AttributeChanges, dynamic: Sequence[Mapping[str, Any]],
             types: Mapping[str, Any], elements: set[tuple[int, str]], path: tuple[str, ...]
             ) -> None:
    for index, attribute in enumerate(dynamic):
        at = (*path, str(index))
        kind = types.get(attribute["attributeTypeName"])
        if kind is None or kind["kind"] != "dynamic":
            changes.errors.append(UserError(
                f"dynamic attribute type {attribute['attributeTypeName']} not found",
                (*at, "attributeTypeName"), code=Code.NOT_FOUND))
        elif (kind["id"], attribute["attributeElementKey"]) not in elements:
            changes.errors.append(UserError(
                f"attribute element {attribute['attributeElementKey']} not found in "
                f"{kind['name']}", (*at, "attributeElementKey"), code=Code.NOT_FOUND))
        elif len(attribute["attributeElementValue"]) > MAX_ATTRIBUTE_VALUE:
            changes.errors.append(UserError(
                f"attribute value must be at most {MAX_ATTRIBUTE_VALUE} characters",
                (*at, "attributeElementValue"), code=Code.INVALID_INPUT))
        else:
            changes.dynamic.append({"attribute_type_id": kind["id"],
                                    "element_key": attribute["attributeElementKey"],
                                    "value": attribute["attributeElementValue"]})


def _mapped(changes: AttributeChanges, mapped: Sequence[Mapping[str, Any]],
            types: Mapping[str, Any], owners: Mapping[int, int], path: tuple[str, ...]
            ) -> None:
    for index, attribute in enumerate(mapped):
        at = (*path, str(index))
        kind = types.get(attribute["attributeTypeName"])
        if kind is None or kind["kind"] != "mapped":
            changes.errors.append(UserError(
                f"mapped attribute type {attribute['attributeTypeName']} not found",
                (*at, "attributeTypeName"), code=Code.NOT_FOUND))
        elif owners.get(attribute["attributeId"]) != kind["id"]:
            changes.errors.append(UserError(
                f"attribute {attribute['attributeId']} not found in {kind['name']}",
                (*at, "attributeId"), code=Code.NOT_FOUND))
        else:
            changes.mapped.append({"attribute_type_id": kind["id"],
                                   "mapped_attribute_id": attribute["attributeId"]})


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
            errors.append(UserError(f"{name} must be at most {limit} characters", (*at, name),
                                    code=Code.INVALID_INPUT))
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
