"""Hashes that wait for a thread run in batches, back to back, and each waiter gets its own
outcome: its result, its exception, or nothing at all if it gave up waiting."""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

import pytest

from dtc_api.accounts import passwords
from dtc_api.accounts.passwords import Hasher


@pytest.fixture
def hasher() -> Any:
    hashing = Hasher(memory_kib=1024, time_cost=1, parallelism=1, concurrency=1, batch=4)
    yield hashing
    hashing.close()


def _gate() -> tuple[threading.Event, Any]:
    """A job that holds the only thread until the event is set."""
    opened = threading.Event()

    def held() -> str:
        assert opened.wait(10)
        return "held"

    return opened, held


async def test_waiting_hashes_each_get_their_own_answer(hasher: Hasher) -> None:
    stored = await hasher.hash("correct horse battery")
    guesses = [("correct horse battery" if n % 3 == 0 else f"guess {n}") for n in range(10)]
    answers = await asyncio.gather(*(hasher.verify(stored, g) for g in guesses))
    assert answers == [n % 3 == 0 for n in range(10)]


async def test_the_waiting_hashes_run_in_batches(hasher: Hasher,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    batches: list[int] = []
    work = passwords._work

    def counted(jobs: list[Any], running: list[int]) -> Any:
        batches.append(len(jobs))
        return work(jobs, running)

    monkeypatch.setattr(passwords, "_work", counted)
    opened, held = _gate()
    first = asyncio.ensure_future(hasher._run(held))
    await asyncio.sleep(0.01)
    waiting = [asyncio.ensure_future(hasher._run(str, n)) for n in range(9)]
    await asyncio.sleep(0.01)
    opened.set()
    assert await first == "held"
    assert await asyncio.gather(*waiting) == [str(n) for n in range(9)]
    assert batches == [1, 4, 4, 1]  # alone at once, then the queue, four at a time


async def test_an_exception_is_its_own_jobs_alone(hasher: Hasher) -> None:
    opened, held = _gate()
    first = asyncio.ensure_future(hasher._run(held))
    await asyncio.sleep(0.01)

    def failing() -> None:
        raise ValueError("this one")

    jobs = [asyncio.ensure_future(hasher._run(str, 1)),
            asyncio.ensure_future(hasher._run(failing)),
            asyncio.ensure_future(hasher._run(str, 3))]
    opened.set()
    await first
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    assert outcomes[0] == "1" and outcomes[2] == "3"
    assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "this one"


async def test_a_hash_given_up_while_it_waits_is_not_run(hasher: Hasher) -> None:
    ran: list[int] = []
    opened, held = _gate()
    first = asyncio.ensure_future(hasher._run(held))
    await asyncio.sleep(0.01)
    jobs = [asyncio.ensure_future(hasher._run(ran.append, n)) for n in range(3)]
    await asyncio.sleep(0.01)
    jobs[1].cancel()  # the shopper went away
    opened.set()
    await first
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    assert isinstance(outcomes[1], asyncio.CancelledError)
    assert ran == [0, 2]
    # The queue goes on after it.
    assert await hasher._run(str, "next") == "next"


async def test_a_batch_is_handed_out_one_waiter_at_a_time(hasher: Hasher) -> None:
    """So a request that comes in meanwhile waits for one login to finish, not for four."""
    opened, held = _gate()
    first = asyncio.ensure_future(hasher._run(held))
    await asyncio.sleep(0.01)
    turns, counting = 0, True

    async def count_turns() -> None:
        nonlocal turns
        while counting:
            turns += 1
            await asyncio.sleep(0)

    resumed: list[int] = []

    async def one(n: int) -> None:
        await hasher._run(str, n)
        resumed.append(turns)

    waiters = [asyncio.ensure_future(one(n)) for n in range(4)]
    await asyncio.sleep(0.01)
    counter = asyncio.ensure_future(count_turns())
    opened.set()
    await first
    await asyncio.gather(*waiters)
    counting = False
    await counter
    assert len(resumed) == 4 and len(set(resumed)) == 4, resumed
    # ... and apart: other work runs in between (here, turns of the counter).
    assert all(later - earlier > 1 for earlier, later in itertools.pairwise(resumed)), resumed
