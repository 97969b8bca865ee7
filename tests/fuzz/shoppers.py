"""The storefront's callers (one per operating mode) and a shopper who follows the token
protocol, for generated requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from dtc_api.access.clients import ClientCredentials
from dtc_api.storefront import build_schema
from dtc_api.storefront.scope import root_scopes
from tests.fuzz.endpoint import Endpoint, bearer
from tests.fuzz.operations import PASSWORD, GraphQLRequest, Pool, graphql_requests, root_fields

SCHEMA = build_schema()
SCOPES = root_scopes(SCHEMA)
EVERY_FIELD = root_fields(SCHEMA, lambda _kind, _name: True)
# Mutations after which the session may no longer be the customer's.
ACCOUNT_CHANGES = ("login", "logout", "registerCustomer", "resetPassword", "updateCustomer")
SESSION = "{ session { country { code } } }"
CUSTOMER = "{ customer { id } }"
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { loggedIn { id } userErrors { message } }
}"""
REGISTER = """mutation($input: CustomerRegisterInput!) {
  registerCustomer(input: $input) { loggedIn { id } userErrors { message } }
}"""
ADD_ITEM = 'mutation { addItem(item: "1-1") { userErrors { message } } }'


@dataclass(frozen=True)
class Caller:
    name: str
    modes: frozenset[str]
    fields: dict[str, tuple[str, ...]]

    def __repr__(self) -> str:
        return self.name

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:  # how Hypothesis shows it
        printer.text(self.name)


def caller(name: str, *modes: str) -> Caller:
    """A way to call the storefront, and the root fields its modes allow."""
    allowed = frozenset(modes)
    return Caller(name, allowed, root_fields(
        SCHEMA, lambda kind, field: bool(SCOPES[(kind, field)] & allowed)))


NEW_SESSION = caller("the session token (each request starts a session)", "SESSION")
SHOPPER = caller("a guest shopper's session token", "SESSION")
SHOPPER_SECRET = caller("a guest shopper's session token and the shared secret",
                        "SESSION", "SHARED_SECRET")
NO_SESSION = caller("the no-session token", "NO_SESSION")
CUSTOMER_SESSION = caller("a logged-in customer's session token", "SESSION", "LOGGED_IN")
CUSTOMER_SECRET = caller("a logged-in customer's session token and the shared secret",
                         "SESSION", "LOGGED_IN", "SHARED_SECRET")


@st.composite
def calls(draw: st.DrawFn, callers: tuple[Caller, ...], pool: Pool,
          kinds: tuple[str, ...] = ("query", "mutation")) -> tuple[Caller, GraphQLRequest]:
    """A caller and a request of one of ``kinds`` (operation types)."""
    who = draw(st.sampled_from(callers))
    # One request in ten may name any root field: those outside its modes must be refused.
    fields = EVERY_FIELD if draw(st.integers(0, 9)) == 0 else who.fields
    return who, draw(graphql_requests(SCHEMA, {k: fields[k] for k in kinds}, pool))


def _get(answer: Any, *path: str) -> Any:
    for key in path:
        answer = answer.get(key) if isinstance(answer, dict) else None
    return answer


class Storefront:
    """The storefront endpoint with one shopper, who keeps the token of the latest answer."""

    def __init__(self, endpoint: Endpoint, credentials: ClientCredentials) -> None:
        self.endpoint = endpoint
        self.credentials = credentials
        self.token = ""
        self.email = "fuzz@example.com"
        self.accounts = 0

    def headers(self, who: Caller) -> dict[str, str]:
        if who is NEW_SESSION:
            return bearer(self.credentials.session_token)
        if who is NO_SESSION:
            return bearer(self.credentials.no_session_token)
        headers = bearer(self.token)
        if "SHARED_SECRET" in who.modes:
            headers["x-shared-secret"] = self.credentials.shared_secret
        return headers

    async def call(self, who: Caller, request: GraphQLRequest) -> Any:
        answer = await self.endpoint.send(request, self.headers(who), who.name)
        if who in (NEW_SESSION, NO_SESSION):
            return answer
        if token := _get(answer, "extensions", "token"):
            self.token = token
        elif _get(answer, "errors") == [{"message": "Unauthorized"}]:
            await self.start()  # a generated request ended the session (a password reset)
        return answer

    async def start(self) -> None:
        answer = await self.endpoint.send(GraphQLRequest(SESSION), bearer(
            self.credentials.session_token), NEW_SESSION.name)
        self.token = answer["extensions"]["token"]

    async def log_in(self) -> None:
        """Make the shopper a logged-in customer again: log in, or register a new account
        (when a generated request changed the e-mail or password, or blocked the logins)."""
        if _get(await self.call(CUSTOMER_SESSION, GraphQLRequest(CUSTOMER)), "data", "customer"):
            return
        answer = await self.call(CUSTOMER_SESSION, GraphQLRequest(
            LOGIN, {"email": self.email, "password": PASSWORD}))
        if _get(answer, "data", "login", "loggedIn"):
            return
        self.accounts += 1
        self.email = f"fuzz+{self.accounts}@example.com"
        answer = await self.call(CUSTOMER_SESSION, GraphQLRequest(REGISTER, {"input": {
            "password": PASSWORD, "loginOnSuccess": True, "billingAddress": {
                "email": self.email, "firstName": "Fuzz", "lastName": "Test", "country": "SE"}}}))
        assert _get(answer, "data", "registerCustomer", "loggedIn"), answer

    async def add_item(self) -> None:
        """Give the shopper a line, so that reads show prices."""
        await self.call(SHOPPER, GraphQLRequest(ADD_ITEM))
