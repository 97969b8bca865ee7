"""POST/GET /graphql: GraphQL over HTTP with the Centra token protocol.

Order of checks, cheapest first, so that a bad or unauthenticated request costs little:
method and media types, body size, JSON, parameters, token, document (cached), the operating
mode of each root field, and only then execution.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from inspect import isawaitable
from typing import Any, Protocol

import orjson
from graphql import ExecutionResult, GraphQLError, GraphQLSchema, execute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from dtc_api.access import sessions
from dtc_api.http import answers, compiled, cors, persisted
from dtc_api.http.budget import budgeted, exceeded
from dtc_api.http.client_ip import client_ip
from dtc_api.http.documents import NUL_MESSAGE, DocumentCache
from dtc_api.http.negotiation import GRAPHQL_RESPONSE, JSON, is_json_request, response_media_type
from dtc_api.http.observe import GRAPHQL_ERROR, OK, USER_ERRORS, Exchange, exchange_of
from dtc_api.runtime import Runtime
from dtc_api.store.availability import unreachable
from dtc_api.storefront.context import RequestContext
from dtc_api.storefront.scope import INTROSPECTION, denial

log = logging.getLogger("dtc_api.http")

UNAUTHORIZED = "Unauthorized"
RETRY_AFTER = 5  # seconds, while the database cannot be reached


def _trace_id() -> str:
    # Names a request in the logs; it guards nothing, so it needs no system entropy.
    return f"{random.getrandbits(128):032x}"


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

    def caller(self, principal: Any) -> str | None:
        """The caller's name for the request log (never a credential)."""
        ...

    def refused(self, operation: str, fields: frozenset[str], principal: Any) -> list[str]:
        """Why the operation's root fields may not run for this caller (empty: they may)."""
        ...

    async def context(self, principal: Any, trace_id: str, client_ip: str | None,
                      address: Callable[[], str]) -> Any: ...

    def kept(self, principal: Any, root_fields: frozenset[str], request: Request,
             document: bytes, operation_name: str | None, variables: dict[str, Any] | None
             ) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
        """Where a query's answer is kept between requests, and the state it must have been
        built in to be served again (``http/answers.py``); None: it is not kept."""
        ...


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
                admit=cors.admit(request),
            )
        except cors.OriginRefused as refused:
            request.state.client = refused.client  # the answer is not the page's to read
            raise RequestError(403, str(refused)) from None
        except sessions.TooManySessions:
            raise RequestError(429, "Too many new sessions from this address: try again in a "
                               "minute", {"Retry-After": "60"}) from None

    def caller(self, principal: sessions.Principal) -> str | None:
        return principal.client.get("name")

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
                      client_ip: str | None, address: Callable[[], str]) -> RequestContext:
        return RequestContext(runtime=self.runtime, principal=principal,
                              geography=await self.runtime.geography.get(),
                              trace_id=trace_id, client_ip=client_ip, address=address)

    def kept(self, principal: sessions.Principal, root_fields: frozenset[str],
             request: Request, document: bytes, operation_name: str | None,
             variables: dict[str, Any] | None) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
        session = principal.session
        if principal.versions is None or session is None or not root_fields \
                or not root_fields <= answers.KEPT_ROOT_FIELDS:
            return None
        scope = request.scope
        key = (session["token_hash"], answers.request_key(document, operation_name, variables))
        state = (session["customer_id"], principal.versions, self.runtime.geography.generation,
                 session["country_code"], session["state_code"], session["language_code"],
                 session["market_id"], session["pricelist_id"],
                 "SHARED_SECRET" in principal.modes,
                 # the address media URLs are written with (RequestContext.base_url)
                 scope.get("scheme"), request.headers.get("host"), scope.get("server"),
                 scope.get("root_path"))
        return key, state


