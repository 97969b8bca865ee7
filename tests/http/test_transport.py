"""GraphQL over HTTP: how POST/GET /graphql answers requests it cannot (or must not) run.

Every bad request must get a GraphQL-shaped answer ({"errors": [{"message": ...}]}) with the
status and media type the endpoint defines, no ``data`` entry and nothing of the server's
internals (tracebacks, SQL) in the body.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa

from dtc_api.access.clients import ClientCredentials
from tests.support import GRAPHQL, GRAPHQL_RESPONSE, JSON, Shopper, post_as

MAX_BODY = 1024 * 1024
TYPENAME = "{ __typename }"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def post_raw(http: httpx.AsyncClient, token: str, content: Any,
                   content_type: str | None = JSON, **headers: str) -> httpx.Response:
    """POST ``content`` as it is (bytes or an async iterator of bytes) to /graphql."""
    sent = {**bearer(token), **headers}
    if content_type is not None:
        sent["content-type"] = content_type
    return await http.post(GRAPHQL, content=content, headers=sent)


def answer(response: httpx.Response, status: int, media_type: str = JSON) -> dict[str, Any]:
    """The JSON body, after checking the status, the media type and that nothing leaked."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    body = response.json()
    assert isinstance(body, dict), body
    return body  # type: ignore[no-any-return]


def failure(response: httpx.Response, status: int, media_type: str = JSON) -> str:
    """The message of a request the endpoint refused: GraphQL-shaped errors and no data."""
    body = answer(response, status, media_type)
    assert "data" not in body, body
    errors = body["errors"]
    assert isinstance(errors, list) and errors, body
    assert all(isinstance(e, dict) and isinstance(e.get("message"), str) for e in errors), body
    return errors[0]["message"]  # type: ignore[no-any-return]


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


def nested(field: str, depth: int) -> str:
    return "{ " + f"{field} {{ " * (depth - 1) + field + " }" * depth


# -- the request body ------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b'{"query": ', b"{query: '{ __typename }'}", b"\xff\xfe"])
async def test_post_malformed_json(
    http: httpx.AsyncClient, credentials: ClientCredentials, content: bytes
) -> None:
    response = await post_raw(http, credentials.no_session_token, content)
    assert failure(response, 400).startswith("Request body is not valid JSON")


async def test_post_empty_body(http: httpx.AsyncClient, credentials: ClientCredentials) -> None:
    response = await post_raw(http, credentials.no_session_token, b"")
    assert failure(response, 400) == "Request body is empty: send a JSON object with a query"


@pytest.mark.parametrize("body", [[{"query": TYPENAME}], 42, "{ __typename }", None, True])
async def test_post_body_not_an_object(
    http: httpx.AsyncClient, credentials: ClientCredentials, body: Any
) -> None:
    response = await post_raw(http, credentials.no_session_token, orjson.dumps(body))
    assert failure(response, 400) == "Request body must be a JSON object"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "query is missing"),
        ({"variables": {}}, "query is missing"),
        ({"query": 1}, "query must be a string"),
        ({"query": {"query": TYPENAME}}, "query must be a string"),
        ({"query": None}, "query must be a string"),
        ({"query": TYPENAME, "variables": "{}"}, "variables must be an object"),
        ({"query": TYPENAME, "variables": []}, "variables must be an object"),
        ({"query": TYPENAME, "variables": 1}, "variables must be an object"),
        ({"query": TYPENAME, "operationName": 1}, "operationName must be a string"),
        ({"query": TYPENAME, "operationName": ["Q"]}, "operationName must be a string"),
        ({"query": TYPENAME, "extensions": "{}"}, "extensions must be an object"),
        ({"query": TYPENAME, "extensions": [1]}, "extensions must be an object"),
    ],
)
async def test_post_bad_parameters(
    http: httpx.AsyncClient, credentials: ClientCredentials, body: dict[str, Any], message: str
) -> None:
    response = await post_as(http, credentials.no_session_token, body)
    assert failure(response, 400) == message


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1",
     "application/jsonx"],
)
async def test_post_unsupported_content_type(
    http: httpx.AsyncClient, credentials: ClientCredentials, content_type: str | None
) -> None:
    content = orjson.dumps({"query": TYPENAME})
    response = await post_raw(http, credentials.no_session_token, content, content_type)
    assert failure(response, 415) == "Unsupported Media Type: send application/json (UTF-8)"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8",
                                          'Application/JSON; charset="UTF-8"'])
async def test_post_json_content_type_with_charset(
    http: httpx.AsyncClient, credentials: ClientCredentials, content_type: str
) -> None:
    content = orjson.dumps({"query": TYPENAME})
    response = await post_raw(http, credentials.no_session_token, content, content_type)
    assert answer(response, 200)["data"] == {"__typename": "Query"}


def big_body() -> bytes:
    body = orjson.dumps({"query": TYPENAME, "variables": {"pad": "x" * (2 * MAX_BODY)}})
    assert len(body) > 2 * MAX_BODY
    return body


