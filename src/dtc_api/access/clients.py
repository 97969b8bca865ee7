"""API clients ("plugins" in Centra): their tokens and settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import origins, tokens
from dtc_api.core import limits, validate
from dtc_api.core.errors import Code, DomainError, UserError, invalid
from dtc_api.shop import geography
from dtc_api.store import tables as t


@dataclass(frozen=True)
class ClientCredentials:
    """Shown once, when created or rotated; only their hashes are kept."""

    name: str
    session_token: str
    no_session_token: str
    shared_secret: str

    def as_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "sessionToken": self.session_token,
            "noSessionToken": self.no_session_token,
            "sharedSecret": self.shared_secret,
        }


def _fresh_credentials(name: str) -> tuple[ClientCredentials, dict[str, Any]]:
    credentials = ClientCredentials(
        name=name,
        session_token=tokens.new_token(),
        no_session_token=tokens.new_token(),
        shared_secret=tokens.new_token(),
    )
    hashes = {
        "session_token_hash": tokens.token_hash(credentials.session_token),
        "no_session_token_hash": tokens.token_hash(credentials.no_session_token),
        "shared_secret_hash": tokens.token_hash(credentials.shared_secret),
    }
    return credentials, hashes


def _check_url(frontend_url: str | None) -> None:
    if frontend_url is not None and not frontend_url.startswith(("https://", "http://")):
        raise invalid("frontend URL must start with https:// or http://", "frontendUrl",
                      code=Code.INVALID_INPUT)
    if frontend_url is not None and len(frontend_url) > MAX_URL:
        raise invalid(f"frontend URL has at most {MAX_URL} characters", "frontendUrl",
                      code=Code.INVALID_INPUT)


async def create(
    conn: AsyncConnection,
    name: str,
    now: dt.datetime,
    *,
    frontend_url: str | None = None,
    retain_session_after_logout: bool = False,
    require_old_password: bool = False,
    newsletter_double_opt_in: bool = False,
    rate_limits: dict[str, int] | None = None,
    default_country_code: str | None = None,
    default_language_code: str | None = None,
    allowed_origins: list[str] | None = None,
) -> ClientCredentials:
    name = name.strip()
    if not name:
        raise invalid("name must not be empty", "name", code=Code.REQUIRED)
    if len(name) > MAX_NAME:
        raise invalid(f"name has at most {MAX_NAME} characters", "name",
                      code=Code.INVALID_INPUT)
    _check_url(frontend_url)
    _check_limits(rate_limits)
    allowed_origins = origins.checked(allowed_origins or ())
    exists = await conn.scalar(sa.select(t.api_clients.c.id).where(t.api_clients.c.name == name))
    if exists is not None:
        raise invalid(f"an API client named {name!r} exists already", "name",
                      code=Code.ALREADY_EXISTS)
    await _check_defaults(conn, default_country_code, default_language_code)
    credentials, hashes = _fresh_credentials(name)
    await conn.execute(
        sa.insert(t.api_clients).values(
            name=name,
            frontend_url=frontend_url,
            retain_session_after_logout=retain_session_after_logout,
            require_old_password=require_old_password,
            newsletter_double_opt_in=newsletter_double_opt_in,
            rate_limits=rate_limits or None,
            default_country_code=default_country_code,
            default_language_code=default_language_code,
            allowed_origins=allowed_origins or None,
            created_at=now,
            **hashes,
        )
    )
    return credentials


async def rotate_credentials(conn: AsyncConnection, name: str) -> ClientCredentials:
    """New tokens and shared secret for a client; the old ones stop working at once.

    Shopper sessions already created with the old session token keep working.
    """
    credentials, hashes = _fresh_credentials(name)
    result = await conn.execute(
        sa.update(t.api_clients).where(t.api_clients.c.name == name).values(**hashes)
    )
    if result.rowcount != 1:
        raise invalid(f"no API client named {name!r}", "name", code=Code.NOT_FOUND)
    return credentials


async def _check_defaults(conn: AsyncConnection, country: str | None, language: str | None
                          ) -> None:
    if country is None and language is None:
        return
    places = await geography.load_from(conn)
    refused: UserError | None = None
    if country is not None:
        refused = validate.country_error(places, country, "defaultCountry")
        if refused is not None:
            # Clients are often created before any country is loaded.
            refused = replace(refused, message=f"{refused.message} (load countries first, "
                                               "e.g. `dtc-api demo`)")
    if refused is None and language is not None:
        refused = validate.language_error(places, language, "defaultLanguage")
    if refused is not None:
        raise DomainError(refused)


def _check_limits(overrides: dict[str, Any] | None) -> None:
    wrong = limits.check(overrides or {})
    if wrong:
        raise invalid(f"rate limits must be positive whole numbers: {', '.join(wrong)}",
                      "rateLimits", code=Code.INVALID_INPUT)


# Settings that are switches: null is not a value for them.
SWITCHES = ("retain_session_after_logout", "require_old_password", "newsletter_double_opt_in")
MAX_NAME = 200  # api_clients.name
MAX_URL = 500  # api_clients.frontend_url


async def update_settings(conn: AsyncConnection, name: str, **settings: Any) -> None:
    for switch in SWITCHES:
        if switch in settings and not isinstance(settings[switch], bool):
            raise invalid(f"{_field(switch)} must be true or false", _field(switch),
                          code=Code.REQUIRED)
    _check_url(settings.get("frontend_url"))
    _check_limits(settings.get("rate_limits"))
    if "allowed_origins" in settings:  # null or [] clears the list
        settings["allowed_origins"] = origins.checked(settings["allowed_origins"] or ()) or None
    await _check_defaults(conn, settings.get("default_country_code"),
                          settings.get("default_language_code"))
    result = await conn.execute(
        sa.update(t.api_clients).where(t.api_clients.c.name == name).values(**settings)
    )
    if result.rowcount != 1:
        raise invalid(f"no API client named {name!r}", "name", code=Code.NOT_FOUND)


async def get(conn: AsyncConnection, name: str) -> dict[str, Any] | None:
    """The client's row (settings and hashes), or None."""
    row = (await conn.execute(sa.select(t.api_clients).where(t.api_clients.c.name == name))
           ).mappings().first()
    return dict(row) if row else None


async def listing(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every client's row, by name."""
    rows = await conn.execute(sa.select(t.api_clients).order_by(t.api_clients.c.name))
    return [dict(row) for row in rows.mappings()]


def _field(column: str) -> str:
    """The back-office field of a settings column: require_old_password -> requireOldPassword."""
    first, *rest = column.split("_")
    return first + "".join(part.title() for part in rest)
