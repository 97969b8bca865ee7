"""Request and response media types for GraphQL over HTTP."""

from __future__ import annotations

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts none we speak.

    A missing Accept header means application/json, as the GraphQL-over-HTTP spec asks.
    """
    if not accept or not accept.strip():
        return JSON
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
        ranges.append((-quality, position, media.lower()))
    for negative_quality, _, media in sorted(ranges):
        if negative_quality == 0:
            break
        if media == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if media in {JSON, "application/*", "*/*"}:
            return JSON
    return None


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
