"""The Centra token protocol over HTTP: session creation, re-use, rotation, modes and expiry."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dtc_api.access import clients, sessions
from dtc_api.access.clients import ClientCredentials
from dtc_api.access.sessions import Principal, rotate_token
from dtc_api.jobs.loop import run_once
from dtc_api.store import tables as t
from tests.support import GRAPHQL, GRAPHQL_RESPONSE, UNAUTHORIZED, Shopper, post_as

URL_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_-]{43,}")
TRACE_ID = re.compile(r"[0-9a-f]{32}")

SESSION_QUERY = "{ session { country { code } } }"
SESSION_DETAILS = "{ session { country { code } market { name } pricelist { currency { code } } } }"
READS = "{ countries(onlyShipTo: true) { code } languages { code } }"
ADD_ITEM = 'mutation { addItem(item: "1-1") { userErrors { message } } }'
MARKETS = "{ markets { id } }"


# --- helpers -------------------------------------------------------------------------------


async def ask(http: httpx.AsyncClient, token: str | None, query: str, **headers: str
              ) -> dict[str, Any]:
    """POST ``query`` with ``token``; the answer must be a 200 JSON body."""
    response = await post_as(http, token, {"query": query}, **headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def start_session(http: httpx.AsyncClient, credentials: ClientCredentials) -> str:
    """Open a shopper session with the client's session token; returns the shopper's token."""
    answer = await ask(http, credentials.session_token, SESSION_QUERY)
    assert "errors" not in answer, answer
    return answer["extensions"]["token"]  # type: ignore[no-any-return]


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def count_sessions(runtime: Any) -> int:
    async with runtime.db.read() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(t.sessions)))


async def session_row(runtime: Any, token: str) -> dict[str, Any] | None:
    async with runtime.db.read() as conn:
        query = sa.select(t.sessions).where(t.sessions.c.token_hash == sha256(token))
        row = (await conn.execute(query)).mappings().first()
    return dict(row) if row is not None else None


def assert_session_extensions(answer: dict[str, Any], token: str) -> None:
    assert set(answer["extensions"]) == {"token", "traceId"}, answer
    assert answer["extensions"]["token"] == token
    assert TRACE_ID.fullmatch(answer["extensions"]["traceId"])


def assert_forbidden(answer: dict[str, Any], field: str, mode: str) -> None:
    """A refused root field: one FORBIDDEN error naming the field and the mode, and no data."""
    assert "data" not in answer, answer
    assert len(answer["errors"]) == 1, answer
    error = answer["errors"][0]
    assert error["extensions"] == {"code": "FORBIDDEN"}
    assert error["message"].startswith(f"{field} requires ")
    assert f"(mode {mode})" in error["message"]


# --- session creation and re-use -----------------------------------------------------------


async def test_client_session_token_creates_a_new_session(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any
) -> None:
    answer = await ask(http, credentials.session_token, SESSION_QUERY)

    assert answer["data"] == {"session": {"country": {"code": "SE"}}}
    token = answer["extensions"]["token"]
    assert token != credentials.session_token
    assert URL_SAFE_TOKEN.fullmatch(token)
    assert TRACE_ID.fullmatch(answer["extensions"]["traceId"])
    assert await session_row(runtime, token) is not None


async def test_client_session_token_creates_a_session_per_request(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any
) -> None:
    before = await count_sessions(runtime)

    first = await start_session(http, credentials)
    second = await start_session(http, credentials)

    assert first != second
    assert await count_sessions(runtime) == before + 2


async def test_shopper_token_is_reused_and_echoed_unchanged(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any
) -> None:
    token = await start_session(http, credentials)
    sessions_before = await count_sessions(runtime)

    for query in (SESSION_QUERY, READS, SESSION_QUERY):
        answer = await ask(http, token, query)
        assert "errors" not in answer, answer
        assert_session_extensions(answer, token)

    assert await count_sessions(runtime) == sessions_before


async def test_session_state_persists_between_requests(shopper: Shopper) -> None:
    await shopper.gql(SESSION_QUERY)
    token = shopper.token

    changed = await shopper.gql(
        'mutation { setCountryState(countryCode: "DE") { userErrors { message } } }'
    )
    data = await shopper.gql(SESSION_DETAILS)

    assert changed == {"setCountryState": {"userErrors": []}}
    assert data == {"session": {"country": {"code": "DE"}, "market": {"name": "Europe"},
                                "pricelist": {"currency": {"code": "EUR"}}}}
    assert shopper.token == token


# --- storage -------------------------------------------------------------------------------


async def test_tokens_are_stored_only_as_hashes(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any
) -> None:
    token = await start_session(http, credentials)
    plaintexts = {token, credentials.session_token, credentials.no_session_token,
                  credentials.shared_secret}

    async with runtime.db.read() as conn:
        rows = {
            table.name: (await conn.execute(sa.select(table))).mappings().all()
            for table in (t.sessions, t.api_clients)
        }

    for table, table_rows in rows.items():
        for row in table_rows:
            for column, value in row.items():
                text = str(value)
                assert not any(secret in text for secret in plaintexts), (table, column)
    stored = [row for row in rows["sessions"] if row["token_hash"] == sha256(token)]
    assert len(stored) == 1
    client = next(row for row in rows["api_clients"] if row["name"] == credentials.name)
    assert client["session_token_hash"] == sha256(credentials.session_token)
    assert client["no_session_token_hash"] == sha256(credentials.no_session_token)
    assert client["shared_secret_hash"] == sha256(credentials.shared_secret)


# --- rotation ------------------------------------------------------------------------------


async def test_rotate_token_retires_the_old_token(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any
) -> None:
    old = await start_session(http, credentials)
    row = await session_row(runtime, old)
    assert row is not None

    async with runtime.db.write() as conn:
        principal = Principal(client={"id": row["client_id"]}, session=row, token=old)
        new = await rotate_token(conn, principal)

    assert new != old
    assert principal.token == new
    assert URL_SAFE_TOKEN.fullmatch(new)
    assert await ask(http, old, SESSION_QUERY) == UNAUTHORIZED
    answer = await ask(http, new, SESSION_QUERY)
    assert answer["data"] == {"session": {"country": {"code": "SE"}}}
    assert_session_extensions(answer, new)
    assert (await session_row(runtime, new) or {}).get("id") == row["id"]


# --- Unauthorized --------------------------------------------------------------------------

BAD_AUTHORIZATION = {
    "unknown-token": "Bearer 6Wl0zq3H2Zc9m1vJY4bX0sTnQe8rKpUa5dLgFhC7iOw",
    "missing-header": None,
    "basic-scheme": "Basic xyz",
    "empty-bearer": "Bearer ",
    "blank-bearer": "Bearer    ",
    "bare-bearer": "Bearer",
}


@pytest.mark.parametrize(("accept", "status"),
                         [("application/json", 200), (GRAPHQL_RESPONSE, 401)],
                         ids=["json", "graphql-response"])
@pytest.mark.parametrize("authorization", list(BAD_AUTHORIZATION.values()),
                         ids=list(BAD_AUTHORIZATION))
async def test_bad_authorization_is_unauthorized(
    http: httpx.AsyncClient, runtime: Any, credentials: ClientCredentials,
    authorization: str | None, accept: str, status: int,
) -> None:
    before = await count_sessions(runtime)
    headers = {"accept": accept}
    if authorization is not None:
        headers["authorization"] = authorization

    response = await http.post(GRAPHQL, json={"query": SESSION_QUERY}, headers=headers)

    assert response.status_code == status
    assert response.headers["content-type"].startswith(accept)
    assert response.json() == UNAUTHORIZED
    assert await count_sessions(runtime) == before


@pytest.mark.parametrize("token", [
    pytest.param(b"A" * 10 * 1024, id="10KB"),
    pytest.param("tökén-ünïcødé-ß-✓".encode(), id="non-ascii-utf8"),
    pytest.param("tökén".encode("latin-1"), id="non-ascii-latin1"),
])
async def test_malformed_token_is_unauthorized(
    http: httpx.AsyncClient, runtime: Any, credentials: ClientCredentials, token: bytes
) -> None:
    before = await count_sessions(runtime)

    response = await http.post(GRAPHQL, json={"query": SESSION_QUERY},
                               headers={"authorization": b"Bearer " + token})

    assert response.status_code == 200
    assert response.json() == UNAUTHORIZED
    assert await count_sessions(runtime) == before


async def test_oversized_token_with_a_valid_prefix_is_unauthorized(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    token = await start_session(http, credentials)

    assert await ask(http, token + "A" * 10 * 1024, SESSION_QUERY) == UNAUTHORIZED


# --- operating modes -----------------------------------------------------------------------


async def test_no_session_token_reads_without_a_session(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any
) -> None:
    before = await count_sessions(runtime)

    answer = await ask(http, credentials.no_session_token, READS)

    assert "errors" not in answer, answer
    assert {"code": "SE"} in answer["data"]["countries"]
    assert {"code": "en"} in answer["data"]["languages"]
    assert set(answer["extensions"]) == {"traceId"}
    assert TRACE_ID.fullmatch(answer["extensions"]["traceId"])
    assert await count_sessions(runtime) == before


@pytest.mark.parametrize(("query", "field"), [
    (SESSION_QUERY, "session"),
    (ADD_ITEM, "addItem"),
    ("{ selection { id } }", "selection"),
    # the root field hidden behind an alias or a fragment is still the root field
    ("{ where: session { country { code } } }", "session"),
    ("{ ... on Query { session { country { code } } } }", "session"),
    ("{ ...S } fragment S on Query { session { country { code } } }", "session"),
], ids=["session", "addItem", "selection", "alias", "inline-fragment", "fragment"])
async def test_no_session_token_is_refused_session_fields(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any, query: str, field: str
) -> None:
    before = await count_sessions(runtime)

    answer = await ask(http, credentials.no_session_token, query)

    assert_forbidden(answer, field, "SESSION")
    assert "token" not in answer["extensions"]
    assert await count_sessions(runtime) == before


async def test_markets_needs_the_no_session_token(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    stateless = await ask(http, credentials.no_session_token, MARKETS)
    token = await start_session(http, credentials)
    refused = await ask(http, token, MARKETS)

    assert "errors" not in stateless, stateless
    assert {"id": 2} in stateless["data"]["markets"]
    assert_forbidden(refused, "markets", "NO_SESSION")
    assert_session_extensions(refused, token)


@pytest.mark.parametrize(("use_session", "query", "refused_field", "mode"), [
    (False, "{ countries(onlyShipTo: true) { code } session { country { code } } }",
     "session", "SESSION"),
    (True, "{ session { country { code } } markets { id } }", "markets", "NO_SESSION"),
], ids=["no-session-token", "session-token"])
async def test_mixed_document_returns_no_data(
    http: httpx.AsyncClient, credentials: ClientCredentials,
    use_session: bool, query: str, refused_field: str, mode: str,
) -> None:
    token = (await start_session(http, credentials) if use_session
             else credentials.no_session_token)

    answer = await ask(http, token, query)

    assert_forbidden(answer, refused_field, mode)


# --- shared secret -------------------------------------------------------------------------

PRIVILEGED = {
    "setMarket": ("mutation { setMarket(id: 2) { session { market { id } } "
                  "userErrors { message } } }", "market"),
    "setPricelist": ("mutation { setPricelist(id: 2) { session { pricelist { id } } "
                     "userErrors { message } } }", "pricelist"),
}


@pytest.mark.parametrize("secret", ["missing", "wrong", "empty", "other-client"])
@pytest.mark.parametrize("mutation", list(PRIVILEGED))
async def test_privileged_mutation_without_the_shared_secret_is_refused(
    shopper: Shopper, runtime: Any, clock: Any, mutation: str, secret: str
) -> None:
    async with runtime.db.write() as conn:
        other = await clients.create(conn, "other storefront", clock.now())
    await shopper.gql(SESSION_QUERY)
    token = shopper.token
    shopper.shared_secret = {"missing": None, "wrong": "wrong", "empty": "",
                             "other-client": other.shared_secret}[secret]
    query, _ = PRIVILEGED[mutation]

    answer = await shopper.raw(query)

    assert_forbidden(answer, mutation, "SHARED_SECRET")
    assert "SHARED_SECRET" in answer["errors"][0]["message"]
    assert_session_extensions(answer, token)
    shopper.shared_secret = None
    assert await shopper.gql(SESSION_DETAILS) == {"session": {
        "country": {"code": "SE"}, "market": {"name": "Sweden"},
        "pricelist": {"currency": {"code": "SEK"}},
    }}


@pytest.mark.parametrize("mutation", list(PRIVILEGED))
async def test_privileged_mutation_with_the_shared_secret_runs(
    shopper: Shopper, credentials: ClientCredentials, mutation: str
) -> None:
    await shopper.gql(SESSION_QUERY)
    token = shopper.token
    shopper.shared_secret = credentials.shared_secret
    query, field = PRIVILEGED[mutation]

    answer = await shopper.raw(query)

    assert "errors" not in answer, answer
    assert answer["data"] == {mutation: {"session": {field: {"id": 2}}, "userErrors": []}}
    assert_session_extensions(answer, token)
    shopper.shared_secret = None
    persisted = await shopper.gql(f"{{ session {{ {field} {{ id }} }} }}")
    assert persisted == {"session": {field: {"id": 2}}}


async def test_shared_secret_with_the_no_session_token_is_refused(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    query, _ = PRIVILEGED["setMarket"]

    answer = await ask(http, credentials.no_session_token, query,
                       **{"x-shared-secret": credentials.shared_secret})

    assert_forbidden(answer, "setMarket", "SHARED_SECRET")


# --- expiry --------------------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "valid"), [
    (-dt.timedelta(seconds=1), True),
    (dt.timedelta(0), False),
    (dt.timedelta(seconds=1), False),
], ids=["just-under", "exactly", "just-over"])
async def test_session_expires_after_the_idle_ttl(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any, clock: Any,
    offset: dt.timedelta, valid: bool,
) -> None:
    token = await start_session(http, credentials)

    clock.advance(seconds=(runtime.session_policy.idle_ttl + offset).total_seconds())
    answer = await ask(http, token, SESSION_QUERY)

    if valid:
        assert answer["data"] == {"session": {"country": {"code": "SE"}}}
        assert_session_extensions(answer, token)
    else:
        assert answer == UNAUTHORIZED


async def test_session_used_regularly_lives_until_the_max_age(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any, clock: Any
) -> None:
    policy = runtime.session_policy
    token = await start_session(http, credentials)
    created = clock.now()
    step = policy.idle_ttl - dt.timedelta(days=1)
    assert step > dt.timedelta(seconds=60)  # so every request writes last_seen

    # given a shopper who comes back before the idle TTL runs out, until just before max age
    while clock.now() + step < created + policy.max_age:
        clock.advance(seconds=step.total_seconds())
        answer = await ask(http, token, SESSION_QUERY)
        assert "errors" not in answer, (clock.now() - created, answer)
        assert (await session_row(runtime, token) or {}).get("last_seen_at") == clock.now()
    clock.advance(seconds=(created + policy.max_age - clock.now()).total_seconds() - 1)
    assert "errors" not in await ask(http, token, SESSION_QUERY)

    # when the max age passes, then the session ends although it was used a second ago
    clock.advance(seconds=1)
    assert await ask(http, token, SESSION_QUERY) == UNAUTHORIZED
    clock.advance(seconds=1)
    assert await ask(http, token, SESSION_QUERY) == UNAUTHORIZED


# --- extensions on every session-mode answer -----------------------------------------------

SESSION_MODE_ANSWERS = {  # id -> (query, what the answer holds besides extensions)
    "data": (SESSION_QUERY, "data"),
    "user-errors": ('mutation { setCountryState(countryCode: "XX") { userErrors { message } } }',
                    "userErrors"),
    "unknown-item": ('mutation { addItem(item: "999999-1") { userErrors { message } } }',
                     "userErrors"),
    "validation-error": ("{ nope }", "errors"),
    "syntax-error": ("{ session {", "errors"),
    "forbidden": (MARKETS, "errors"),
}


@pytest.mark.parametrize(("query", "outcome"), list(SESSION_MODE_ANSWERS.values()),
                         ids=list(SESSION_MODE_ANSWERS))
async def test_session_mode_answer_carries_token_and_trace_id(
    http: httpx.AsyncClient, credentials: ClientCredentials, query: str, outcome: str
) -> None:
    token = await start_session(http, credentials)

    answer = await ask(http, token, query)

    if outcome == "errors":
        assert answer["errors"] and "data" not in answer, answer
    else:
        assert "errors" not in answer, answer
    if outcome == "userErrors":
        (payload,) = answer["data"].values()
        assert payload["userErrors"], answer
    assert_session_extensions(answer, token)


SET_LANGUAGE = 'mutation { setLanguage(code: "sv") { userErrors { message } } }'


async def test_get_mutation_refusal_carries_the_shopper_token(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    token = await start_session(http, credentials)

    response = await http.get(GRAPHQL, params={"query": SET_LANGUAGE},
                              headers={"authorization": f"Bearer {token}"})

    assert response.status_code == 405
    answer = response.json()
    assert "data" not in answer
    assert_session_extensions(answer, token)


async def test_get_mutation_with_the_client_session_token_leaves_no_orphan_session(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any
) -> None:
    before = await count_sessions(runtime)

    response = await http.get(GRAPHQL, params={"query": SET_LANGUAGE},
                              headers={"authorization": f"Bearer {credentials.session_token}"})

    assert response.status_code == 405
    answer = response.json()
    created = await count_sessions(runtime) - before
    token = answer["extensions"].get("token")
    # Either nothing was created, or the shopper learns the token of what was.
    assert (created, token is not None) in {(0, False), (1, True)}, (created, answer)
    if token is not None:
        assert await session_row(runtime, token) is not None


@pytest.mark.parametrize("query", ["{ nope }", "{ session {"], ids=["validation", "syntax"])
async def test_client_session_token_with_a_bad_document_still_returns_the_new_token(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any, query: str
) -> None:
    answer = await ask(http, credentials.session_token, query)

    assert "data" not in answer
    assert answer["errors"]
    token = answer["extensions"]["token"]
    assert token != credentials.session_token
    assert await session_row(runtime, token) is not None
    assert "errors" not in await ask(http, token, SESSION_QUERY)


# --- cost ----------------------------------------------------------------------------------

TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


async def test_session_query_sends_only_the_token_lookup(
    http: httpx.AsyncClient, credentials: ClientCredentials, statements: list[str]
) -> None:
    token = await start_session(http, credentials)
    await ask(http, token, SESSION_QUERY)  # warm the document and geography caches

    statements.clear()
    answer = await ask(http, token, SESSION_QUERY)

    assert answer["data"] == {"session": {"country": {"code": "SE"}}}
    # SQLite's explicit BEGIN (db.read()) is transaction framing, not a query.
    queries = [s for s in statements if not TRANSACTION_CONTROL.match(s)]
    assert len(queries) == 1, statements
    assert queries[0].lstrip().upper().startswith("SELECT")
    assert "sessions" in queries[0]
    assert "token_hash" in queries[0]


async def test_a_client_token_seen_before_is_looked_up_as_a_clients_first(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any,
    statements: list[str]
) -> None:
    await start_session(http, credentials)  # the process learns the client token's digest

    statements.clear()
    answer = await ask(http, credentials.session_token, SESSION_QUERY)

    lookups = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(lookups) == 1, statements  # not first looked up as a shopper session's
    assert "api_clients" in lookups[0] and "sessions" not in lookups[0]
    assert answer["data"] == {"session": {"country": {"code": "SE"}}}
    assert await session_row(runtime, answer["extensions"]["token"]) is not None


async def test_a_session_token_among_the_client_digests_is_still_a_sessions(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any
) -> None:
    """The digests only order the two lookups: a token that is not a client's, even if the
    process took it for one, is then looked up as a session's."""
    token = await start_session(http, credentials)
    moved = await ask(http, token, 'mutation { setCountryState(countryCode: "DE") { '
                                   'userErrors { message } } }')
    assert "errors" not in moved, moved
    sessions_before = await count_sessions(runtime)
    sessions._client_digests.add(hashlib.sha256(token.encode()).hexdigest())
    try:
        answer = await ask(http, token, SESSION_QUERY)
    finally:
        sessions._client_digests.clear()

    assert answer["data"] == {"session": {"country": {"code": "DE"}}}
    assert_session_extensions(answer, token)
    assert await count_sessions(runtime) == sessions_before


# --- purge job -----------------------------------------------------------------------------


async def test_purge_job_deletes_expired_sessions_only(
    http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any, clock: Any
) -> None:
    stale = await start_session(http, credentials)
    clock.advance(seconds=runtime.session_policy.idle_ttl.total_seconds() + 1)
    fresh = await start_session(http, credentials)
    before = await count_sessions(runtime)

    done = await run_once(runtime)

    assert done["purge-sessions"] == 1
    assert await count_sessions(runtime) == before - 1
    assert await session_row(runtime, stale) is None
    assert await session_row(runtime, fresh) is not None
    assert "errors" not in await ask(http, fresh, SESSION_QUERY)
    assert await ask(http, stale, SESSION_QUERY) == UNAUTHORIZED