class GraphQLEndpoint:
    def __init__(
        self,
        runtime: Runtime,
        schema: GraphQLSchema,
        documents: DocumentCache,
        gate: Gate,
        *,
        max_list_items: int | None = None,
        cors: cors.Cors | None = None,
    ) -> None:
        self.runtime = runtime
        self.schema = schema
        self.documents = documents
        self.gate = gate
        self.max_body = runtime.settings.max_body_bytes
        self.max_list_items = max_list_items or runtime.settings.max_list_items
        self.max_response = runtime.settings.max_response_bytes
        self.max_fields = runtime.settings.max_result_fields
        self.executor = budgeted(self.max_fields)
        self.compiled_mode = runtime.settings.compiled_execution
        self.persisted = persisted.PersistedQueries(
            runtime.settings.document_cache_size * 4, runtime.settings.document_cache_bytes)
        # Answers kept between requests (one served again was verified when it was built).
        kept_bytes = runtime.settings.answer_cache_bytes
        self.answers = answers.AnswerCache(kept_bytes) if kept_bytes else None
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        trace_id = _trace_id()
        exchange = exchange_of(scope)
        exchange.trace_id = trace_id
        media_type = response_media_type(request.headers.get("accept"))
        origin = request.headers.get("origin") if self.cors is not None else None
        try:
            if request.method == "OPTIONS" and self.cors is not None:
                await (await self.cors.preflight(request))(scope, receive, send)
                return
            if media_type is None:
                raise RequestError(406, f"Not Acceptable: answers are {JSON} or {GRAPHQL_RESPONSE}")
            response = await self._handle(request, media_type, trace_id, exchange)
        except RequestError as error:
            response = _respond(
                {"errors": [{"message": error.message}], "extensions": {"traceId": trace_id}},
                error.status, media_type or JSON, error.headers,
            )
        except Exception as error:
            if unreachable(error):
                response = self._unavailable(error, trace_id, media_type or JSON)
            else:
                log.exception("unexpected error", extra={"traceId": trace_id})
                response = _respond(_internal_error(trace_id), 500, media_type or JSON)
        exchange.outcome = response.outcome if isinstance(response, _Answer) else OK
        if response.status_code != 503:
            self.runtime.db.outage.served()
        if self.cors is not None:
            cors.vary(response, origin, origin is not None and await self.cors.allows(
                origin, getattr(request.state, "client", None)))
        await response(scope, receive, send)

    def _unavailable(self, error: BaseException, trace_id: str, media_type: str) -> Response:
        """503 while the database cannot be reached: the client may simply try again."""
        self.runtime.db.outage.refused(error)
        return _respond(
            {"errors": [{"message": "The service is unavailable: try again in a few seconds",
                         "extensions": {"code": "SERVICE_UNAVAILABLE"}}],
             "extensions": {"traceId": trace_id}},
            503, media_type, {"Retry-After": str(RETRY_AFTER)},
        )

    async def _handle(self, request: Request, media_type: str, trace_id: str,
                      exchange: Exchange) -> Response:
        if request.method == "GET":
            params = _query_params(request)
        elif request.method == "POST":
            params = await self._body_params(request)
        else:
            raise RequestError(405, f"Method {request.method} is not allowed: use GET or POST",
                               {"Allow": "GET, POST, OPTIONS" if self.cors else "GET, POST"})
        query, variables, operation_name, sent_extensions = _check_params(params)

        ip = client_ip(
            request.client.host if request.client else None,
            request.headers.getlist("x-forwarded-for"),
            self.runtime.settings.trusted_proxies,
        )
        exchange.client_ip = ip
        principal = await self.gate.authenticate(request, ip)
        if principal is not None and self.cors is not None:
            request.state.client = principal.client  # whose origins may read the answer
        if principal is None:
            if media_type == JSON:  # Centra answers 200; storefronts read the message
                return _respond({"errors": [{"message": UNAUTHORIZED}]}, 200, media_type)
            return _respond({"errors": [{"message": UNAUTHORIZED}]}, 401, media_type,
                            {"WWW-Authenticate": "Bearer"})
        exchange.api_client = self.gate.caller(principal)
        extensions = self.gate.extensions(principal, trace_id)
        try:
            digest = persisted.requested_hash(sent_extensions)
            if digest is not None:
                query = self.persisted.query(digest, query)
        except persisted.PersistedQueryError as refused:
            return _respond({"errors": [{"message": refused.message,
                                         "extensions": {"code": refused.code}}],
                             "extensions": extensions},
                            200 if media_type == JSON else 400, media_type)
        if query is None:  # _check_params lets it through only with a persisted query's hash
            raise RequestError(400, "query is missing")

        prepared = await self.documents.get(query)
        if prepared.has_nul:
            raise RequestError(400, NUL_MESSAGE)
        if digest is not None and not prepared.errors:
            self.persisted.keep(digest, query)
        if prepared.errors:
            return _respond(
                {"errors": list(prepared.errors), "extensions": extensions},
                200 if media_type == JSON else 400, media_type,
            )
        operation = prepared.operation(operation_name)
        if operation is not None:
            exchange.operation = operation.name
            exchange.operation_type = operation.type
            items = operation.list_items(variables)
            if items > self.max_list_items:
                return _respond(
                    {"errors": [{"message": f"The request passes {items} list elements in its "
                                            f"arguments; the limit is {self.max_list_items}.",
                                 "extensions": {"code": "TOO_MANY_LIST_ITEMS"}}],
                     "extensions": extensions},
                    200 if media_type == JSON else 400, media_type,
                )
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

        kept = None
        if self.answers is not None and operation is not None and operation.type == "query":
            kept = self.gate.kept(principal, operation.root_fields, request,
                                  prepared.digest, operation_name, variables)
            if kept is not None:
                data = self.answers.get(*kept)
                if data is not None:
                    return _Answer(answers.answer(data, extensions), 200, outcome=OK,
                                   media_type=f"{media_type}; charset=utf-8")

        context = await self.gate.context(principal, trace_id, ip,
                                          lambda: str(request.base_url))
        result = None
        if prepared.compiled is not None and self.compiled_mode != "false":
            if self.compiled_mode == "verify":
                prepared.compiled.compile_after = 1  # every query, from its first use
            result = await compiled.execute(prepared.compiled, operation_name, variables,
                                            context, self.max_fields)
        if result is None or self.compiled_mode == "verify":
            reference = execute(
                self.schema, prepared.document,  # type: ignore[arg-type]
                context_value=context, variable_values=variables,
                operation_name=operation_name, executor_class=self.executor,
            )
            if isawaitable(reference):
                reference = await reference
            if result is not None:
                _same(result, reference)
            result = reference
        extensions = self.gate.extensions(principal, trace_id)
        response = self._result_response(result, extensions, media_type, trace_id, kept)
        if request.method == "GET" and digest is not None and not principal.session_mode \
                and response.status_code == 200 and not result.errors:
            # A stateless read named by its hash: a cache may keep it, per token.
            response.headers["Cache-Control"] = f"public, max-age={PERSISTED_GET_MAX_AGE}"
            response.headers.append("Vary", "Authorization")
        return response

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
        _refuse_escaped_nul(body)
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise RequestError(400, f"Request body is not valid JSON: {error.msg}") from None

    def _result_response(
        self, result: ExecutionResult, extensions: dict[str, Any], media_type: str,
        trace_id: str, kept: tuple[tuple[Any, ...], tuple[Any, ...]] | None = None,
    ) -> Response:
        lost = next((e.original_error for e in result.errors or ()
                     if unreachable(e.original_error)), None)
        if lost is not None:
            return self._unavailable(lost, trace_id, media_type)
        if exceeded(result):
            return self._too_large(f"The answer would hold more than {self.max_fields} fields",
                                   extensions, media_type)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = _public_errors(result.errors, trace_id)
        # Errors without a path are request errors (e.g. variables that do not coerce):
        # nothing was executed, so there is no data entry.
        request_error = result.data is None and all(e.path is None for e in result.errors or ())
        if not request_error:
            body["data"] = result.data
        body["extensions"] = extensions
        status = 400 if request_error and media_type == GRAPHQL_RESPONSE else 200
        data = None
        if kept is not None and not result.errors and result.data is not None:
            data = orjson.dumps(result.data)
            content = answers.answer(data, extensions)
        else:
            content = orjson.dumps(body)
        if len(content) > self.max_response:
            return self._too_large(f"The answer would be larger than {self.max_response} bytes",
                                   extensions, media_type)
        outcome = GRAPHQL_ERROR if result.errors else \
            USER_ERRORS if _user_errors(result.data) else OK
        if data is not None and outcome == OK:  # a kept answer is served as OK
            self.answers.keep(*kept, data)  # type: ignore[union-attr,misc]
        return _Answer(content, status, media_type=f"{media_type}; charset=utf-8",
                       outcome=outcome)

    @staticmethod
    def _too_large(what: str, extensions: dict[str, Any], media_type: str) -> Response:
        """No data: a request that asks for this much is refused whole."""
        return _respond(
            {"errors": [{"message": f"{what}: ask for fewer fields or items.",
                         "extensions": {"code": "RESPONSE_TOO_LARGE"}}],
             "extensions": extensions},
            200 if media_type == JSON else 400, media_type,
        )


