"""POST/GET /graphql: GraphQL over HTTP with the Centra token protocol.

Order of checks, cheapest first, so that a bad or unauthenticated request costs little:
method and media types, body size, JSON, parameters, token, document (cached), the operating
mode of each root field, and only then execution.
"""

from __future__ import annotations

import logging
import secrets
from inspect import isawaitable
from typing import Any, Protocol

import orjson
from graphql import ExecutionResult, GraphQLError, GraphQLSchema, execute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from dtc_api.graphql.context import RequestContext
from dtc_api.graphql.scope import INTROSPECTION, denial
from dtc_api.http.client_ip import client_ip
from dtc_api.http.documents import DocumentCache
from dtc_api.http.negotiation import GRAPHQL_RESPONSE, JSON, is_json_request, response_media_type
from dtc_api.services import sessions
from dtc_api.services.runtime import Runtime

log = logging.getLogger("dtc_api.http")

UNAUTHORIZED = "Unauthorized"


class RequestError(Exception):
    """A request GraphQL cannot run; answered with ``status`` and no data."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class Gate(Protocol):
    """Who may call an endpoint, and what its resolvers get: storefront or back-office."""

    async def authenticate(self, request: Request, client_ip: str | None) -> Any | None:
        """The caller, or None for Unauthorized."""
        ...

    def extensions(self, principal: Any, trace_id: str) -> dict[str, Any]: ...

    def refused(self, operation: str, fields: frozenset[str], principal: Any) -> list[str]:
        """Why the operation's root fields may not run for this caller (empty: they may)."""
        ...

    async def context(self, principal: Any, trace_id: str, client_ip: str | None) -> Any: ...


class StorefrontGate:
    """The Centra token protocol: shopper sessions, API client tokens, operating modes."""

    def __init__(self, runtime: Runtime, scopes: dict[tuple[str, str], frozenset[str]]) -> None:
        self.runtime = runtime
        self.scopes = scopes

    async def authenticate(self, request: Request, client_ip: str | None
                           ) -> sessions.Principal | None:
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        geography = await self.runtime.geography.get()
        try:
            return await sessions.authenticate(
                self.runtime.db, geography, self.runtime.clock, self.runtime.session_policy,
                token.strip(), request.headers.get("x-shared-secret"), client_ip,
            )
        except sessions.TooManySessions:
            raise RequestError(429, "Too many new sessions from this address: try again in a "
                               "minute", {"Retry-After": "60"}) from None

    def extensions(self, principal: sessions.Principal, trace_id: str) -> dict[str, Any]:
        # The token may have been rotated during execution: read it at the end.
        if principal.session_mode:
            return {"token": principal.token, "traceId": trace_id}
        return {"traceId": trace_id}

    def refused(self, operation: str, fields: frozenset[str],
                principal: sessions.Principal) -> list[str]:
        if operation == "subscription":
            return ["Subscriptions are not supported"]
        refused = []
        for name in sorted(fields - INTROSPECTION):
            required = self.scopes.get((operation, name))
            if required is not None and not required & principal.modes:
                refused.append(denial(name, required))
        return refused

    async def context(self, principal: sessions.Principal, trace_id: str,
                      client_ip: str | None) -> RequestContext:
        return RequestContext(runtime=self.runtime, principal=principal,
                              geography=await self.runtime.geography.get(),
                              trace_id=trace_id, client_ip=client_ip)


