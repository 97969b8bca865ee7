"""Expected failures, as data the GraphQL layer turns into ``userErrors``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Code:
    """Stable machine codes of userErrors: clients and tests branch on these, never on the
    message text (which may be reworded or translated)."""

    INVALID_INPUT = "INVALID_INPUT"  # a value of the wrong form or length
    REQUIRED = "REQUIRED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INVALID_EMAIL = "INVALID_EMAIL"
    UNKNOWN_COUNTRY = "UNKNOWN_COUNTRY"
    STATE_REQUIRED = "STATE_REQUIRED"
    UNKNOWN_STATE = "UNKNOWN_STATE"
    UNKNOWN_LANGUAGE = "UNKNOWN_LANGUAGE"
    RATE_LIMITED = "RATE_LIMITED"
    WRONG_CREDENTIALS = "WRONG_CREDENTIALS"
    LOGIN_BLOCKED = "LOGIN_BLOCKED"
    WEAK_PASSWORD = "WEAK_PASSWORD"  # noqa: S105 (a code, not a password)
    WRONG_PASSWORD = "WRONG_PASSWORD"  # noqa: S105
    INVALID_LINK = "INVALID_LINK"
    PASSWORD_MISMATCH = "PASSWORD_MISMATCH"  # noqa: S105 (a confirmation that differs)
    NOT_CONFIGURED = "NOT_CONFIGURED"  # the API client lacks a setting the operation needs
    UNAVAILABLE = "UNAVAILABLE"  # an item that stock or prices cannot cover
    INVALID_AMOUNT = "INVALID_AMOUNT"  # negative, or more decimals than the currency has
    NOT_RETRYABLE = "NOT_RETRYABLE"  # an outgoing message that cannot be sent again
    LOGIN_REQUIRED = "LOGIN_REQUIRED"  # a guest asks for what only a customer may have


@dataclass(frozen=True)
class UserError:
    message: str
    # The argument path below the operation name, e.g. ("input", "billingAddress", "email").
    path: tuple[str, ...]
    typename: str = "UserErrorBase"
    extra: dict[str, Any] = field(default_factory=dict)
    code: str = Code.INVALID_INPUT


class DomainError(Exception):
    """A request that the rules refuse; nothing was changed."""

    def __init__(self, *errors: UserError) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def invalid(message: str, *path: str, code: str = Code.INVALID_INPUT) -> DomainError:
    return DomainError(UserError(message, path, code=code))


def formatted(operation: str, errors: list[UserError] | tuple[UserError, ...]
              ) -> list[dict[str, Any]]:
    """The ``userErrors`` entries of a payload, for both APIs: the path starts with the
    operation's field name."""
    return [
        {"__typename": e.typename, "message": e.message, "path": [operation, *e.path],
         "code": e.code, **e.extra}
        for e in errors
    ]
