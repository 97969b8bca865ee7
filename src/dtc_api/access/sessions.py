"""Shopper sessions and the Centra token protocol.

A request's bearer token is one of: a shopper session token (the usual case), an API client's
session token (creates a new shopper session), or an API client's no-session token (stateless
reads). Only SHA-256 hashes of tokens are stored, so a leaked database holds no usable token.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import tokens
from dtc_api.clock import Clock
from dtc_api.core import limits, validate
from dtc_api.core.errors import Code, DomainError, UserError, invalid
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t
from dtc_api.store.db import Database
from dtc_api.store.reads import Conn, Query, within

# A session's last-seen time is written at most this often, so reads stay reads.
TOUCH_INTERVAL = dt.timedelta(seconds=60)

_CLIENT_KINDS = {"retain_session_after_logout": "bool", "require_old_password": "bool",
                 "newsletter_double_opt_in": "bool", "rate_limits": "json",
                 "allowed_origins": "json"}
_SESSION_COLUMNS = tuple(c.name for c in t.sessions.c)

_CLIENT_COLUMNS = """c.id AS api_client_id, c.name AS client_name, c.shared_secret_hash,
    c.frontend_url, c.retain_session_after_logout, c.require_old_password,
    c.newsletter_double_opt_in, c.rate_limits, c.default_country_code, c.default_language_code,
    c.allowed_origins"""

# The per-request lookup: one indexed statement, no transaction around it, which also reads
# the versions a kept answer is checked against (``http/answers.py``). (The SQL is built from
# constants only.)
SESSION_BY_TOKEN = Query(
    "SELECT s.*, " + _CLIENT_COLUMNS  # noqa: S608
    + """, (SELECT v.version FROM customer_versions v WHERE v.customer_id = s.customer_id)
     AS customer_version,
    (SELECT CAST(sum(version) AS BIGINT) FROM catalogue_versions) AS catalogue_version
    FROM sessions s JOIN api_clients c ON c.id = s.client_id WHERE s.token_hash = $1""",
    created_at="datetime", last_seen_at="datetime", **_CLIENT_KINDS)
_LOCK = Query("SELECT * FROM sessions WHERE id = $1 FOR UPDATE",
              created_at="datetime", last_seen_at="datetime")
_CREATE = Query(
    "INSERT INTO sessions (token_hash, client_id, country_code, state_code, language_code, "
    "market_id, pricelist_id, selection_id, customer_id, created_at, last_seen_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
CLIENT_BY_TOKEN = Query(
    "SELECT " + _CLIENT_COLUMNS + ", c.session_token_hash FROM api_clients c"  # noqa: S608
    " WHERE c.session_token_hash = $1 OR c.no_session_token_hash = $1",
    **_CLIENT_KINDS)


# Digests of API client tokens this process has seen. A request bearing one (a storefront's
# first request of a shopper) looks the token up as a client's first, not as a session's
# first. Only the order of the two lookups depends on it: a token not found as a client's is
# then looked up as a session's, so a stale entry costs a statement, never a wrong answer.
# Only tokens found as a client's are added; the set is emptied past CLIENT_DIGESTS.
_client_digests: set[str] = set()
CLIENT_DIGESTS = 256


class TooManySessions(Exception):
    """One client IP asked for more new sessions than the limit allows."""


@dataclass(frozen=True)
class SessionPolicy:
    idle_ttl: dt.timedelta
    max_age: dt.timedelta
    new_per_ip_per_minute: int = 300

    def expired(self, row: Any, now: dt.datetime) -> bool:
        return (
            row["last_seen_at"] + self.idle_ttl <= now or row["created_at"] + self.max_age <= now
        )


@dataclass
class Principal:
    """Who is calling: an API client, and in session mode the shopper's session."""

    client: dict[str, Any]
    session: dict[str, Any] | None = None
    # The shopper's current token, echoed in extensions.token; rotation replaces it.
    token: str | None = None
    modes: set[str] = field(default_factory=set)
    # The versions of the logged-in customer (None for a guest) and of the catalogue when the
    # token was looked up (None: not read, e.g. for a session made by this request).
    versions: tuple[int | None, int] | None = None

    @property
    def session_mode(self) -> bool:
        return self.session is not None


async def authenticate(
    db: Database,
    geography: Geography,
    clock: Clock,
    policy: SessionPolicy,
    token: str,
    shared_secret: str | None = None,
    client_ip: str | None = None,
    admit: Callable[[dict[str, Any]], None] | None = None,
) -> Principal | None:
    """Resolve a bearer token; None means Unauthorized. ``admit(client)``, once the API
    client is known and before anything is written (a new session, the session's last use),
    may refuse the request by raising."""
    if not token or len(token) > tokens.MAX_TOKEN_LENGTH:
        return None
    digest = tokens.token_hash(token)
    now = clock.now()
    principal = None
    known_client = digest in _client_digests
    if known_client:
        principal = await _client_token(db, geography, digest, now, policy, client_ip, admit)
    if principal is None:
        principal = await _existing_session(db, digest, now, policy, admit)
        if principal is not None:
            principal.token = token
        elif not known_client:
            principal = await _client_token(db, geography, digest, now, policy, client_ip,
                                            admit)
        if principal is None:
            return None
    if principal.session_mode:
        principal.modes.add("SESSION")
        if principal.session["customer_id"] is not None:  # type: ignore[index]
            principal.modes.add("LOGGED_IN")
        if shared_secret is not None and tokens.matches(
            shared_secret, principal.client["shared_secret_hash"]
        ):
            principal.modes.add("SHARED_SECRET")
    else:
        principal.modes.add("NO_SESSION")
    return principal