PERSISTED_GET_MAX_AGE = 60  # seconds


def _same(planned: ExecutionResult, reference: ExecutionResult) -> None:
    """``DTC_COMPILED_EXECUTION=verify``: the plan's answer must be graphql-core's, byte for
    byte (it answered without errors, so graphql-core must have too)."""
    ours = orjson.dumps({"data": planned.data})
    theirs = orjson.dumps({"data": reference.data, "errors": [
        e.formatted for e in reference.errors]} if reference.errors else
        {"data": reference.data})
    if ours != theirs:
        raise AssertionError(f"compiled plan answered {ours[:2000]!r}, graphql-core "
                             f"{theirs[:2000]!r}")


def _query_params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    for key in ("variables", "extensions"):
        if isinstance(params.get(key), str):
            _refuse_escaped_nul(params[key].encode())
            try:
                params[key] = orjson.loads(params[key])
            except orjson.JSONDecodeError:
                raise RequestError(400, f"{key} is not valid JSON") from None
    return params


def _check_params(params: Any) -> tuple[str | None, dict[str, Any] | None, str | None,
                                         dict[str, Any] | None]:
    """The request's query (None: a persisted query's hash stands for it), variables,
    operation name and extensions."""
    if not isinstance(params, dict):
        raise RequestError(400, "Request body must be a JSON object")
    query = params.get("query")
    extensions = params.get("extensions")
    persisted_only = query is None and isinstance(extensions, dict) and \
        "persistedQuery" in extensions
    if not isinstance(query, str) and not persisted_only:
        raise RequestError(400, "query must be a string" if "query" in params
                           else "query is missing")
    variables = params.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "variables must be an object")
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "operationName must be a string")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError(400, "extensions must be an object")
    # PostgreSQL text cannot hold U+0000 (SQLite would store it): refuse it everywhere, the
    # same way on both backends, before anything runs. JSON strings are checked in the raw
    # body, the document's string escapes once it is parsed.
    if (query is not None and "\x00" in query) or \
            (operation_name is not None and "\x00" in operation_name):
        raise RequestError(400, NUL_MESSAGE)
    _check_depth(variables, "variables")
    _check_depth(extensions, "extensions")
    return query, variables, operation_name, extensions


