"""Access to the back-office API: `Authorization: Bearer <integration key>`, read or write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from dtc_api.access import usecases as access
from dtc_api.runtime import Runtime
from dtc_api.shop.geography import Geography


@dataclass
class Operator:
    name: str  # the integration key's
    scope: str  # "read" | "write"


@dataclass
class IntegrationContext:
    runtime: Runtime
    geography: Geography
    trace_id: str


class IntegrationGate:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def authenticate(self, request: Request, client_ip: str | None) -> Operator | None:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        found = await access.integration_key_scope(self.runtime.db, key.strip())
        return Operator(*found) if found else None

    def caller(self, principal: Operator) -> str | None:
        return f"integration key {principal.name}"

    def extensions(self, principal: Operator, trace_id: str) -> dict[str, Any]:
        return {"traceId": trace_id}

    def refused(self, operation: str, fields: frozenset[str], principal: Operator) -> list[str]:
        if operation == "subscription":
            return ["Subscriptions are not supported"]
        if operation == "mutation" and principal.scope != "write":
            return [f"{name} needs an integration key with the write scope; this key is "
                    "read-only" for name in sorted(fields - {"__typename"})]
        return []

    async def context(self, principal: Operator, trace_id: str, client_ip: str | None,
                      address: Callable[[], str]) -> IntegrationContext:
        return IntegrationContext(self.runtime, await self.runtime.geography.get(), trace_id)

    def kept(self, principal: Operator, root_fields: frozenset[str], request: Request,
             document: bytes, operation_name: str | None, variables: dict[str, Any] | None
             ) -> None:
        return None  # back-office answers are read fresh
