"""Answers to a shopper's queries of their session and customer, kept between requests.

A storefront asks for the same session and customer again and again (the header of every
page, the account page): the answer is kept, compressed, and served again while nothing it
was built from has changed. What it was built from is checked, never assumed:

- the logged-in customer's version (none for a guest) and the catalogue's, read by the token
  lookup in the same statement as the session. Triggers raise them in the transaction of
  every write (migration 0017), from any process, so an answer is never served after a write
  has committed. An answer is always built from data read after its versions, so it is never
  older than they say.
- everything else an answer depends on: the session (its customer, country, language, market
  and pricelist), the geography snapshot, the address the client used (media URLs), and the
  request itself (document, operation, variables).

Only queries whose root fields are all among ``session`` and ``customer`` are kept (a
session shows its country, language, market, pricelist and logged-in customer; the cart is
not part of it), and only answers without errors. Each entry is keyed by the session's token
hash: a customer's answers are never looked up by another session. The store is per process
and bounded by bytes, least recently used first out.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

import lz4.block
import orjson

# Root fields whose answers depend on nothing but the versions and the checked state.
KEPT_ROOT_FIELDS = frozenset({"session", "customer", "__typename"})
# Tables no kept answer reads, whose writes raise no version (migration 0017 gives every other
# table a trigger; a test holds the two lists to the schema).
UNVERSIONED = frozenset({
    "sessions", "selections", "selection_lines", "selection_line_parts",
    "selection_vouchers", "payments", "stock_reservations", "rate_limit_hits",
    "login_failures", "password_reset_tokens", "password_reset_requests", "outbox",
    "signing_keys", "integration_keys", "newsletter_bot_signups", "customer_versions",
    "catalogue_versions",
})
# What an entry costs besides its data and the strings of its key and state: the tuples, the
# numbers, the dict's slot (tracemalloc: ~890 bytes for a small answer, all told).
_OVERHEAD = 700


class AnswerCache:
    """Answers kept as LZ4 blocks: the full CustomerFragment's 22 KB of JSON keep as ~2.7 KB
    (deflate: ~2.2 KB) and come back in ~2 µs (deflate: 12-16 µs, ~26 µs in a busy worker,
    where it was a tenth of a kept answer's time)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        # key -> (state, packed data, its size unpacked)
        self._entries: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], bytes, int]] = \
            OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[Any, ...], state: tuple[Any, ...]) -> bytes | None:
        """The ``data`` of the answer kept under ``key`` if it was built in ``state``."""
        entry = self._entries.get(key)
        if entry is None or entry[0] != state:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return lz4.block.decompress(entry[1], uncompressed_size=entry[2])  # type: ignore[no-any-return]

    def keep(self, key: tuple[Any, ...], state: tuple[Any, ...], data: bytes) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= _cost(key, old[0], old[1])
        packed = lz4.block.compress(data, store_size=False)
        cost = _cost(key, state, packed)
        if cost > self.max_bytes:
            return
        self._entries[key] = (state, packed, len(data))
        self.bytes += cost
        while self.bytes > self.max_bytes:
            dropped, entry = self._entries.popitem(last=False)
            self.bytes -= _cost(dropped, entry[0], entry[1])


def _cost(key: Any, state: Any, packed: bytes) -> int:
    """An entry's bytes, counting the strings of its key and state (a Host header, a token
    hash) as well as its data."""
    return len(packed) + _OVERHEAD + sum(
        len(part) for part in (*key, *state) if isinstance(part, str | bytes))


def text_digest(query: str) -> bytes:
    """A document's text as 16 bytes (computed once per parse: ``Prepared.digest``)."""
    return hashlib.blake2b(query.encode(), digest_size=16).digest()


def request_key(document: bytes, operation_name: str | None,
                variables: dict[str, Any] | None) -> bytes:
    """The request (its document's ``text_digest``, operation name and variables; the
    variables' keys sorted: ``{a, b}`` and ``{b, a}`` are one request) as a 16-byte digest,
    however large it is. A document parsed again after it left the document cache is the
    same request."""
    digest = hashlib.blake2b(document, digest_size=16)
    digest.update(b"\0" + (operation_name or "").encode() + b"\0")
    if variables:
        digest.update(orjson.dumps(variables, option=orjson.OPT_SORT_KEYS))
    return digest.digest()


def answer(data: bytes, extensions: dict[str, Any]) -> bytes:
    """``{"data": …, "extensions": …}`` as ``orjson.dumps`` writes it, around kept data
    (copied once: data is most of it)."""
    return b"".join((b'{"data":', data, b',"extensions":', orjson.dumps(extensions), b"}"))
