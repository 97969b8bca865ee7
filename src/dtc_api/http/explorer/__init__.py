"""The explorer: GraphiQL at ``GET /graphql`` for a browser, on when ``DTC_EXPLORER`` is true
(``serve --demo`` turns it on).

Everything the page needs ships inside the package (``static/``; the third-party files and
where they came from in ``static/vendor/``), so it works without a network. The page's own
script speaks the token protocol: it sends the API client's session token until an answer
carries ``extensions.token``, and that shopper token from then on.

Only a GET that names ``text/html`` before any JSON type gets the page; every other request
to /graphql goes to the GraphQL endpoint unchanged.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from dtc_api.http.negotiation import prefers_html

# URL name -> (file under static/, media type). Nothing else is served.
FILES = {
    "explorer.js": ("explorer.js", "text/javascript; charset=utf-8"),
    "explorer.css": ("explorer.css", "text/css; charset=utf-8"),
    "graphiql.min.js": ("vendor/graphiql.min.js", "text/javascript; charset=utf-8"),
    "graphiql.min.css": ("vendor/graphiql.min.css", "text/css; charset=utf-8"),
    "react.production.min.js": ("vendor/react.production.min.js",
                                "text/javascript; charset=utf-8"),
    "react-dom.production.min.js": ("vendor/react-dom.production.min.js",
                                    "text/javascript; charset=utf-8"),
}

# The page runs only its own files: no inline script, nothing from another origin, and it
# cannot be framed. Fonts and a few icons are data: URLs inside GraphiQL's stylesheet; its
# menus and dialogs insert a <style> element (to hold the page still while they are open),
# which needs 'unsafe-inline' for styles (its content varies, so no hash fits; scripts stay
# strict).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # The page is small and names its files by version: always ask for it again.
    "Cache-Control": "no-cache",
    "Vary": "Accept",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# Asset URLs carry the version of every file (?v=...): a browser may keep them for good.
ASSET_CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    content: bytes
    gzipped: bytes
    media_type: str
    digest: str


class Explorer:
    """The page and its files, read once (about 1.6 MB, 0.7 MB gzipped, per process)."""

    def __init__(self) -> None:
        static = resources.files(__package__).joinpath("static")
        self.assets: dict[str, Asset] = {}
        for name, (path, media_type) in FILES.items():
            content = static.joinpath(path).read_bytes()
            digest = hashlib.sha256(content).hexdigest()
            self.assets[name] = Asset(content, gzip.compress(content, 6, mtime=0), media_type,
                                      digest[:32])
        self.version = hashlib.sha256(
            "".join(a.digest for a in self.assets.values()).encode()).hexdigest()[:16]
        self.page = static.joinpath("page.html").read_text("utf-8").replace(
            "{{VERSION}}", self.version).encode()

    def page_response(self) -> Response:
        return Response(self.page, media_type="text/html; charset=utf-8",
                        headers=PAGE_HEADERS)

    async def asset(self, request: Request) -> Response:
        """``GET /graphql/explorer/{name}``: one of FILES, gzipped when the browser takes it."""
        asset = self.assets.get(request.path_params["name"])
        if asset is None:
            return Response("Not Found", 404, media_type="text/plain; charset=utf-8")
        gzipped = _takes_gzip(request.headers.get("accept-encoding", ""))
        # Each encoding is a representation of its own, with its own tag.
        etag = f'"{asset.digest}-gzip"' if gzipped else f'"{asset.digest}"'
        headers = {"Cache-Control": ASSET_CACHE, "ETag": etag, "Vary": "Accept-Encoding",
                   "X-Content-Type-Options": "nosniff"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
            return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
        return Response(asset.content, media_type=asset.media_type, headers=headers)

    def routes(self, graphql: ASGIApp) -> list[Route]:
        """/graphql (``graphql``, with the page for a browser's GET) and the page's files."""
        return [Route("/graphql", _PageOrGraphQL(self.page_response(), graphql)),
                Route("/graphql/explorer/{name}", self.asset, methods=["GET"])]


class _PageOrGraphQL:
    def __init__(self, page: Response, graphql: ASGIApp) -> None:
        self.page = page
        self.graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET" and prefers_html(_header(scope, b"accept")):
            await self.page(scope, receive, send)
            return
        await self.graphql(scope, receive, send)


def _takes_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            quality = params.strip().lower().removeprefix("q=").strip() or "1"
            return quality.rstrip("0").rstrip(".") not in ("0", "")
    return False


def _header(scope: Scope, name: bytes) -> str | None:
    values = [value.decode("latin-1") for key, value in scope["headers"] if key == name]
    return ", ".join(values) if values else None


@functools.cache
def explorer() -> Explorer:
    """The explorer's files, read and compressed once per process (every app shares them)."""
    return Explorer()
