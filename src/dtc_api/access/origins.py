"""The web origins whose pages may call the storefront API from a browser (CORS), per API
client: the origin of the client's frontend URL, and any more the operator lists.

An origin is written as browsers send it: ``scheme://host[:port]``, lower case, without the
scheme's default port.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from dtc_api.core.errors import Code, invalid
from dtc_api.store.reads import Query, Reads

MAX_ORIGINS = 20  # per client
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """The origin of an http(s) URL, or None if it has none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
        return None
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else \
        f"{scheme}://{host}:{port}"


def checked(origins: Iterable[str]) -> list[str]:
    """The operator's list, each written as an origin; refused whole if one is not one."""
    written: list[str] = []
    for n, given in enumerate(origins):
        origin = origin_of(given) if len(given) <= 300 else None
        bare = origin is not None and urlsplit(given.strip()).path in ("", "/") \
            and not urlsplit(given.strip()).query
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