async def _existing_session(
    db: Database, digest: str, now: dt.datetime, policy: SessionPolicy,
    admit: Callable[[dict[str, Any]], None] | None,
) -> Principal | None:
    row = await db.read_row(SESSION_BY_TOKEN, digest)
    if row is None or policy.expired(row, now):
        return None
    client = _client(row)
    if admit is not None:
        admit(client)
    session = {name: row[name] for name in _SESSION_COLUMNS}
    if now - session["last_seen_at"] >= TOUCH_INTERVAL:
        async with db.transaction() as conn:
            await update(conn, session, last_seen_at=now)
    # A logged-in customer without a version row (loaded with the triggers off): none.
    unversioned = row["catalogue_version"] is None or (
        session["customer_id"] is not None and row["customer_version"] is None)
    versions = None if unversioned else (row["customer_version"], row["catalogue_version"])
    return Principal(client=client, session=session, versions=versions)


async def _client_token(
    db: Database, geography: Geography, digest: str, now: dt.datetime,
    policy: SessionPolicy, client_ip: str | None,
    admit: Callable[[dict[str, Any]], None] | None,
) -> Principal | None:
    row = await db.read_row(CLIENT_BY_TOKEN, digest)
    if row is None:
        return None
    if len(_client_digests) >= CLIENT_DIGESTS:
        _client_digests.clear()
    _client_digests.add(digest)
    client = _client(row)
    if admit is not None:
        admit(client)
    if row["session_token_hash"] != digest:
        return Principal(client=client)
    token = tokens.new_token()
    async with db.transaction() as conn:
        if client_ip is not None:
            ceiling = limits.overridden(client, "newSessionsPerIpPerMinute",
                                        policy.new_per_ip_per_minute)
            counted = await limits.count(conn, "newSessionsPerIpPerMinute", ceiling, client_ip,
                                         now)
            if counted.over:
                raise TooManySessions(client_ip)
        session = await create(conn, geography, client, tokens.token_hash(token), now)
    return Principal(client=client, session=session, token=token)


def _client(row: Any) -> dict[str, Any]:
    return {
        "id": row["api_client_id"],
        "name": row["client_name"],
        "shared_secret_hash": row["shared_secret_hash"],
        "frontend_url": row["frontend_url"],
        "retain_session_after_logout": row["retain_session_after_logout"],
        "require_old_password": row["require_old_password"],
        "newsletter_double_opt_in": row["newsletter_double_opt_in"],
        "rate_limits": row["rate_limits"],
        "default_country_code": row["default_country_code"],
        "default_language_code": row["default_language_code"],
        "allowed_origins": row["allowed_origins"],
    }


