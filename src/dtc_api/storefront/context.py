"""What a resolver gets as ``info.context``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from dtc_api.access.sessions import Principal
from dtc_api.core.errors import DomainError, UserError, formatted
from dtc_api.runtime import Runtime
from dtc_api.shop.geography import Geography
from dtc_api.storefront.scope import denial


@dataclass
class RequestContext:
    runtime: Runtime
    principal: Principal
    geography: Geography
    trace_id: str
    client_ip: str | None = None
    # This API as the client addressed it (http://host/), for paths it serves, e.g. /media/:
    # worked out when first asked (most answers hold no such path).
    address: Callable[[], str] = lambda: "/"

    @cached_property
    def base_url(self) -> str:
        return self.address()

    @property
    def session(self) -> dict[str, Any]:
        if self.principal.session is None:
            raise RuntimeError("operation without a session passed the scope check")
        return self.principal.session

    @property
    def language_code(self) -> str | None:
        session = self.principal.session
        return session["language_code"] if session else None


def context(info: GraphQLResolveInfo) -> RequestContext:
    return info.context  # type: ignore[no-any-return]


def logged_in(info: GraphQLResolveInfo) -> RequestContext:
    """The context of a LOGGED_IN operation. Modes are checked before execution, but an
    earlier field of the same document (``logout``) may have ended the login since."""
    ctx = context(info)
    session = ctx.principal.session
    if session is None or session["customer_id"] is None:
        raise GraphQLError(denial(info.field_name, frozenset({"LOGGED_IN"})),
                           extensions={"code": "FORBIDDEN"})
    return ctx


def user_errors(info: GraphQLResolveInfo, errors: list[UserError] | tuple[UserError, ...]
                ) -> list[dict[str, Any]]:
    """``userErrors`` entries: the path starts with the operation's field name."""
    return formatted(info.field_name, errors)


__all__ = ["DomainError", "RequestContext", "context", "logged_in", "user_errors"]
