"""CORS for the storefront endpoint: a shop's pages call the API from the browser (cart,
line changes, checkout) with the shopper's token in ``Authorization``.

The origins allowed are the API client's (``access/origins.py``). A preflight carries no
token, so it is answered for an origin of any client; the request that follows names its
client, and a browser origin that client does not list is refused before anything is written.
Credentials (cookies) are never allowed: the token travels in a header and comes back in the
body. Every answer varies by ``Origin``, so a cache never hands one origin's answer to another.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from dtc_api.access import origins

METHODS = "GET, POST"
# What storefronts send (the last three are CORS-safelisted, but only for short values).
HEADERS = ("authorization", "content-type", "x-shared-secret", "accept", "accept-language",
           "content-language")
MAX_AGE = "600"  # seconds a browser may keep a preflight's answer
_PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class OriginRefused(Exception):
    """A page of an origin its API client does not list."""

    def __init__(self, origin: str, client: dict[str, Any]) -> None:
        super().__init__(f"Origin {origin[:100]} is not allowed for this API client: add it "
                         "to the client's allowed origins")
        self.client = client


class Cors:
    def __init__(self, every: origins.EveryOrigin) -> None:
        self.every_origin = every.get

    async def preflight(self, request: Request) -> Response:
        """The answer to OPTIONS: a preflight's, or the methods allowed."""
        origin = request.headers.get("origin")
        method = request.headers.get("access-control-request-method")
        if origin is None or method is None:
            return Response(status_code=204, headers={"Allow": "GET, POST, OPTIONS",
                                                      "Vary": "Origin"})
        if origin not in await self.every_origin():
            return _refused(f"Origin {origin[:100]} is not allowed: add it to the API client "
                            "(its frontend URL or allowed origins)")
        if method.strip().upper() not in ("GET", "POST"):
            return _refused(f"Method {method[:20]} is not allowed: use GET or POST")
        asked = {name.strip().lower()
                 for name in request.headers.get("access-control-request-headers", "").split(",")}
        unknown = sorted(asked - set(HEADERS) - {""})
        if unknown:
            return _refused(f"Headers not allowed: {', '.join(unknown)[:200]}")
        return Response(status_code=204, headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": METHODS,
            "Access-Control-Allow-Headers": ", ".join(HEADERS),
            "Access-Control-Max-Age": MAX_AGE,
            "Vary": _PREFLIGHT_VARY,
        })

    async def allows(self, origin: str, client: dict[str, Any] | None) -> bool:
        """Whether a page of ``origin`` may read the answer: the client's origins, or any
        client's when the request named none (e.g. an unknown token)."""
        if client is not None:
            return origin in origins.of_client(client)
        try:
            return origin in await self.every_origin()
        except Exception:  # never read, and the database is down: no CORS headers
            return False


def admit(request: Request) -> Any:
    """The check ``sessions.authenticate`` runs once the client is known: None when the
    request comes from no browser page of another site."""
    origin = request.headers.get("origin")
    if origin is None or not foreign(request, origin):
        return None

    def check(client: dict[str, Any]) -> None:
        if origin not in origins.of_client(client):
            raise OriginRefused(origin, client)

    return check


def foreign(request: Request, origin: str) -> bool:
    """Whether a browser's page of ``origin`` calls from another site than this API's own
    (by the Host the browser addressed: a proxy in front must pass Host on)."""
    own = request.headers.get("host", "").lower().removesuffix(":80").removesuffix(":443")
    return origin.lower().partition("://")[2] != own


def vary(response: Response, origin: str | None, readable: bool) -> None:
    """Mark ``response``: it varies by Origin, and ``origin``'s page may read it."""
    present = response.headers.get("vary")
    if present is None:
        response.headers["Vary"] = "Origin"
    elif "origin" not in present.lower():
        response.headers["Vary"] = f"{present}, Origin"
    if origin is not None and readable:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"


def _refused(message: str) -> Response:
    return Response(orjson.dumps({"errors": [{"message": message}]}), 403,
                    media_type="application/json; charset=utf-8",
                    headers={"Vary": "Origin"})
