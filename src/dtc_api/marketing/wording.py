"""The storefront's marketing operations answer some failures of the shared checks in their
own, older words (clients may show them); the check and its machine code stay the shared
ones."""

from __future__ import annotations

import dataclasses

from dtc_api.core.errors import UserError


def worded(error: UserError | None, message: str) -> UserError | None:
    """``error`` with ``message`` instead of the shared wording, or None."""
    return dataclasses.replace(error, message=message) if error is not None else None
