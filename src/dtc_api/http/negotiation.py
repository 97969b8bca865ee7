"""Request and response media types for GraphQL over HTTP."""

from __future__ import annotations

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
HTML = "text/html"


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts none we speak.

    A missing Accept header means application/json, as the GraphQL-over-HTTP spec asks.
    """
    if not accept or not accept.strip():
        return JSON
    for media in _ranked(accept):
        if media == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if media in {JSON, "application/*", "*/*"}:
            return JSON
    return None


def prefers_html(accept: str | None) -> bool:
    """Whether the client names text/html before any JSON answer: a browser opening the page,
    never a GraphQL client (``*/*``, ``application/json`` or no Accept at all)."""
    for media in _ranked(accept or ""):
        if media == HTML:
            return True
        if media in _SPOKEN:
            return False
    return False


_SPOKEN = frozenset({GRAPHQL_RESPONSE, JSON, "application/*", "*/*"})


def _ranked(accept: str) -> list[str]:
    """The media ranges of an Accept header, most wanted first (equal qualities in the order
    written), without those of quality 0."""
    ranges = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranges.append((-quality, position, media.lower()))
    return [media for _, _, media in sorted(ranges)]


def is_json_request(content_type: str | None) -> bool:
    if not content_type:
        return False
    media, *params = (p.strip().lower() for p in content_type.split(";"))
    if media != JSON:
        return False
    for param in params:
        key, _, value = param.partition("=")
        if key.strip() == "charset" and value.strip().strip('"') not in {"utf-8", "utf8"}:
            return False
    return True
