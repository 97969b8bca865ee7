"""resetPasswordEmail (and requestPasswordResetEmail), verifyResetPasswordHashes, resetPassword."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from dtc_api.access import sessions
from dtc_api.accounts import usecases as accounts
from dtc_api.core.errors import DomainError
from dtc_api.storefront.context import context, user_errors

mutation = MutationType()


async def _request(info: GraphQLResolveInfo, email: str, url: str, url_argument: str
                   ) -> dict[str, Any]:
    ctx = context(info)
    try:
        await accounts.request_password_reset(ctx.runtime, ctx.principal.client, email, url,
                                              ctx.client_ip)
    except DomainError as refused:
        # Both names of the mutation share the use case; the path names this one's argument.
        errors = [replace(e, path=(url_argument,)) if e.path == ("url",) else e
                  for e in refused.errors]
        return {"userErrors": user_errors(info, errors)}
    return {"userErrors": []}


@mutation.field("resetPasswordEmail")
async def resolve_reset_password_email(_: Any, info: GraphQLResolveInfo, email: str, url: str
                                       ) -> dict[str, Any]:
    return await _request(info, email, url, "url")


@mutation.field("requestPasswordResetEmail")
async def resolve_request_password_reset_email(
    _: Any, info: GraphQLResolveInfo, email: str, resetPasswordExternalUrl: str
) -> dict[str, Any]:
    return await _request(info, email, resetPasswordExternalUrl, "resetPasswordExternalUrl")


@mutation.field("verifyResetPasswordHashes")
async def resolve_verify(_: Any, info: GraphQLResolveInfo, i: str, id: str) -> dict[str, Any]:
    return {"valid": await accounts.verify_reset_hashes(context(info).runtime, i, id),
            "userErrors": []}


@mutation.field("resetPassword")
async def resolve_reset_password(
    _: Any, info: GraphQLResolveInfo, i: str, id: str, password: str,
    confirmPassword: str | None = None, loginOnSuccess: bool = False,
) -> dict[str, Any]:
    ctx = context(info)
    try:
        await accounts.reset_password(ctx.runtime, ctx.principal, i, id, password,
                                      confirmPassword, loginOnSuccess)
    except DomainError as refused:
        return {"changed": False, "session": sessions.view(ctx.geography, ctx.session),
                "userErrors": user_errors(info, refused.errors)}
    return {"changed": True, "session": sessions.view(ctx.geography, ctx.session),
            "userErrors": []}


bindables = [mutation]
