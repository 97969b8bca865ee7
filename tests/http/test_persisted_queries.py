"""Automatic persisted queries (Apollo's protocol): a hash stands for a query this process
has seen validate; an unknown hash asks the client to send the text."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx

from dtc_api.access.clients import ClientCredentials
from tests.support import GRAPHQL, Shopper

QUERY = "{ session { country { code } } }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()


def persisted(digest: str = DIGEST, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


async def test_an_unknown_hash_then_the_text_then_the_hash_alone(shopper: Shopper) -> None:
    unknown = await shopper.raw(None, extensions=persisted())
    assert unknown["errors"] == [{"message": "PersistedQueryNotFound",
                                  "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
    registered = await shopper.raw(QUERY, extensions=persisted())
    assert registered["data"] == {"session": {"country": {"code": "SE"}}}
    known = await shopper.raw(None, extensions=persisted())
    assert known["data"] == {"session": {"country": {"code": "SE"}}}


async def test_a_hash_that_is_not_the_texts(shopper: Shopper) -> None:
    wrong = await shopper.raw(QUERY, extensions=persisted("0" * 64))
    assert wrong["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    # Nothing was kept under either hash.
    assert "errors" in await shopper.raw(None, extensions=persisted("0" * 64))


async def test_an_invalid_document_is_not_kept(shopper: Shopper) -> None:
    bad = "{ session { nope } }"
    digest = hashlib.sha256(bad.encode()).hexdigest()
    assert "errors" in await shopper.raw(bad, extensions=persisted(digest))
    again = await shopper.raw(None, extensions=persisted(digest))
    assert again["errors"][0]["message"] == "PersistedQueryNotFound"


async def test_other_versions_and_malformed_hashes(shopper: Shopper) -> None:
    other = await shopper.raw(QUERY, extensions=persisted(version=2))
    assert other["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    short = await shopper.raw(QUERY, extensions=persisted("abc"))
    assert short["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_get_by_hash_is_cacheable_for_stateless_reads(
        http: httpx.AsyncClient, credentials: ClientCredentials) -> None:
    query = "{ countries(onlyShipTo: true) { code } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    headers = {"authorization": f"Bearer {credentials.no_session_token}"}
    params = {"extensions": json.dumps(persisted(digest))}
    first = await http.get(GRAPHQL, params={**params, "query": query}, headers=headers)
    assert first.status_code == 200 and "errors" not in first.json()
    again = await http.get(GRAPHQL, params=params, headers=headers)
    assert again.json()["data"] == first.json()["data"]
    assert again.headers["cache-control"] == "public, max-age=60"
    assert "Authorization" in again.headers["vary"]
