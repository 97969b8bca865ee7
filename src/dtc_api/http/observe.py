"""One log line and the request metrics for every HTTP request.

The line says who asked (the client address as the limits count it, the API client), what
(the GraphQL operation's name and type), and how it went (status, outcome, duration, bytes).
It never holds a token, a variable, a password or an e-mail address: the query string and
the body are not read here, and an operation's name comes from the parsed document.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dtc_api import logs, metrics

log = logging.getLogger("dtc_api.request")

# The scope key under which an endpoint finds its request's Exchange.
EXCHANGE = "dtc.exchange"
# Paths labelled as themselves in the metrics; every other path is one label.
ENDPOINTS = frozenset({"/graphql", "/integration/graphql", "/healthz", "/readyz", "/metrics"})
# Probes and scrapes arrive every few seconds: their lines are DEBUG.
QUIET = frozenset({"/healthz", "/readyz", "/metrics"})
MAX_PATH = 200

OK = "ok"
USER_ERRORS = "user_errors"
GRAPHQL_ERROR = "graphql_error"


@dataclass(slots=True)
class Exchange:
    """What an endpoint learns about its request, for the log line and the metrics."""

    trace_id: str | None = None
    client_ip: str | None = None
    api_client: str | None = None
    operation: str | None = None
    operation_type: str | None = None
    outcome: str = OK


def exchange_of(scope: Scope) -> Exchange:
    """The request's Exchange (a detached one when the app runs without ``Observed``)."""
    found = scope.get(EXCHANGE)
    return found if found is not None else Exchange()


def _endpoint(path: str) -> str:
    if path in ENDPOINTS:
        return path
    for prefix in ("/media/", "/graphql/explorer/"):
        if path.startswith(prefix):
            return prefix[:-1]
    return "other"


def _outcome(status: int, exchange: Exchange) -> str:
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    return exchange.outcome


class Observed:
    """ASGI middleware: times each HTTP request, then logs it and counts it."""

    def __init__(self, app: ASGIApp, *, slow_ms: int) -> None:
        self.app = app
        self.slow = slow_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        exchange = Exchange()
        scope[EXCHANGE] = exchange
        status = 500  # unless the app starts an answer
        size = 0

        async def sending(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - start
            path = scope["path"][:MAX_PATH]
            outcome = _outcome(status, exchange)
            operation = exchange.operation or (
                metrics.ANONYMOUS if exchange.operation_type else metrics.NONE)
            metrics.request(_endpoint(path), operation, outcome, seconds)
            self._log(scope, path, exchange, status, outcome, seconds, size)

    def _log(self, scope: Scope, path: str, exchange: Exchange, status: int, outcome: str,
             seconds: float, size: int) -> None:
        slow = seconds > self.slow
        level = logging.WARNING if slow else logging.DEBUG if path in QUIET else logging.INFO
        if not log.isEnabledFor(level):
            return
        client_ip = exchange.client_ip
        if client_ip is None and scope.get("client"):
            client_ip = scope["client"][0]
        fields: dict[str, Any] = {
            "traceId": exchange.trace_id,
            "clientIp": client_ip,
            "apiClient": exchange.api_client,
            "operation": exchange.operation,
            "operationType": exchange.operation_type,
            "method": scope["method"],
            "path": path,
            "status": status,
            "outcome": outcome,
            "durationMs": round(seconds * 1000, 2),
            "bytes": size,
        }
        what = f"{scope['method']} {path}"
        if exchange.operation is not None:
            what += f" {exchange.operation}"
        if slow:
            message, args = "slow request: %s %d in %.0f ms", (what, status, seconds * 1000)
        else:
            message, args = "%s %d", (what, status)
        if logs.direct(log, level, message % args, fields):
            return
        # Made directly: the line's origin is always this one, and looking it up in the
        # stack would cost more than the rest of the line.
        log.handle(log.makeRecord(log.name, level, __file__, 0, message, args, None,
                                  extra=fields))
