"""Bearer tokens and secrets: random, shown once, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Longer values are refused before they are hashed or looked up.
MAX_TOKEN_LENGTH = 256


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def matches(token: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented secret with a stored hash."""
    if stored_hash is None:
        return False
    return hmac.compare_digest(token_hash(token), stored_hash)
