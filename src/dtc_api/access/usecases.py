"""Access workflows, one function each, each owning its transaction: a shopper session's
country, language, market and pricelist; API clients; integration keys.

They take plain values (and the collaborators they need) and return plain values or raise
``DomainError``; the storefront, the back-office and the CLI call the same ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import clients, integration_keys, sessions
from dtc_api.access.clients import ClientCredentials
from dtc_api.shop import selections
from dtc_api.shop.geography import Geography
from dtc_api.shop.selections import SelectionPolicy
from dtc_api.shop.usecases import SelectionChange, change_selection
from dtc_api.store.db import Database

# -- the shopper's session ----------------------------------------------------------------


async def set_country_state(db: Database, geography: Geography, policy: SelectionPolicy,
                            session_id: int, country_code: str, state_code: str | None,
                            now: dt.datetime) -> SelectionChange:
    """``setCountryState``: the market and pricelist follow the country, and the selection
    is fitted to what they sell."""
    async def change(conn: AsyncConnection, session: dict[str, Any]) -> Any:
        await sessions.set_country_state(conn, geography, session, country_code, state_code)
        return await selections.fit_to_market(conn, session, policy, now, ("countryCode",))

    return await change_selection(db, geography, policy, session_id, now, change)


async def set_language(db: Database, geography: Geography, policy: SelectionPolicy,
                       session_id: int, code: str, now: dt.datetime) -> SelectionChange:
    """``setLanguage``."""
    return await change_selection(
        db, geography, policy, session_id, now,
        lambda conn, session: sessions.set_language(conn, geography, session, code))


Setter = Callable[[AsyncConnection, Geography, dict[str, Any], int], Awaitable[None]]


async def _reprice(db: Database, geography: Geography, policy: SelectionPolicy,
                   session_id: int, setter: Setter, value: int, now: dt.datetime
                   ) -> SelectionChange:
    """Switch market or pricelist, then fit the selection to what is sold there."""
    async def change(conn: AsyncConnection, session: dict[str, Any]) -> Any:
        await setter(conn, geography, session, value)
        return await selections.fit_to_market(conn, session, policy, now, ("id",))

    return await change_selection(db, geography, policy, session_id, now, change)


async def set_market(db: Database, geography: Geography, policy: SelectionPolicy,
                     session_id: int, market_id: int, now: dt.datetime) -> SelectionChange:
    """``setMarket`` (shared secret)."""
    return await _reprice(db, geography, policy, session_id, sessions.set_market, market_id,
                          now)


async def set_pricelist(db: Database, geography: Geography, policy: SelectionPolicy,
                        session_id: int, pricelist_id: int, now: dt.datetime
                        ) -> SelectionChange:
    """``setPricelist`` (shared secret)."""
    return await _reprice(db, geography, policy, session_id, sessions.set_pricelist,
                          pricelist_id, now)


# -- API clients --------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientChange:
    client: dict[str, Any] | None  # the client's row afterwards (see clients.get)
    credentials: ClientCredentials | None = None  # when created or rotated: shown once


async def api_clients(db: Database) -> list[dict[str, Any]]:
    """Every API client's row, by name."""
    async with db.read() as conn:
        return await clients.listing(conn)


async def create_client(db: Database, name: str, now: dt.datetime, **settings: Any
                        ) -> ClientChange:
    """``createApiClient`` and ``dtc-api clients create``; ``settings`` as the keyword
    arguments of ``clients.create`` (frontend_url, default_country_code, ...)."""
    async with db.write() as conn:
        credentials = await clients.create(conn, name, now, **settings)
        return ClientChange(await clients.get(conn, credentials.name), credentials)


async def update_client(db: Database, name: str, **settings: Any) -> ClientChange:
    """``updateApiClient``: the settings given (columns of api_clients) change."""
    async with db.write() as conn:
        await clients.update_settings(conn, name, **settings)
        return ClientChange(await clients.get(conn, name))


async def rotate_client_credentials(db: Database, name: str) -> ClientChange:
    """``rotateApiClientTokens``: new tokens and shared secret; the old ones stop working."""
    async with db.write() as conn:
        credentials = await clients.rotate_credentials(conn, name)
        return ClientChange(await clients.get(conn, name), credentials)


# -- integration keys ---------------------------------------------------------------------


async def create_integration_key(db: Database, name: str, scope: str, now: dt.datetime
                                 ) -> str:
    """``dtc-api integration-keys create``: returns the key, shown only this once."""
    async with db.write() as conn:
        return await integration_keys.create(conn, name, scope, now)


async def list_integration_keys(db: Database) -> list[dict[str, Any]]:
    """Names, scopes and dates of the keys (never the keys)."""
    async with db.read() as conn:
        return await integration_keys.listing(conn)


async def revoke_integration_key(db: Database, name: str, now: dt.datetime) -> None:
    async with db.write() as conn:
        await integration_keys.revoke(conn, name, now)


async def integration_key_scope(db: Database, key: str) -> tuple[str, str] | None:
    """The name and scope ("read" or "write") of a back-office key, or None for a wrong or
    revoked one."""
    async with db.read() as conn:
        return await integration_keys.scope_of(conn, key)
