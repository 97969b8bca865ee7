"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from dtc_api.core.errors import Code, UserError

T = TypeVar("T")


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn's list of the 30,000 most used passwords, from leaked password sets.
    return frozenset(FREQUENCY_LISTS["passwords"])


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    max_length: int = 256
    reject_common: bool = True

    def problems(self, password: str, email: str | None, path: tuple[str, ...]) -> list[UserError]:
        """What is wrong with a new password; no composition rules (NIST SP 800-63B)."""
        if len(password) < self.min_length:
            problem = f"password must be at least {self.min_length} characters"
        elif len(password) > self.max_length:
            problem = f"password must be at most {self.max_length} characters"
        elif email and password.casefold() == email.casefold():
            problem = "password must not be the e-mail address"
        elif self.reject_common and password.casefold() in _common_passwords():
            problem = "password is too common: choose a less guessable one"
        else:
            return []
        return [UserError(problem, path, code=Code.WEAK_PASSWORD)]


# Hashing threads run only when the CPU has nothing else to do (Linux's SCHED_IDLE): the event
# loop takes the core back the moment it has work, so a login flood does not delay the other
# requests. (At nice 10, a woken loop could wait out the hashing thread's time slice, 1-3 ms,
# and the customer query's p99 during a login flood was 1.4-4x its quiet p99.)
# A batch of hashes (see BATCH) still running after STARVED_AFTER seconds for each hash in it
# (the CPU is busy with other work) gets nice 10 for the rest of it, a tenth of what the loop
# gets: logins slow down, never stop.
STARVED_AFTER = 0.25
HASHING_NICENESS = 10


def _to_idle() -> None:
    """The calling thread runs only when nothing else would (falls back to nice 10)."""
    if sys.platform != "linux":
        return
    try:
        os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))
    except OSError:
        _raise_to_niceness(threading.get_native_id())


_Job = tuple[Callable[..., Any], tuple[Any, ...], "asyncio.Future[Any]"]
_Outcome = tuple[bool, Any]  # (True, the result) or (False, the exception)


def _work(jobs: list[_Job], running: list[int]) -> list[_Outcome]:
    """A batch, on a hashing thread: each job's outcome; a job cancelled before its turn is
    not run."""
    running.append(threading.get_native_id())
    _to_idle()  # again for every batch: a raise is for one batch only
    outcomes: list[_Outcome] = []
    for work, args, done in jobs:
        if done.cancelled():
            outcomes.append((False, None))
            continue
        try:
            outcomes.append((True, work(*args)))
        except Exception as error:  # handed to the job's waiter
            outcomes.append((False, error))
    return outcomes


def _raise_to_niceness(thread: int) -> None:
    """``thread`` back to the normal policy, at HASHING_NICENESS."""
    try:
        os.sched_setscheduler(thread, os.SCHED_OTHER, os.sched_param(0))
        os.setpriority(os.PRIO_PROCESS, thread, HASHING_NICENESS)
    except OSError:  # the thread has ended, or the system refuses: it keeps what it had
        pass


# A hashing thread that finds hashes waiting takes up to BATCH of them and runs them one after
# another, before the loop hears of any. A hash evicts every cache the loop's work had warmed
# (argon2id's 19 MiB pass through them), so the first login the loop finishes after it runs
# cold, and the next ones warm. In a login flood on one core the loop spent 1,580-1,740 µs a
# login with one login between two hashes, 1,250-1,350 in fours and 1,150-1,170 in eights
# (the outcomes handed out DELIVERY_SPACING apart). A batch delays the answers to its first
# hashes by the hashes after them: in eights, ~65 ms on average at 19 ms a hash, where a
# flood's queue already holds a login for hundreds. Only a queue makes a batch: a hash that
# finds a thread free starts at once, alone.
BATCH = 8
# About one login's work on the loop after its hash. Handed out together, or one a turn of
# the loop, a batch's logins finished on the same turns as the next logins their answers
# brought in, and the customer query's p99 during a login flood rose from 1.1-1.6 ms (no
# batches) to 1.8-2.0; handed out 1 ms apart, 1.5 (the loop idles in between: the hashes run).
DELIVERY_SPACING = 0.001