class GraphQLEndpoint:
    def __init__(
        self,
        runtime: Runtime,
        schema: GraphQLSchema,
        documents: DocumentCache,
        gate: Gate,
    ) -> None:
        self.runtime = runtime
        self.schema = schema
        self.documents = documents
        self.gate = gate
        self.max_body = runtime.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        trace_id = secrets.token_hex(16)
        media_type = response_media_type(request.headers.get("accept"))
        try:
            if media_type is None:
                raise RequestError(406, f"Not Acceptable: answers are {JSON} or {GRAPHQL_RESPONSE}")
            response = await self._handle(request, media_type, trace_id)
        except RequestError as error:
            response = _respond(
                {"errors": [{"message": error.message}], "extensions": {"traceId": trace_id}},
                error.status, media_type or JSON, error.headers,
            )
        except Exception:
            log.exception("unexpected error", extra={"traceId": trace_id})
            response = _respond(_internal_error(trace_id), 500, media_type or JSON)
        await response(scope, receive, send)

    async def _handle(self, request: Request, media_type: str, trace_id: str) -> Response:
        if request.method == "GET":
            params = _query_params(request)
        elif request.method == "POST":
            params = await self._body_params(request)
        else:
            raise RequestError(405, f"Method {request.method} is not allowed: use GET or POST",
                               {"Allow": "GET, POST"})
        query, variables, operation_name = _check_params(params)

        ip = client_ip(
            request.client.host if request.client else None,
            request.headers.get("x-forwarded-for"),
            self.runtime.settings.trusted_proxies,
        )
        principal = await self.gate.authenticate(request, ip)
        if principal is None:
            if media_type == JSON:  # Centra answers 200; storefronts read the message
                return _respond({"errors": [{"message": UNAUTHORIZED}]}, 200, media_type)
            return _respond({"errors": [{"message": UNAUTHORIZED}]}, 401, media_type,
                            {"WWW-Authenticate": "Bearer"})
        extensions = self.gate.extensions(principal, trace_id)

        prepared = self.documents.get(query)
        if prepared.errors:
            return _respond(
                {"errors": [e.formatted for e in prepared.errors], "extensions": extensions},
                200 if media_type == JSON else 400, media_type,
            )
        operation = prepared.operation(operation_name)
        if operation is not None:
            if request.method == "GET" and operation.type != "query":
                return _respond(
                    {"errors": [{"message": f"A {operation.type} cannot be sent with GET: "
                                            "use POST"}],
                     "extensions": extensions},
                    405, media_type, {"Allow": "POST"},
                )
            refused = self.gate.refused(operation.type, operation.root_fields, principal)
            if refused:
                return _respond(
                    {"errors": [{"message": m, "extensions": {"code": "FORBIDDEN"}}
                                for m in refused],
                     "extensions": extensions},
                    200 if media_type == JSON else 403, media_type,
                )

        context = await self.gate.context(principal, trace_id, ip)
        result = execute(
            self.schema, prepared.document,  # type: ignore[arg-type]
            context_value=context, variable_values=variables, operation_name=operation_name,
        )
        if isawaitable(result):
            result = await result
        extensions = self.gate.extensions(principal, trace_id)
        return self._result_response(result, extensions, media_type, trace_id)

    async def _body_params(self, request: Request) -> Any:
        if not is_json_request(request.headers.get("content-type")):
            raise RequestError(415, f"Unsupported Media Type: send {JSON} (UTF-8)")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise RequestError(413, f"Request body is larger than {self.max_body} bytes")
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise RequestError(413, f"Request body is larger than {self.max_body} bytes")
            chunks.append(chunk)
        body = b"".join(chunks)
        if not body:
            raise RequestError(400, "Request body is empty: send a JSON object with a query")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise RequestError(400, f"Request body is not valid JSON: {error.msg}") from None

    def _result_response(
        self, result: ExecutionResult, extensions: dict[str, Any], media_type: str, trace_id: str
    ) -> Response:
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [_public_error(e, trace_id) for e in result.errors]
        # Errors without a path are request errors (e.g. variables that do not coerce):
        # nothing was executed, so there is no data entry.
        request_error = result.data is None and all(e.path is None for e in result.errors or ())
        if not request_error:
            body["data"] = result.data
        body["extensions"] = extensions
        status = 400 if request_error and media_type == GRAPHQL_RESPONSE else 200
        return _respond(body, status, media_type)


def _query_params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    for key in ("variables", "extensions"):
        if isinstance(params.get(key), str):
            try:
                params[key] = orjson.loads(params[key])
            except orjson.JSONDecodeError:
                raise RequestError(400, f"{key} is not valid JSON") from None
    return params


def _check_params(params: Any) -> tuple[str, dict[str, Any] | None, str | None]:
    if not isinstance(params, dict):
        raise RequestError(400, "Request body must be a JSON object")
    query = params.get("query")
    if not isinstance(query, str):
        raise RequestError(400, "query must be a string" if "query" in params
                           else "query is missing")
    variables = params.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "variables must be an object")
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "operationName must be a string")
    extensions = params.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError(400, "extensions must be an object")
    # PostgreSQL text cannot hold U+0000 (SQLite would store it): refuse it everywhere, the
    # same way on both backends, before anything runs.
    if "\x00" in query or "\\u0000" in query or _has_nul(variables):
        raise RequestError(400, "Strings must not contain the NUL character (U+0000)")
    return query, variables, operation_name


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _public_error(error: GraphQLError, trace_id: str) -> dict[str, Any]:
    """The error as the client may see it: unexpected exceptions are masked and logged."""
    original = error.original_error
    if original is not None and not isinstance(original, GraphQLError):
        log.error("resolver failed at %s", error.path, exc_info=original,
                  extra={"traceId": trace_id})
        masked = _internal_error(trace_id)["errors"][0]
        if error.path is not None:
            masked["path"] = error.path
        return masked
    return error.formatted  # type: ignore[return-value]


def _internal_error(trace_id: str) -> dict[str, Any]:
    return {
        "errors": [{"message": "Internal server error", "extensions": {"traceId": trace_id}}],
        "extensions": {"traceId": trace_id},
    }


def _respond(
    body: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status, headers=headers,
        media_type=f"{media_type}; charset=utf-8",
    )
