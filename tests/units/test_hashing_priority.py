"""Password hashes run on threads that yield to everything else (the event loop first), and a
hash that cannot get the CPU for long is raised to a low but normal priority."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from dtc_api.accounts import passwords
from dtc_api.accounts.passwords import Hasher

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Linux scheduling policies")


def _hashing_thread(hasher: Hasher) -> int:
    [thread] = [t.native_id for t in hasher._threads._threads]  # type: ignore[attr-defined]
    return thread  # type: ignore[no-any-return]


async def _policy_while_hashing(hasher: Hasher, after: float) -> tuple[int, int]:
    """The hashing thread's policy and niceness ``after`` seconds into a long hash."""
    hashing = asyncio.create_task(hasher.hash("a long one to hash"))
    await asyncio.sleep(after)
    thread = _hashing_thread(hasher)
    seen = os.sched_getscheduler(thread), os.getpriority(os.PRIO_PROCESS, thread)
    assert not hashing.done(), "the hash ended before it was looked at: make it longer"
    await hashing
    return seen


async def test_a_hash_runs_at_idle_priority() -> None:
    hasher = Hasher(memory_kib=256 * 1024, time_cost=3, parallelism=1, concurrency=1,
                    starved_after=60)
    try:
        policy, _ = await _policy_while_hashing(hasher, 0.05)
        assert policy == os.SCHED_IDLE
    finally:
        hasher.close()


async def test_a_starved_hash_is_raised_to_a_low_normal_priority_for_itself_alone() -> None:
    hasher = Hasher(memory_kib=256 * 1024, time_cost=3, parallelism=1, concurrency=1,
                    starved_after=0.02)
    try:
        policy, niceness = await _policy_while_hashing(hasher, 0.1)
        assert (policy, niceness) == (os.SCHED_OTHER, passwords.HASHING_NICENESS)
        hasher._starved_after = 60  # the next hash starts idle again
        policy, _ = await _policy_while_hashing(hasher, 0.05)
        assert policy == os.SCHED_IDLE
    finally:
        hasher.close()


async def test_hashes_still_verify() -> None:
    hasher = Hasher(memory_kib=1024, time_cost=1, parallelism=1, concurrency=2)
    try:
        stored = await hasher.hash("correct horse battery")
        assert await hasher.verify(stored, "correct horse battery")
        assert not await hasher.verify(stored, "wrong")
        assert not await hasher.verify(None, "anything")
    finally:
        hasher.close()
