"""Test helpers that speak the storefront's token protocol over HTTP."""

from __future__ import annotations

import socket
from typing import Any

import httpx

from dtc_api.access.clients import ClientCredentials
from dtc_api.config import Secret, Settings
from tests import documents

GRAPHQL = "/graphql"
JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
PASSWORD = "correct horse battery staple"
UNAUTHORIZED = {"errors": [{"message": "Unauthorized"}]}
IP_LIMITED = "too many login attempts from this address: try again in a minute"


def free_port() -> int:
    """A local TCP port that nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_for(db_url: str, **changes: Any) -> Settings:
    # Cheap argon2 parameters: the cost is not what the tests are about.
    # Every query runs as a compiled plan and on graphql-core, and the answers must agree.
    changes.setdefault("compiled_execution", "verify")
    return Settings(database_url=db_url, db_pool_size=5, argon2_memory_kib=1024,
                    argon2_time_cost=1, **changes)


def mail_settings(db_url: str, smtp_url: str, **changes: Any) -> Settings:
    """Settings that send mail to the test SMTP server."""
    return settings_for(db_url, smtp_url=Secret(smtp_url), smtp_timeout=5, **changes)


class Shopper:
    """A storefront client: starts with the API client's session token and then always uses
    the token the last answer carried in ``extensions.token``, as a real front-end must."""

    def __init__(self, http: httpx.AsyncClient, credentials: ClientCredentials) -> None:
        self.http = http
        self.credentials = credentials
        self.token = credentials.session_token
        self.shared_secret: str | None = None

    async def post(self, query: str | None, variables: dict[str, Any] | None = None,
                   extensions: dict[str, Any] | None = None, **headers: str) -> httpx.Response:
        body: dict[str, Any] = {} if query is None else {"query": query}
        if variables is not None:
            body["variables"] = variables
        if extensions is not None:
            body["extensions"] = extensions
        sent = {"authorization": f"Bearer {self.token}", **headers}
        if self.shared_secret is not None:
            sent["x-shared-secret"] = self.shared_secret
        return await self.http.post(GRAPHQL, json=body, headers=sent)

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run an operation that must succeed without GraphQL errors; returns ``data``."""
        answer = await self.raw(query, variables)
        assert "errors" not in answer, answer
        return answer["data"]  # type: ignore[no-any-return]

    async def raw(self, query: str | None, variables: dict[str, Any] | None = None,
                  extensions: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.post(query, variables, extensions)
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


def registration(email: str = "daniel@example.com", *, first_name: str = "Daniel",
                 last_name: str = "Ford", password: str = PASSWORD, login: bool = False,
                 address: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A ``CustomerRegisterInput``; ``address`` adds to or replaces billing address fields."""
    billing = {"email": email, "firstName": first_name, "lastName": last_name, "country": "SE",
               **(address or {})}
    return {"password": password, "billingAddress": billing, "loginOnSuccess": login, **fields}


async def register(shopper: Shopper, email: str = "daniel@example.com", *,
                   first_name: str = "Daniel", last_name: str = "Ford", login: bool = False
                   ) -> dict[str, Any] | None:
    """Register a customer that must be accepted; returns ``loggedIn`` (None without login)."""
    payload = (await shopper.gql(documents.REGISTER, {"input": registration(
        email, first_name=first_name, last_name=last_name, login=login)}))["registerCustomer"]
    assert payload["userErrors"] == []
    return payload["loggedIn"]  # type: ignore[no-any-return]


BACKOFFICE = "/integration/graphql"
UPSERT_CATALOGUE = """mutation($input: CatalogueInput!) {
  upsertCatalogue(input: $input) { userErrors { message path } } }"""


async def backoffice(http: httpx.AsyncClient, key: str, query: str,
                     variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a back-office operation that must succeed without GraphQL errors; its ``data``."""
    response = await http.post(BACKOFFICE, json={"query": query, "variables": variables or {}},
                               headers={"authorization": f"Bearer {key}"})
    answer = response.json()
    assert "errors" not in answer, answer
    return answer["data"]  # type: ignore[no-any-return]


async def upsert_catalogue(http: httpx.AsyncClient, key: str, catalogue: dict[str, Any]
                           ) -> list[dict[str, Any]]:
    """``upsertCatalogue``; its userErrors."""
    data = await backoffice(http, key, UPSERT_CATALOGUE, {"input": catalogue})
    return data["upsertCatalogue"]["userErrors"]  # type: ignore[no-any-return]


async def set_stocks(http: httpx.AsyncClient, key: str, rows: list[dict[str, Any]]) -> None:
    data = await backoffice(http, key, "mutation($s: [StockInput!]!) { setStocks(input: $s) "
                                       "{ userErrors { message } } }", {"s": rows})
    assert data["setStocks"]["userErrors"] == []
