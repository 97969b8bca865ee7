"""Automatic persisted queries, the protocol Apollo clients speak.

A client sends ``extensions: {persistedQuery: {version: 1, sha256Hash}}`` without the query;
a hash this process knows stands for its query text (no text sent, none parsed: the document
cache has it). An unknown hash answers ``PersistedQueryNotFound``; the client then sends the
text with the hash, which is checked and, once the document has validated, kept. The store
is per process and bounded (least recently used first out).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

NOT_FOUND = "PersistedQueryNotFound"


class PersistedQueryError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The hash a request names, if it uses the protocol (and a version it speaks)."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryError("PersistedQueryNotSupported: use version 1",
                                  "PERSISTED_QUERY_NOT_SUPPORTED")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise PersistedQueryError("persistedQuery.sha256Hash must be 64 hex digits",
                                  "BAD_REQUEST")
    return digest.lower()


class PersistedQueries:
    def __init__(self, size: int, max_bytes: int) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._texts: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._texts)

    def query(self, digest: str, text: str | None) -> str:
        """The query the request stands for: its text (which must hash to ``digest``), or
        the text the hash was registered with."""
        if text is not None:
            if hashlib.sha256(text.encode()).hexdigest() != digest:
                raise PersistedQueryError("provided sha does not match query",
                                          "PERSISTED_QUERY_HASH_MISMATCH")
            return text
        known = self._texts.get(digest)
        if known is None:
            raise PersistedQueryError(NOT_FOUND, "PERSISTED_QUERY_NOT_FOUND")
        self._texts.move_to_end(digest)
        return known

    def keep(self, digest: str, text: str) -> None:
        """Remember a query that validated."""
        if digest in self._texts:
            self._texts.move_to_end(digest)
            return
        cost = 2 * len(text) + 200
        if cost > self.max_bytes:
            return
        self._texts[digest] = text
        self.bytes += cost
        while len(self._texts) > self.size or self.bytes > self.max_bytes:
            _, dropped = self._texts.popitem(last=False)
            self.bytes -= 2 * len(dropped) + 200
