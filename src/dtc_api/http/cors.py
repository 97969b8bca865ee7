"""CORS for the storefront endpoint: a shop's pages call the API from the browser (cart,
line changes, checkout) with the shopper's token in ``Authorization``.

The origins allowed are the API client's (``access/origins.py``). A preflight carries no
token, so it is answered for an origin of any client; the request that follows names its
client, and a browser origin that client does not list is refused. Credentials (cookies) are
never allowed: the token travels in a header and comes back in the body.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from dtc_api.access import origins
from dtc_api.store.db import Database

log = logging.getLogger("dtc_api.http")

METHODS = "GET, POST"
# What storefronts send besides the CORS-safelisted headers.
HEADERS = ("authorization", "content-type", "x-shared-secret")
_HEADERS_ALLOWED = frozenset((*HEADERS, "accept", "accept-language", "content-language"))
MAX_AGE = "600"  # seconds a browser may keep a preflight's answer
_PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"


class Cors:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def every_origin(self) -> frozenset[str]:
        return await self.db.reads(origins.of_every_client)

    async def preflight(self, request: Request) -> Response:
        """The answer to OPTIONS: a preflight's, or the methods allowed."""
        origin = request.headers.get("origin")
        method = request.headers.get("access-control-request-method")
        if origin is None or method is None:
            return Response(status_code=204, headers={"Allow": "GET, POST, OPTIONS"})
        if origin not in await self.every_origin():
            return _refused(f"Origin {origin[:100]} is not allowed: add it to the API client "
                            "(its frontend URL or allowed origins)")
        if method.strip().upper() not in ("GET", "POST"):
            return _refused(f"Method {method[:20]} is not allowed: use GET or POST")
        asked = {name.strip().lower()
                 for name in request.headers.get("access-control-request-headers", "").split(",")}
        unknown = sorted(asked - _HEADERS_ALLOWED - {""})
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
        except Exception:  # e.g. the database is down: the answer says so, without CORS
            log.warning("allowed origins could not be read", exc_info=True)
            return False


def foreign(request: Request, origin: str) -> bool:
    """Whether a browser's page of ``origin`` calls from another site than this API's own
    (as the client sees it, by the Host it addressed)."""
    own = request.headers.get("host", "").lower().removesuffix(":80").removesuffix(":443")
    return origin.lower().partition("://")[2] != own


def let_read(response: Response, origin: str) -> None:
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"


def _refused(message: str) -> Response:
    return Response(orjson.dumps({"errors": [{"message": message}]}), 403,
                    media_type="application/json; charset=utf-8")
