"""Which media type a GraphQL-over-HTTP answer is written in, and which bodies are JSON."""

from __future__ import annotations

import pytest

from dtc_api.http.negotiation import (
    GRAPHQL_RESPONSE,
    JSON,
    is_json_request,
    prefers_html,
    response_media_type,
)


@pytest.mark.parametrize(("accept", "expected"), [
    # No preference: JSON, as the GraphQL-over-HTTP spec asks.
    (None, JSON),
    ("", JSON),
    ("   ", JSON),
    ("application/json", JSON),
    ("application/graphql-response+json", GRAPHQL_RESPONSE),
    ("APPLICATION/GRAPHQL-RESPONSE+JSON", GRAPHQL_RESPONSE),
    ("application/*", JSON),
    ("*/*", JSON),
    ("text/html, */*;q=0.8", JSON),
    # The first acceptable range wins when the qualities are equal.
    ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE),
    ("application/json, application/graphql-response+json", JSON),
    # A higher quality wins over the order.
    ("application/json;q=0.9, application/graphql-response+json", GRAPHQL_RESPONSE),
    ("application/graphql-response+json;q=0.5, application/json", JSON),
    ("application/json; q=0.2, application/graphql-response+json; Q=0.3", GRAPHQL_RESPONSE),
    ("application/json;charset=utf-8", JSON),
    # q=0 means "not this one".
    ("application/json;q=0", None),
    ("application/graphql-response+json;q=0, application/json", JSON),
    ("application/json;q=0, */*;q=0.1", JSON),
    # An unreadable quality counts as 0.
    ("application/json;q=high", None),
    ("application/json;q=high, application/graphql-response+json;q=0.1", GRAPHQL_RESPONSE),
    # Nothing we speak.
    ("text/html", None),
    ("application/xml, text/plain", None),
    ("application/jsonx", None),
    ("text/*", None),
])
def test_response_media_type(accept: str | None, expected: str | None) -> None:
    assert response_media_type(accept) == expected


CHROMIUM = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
            "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(("accept", "expected"), [
    # Browsers opening a page.
    (CHROMIUM, True),
    (FIREFOX, True),
    ("text/html", True),
    ("TEXT/HTML; charset=utf-8", True),
    ("text/html, application/json", True),
    ("application/json;q=0.5, text/html", True),
    # GraphQL clients, curl and fetch() get JSON as before.
    (None, False),
    ("", False),
    ("*/*", False),
    ("application/json", False),
    ("application/graphql-response+json", False),
    ("application/json, text/html", False),
    ("*/*, text/html", False),
    ("text/html;q=0.5, application/json", False),
    ("text/html;q=0.5, */*", False),
    # Only text/html itself names the page.
    ("text/*", False),
    ("application/xhtml+xml", False),
    ("text/html;q=0", False),
    ("text/html;q=0, */*", False),
])
def test_prefers_html(accept: str | None, expected: bool) -> None:
    assert prefers_html(accept) is expected


@pytest.mark.parametrize(("content_type", "expected"), [
    ("application/json", True),
    ("Application/JSON", True),
    ("application/json; charset=utf-8", True),
    ("application/json;charset=UTF-8", True),
    ('application/json; charset="utf-8"', True),
    ("application/json; charset=utf8", True),
    # Parameters other than the charset do not matter.
    ("application/json; boundary=x", True),
    ("application/json; charset=latin-1", False),
    ("application/json; charset=utf-16", False),
    (None, False),
    ("", False),
    ("text/plain", False),
    ("application/graphql", False),
    ("application/x-www-form-urlencoded", False),
    ("multipart/form-data; boundary=x", False),
    ("application/json-patch+json", False),
])
def test_is_json_request(content_type: str | None, expected: bool) -> None:
    assert is_json_request(content_type) is expected


def test_the_media_types() -> None:
    assert (JSON, GRAPHQL_RESPONSE) == ("application/json", "application/graphql-response+json")
