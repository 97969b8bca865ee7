"""Limits that protect the server: repeated fields, query length, new sessions per IP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dtc_api.config import Settings
from tests import support
from tests.support import post_as


async def test_a_field_repeated_many_times_is_refused_before_validation(
    http: httpx.AsyncClient, credentials: Any
) -> None:
    query = "{" + " languages { code }" * 300 + "}"
    response = await post_as(http, credentials.no_session_token, {"query": query})
    assert response.json()["errors"] == [{
        "message": "languages is selected 300 times in one selection set; the limit is 10."}]


async def test_a_few_repeats_are_fine(http: httpx.AsyncClient, credentials: Any) -> None:
    query = "{" + " languages { code }" * 3 + "}"
    response = await post_as(http, credentials.no_session_token, {"query": query})
    assert "errors" not in response.json()


async def test_an_overlong_query_is_refused(http: httpx.AsyncClient, credentials: Any) -> None:
    query = "{ __typename }" + " " * 100_000
    response = await post_as(http, credentials.no_session_token, {"query": query})
    assert response.json()["errors"] == [
        {"message": "The query is longer than 100000 characters."}]


@pytest.fixture
def settings(db_url: str) -> Settings:
    return support.settings_for(db_url, session_ip_limit=3)


async def test_new_sessions_per_ip_are_limited(
    http: httpx.AsyncClient, credentials: Any, clock: Any
) -> None:
    body = {"query": "{ session { country { code } } }"}
    for _ in range(3):
        assert (await post_as(http, credentials.session_token, body)).status_code == 200
    refused = await post_as(http, credentials.session_token, body)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    assert refused.json()["errors"] == [
        {"message": "Too many new sessions from this address: try again in a minute"}]
    clock.advance(seconds=61)
    assert (await post_as(http, credentials.session_token, body)).status_code == 200
