"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from dtc_api.core.errors import Code, UserError


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


# Hashing threads yield the core to the event loop: at nice 10 a thread gets about a tenth of
# the CPU time the loop gets when both want it (Linux's scheduler weights 110 against 1024),
# so a login flood slows logins down rather than every other request.
HASHING_NICENESS = 10


def _lower_priority() -> None:
    if sys.platform == "linux":  # there a thread is a task with its own nice value
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)
        except OSError:
            pass


class Hasher:
    """argon2id hashing off the event loop, with bounded concurrency.

    Each hash takes tens of milliseconds and ~19 MiB: running them in threads of their own,
    at a lower priority than the event loop, keeps the loop responsive, and the semaphore
    makes a login flood queue instead of exhausting memory.
    """

    def __init__(self, memory_kib: int, time_cost: int, parallelism: int, concurrency: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Not redundant with the pool's size: a hash waiting here starts only after a turn of
        # the event loop, so queued hashes do not follow each other straight on the threads
        # (measured: the customer query's p99 in a login flood 2.3-2.6x quiet with it, 3.1-4.1x
        # without).
        self._slots = asyncio.Semaphore(concurrency)
        self._threads = ThreadPoolExecutor(concurrency, thread_name_prefix="argon2",
                                           initializer=_lower_priority)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(
                self._threads, self._hasher.hash, password)

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
        async with self._slots:
            try:
                return await asyncio.get_running_loop().run_in_executor(
                    self._threads, self._hasher.verify, stored, password)
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