async def create(
    conn: Conn,
    geography: Geography,
    client: dict[str, Any],
    digest: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """A new shopper session in the client's default country and language."""
    country_code = client["default_country_code"] or _first_ship_to(geography)
    market_id, pricelist_id = geography.market_and_pricelist(country_code)
    country = geography.countries[country_code]
    language_code = (
        client["default_language_code"]
        or country["default_language_code"]
        or geography.default_language
    )
    values = {  # in the order of _CREATE's columns
        "token_hash": digest,
        "client_id": client["id"],
        "country_code": country_code,
        "state_code": None,
        "language_code": language_code,
        "market_id": market_id,
        "pricelist_id": pricelist_id,
        "selection_id": None,
        "customer_id": None,
        "created_at": now,
        "last_seen_at": now,
    }
    session_id = await (await within(conn)).scalar(_CREATE, *values.values())
    return {"id": session_id, **values, "last_order_id": None}


def _first_ship_to(geography: Geography) -> str:
    for code, row in geography.countries.items():
        if row["ship_to"]:
            return code
    raise LookupError("the store has no ship-to country: load data with `dtc-api demo`")


async def rotate_token(conn: Conn, principal: Principal, **values: Any) -> str:
    """Give the session a new token; the old one stops working at once. ``values``: other
    columns of the session changed with it, in the same statement. ``principal.session``
    becomes the row as it is now, locked until the end of the transaction; a session that
    has ended raises SessionGone.

    Called on every change of privilege (login, logout, password reset).
    """
    if principal.session is None:
        raise ValueError("no session to rotate")
    token = tokens.new_token()
    columns = ("token_hash", *values)
    row = await (await within(conn)).one(_rotate(columns), principal.session["id"],
                                         tokens.token_hash(token), *values.values())
    if row is None:
        raise SessionGone()
    principal.session = row
    principal.token = token
    return token


@functools.cache
def _rotate(columns: tuple[str, ...]) -> Query:
    """The UPDATE of a session's token and these columns, returning the row as it is now
    (locked until the end of the transaction)."""
    return Query(_update_sql(columns) + " RETURNING *", created_at="datetime",
                 last_seen_at="datetime")


class SessionGone(GraphQLError):
    """The session ended (logged out elsewhere, purged, rotated) while the request ran."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


async def lock(conn: Conn, session_id: int) -> dict[str, Any]:
    """Re-read the session row, locked until the end of the transaction (PostgreSQL)."""
    row = await (await within(conn)).one(_LOCK, session_id)
    if row is None:
        raise SessionGone()
    return row


async def update(conn: Conn, session: dict[str, Any], **values: Any) -> None:
    await (await within(conn)).execute(_update(tuple(values)), session["id"], *values.values())
    session.update(values)


@functools.cache
def _update(columns: tuple[str, ...]) -> Query:
    """The UPDATE of these session columns."""
    return Query(_update_sql(columns))


def _update_sql(columns: tuple[str, ...]) -> str:
    """(Names from the callers' code, never from input.)"""
    unknown = set(columns) - set(_SESSION_COLUMNS)
    if unknown:
        raise ValueError(f"not columns of sessions: {sorted(unknown)}")
    assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(columns, start=2))
    return f"UPDATE sessions SET {assignments} WHERE id = $1"  # noqa: S608


async def set_country_state(
    conn: AsyncConnection,
    geography: Geography,
    session: dict[str, Any],
    country_code: str,
    state_code: str | None,
) -> None:
    country_code = country_code.strip().upper()
    state_code = state_code or None
    refused = (validate.country_error(geography, country_code, "countryCode")
               or _state_error(geography, country_code, state_code))
    if refused is not None:
        raise DomainError(refused)
    market_id, pricelist_id = geography.market_and_pricelist(country_code)
    await update(
        conn,
        session,
        country_code=country_code,
        state_code=state_code,
        market_id=market_id,
        pricelist_id=pricelist_id,
    )


def _state_error(geography: Geography, country_code: str, state_code: str | None
                 ) -> UserError | None:
    """The shared state check, with two differences that clients rely on: a missing state
    reads "country XX requires a state", and a state given for a country without states is
    refused rather than ignored."""
    if state_code is not None and not geography.states.get(country_code):
        return UserError(f"state {state_code} not found in {country_code}", ("stateCode",),
                         code=Code.UNKNOWN_STATE)
    refused = validate.state_error(geography, country_code, state_code, "stateCode")
    if refused is not None and refused.code == Code.STATE_REQUIRED:
        return replace(refused, message=f"country {country_code} requires a state")
    return refused


async def set_language(
    conn: AsyncConnection, geography: Geography, session: dict[str, Any], code: str
) -> None:
    refused = validate.language_error(geography, code, "code")
    if refused is not None:
        raise DomainError(refused)
    await update(conn, session, language_code=code)


async def set_market(
    conn: AsyncConnection, geography: Geography, session: dict[str, Any], market_id: int
) -> None:
    if market_id not in geography.markets:
        raise invalid(f"market {market_id} not found", "id", code=Code.NOT_FOUND)
    await update(conn, session, market_id=market_id)


async def set_pricelist(
    conn: AsyncConnection, geography: Geography, session: dict[str, Any], pricelist_id: int
) -> None:
    if pricelist_id not in geography.pricelists:
        raise invalid(f"pricelist {pricelist_id} not found", "id", code=Code.NOT_FOUND)
    await update(conn, session, pricelist_id=pricelist_id)


def view(geography: Geography, session: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL ``Session``."""
    language = session["language_code"]
    return {
        "country": geography.country(session["country_code"], language),
        "countryState": geography.state(session["country_code"], session["state_code"]),
        "language": geography.language(language),
        # Loaded by the Session.loggedIn resolver, only when selected.
        "loggedIn": session["customer_id"],
        "market": geography.market(session["market_id"]),
        "pricelist": geography.pricelist(session["pricelist_id"]),
    }


async def purge_expired(conn: AsyncConnection, policy: SessionPolicy, now: dt.datetime) -> int:
    result = await conn.execute(
        sa.delete(t.sessions).where(
            sa.or_(
                t.sessions.c.last_seen_at <= now - policy.idle_ttl,
                t.sessions.c.created_at <= now - policy.max_age,
            )
        )
    )
    return result.rowcount or 0


async def end_customer_sessions(conn: AsyncConnection, customer_id: int,
                                keep_session_id: int | None = None) -> int:
    """End every session logged in as the customer, but ``keep_session_id``; returns how many.

    A new password (changed or reset), a blocked login and an erased account must not leave
    a session behind that whoever knew the old password still holds.
    """
    where = t.sessions.c.customer_id == customer_id
    if keep_session_id is not None:
        where = sa.and_(where, t.sessions.c.id != keep_session_id)
    result = await conn.execute(sa.delete(t.sessions).where(where))
    return result.rowcount or 0
