"""Countries, states, languages, markets, pricelists and currencies.

This reference data changes rarely and is read on almost every request, so it is held as an
in-process snapshot that is reloaded after a short time (and at once after a local change).
"""

from __future__ import annotations

import asyncio
import gettext
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pycountry
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.store import tables as t
from dtc_api.store.db import Database

EU_MEMBERS = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)


def country_name(code: str) -> str | None:
    """The ISO 3166 name of a country (its common name where it has one), or None."""
    country = pycountry.countries.get(alpha_2=code)
    return (getattr(country, "common_name", None) or country.name) if country else None


def language_name(code: str) -> str | None:
    """The ISO 639 name of a language, or None."""
    language = pycountry.languages.get(alpha_2=code)
    return language.name if language else None


@cache
def _catalog(language_code: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language_code], fallback=True
    )


def translated_country_name(name: str, language_code: str) -> str:
    """``name`` (an ISO 3166 English name) in ``language_code``; unchanged when not known."""
    return _catalog(language_code).gettext(name)


@dataclass
class Geography:
    languages: dict[str, dict[str, Any]]
    countries: dict[str, dict[str, Any]]  # table rows
    states: dict[str, list[dict[str, Any]]]
    markets: dict[int, dict[str, Any]]
    pricelists: dict[int, dict[str, Any]]
    currencies: dict[int, dict[str, Any]]
    _country_cache: dict[tuple[str, str | None], dict[str, Any]] = field(default_factory=dict)

    @property
    def default_language(self) -> str | None:
        for code, language in self.languages.items():
            if language["default"]:
                return code
        return next(iter(self.languages), None)

    def language(self, code: str | None) -> dict[str, Any] | None:
        return self.languages.get(code) if code else None

    def country(self, code: str, language_code: str | None = None) -> dict[str, Any]:
        """A GraphQL ``Country``, named in ``language_code`` where a translation exists."""
        key = (code, language_code)
        cached = self._country_cache.get(key)
        if cached is None:
            row = self.countries[code]
            translations = [
                {"language": lang, "name": translated_country_name(row["name"], lc)}
                for lc, lang in self.languages.items()
            ]
            name = row["name"]
            if language_code and language_code in self.languages:
                name = next(
                    tr["name"] for tr in translations if tr["language"]["code"] == language_code
                )
            states = self.states.get(code)
            cached = self._country_cache[key] = {
                "code": code,
                "name": name,
                "isEU": row["is_eu"],
                "shipTo": row["ship_to"],
                "defaultLanguage": self.language(row["default_language_code"]),
                "states": [{"code": s["code"], "name": s["name"]} for s in states]
                if states
                else None,
                "translations": translations,
            }
        return cached

    def state(self, country_code: str, state_code: str | None) -> dict[str, Any] | None:
        if not state_code:
            return None
        for state in self.states.get(country_code, ()):
            if state["code"] == state_code:
                return {"code": state["code"], "name": state["name"]}
        return None

    def market(self, market_id: int) -> dict[str, Any]:
        row = self.markets[market_id]
        return {"id": row["id"], "name": row["name"], "hasCampaignSite": False}

    def pricelist(self, pricelist_id: int) -> dict[str, Any]:
        row = self.pricelists[pricelist_id]
        return {
            "id": row["id"],
            "name": row["name"],
            "comment": row["comment"],
            "currency": self.currencies[row["currency_id"]],
        }

    def currency_of(self, pricelist_id: int) -> dict[str, Any]:
        return self.currencies[self.pricelists[pricelist_id]["currency_id"]]

    def market_and_pricelist(self, country_code: str) -> tuple[int, int]:
        """Derive the market and pricelist of a shopper in ``country_code``.

        A country without its own falls back to the store default, then to the first one.
        """
        row = self.countries.get(country_code, {})
        market_id = row.get("market_id") or _default_id(self.markets)
        pricelist_id = row.get("pricelist_id") or _default_id(self.pricelists)
        if market_id is None or pricelist_id is None:
            raise LookupError("the store has no market or no pricelist yet")
        return market_id, pricelist_id


def _default_id(rows: dict[int, dict[str, Any]]) -> int | None:
    for row_id, row in rows.items():
        if row["is_default"]:
            return row_id
    return next(iter(rows), None)


async def load(db: Database) -> Geography:
    async with db.read() as conn:
        return await load_from(conn)


async def load_from(conn: AsyncConnection) -> Geography:
    def rows(table: sa.Table, order: Any) -> Any:
        return sa.select(table).order_by(order)

    languages = (await conn.execute(rows(t.languages, t.languages.c.code))).mappings().all()
    countries = (await conn.execute(rows(t.countries, t.countries.c.name))).mappings().all()
    states = (await conn.execute(rows(t.country_states, t.country_states.c.name))).mappings()
    markets = (await conn.execute(rows(t.markets, t.markets.c.id))).mappings().all()
    pricelists = (await conn.execute(rows(t.pricelists, t.pricelists.c.id))).mappings().all()
    currencies = (await conn.execute(rows(t.currencies, t.currencies.c.id))).mappings().all()
    geography = Geography(
        languages={row["code"]: _language(row) for row in languages},
        countries={row["code"]: dict(row) for row in countries},
        states={},
        markets={row["id"]: dict(row) for row in markets},
        pricelists={row["id"]: dict(row) for row in pricelists},
        currencies={row["id"]: _currency(row) for row in currencies},
    )
    for state in states:
        geography.states.setdefault(state["country_code"], []).append(dict(state))
    return geography


def _language(row: Any) -> dict[str, Any]:
    return {
        "code": row["code"],
        "name": row["name"],
        "default": row["is_default"],
        "countryCode": row["country_code"],
        "languageCode": row["language_code"],
        "languageName": row["name"],
    }


def _currency(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "code": row["code"],
        "name": row["name"],
        "isoNumber": row["iso_number"],
        "prefix": row["prefix"],
        "suffix": row["suffix"],
        "decimalDigits": row["decimal_digits"],
        "decimalPoint": row["decimal_point"],
        "thousandsSeparator": row["thousands_separator"],
        "denominator": row["denominator"],
        "currentBaseRate": row["base_rate"],
    }


class GeographyCache:
    """The current snapshot, reloaded when older than ``ttl`` seconds."""

    def __init__(self, db: Database, ttl: float = 10.0) -> None:
        self._db = db
        self._ttl = ttl
        self._snapshot: Geography | None = None
        self._loaded_at = 0.0
        self._reloading = asyncio.Lock()
        # Raised whenever the snapshot changes (a reload that finds the same rows keeps it).
        self.generation = 0

    async def get(self) -> Geography:
        if self._snapshot is not None and time.monotonic() - self._loaded_at <= self._ttl:
            return self._snapshot
        if self._snapshot is not None and self._reloading.locked():
            return self._snapshot  # another request is reloading: the old one will do
        async with self._reloading:
            if self._snapshot is None or time.monotonic() - self._loaded_at > self._ttl:
                loaded = await load(self._db)
                if self._snapshot is None or not _same(loaded, self._snapshot):
                    self._snapshot = loaded
                    self.generation += 1
                self._loaded_at = time.monotonic()
            return self._snapshot

    def invalidate(self) -> None:
        self._snapshot = None


def _same(one: Geography, other: Geography) -> bool:
    return (one.languages, one.countries, one.states, one.markets, one.pricelists,
            one.currencies) == (other.languages, other.countries, other.states, other.markets,
                                other.pricelists, other.currencies)