class Hasher:
    """argon2id hashing off the event loop, with bounded concurrency.

    Each hash takes tens of milliseconds and ~19 MiB: running them in threads of their own,
    which run only when the CPU is otherwise idle, keeps the loop responsive, and a queue in
    front of the threads makes a login flood wait instead of exhausting memory.
    """

    def __init__(self, memory_kib: int, time_cost: int, parallelism: int, concurrency: int,
                 starved_after: float = STARVED_AFTER, batch: int = BATCH) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._threads = ThreadPoolExecutor(concurrency, thread_name_prefix="argon2")
        self._free = concurrency  # threads without a batch
        self._waiting: deque[_Job] = deque()
        self._batch = batch
        self._starved_after = starved_after
        self._dummy: str | None = None

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` on a hashing thread at idle priority, raised if it starves."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        self._waiting.append((work, args, done))
        if self._free:
            self._start(loop)
        return await done

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        """The waiting hashes, up to a batch, onto a free thread."""
        jobs = [self._waiting.popleft() for _ in range(min(self._batch, len(self._waiting)))]
        self._free -= 1
        running: list[int] = []  # the thread, once the batch has started on it

        def starved() -> None:
            if running:
                _raise_to_niceness(running[0])

        raising = loop.call_later(self._starved_after * len(jobs), starved)
        batch = loop.run_in_executor(self._threads, _work, jobs, running)
        batch.add_done_callback(lambda _: self._finished(loop, jobs, raising, batch))

    def _finished(self, loop: asyncio.AbstractEventLoop, jobs: list[_Job],
                  raising: asyncio.TimerHandle, batch: asyncio.Future[list[_Outcome]]) -> None:
        raising.cancel()
        self._free += 1
        if self._waiting:  # the next batch first: it runs while the loop is idle
            self._start(loop)
        try:
            outcomes = batch.result()
        except BaseException as error:  # the pool refused the batch: shut down
            outcomes = [(False, error)] * len(jobs)
        self._deliver(loop, [(done, outcome) for (_, _, done), outcome
                             in zip(jobs, outcomes, strict=True)])

    def _deliver(self, loop: asyncio.AbstractEventLoop,
                 outcomes: list[tuple[asyncio.Future[Any], _Outcome]]) -> None:
        """The batch's outcomes to their waiters, DELIVERY_SPACING apart, so that a request
        that comes in meanwhile waits for about one login to finish, not for a batch (nor
        for a finish and the next login its answer brought on the same turn)."""
        (done, (ok, value)), *rest = outcomes
        if not done.done():  # not cancelled while it waited
            if ok:
                done.set_result(value)
            else:
                done.set_exception(value)
        if rest:
            loop.call_later(DELIVERY_SPACING, self._deliver, loop, rest)

    async def hash(self, password: str) -> str:
        return await self._run(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Check a password; with no stored hash, spend the same time on a dummy one.

        Doing the work either way means a response time does not tell whether an account
        exists.
        """
        if stored is None:
            stored = await self._dummy_hash()
            await self._verify(stored, password)
            return False
        return await self._verify(stored, password)

    async def _verify(self, stored: str, password: str) -> bool:
        try:
            return await self._run(self._hasher.verify, stored, password)
        except (VerificationError, InvalidHashError):
            return False

    async def warm_up(self) -> None:
        """Compute the dummy hash now, so the first unknown-e-mail login is not faster."""
        await self._dummy_hash()

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await self.hash("a password nobody has")
        return self._dummy

    def close(self) -> None:
        self._threads.shutdown(wait=False)

    def needs_rehash(self, stored: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True
