"""The store of kept answers: served only in the state it was built in, bounded by bytes."""

from __future__ import annotations

import os

import orjson

from dtc_api.http.answers import AnswerCache, answer, request_key, text_digest


def test_an_answer_is_served_only_in_the_state_it_was_built_in() -> None:
    cache = AnswerCache(1 << 20)
    cache.keep(("k",), (1, 7), b'{"customer":{"id":1}}')

    assert cache.get(("k",), (1, 7)) == b'{"customer":{"id":1}}'
    assert cache.get(("k",), (1, 8)) is None
    assert cache.get(("other",), (1, 7)) is None
    assert (cache.hits, cache.misses) == (1, 2)


def test_a_newer_answer_replaces_the_older_under_its_key() -> None:
    cache = AnswerCache(1 << 20)
    cache.keep(("k",), (1,), b"[1]")
    size = cache.bytes
    cache.keep(("k",), (2,), b"[2]")

    assert len(cache) == 1 and cache.bytes == size
    assert cache.get(("k",), (1,)) is None
    assert cache.get(("k",), (2,)) == b"[2]"


def test_the_least_recently_used_go_first_when_the_bytes_run_out() -> None:
    noise = [orjson.dumps(os.urandom(3000).hex()) for _ in range(6)]  # ~6 KB, kept as it is
    one = AnswerCache(1 << 20)
    one.keep((0,), (), noise[0])
    room = 4 * one.bytes + one.bytes // 2  # four answers
    cache = AnswerCache(room)
    for n in range(3):
        cache.keep((n,), (), noise[n])
    assert cache.get((0,), ()) == noise[0]  # 0 is now the most recently used

    for n in range(3, 6):
        cache.keep((n,), (), noise[n])

    assert len(cache) == 4 and cache.bytes <= room
    assert cache.get((1,), ()) is None and cache.get((2,), ()) is None
    assert cache.get((0,), ()) == noise[0] and cache.get((5,), ()) == noise[5]


def test_an_answer_larger_than_the_store_is_not_kept() -> None:
    cache = AnswerCache(1000)
    cache.keep(("k",), (), orjson.dumps(os.urandom(2000).hex()))

    assert len(cache) == 0 and cache.bytes == 0


def test_kept_data_makes_the_answer_orjson_would_write() -> None:
    data = {"customer": {"id": 1, "name": "Åsa \"A\""}}
    extensions = {"token": "t", "traceId": "x"}

    assert answer(orjson.dumps(data), extensions) == orjson.dumps(
        {"data": data, "extensions": extensions})


def test_a_request_is_named_by_a_short_digest_of_its_document_operation_and_variables(
) -> None:
    q, p = text_digest("q"), text_digest("p")
    assert request_key(q, "A", {"b": 1, "a": [2]}) == request_key(q, "A", {"a": [2], "b": 1})
    assert request_key(q, "A", {"a": 1}) != request_key(q, "B", {"a": 1})
    assert request_key(q, "A", {"a": 1}) != request_key(q, "A", {"a": 2})
    assert request_key(q, "A", None) != request_key(p, "A", None)
    assert request_key(q, None, None) == request_key(q, None, {})
    assert len(text_digest("q" * 100_000)) == 16
    assert len(request_key(text_digest("q" * 100_000), None, {"pad": "x" * 1_000_000})) == 16


def test_the_strings_of_a_key_and_its_state_are_counted() -> None:
    cache = AnswerCache(1 << 20)
    cache.keep(("token",), ("h",), b"[1]")
    small = cache.bytes
    cache.keep(("token",), ("h" * 10_000,), b"[1]")

    assert cache.bytes == small + 9_999
