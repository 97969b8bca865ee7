"""API clients ("plugins" in Centra): their tokens and settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import tokens
from dtc_api.core import limits
from dtc_api.core.errors import invalid
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
        raise invalid("frontend URL must start with https:// or http://", "frontendUrl")


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
) -> ClientCredentials:
    name = name.strip()
    if not name:
        raise invalid("name must not be empty", "name")
    _check_url(frontend_url)
    _check_limits(rate_limits)
    exists = await conn.scalar(sa.select(t.api_clients.c.id).where(t.api_clients.c.name == name))
    if exists is not None:
        raise invalid(f"an API client named {name!r} exists already", "name")
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
        raise invalid(f"no API client named {name!r}", "name")
    return credentials


async def _check_defaults(conn: AsyncConnection, country: str | None, language: str | None
                          ) -> None:
    if country is not None and await conn.scalar(
            sa.select(t.countries.c.code).where(t.countries.c.code == country)) is None:
        raise invalid(f"country {country} not found (load countries first, e.g. `dtc-api demo`)",
                      "defaultCountry")
    if language is not None and await conn.scalar(
            sa.select(t.languages.c.code).where(t.languages.c.code == language)) is None:
        raise invalid(f"language {language} not found", "defaultLanguage")


def _check_limits(overrides: dict[str, Any] | None) -> None:
    wrong = limits.check(overrides or {})
    if wrong:
        raise invalid(f"rate limits must be positive whole numbers: {', '.join(wrong)}",
                      "rateLimits")


async def update_settings(conn: AsyncConnection, name: str, **settings: Any) -> None:
    _check_url(settings.get("frontend_url"))
    _check_limits(settings.get("rate_limits"))
    await _check_defaults(conn, settings.get("default_country_code"),
                          settings.get("default_language_code"))
    result = await conn.execute(
        sa.update(t.api_clients).where(t.api_clients.c.name == name).values(**settings)
    )
    if result.rowcount != 1:
        raise invalid(f"no API client named {name!r}", "name")
