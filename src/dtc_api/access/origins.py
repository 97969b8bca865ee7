"""The web origins whose pages may call the storefront API from a browser (CORS), per API
client: the origin of the client's frontend URL, and any more the operator lists.

An origin is written as browsers send it: ``scheme://host[:port]``, lower case, without the
scheme's default port.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from dtc_api.core.errors import Code, invalid
from dtc_api.store.db import Database
from dtc_api.store.reads import Query, Reads

log = logging.getLogger("dtc_api.access")

MAX_ORIGINS = 20  # per client
_DEFAULT_PORTS = {"http": 80, "https": 443}


_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def origin_of(url: str) -> str | None:
    """The origin of an http(s) URL as a browser writes it, or None if it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or parts.username is not None \
            or parts.password is not None:
        return None
    host = _host(parts.hostname or "")
    if host is None:
        return None
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else \
        f"{scheme}://{host}:{port}"


def _host(name: str) -> str | None:
    """A host as browsers serialise it: IDNA (punycode) names, canonical IP addresses."""
    if not name:
        return None
    if ":" in name:  # an IPv6 address (urlsplit has taken the brackets off)
        try:
            return f"[{ipaddress.IPv6Address(name).compressed}]"
        except ValueError:
            return None
    try:
        name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    last = name.rsplit(".", 1)[-1]
    if last.isdigit() or last.startswith("0x"):  # browsers read these as IPv4 addresses
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            return None
    return name if _HOST_NAME.fullmatch(name) else None


def checked(origins: Iterable[str]) -> list[str]:
    """The operator's list, each written as an origin; refused whole if one is not one."""
    written: list[str] = []
    for n, given in enumerate(origins):
        origin = origin_of(given) if len(given) <= 300 else None
        parts = urlsplit(given.strip()) if origin is not None else None
        bare = parts is not None and parts.path in ("", "/") and not parts.query \
            and not parts.fragment and "#" not in given and "?" not in given
        if not bare:
            raise invalid("an allowed origin is scheme://host[:port] (http or https, no path), "
                          f"e.g. https://shop.example: {given[:80]!r} is not one",
                          "allowedOrigins", str(n), code=Code.INVALID_INPUT)
        if origin not in written:
            written.append(origin)  # type: ignore[arg-type]
    if len(written) > MAX_ORIGINS:
        raise invalid(f"at most {MAX_ORIGINS} allowed origins", "allowedOrigins",
                      code=Code.INVALID_INPUT)
    return written


def of_client(client: dict[str, Any]) -> frozenset[str]:
    """The origins a client's pages are served from (its row, or a principal's client)."""
    origins = set(client.get("allowed_origins") or ())
    if client.get("frontend_url"):
        frontend = origin_of(client["frontend_url"])
        if frontend is not None:
            origins.add(frontend)
    return frozenset(origins)


_EVERY_CLIENT = Query("SELECT frontend_url, allowed_origins FROM api_clients",
                      allowed_origins="json")


async def of_every_client(reads: Reads) -> frozenset[str]:
    """The origins of all clients: a preflight names no client (it carries no token)."""
    found: set[str] = set()
    for row in await reads.all(_EVERY_CLIENT):
        found |= of_client(row)
    return frozenset(found)


class EveryOrigin:
    """The origins of all clients, kept for ``ttl`` seconds: preflights cost no statement,
    a change made by another process is seen within ``ttl``, and this process's own changes
    at once (``forget``). While the database cannot be reached, the last ones read stay."""

    def __init__(self, db: Database, ttl: float = 10.0) -> None:
        self.db = db
        self.ttl = ttl
        self._origins: frozenset[str] | None = None
        self._read_at = float("-inf")

    async def get(self) -> frozenset[str]:
        if self._origins is not None and time.monotonic() - self._read_at < self.ttl:
            return self._origins
        try:
            self._origins = await self.db.reads(of_every_client)
        except Exception:
            if self._origins is None:
                raise
            log.debug("allowed origins kept from the last read", exc_info=True)
        self._read_at = time.monotonic()
        return self._origins

    def forget(self) -> None:
        self._read_at = float("-inf")