async def test_post_body_too_large_with_content_length(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    response = await post_raw(http, credentials.no_session_token, big_body())
    assert response.request.headers["content-length"] == str(len(big_body()))
    assert failure(response, 413) == f"Request body is larger than {MAX_BODY} bytes"


async def test_post_body_too_large_streamed(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    body = big_body()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    response = await post_raw(http, credentials.no_session_token, chunks())
    assert "content-length" not in response.request.headers
    assert failure(response, 413) == f"Request body is larger than {MAX_BODY} bytes"


async def test_post_body_at_the_limit_is_read(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    prefix = orjson.dumps({"query": TYPENAME, "variables": {"pad": ""}})
    body = prefix.replace(b'"pad":""', b'"pad":"' + b"x" * (MAX_BODY - len(prefix)) + b'"')
    assert len(body) == MAX_BODY
    response = await post_raw(http, credentials.no_session_token, body)
    assert answer(response, 200)["data"] == {"__typename": "Query"}


# -- the document ----------------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "status"), [(JSON, 200), (GRAPHQL_RESPONSE, 400)])
async def test_post_syntax_error(
    http: httpx.AsyncClient, credentials: ClientCredentials, accept: str, status: int
) -> None:
    response = await post_as(http, credentials.no_session_token, {"query": "{ __typename"},
                             accept=accept)
    assert failure(response, status, accept).startswith("Syntax Error")


@pytest.mark.parametrize(("accept", "status"), [(JSON, 200), (GRAPHQL_RESPONSE, 400)])
async def test_post_unknown_field(
    http: httpx.AsyncClient, credentials: ClientCredentials, accept: str, status: int
) -> None:
    response = await post_as(http, credentials.no_session_token, {"query": "{ nope }"},
                             accept=accept)
    assert failure(response, status, accept).startswith("Cannot query field 'nope'")


INTROSPECTION_CHAIN = (
    "{ __schema { types { fields { type" + " { ofType" * 20 + " { name }" + " }" * 20 + " } } } }"
)


@pytest.mark.parametrize(
    ("query", "depth"),
    [
        # Unknown fields: the limit is checked before validation, which would reject them.
        (nested("nope", 100), 100),
        (nested("nope", 16), 16),
        # Fields that exist: the depth alone is the problem.
        (INTROSPECTION_CHAIN, 25),
    ],
    ids=["unknown-fields-100", "unknown-fields-16", "introspection-25"],
)
async def test_post_query_too_deep(
    http: httpx.AsyncClient, credentials: ClientCredentials, query: str, depth: int
) -> None:
    response = await post_as(http, credentials.no_session_token, {"query": query})
    body = answer(response, 200)
    assert "data" not in body
    assert [e["message"] for e in body["errors"]] == [
        f"Query depth {depth} exceeds the limit of 15."
    ]


async def test_post_too_many_tokens(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    response = await post_as(http, credentials.no_session_token, {"query": aliases(5000)})
    message = failure(response, 200)
    assert "Document contains more than 5000 tokens" in message
    assert message.startswith("Syntax Error")


async def test_post_too_many_aliases(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    response = await post_as(http, credentials.no_session_token, {"query": aliases(150)})
    assert failure(response, 200) == "The document uses 150 aliases; the limit is 100."


async def test_post_aliases_at_the_limit(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    response = await post_as(http, credentials.no_session_token, {"query": aliases(100)})
    data = answer(response, 200)["data"]
    assert data == {f"a{i}": "Query" for i in range(100)}


# -- variables -------------------------------------------------------------------------------

COUNTRIES = "query($c: Boolean!) { countries(onlyShipTo: $c) { code } }"


@pytest.mark.parametrize(
    ("variables", "fragment"),
    [
        ({"c": "yes"}, "Boolean cannot represent a non boolean value: 'yes'"),
        ({"c": None}, "'Boolean!'"),
        ({}, "'Boolean!'"),
        (None, "'Boolean!'"),
    ],
    ids=["wrong-type", "null", "missing", "no-variables"],
)
@pytest.mark.parametrize(("accept", "status"), [(JSON, 200), (GRAPHQL_RESPONSE, 400)])
async def test_post_variables_do_not_coerce(
    http: httpx.AsyncClient, credentials: ClientCredentials,
    variables: dict[str, Any] | None, fragment: str, accept: str, status: int,
) -> None:
    body: dict[str, Any] = {"query": COUNTRIES}
    if variables is not None:
        body["variables"] = variables
    response = await post_as(http, credentials.no_session_token, body, accept=accept)
    message = failure(response, status, accept)  # the wording is graphql-core's
    assert message.startswith("Variable '$c' "), message
    assert fragment in message, message


async def test_post_variables_coerce(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    response = await post_as(http, credentials.no_session_token,
                             {"query": COUNTRIES, "variables": {"c": True}})
    countries = answer(response, 200)["data"]["countries"]
    assert {"code": "SE"} in countries


# -- GET and other methods -------------------------------------------------------------------


async def test_get_query(http: httpx.AsyncClient, credentials: ClientCredentials) -> None:
    response = await http.get(GRAPHQL, params={"query": TYPENAME},
                              headers=bearer(credentials.no_session_token))
    assert answer(response, 200)["data"] == {"__typename": "Query"}


async def test_get_query_with_variables(
    http: httpx.AsyncClient, credentials: ClientCredentials
) -> None:
    response = await http.get(
        GRAPHQL, params={"query": COUNTRIES, "variables": '{"c": true}'},
        headers=bearer(credentials.no_session_token),
    )
    assert {"code": "SE"} in answer(response, 200)["data"]["countries"]


@pytest.mark.parametrize(
    "params",
    [
        {"query": "mutation{__typename}"},
        {"query": "query Q { __typename } mutation M { __typename }", "operationName": "M"},
    ],
    ids=["only-operation", "named-operation"],
)
async def test_get_mutation(
    http: httpx.AsyncClient, credentials: ClientCredentials, params: dict[str, str]
) -> None:
    response = await http.get(GRAPHQL, params=params,
                              headers=bearer(credentials.no_session_token))
    assert failure(response, 405) == "A mutation cannot be sent with GET: use POST"
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"query": COUNTRIES, "variables": "{c: true}"}, "variables is not valid JSON"),
        ({"query": TYPENAME, "variables": "[1]"}, "variables must be an object"),
        ({"query": TYPENAME, "extensions": "nope"}, "extensions is not valid JSON"),
        ({"variables": "{}"}, "query is missing"),
    ],
)
async def test_get_bad_parameters(
    http: httpx.AsyncClient, credentials: ClientCredentials,
    params: dict[str, str], message: str,
) -> None:
    response = await http.get(GRAPHQL, params=params,
                              headers=bearer(credentials.no_session_token))
    assert failure(response, 400) == message


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods(
    http: httpx.AsyncClient, credentials: ClientCredentials, method: str
) -> None:
    response = await http.request(
        method, GRAPHQL, content=orjson.dumps({"query": TYPENAME}),
        headers={**bearer(credentials.no_session_token), "content-type": JSON},
    )
    assert failure(response, 405) == f"Method {method} is not allowed: use GET or POST"
    assert response.headers["allow"] == "GET, POST, OPTIONS"  # OPTIONS: CORS preflights


# -- content negotiation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, JSON),
        ("", JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        ("*/*", JSON),
        ("application/*", JSON),
        ("text/html, */*;q=0.8", JSON),
        (f"{JSON};q=0.5, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, {JSON}", JSON),
    ],
)
async def test_accept_negotiation(
    http: httpx.AsyncClient, credentials: ClientCredentials,
    accept: str | None, media_type: str,
) -> None:
    request = http.build_request(
        "POST", GRAPHQL, json={"query": TYPENAME}, headers=bearer(credentials.no_session_token)
    )
    if accept is None:
        del request.headers["accept"]  # httpx sends Accept: */* unless told otherwise
    else:
        request.headers["accept"] = accept
    response = await http.send(request)
    assert response.request.headers.get("accept") == accept
    assert answer(response, 200, media_type)["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("accept", ["text/html", "text/html, application/xml",
                                    f"{GRAPHQL_RESPONSE};q=0, {JSON};q=0"])
async def test_accept_nothing_we_speak(
    http: httpx.AsyncClient, credentials: ClientCredentials, accept: str
) -> None:
    response = await post_as(http, credentials.no_session_token, {"query": TYPENAME},
                             accept=accept)
    assert failure(response, 406) == (
        "Not Acceptable: answers are application/json or application/graphql-response+json"
    )


# -- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "status"), [(JSON, 200), (GRAPHQL_RESPONSE, 401)])
async def test_oversized_token(http: httpx.AsyncClient, accept: str, status: int) -> None:
    response = await post_as(http, "t" * 10_240, {"query": TYPENAME}, accept=accept)
    assert answer(response, status, accept) == {"errors": [{"message": "Unauthorized"}]}


# -- health ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_health(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JSON)
    assert response.json() == {"status": "ok"}


# -- unexpected exceptions -------------------------------------------------------------------


async def test_resolver_failure_is_masked(
    shopper: Shopper, runtime: Any, caplog: pytest.LogCaptureFixture
) -> None:
    await shopper.gql("{ session { country { code } } }")
    cascade = "" if runtime.db.is_sqlite else " CASCADE"
    async with runtime.db.write() as conn:
        await conn.execute(sa.text(f"DROP TABLE selection_lines{cascade}"))

    with caplog.at_level(logging.ERROR):
        response = await shopper.post(
            'mutation { addItem(item: "1-1") { userErrors { message } } }'
        )

    body = answer(response, 200)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "Internal server error"
    assert error["path"] == ["addItem"]
    trace_id = error["extensions"]["traceId"]
    assert isinstance(trace_id, str) and trace_id
    assert body["extensions"]["traceId"] == trace_id
    for secret in ("Traceback", "sqlalchemy", "selection_lines", "SELECT ", "INSERT "):
        assert secret not in response.text, response.text
    logged = [r for r in caplog.records
              if r.levelno == logging.ERROR and getattr(r, "traceId", None) == trace_id]
    assert logged, [(r.levelname, r.getMessage()) for r in caplog.records]
    assert logged[0].exc_info is not None