# JSON's \u0000 escape, not preceded by an escaped backslash.
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _refuse_escaped_nul(raw: bytes) -> None:
    if b"\\u0000" in raw and _ESCAPED_NUL.search(raw):
        raise RequestError(400, NUL_MESSAGE)


MAX_JSON_DEPTH = 32
_CONTAINERS = (dict, list)


def _check_depth(value: Any, name: str) -> None:
    """Refuse nesting deeper than ``MAX_JSON_DEPTH``, level by level and without recursion:
    what follows (coercion, resolvers) may recurse, and no input type nests that deep."""
    level = [value] if isinstance(value, _CONTAINERS) else []
    depth = 1
    while level:
        if depth > MAX_JSON_DEPTH:
            raise RequestError(400, f"{name} must not nest deeper than {MAX_JSON_DEPTH} levels")
        inner: list[Any] = []
        for item in level:
            values = item.values() if isinstance(item, dict) else item
            inner.extend(v for v in values if isinstance(v, _CONTAINERS))
        level = inner
        depth += 1


def _public_errors(errors: list[GraphQLError], trace_id: str) -> list[dict[str, Any]]:
    """The errors as the client may see them: unexpected exceptions are masked, and logged
    once per request (the first with its traceback, the others counted)."""
    public = []
    unexpected = []
    for error in errors:
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError):
            unexpected.append(error)
            masked = _internal_error(trace_id)["errors"][0]
            if error.path is not None:
                masked["path"] = error.path
            public.append(masked)
        else:
            public.append(error.formatted)
    if unexpected:
        first = unexpected[0]
        more = f" (and {len(unexpected) - 1} more)" if len(unexpected) > 1 else ""
        log.error("resolver failed at %s%s", first.path, more, exc_info=first.original_error,
                  extra={"traceId": trace_id})
    return public


def _internal_error(trace_id: str) -> dict[str, Any]:
    return {
        "errors": [{"message": "Internal server error", "extensions": {"traceId": trace_id}}],
        "extensions": {"traceId": trace_id},
    }


class _Answer(Response):
    """A GraphQL answer, and how it went for the metrics and the request log."""

    def __init__(self, content: bytes, status: int, *, outcome: str,
                 headers: dict[str, str] | None = None, media_type: str) -> None:
        super().__init__(content, status, headers=headers, media_type=media_type)
        self.outcome = outcome


def _user_errors(data: dict[str, Any] | None) -> bool:
    """A root field answered a payload with userErrors (a refusal the client expects)."""
    return bool(data) and any(isinstance(value, dict) and value.get("userErrors")
                              for value in data.values())  # type: ignore[union-attr]


def _respond(
    body: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    """An answer of errors only."""
    return _Answer(orjson.dumps(body), status, headers=headers,
                   media_type=f"{media_type}; charset=utf-8", outcome=GRAPHQL_ERROR)
