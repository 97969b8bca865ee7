"""Customer accounts: registration and profile updates."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access.sessions import end_customer_sessions
from dtc_api.accounts import profile
from dtc_api.accounts.passwords import PasswordPolicy
from dtc_api.core import limits
from dtc_api.core.errors import Code, DomainError, UserError
from dtc_api.marketing import newsletter
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t
from dtc_api.store.reads import Conn, Query, Reads, within

GENDERS = {"FEMALE", "MALE", "UNKNOWN"}
EMAIL_TAKEN = "an account with this e-mail address exists already"


def _email_taken() -> UserError:
    return UserError(EMAIL_TAKEN, ("input", "billingAddress", "email"), code=Code.ALREADY_EXISTS)


@dataclass(frozen=True)
class Registration:
    """A registration that passed validation; ``password_hash`` is computed outside any
    transaction, since hashing takes tens of milliseconds."""

    columns: dict[str, Any]
    attributes: profile.AttributeChanges
    consents: list[dict[str, Any]]


async def registered_id(conn: AsyncConnection, key: str) -> int | None:
    return await conn.scalar(
        sa.select(t.customers.c.id).where(t.customers.c.email_key == key, t.customers.c.registered)
    )


async def claim_registration(conn: Conn, client_ip: str | None, allowed: int,
                             now: dt.datetime) -> None:
    """Count a registration against its client address; refused beyond ``allowed`` an hour.

    Counted before anything else: each registration costs a password hash, and its answer
    tells whether an e-mail address has an account.
    """
    counted = await limits.count(conn, "registrationsPerIpPerHour", allowed, client_ip, now)
    if counted.over:
        minutes = math.ceil((counted.window_end - now).total_seconds() / 60)
        unit = "minute" if minutes == 1 else "minutes"
        raise DomainError(UserError(
            f"too many registrations from this address: try again in {minutes} {unit}", (),
            code=Code.RATE_LIMITED))


async def validate_registration(
    conn: AsyncConnection, geography: Geography, policy: PasswordPolicy,
    data: Mapping[str, Any], language_code: str | None,
) -> Registration:
    path = ("input",)
    address = profile.address(geography, data["billingAddress"], (*path, "billingAddress"),
                              register=True)
    errors = list(address.errors)
    errors += policy.problems(data["password"], address.columns.get("email"), (*path, "password"))
    attributes = await profile.attributes(conn, data.get("customAttributes"),
                                          (*path, "customAttributes"))
    consents, consent_errors = profile.consents(data.get("consents"), (*path, "consents"))
    errors += attributes.errors + consent_errors
    if not errors and await registered_id(conn, address.columns["email_key"]) is not None:
        errors.append(_email_taken())
    if errors:
        raise DomainError(*errors)
    columns = {**address.columns, "gender": data.get("gender"), "language_code": language_code}
    return Registration(columns, attributes, consents)


async def register(
    conn: AsyncConnection, registration: Registration, password_hash: str, now: dt.datetime
) -> int:
    """Create the account; a concurrent registration of the same e-mail loses with a userError."""
    try:
        async with conn.begin_nested():
            customer_id = (await conn.execute(
                sa.insert(t.customers).values(
                    **registration.columns, registered=True, password_hash=password_hash,
                    password_changed_at=now, created_at=now, updated_at=now,
                ).returning(t.customers.c.id)
            )).scalar_one()
    except IntegrityError:
        raise DomainError(_email_taken()) from None
    await profile.save_attributes(conn, customer_id, registration.attributes)
    await profile.save_consents(conn, customer_id, registration.consents,
                                registration.columns["language_code"], now)
    await newsletter.link_to_customer(conn, customer_id, registration.columns["email_key"])
    return int(customer_id)


_REGISTERED = Query(
    "SELECT * FROM customers WHERE email_key = $1 AND registered",
    registered="bool", login_blocked="bool", birthdate="date",
    password_changed_at="datetime",  # noqa: S106 (a column kind)
    created_at="datetime", updated_at="datetime")


async def find_registered(reads: Reads, key: str) -> dict[str, Any] | None:
    """The registered customer with this e-mail key (on the read path: ``Database.reads``)."""
    return await reads.one(_REGISTERED, key)


async def get_or_none(conn: AsyncConnection, customer_id: int | None) -> dict[str, Any] | None:
    if customer_id is None:
        return None
    row = (await conn.execute(sa.select(t.customers).where(
        t.customers.c.id == customer_id, t.customers.c.registered))).mappings().first()
    return dict(row) if row else None


async def change_password(conn: AsyncConnection, customer_id: int, password_hash: str,
                          now: dt.datetime, keep_session_id: int) -> None:
    """A new password: any reset link still out there stops working, and every session of the
    customer but ``keep_session_id`` (the one that changed it) ends."""
    await conn.execute(sa.update(t.customers).where(t.customers.c.id == customer_id).values(
        password_hash=password_hash, password_changed_at=now, updated_at=now))
    await conn.execute(sa.delete(t.password_reset_tokens)
                       .where(t.password_reset_tokens.c.customer_id == customer_id))
    await end_customer_sessions(conn, customer_id, keep_session_id)


async def get(conn: AsyncConnection, customer_id: int) -> dict[str, Any]:
    row = (await conn.execute(
        sa.select(t.customers).where(t.customers.c.id == customer_id)
    )).mappings().one()
    return dict(row)


@dataclass(frozen=True)
class Update:
    columns: dict[str, Any]
    attributes: profile.AttributeChanges
    consents: list[dict[str, Any]]
    new_password: str | None


async def validate_update(
    conn: AsyncConnection, geography: Geography, policy: PasswordPolicy,
    customer: dict[str, Any], data: Mapping[str, Any], require_old_password: bool,
    old_password_correct: bool | None,
) -> Update:
    """``old_password_correct``: the check of ``oldPassword`` when it came with a new
    ``password`` (the only case where it is checked), else None."""
    path = ("input",)
    errors: list[UserError] = []
    columns: dict[str, Any] = {}
    if data.get("billingAddress") is not None:
        address = profile.address(geography, data["billingAddress"], (*path, "billingAddress"),
                                  register=False, current_country=customer["country_code"])
        errors += address.errors
        columns.update(address.columns)
        key = columns.get("email_key")
        if key and key != customer["email_key"]:
            other = await registered_id(conn, key)
            if other is not None and other != customer["id"]:
                errors.append(_email_taken())
    if "gender" in data:
        columns["gender"] = data["gender"]
    new_password = data.get("password")
    errors += _password_errors(policy, new_password, data.get("oldPassword"),
                               columns.get("email", customer["email"]), require_old_password,
                               old_password_correct)
    attributes = await profile.attributes(conn, data.get("customAttributes"),
                                          (*path, "customAttributes"))
    consents, consent_errors = profile.consents(data.get("consents"), (*path, "consents"))
    errors += attributes.errors + consent_errors
    if errors:
        raise DomainError(*errors)
    return Update(columns, attributes, consents, new_password)


def _password_errors(policy: PasswordPolicy, new: str | None, old: str | None, email: str,
                     require_old: bool, old_correct: bool | None) -> list[UserError]:
    """What is wrong with a password change: the new password, and the old one that
    confirms it (required by some API clients; only accepted with a new one)."""
    at = ("input", "oldPassword")
    if new is None:
        return [] if old is None else [UserError(
            "oldPassword is only accepted with a new password", at, code=Code.INVALID_INPUT)]
    errors = policy.problems(new, email, ("input", "password"))
    if old is None and require_old:
        errors.append(UserError("oldPassword is required to change the password", at,
                                code=Code.REQUIRED))
    elif old is not None and not old_correct:
        errors.append(UserError("oldPassword is wrong", at, code=Code.WRONG_PASSWORD))
    return errors


async def apply_update(
    conn: AsyncConnection, customer: dict[str, Any], update: Update,
    password_hash: str | None, session_id: int, now: dt.datetime,
) -> None:
    """Store a validated update made from the session ``session_id``."""
    columns = {**update.columns, "updated_at": now}
    if password_hash is not None:
        await change_password(conn, customer["id"], password_hash, now, session_id)
    try:
        async with conn.begin_nested():
            await conn.execute(
                sa.update(t.customers).where(t.customers.c.id == customer["id"]).values(**columns)
            )
    except IntegrityError:
        raise DomainError(_email_taken()) from None
    await profile.save_attributes(conn, customer["id"], update.attributes)
    await profile.save_consents(conn, customer["id"], update.consents,
                                customer["language_code"], now)


_SET_PASSWORD_HASH = Query("UPDATE customers SET password_hash = $2 WHERE id = $1")


async def set_password_hash(conn: Conn, customer_id: int,
                            password_hash: str) -> None:
    """Store a rehash of an unchanged password (new cost parameters)."""
    await (await within(conn)).execute(_SET_PASSWORD_HASH, customer_id, password_hash)
