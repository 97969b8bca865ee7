"""Test helpers that speak the storefront's token protocol over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from dtc_api.access.clients import ClientCredentials

GRAPHQL = "/graphql"


class Shopper:
    """A storefront client: starts with the API client's session token and then always uses
    the token the last answer carried in ``extensions.token``, as a real front-end must."""

    def __init__(self, http: httpx.AsyncClient, credentials: ClientCredentials) -> None:
        self.http = http
        self.credentials = credentials
        self.token = credentials.session_token
        self.shared_secret: str | None = None

    async def post(self, query: str, variables: dict[str, Any] | None = None,
                   **headers: str) -> httpx.Response:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        sent = {"authorization": f"Bearer {self.token}", **headers}
        if self.shared_secret is not None:
            sent["x-shared-secret"] = self.shared_secret
        return await self.http.post(GRAPHQL, json=body, headers=sent)

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run an operation that must succeed without GraphQL errors; returns ``data``."""
        answer = await self.raw(query, variables)
        assert "errors" not in answer, answer
        return answer["data"]  # type: ignore[no-any-return]

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        answer = response.json()
        token = answer.get("extensions", {}).get("token")
        if token:
            self.token = token
        return answer  # type: ignore[no-any-return]


async def post_as(http: httpx.AsyncClient, token: str | None, body: Any,
                  **headers: str) -> httpx.Response:
    sent = dict(headers)
    if token is not None:
        sent["authorization"] = f"Bearer {token}"
    return await http.post(GRAPHQL, json=body, headers=sent)
