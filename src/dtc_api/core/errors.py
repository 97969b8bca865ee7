"""Expected failures, as data the GraphQL layer turns into ``userErrors``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UserError:
    message: str
    # The argument path below the operation name, e.g. ("input", "billingAddress", "email").
    path: tuple[str, ...]
    typename: str = "UserErrorBase"
    extra: dict[str, Any] = field(default_factory=dict)


class DomainError(Exception):
    """A request that the rules refuse; nothing was changed."""

    def __init__(self, *errors: UserError) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def invalid(message: str, *path: str) -> DomainError:
    return DomainError(UserError(message, path))
