"""Login throttling: the backoff schedule per account and client address and per account,
the per-IP limit, X-Forwarded-For, counters that live in the database, keys of any length."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import ipaddress
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dtc_api.access.clients import ClientCredentials
from dtc_api.accounts.throttle import ACCOUNT_WIDE, LoginThrottle
from dtc_api.clock import SteppableClock
from dtc_api.config import Settings
from dtc_api.core import limits
from dtc_api.store import tables as t
from tests import support
from tests.support import IP_LIMITED, PASSWORD, Shopper

PEER = "203.0.113.7"  # the conftest client's address
EMAIL = "throttled@centra.com"
WRONG = "correct horse battery stable"
WRONG_CREDENTIALS = "wrong e-mail or password"
BACKOFF = re.compile(r"too many failed login attempts: try again in (\d+) seconds?")

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    loggedIn { id email }
    userErrors { path message }
  }
}
"""


# --- the schedule ----------------------------------------------------------------------------

@pytest.mark.parametrize(("failures", "seconds"), [
    (0, 0),
    (1, 0),
    (4, 0),
    (5, 1),
    (6, 2),
    (7, 4),
    (8, 8),
    (10, 32),
    (14, 512),
    (15, 900),  # 1024, capped
    (16, 900),
    (50, 900),
])
def test_backoff_schedule(failures: int, seconds: int) -> None:
    limits = LoginThrottle(free_failures=5, max_backoff=900,
                           account_free_failures=100)
    assert limits.backoff(failures) == seconds


@pytest.mark.parametrize(("failures", "seconds"), [
    (0, 0),
    (5, 0),
    (99, 0),
    (100, 1),
    (101, 2),
    (109, 512),
    (110, 900),
    (1000, 900),
])
def test_account_wide_backoff_schedule(failures: int, seconds: int) -> None:
    limits = LoginThrottle(free_failures=5, max_backoff=900,
                           account_free_failures=100)
    assert limits.account_backoff(failures) == seconds


def test_without_free_failures_the_backoff_starts_after_the_first_failure() -> None:
    limits = LoginThrottle(free_failures=0, max_backoff=900,
                           account_free_failures=1)
    assert [limits.backoff(n) for n in range(4)] == [0, 1, 2, 4]


def test_default_settings_are_centras_limits() -> None:
    settings = Settings()
    assert (settings.login_ip_limit, settings.login_free_failures,
            settings.login_max_backoff) == (10, 5, 900)
    assert settings.login_account_free_failures == 100


def test_runtime_uses_the_settings(runtime: Any) -> None:
    assert runtime.login_throttle == LoginThrottle(free_failures=5,
                                                   max_backoff=900, account_free_failures=100)


# --- helpers ---------------------------------------------------------------------------------

class Attempts:
    """Logs in with a fresh Shopper each time (a new guest session), as a client would."""

    def __init__(self, http: httpx.AsyncClient, credentials: ClientCredentials) -> None:
        self.http = http
        self.credentials = credentials

    async def login(self, email: str, password: str, **headers: str) -> dict[str, Any]:
        shopper = Shopper(self.http, self.credentials)
        response = await shopper.post(LOGIN, {"email": email, "password": password}, **headers)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert "errors" not in answer, answer
        payload: dict[str, Any] = answer["data"]["login"]
        for error in payload["userErrors"]:
            assert error["path"] == ["login"]
        if payload["userErrors"]:
            assert payload["loggedIn"] is None
        return payload

    async def message(self, email: str, password: str, **headers: str) -> str | None:
        """The userError's message, or None when the login succeeded."""
        payload = await self.login(email, password, **headers)
        if not payload["userErrors"]:
            assert payload["loggedIn"]["email"] == email
            return None
        [error] = payload["userErrors"]
        return str(error["message"])


def wait_of(message: str | None) -> int:
    assert message is not None
    match = BACKOFF.fullmatch(message)
    assert match, message
    return int(match.group(1))


@pytest.fixture
def attempts(http: httpx.AsyncClient, credentials: ClientCredentials) -> Attempts:
    return Attempts(http, credentials)


async def register(http: httpx.AsyncClient, credentials: ClientCredentials,
                   email: str = EMAIL) -> None:
    await support.register(Shopper(http, credentials), email, first_name="Tess",
                           last_name="Throttle")


@pytest.fixture
async def account(http: httpx.AsyncClient, credentials: ClientCredentials) -> str:
    await register(http, credentials)
    return EMAIL


@asynccontextmanager
async def client_from(app: Any, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose peer address is ``ip``."""
    transport = httpx.ASGITransport(app=app, client=(ip, 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://dtc.test") as client:
        yield client


async def login_failures(runtime: Any) -> dict[tuple[str, str], tuple[int, Any]]:
    """(account, client address or ACCOUNT_WIDE) -> (failures, last failure)."""
    async with runtime.db.read() as conn:
        rows = await conn.execute(sa.select(t.login_failures))
        return {(r.email_key, r.client): (r.failures, r.last_failure_at) for r in rows}


async def ip_rows(runtime: Any) -> list[tuple[str, Any, int]]:
    """The login counters per client address (other limits share the table)."""
    async with runtime.db.read() as conn:
        rows = await conn.execute(
            sa.select(t.rate_limit_hits).where(t.rate_limit_hits.c.key.startswith("login:"))
            .order_by(t.rate_limit_hits.c.window_start, t.rate_limit_hits.c.key))
        return [(r.key, r.window_start, r.hits) for r in rows]


async def ip_keys(runtime: Any) -> set[str]:
    return {key for key, _, _ in await ip_rows(runtime)}


@pytest.fixture
def verifications(runtime: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password the hasher verified (to prove which attempts reached the hash)."""
    seen: list[str] = []
    original = runtime.hasher.verify

    async def verify(stored: str | None, password: str) -> bool:
        seen.append(password)
        return bool(await original(stored, password))

    monkeypatch.setattr(runtime.hasher, "verify", verify)
    return seen


# --- per account -----------------------------------------------------------------------------

async def test_backoff_after_five_failures_even_with_the_right_password(
    attempts: Attempts, account: str, clock: SteppableClock, verifications: list[str]
) -> None:
    for _ in range(5):
        assert await attempts.message(account, WRONG) == WRONG_CREDENTIALS
    assert verifications == [WRONG] * 5

    # The 6th attempt, made at once, is refused before the password is looked at.
    refused = await attempts.message(account, PASSWORD)
    assert wait_of(refused) == 1
    assert verifications == [WRONG] * 5

    clock.advance(seconds=1)
    assert await attempts.message(account, PASSWORD) is None
    assert verifications == [WRONG] * 5 + [PASSWORD]


async def test_backoff_doubles_and_a_success_resets_it(
    attempts: Attempts, account: str, clock: SteppableClock
) -> None:
    # The clock starts at 12:00:00, so the per-IP minute runs until 12:01:00.
    for _ in range(5):
        assert await attempts.message(account, WRONG) == WRONG_CREDENTIALS
    assert wait_of(await attempts.message(account, PASSWORD)) == 1
    clock.advance(seconds=1)
    assert await attempts.message(account, WRONG) == WRONG_CREDENTIALS  # 6 failures
    assert wait_of(await attempts.message(account, PASSWORD)) == 2
    clock.advance(seconds=1)
    assert wait_of(await attempts.message(account, PASSWORD)) == 1
    clock.advance(seconds=1)
    assert await attempts.message(account, WRONG) == WRONG_CREDENTIALS  # 7 failures
    # The 11th attempt from this address in this minute: the address limit answers first.
    assert await attempts.message(account, PASSWORD) == IP_LIMITED

    clock.advance(seconds=57)  # 12:01:00, a new minute for the per-IP limit
    assert await attempts.message(account, WRONG) == WRONG_CREDENTIALS  # 8 failures
    assert wait_of(await attempts.message(account, PASSWORD)) == 8
    clock.advance(seconds=7.5)
    assert wait_of(await attempts.message(account, PASSWORD)) == 1  # rounded up
    clock.advance(seconds=0.5)
    assert await attempts.message(account, PASSWORD) is None  # success: the count restarts

    clock.advance(seconds=61)
    for _ in range(5):
        assert await attempts.message(account, WRONG) == WRONG_CREDENTIALS
    assert wait_of(await attempts.message(account, PASSWORD)) == 1


async def test_success_before_the_limit_resets_the_count(
    attempts: Attempts, account: str, clock: SteppableClock
) -> None:
    for _ in range(4):
        assert await attempts.message(account, WRONG) == WRONG_CREDENTIALS
    assert await attempts.message(account, PASSWORD) is None
    clock.advance(seconds=61)
    for _ in range(5):
        assert await attempts.message(account, WRONG) == WRONG_CREDENTIALS
    assert wait_of(await attempts.message(account, WRONG)) == 1


async def test_the_account_key_ignores_case_and_spaces(
    attempts: Attempts, account: str
) -> None:
    for email in ["THROTTLED@centra.com", " throttled@CENTRA.COM", "Throttled@Centra.Com ",
                  "throttled@centra.com", "tHrOtTlEd@centra.com"]:
        assert await attempts.message(email, WRONG) == WRONG_CREDENTIALS
    assert wait_of(await attempts.message(account, PASSWORD)) == 1


async def test_an_unknown_email_is_throttled_like_a_known_one(
    attempts: Attempts, account: str, clock: SteppableClock
) -> None:
    async def story(email: str, right: str) -> list[str | None]:
        told = [await attempts.message(email, WRONG) for _ in range(5)]
        told.append(await attempts.message(email, right))
        clock.advance(seconds=1)
        told.append(await attempts.message(email, WRONG))
        told.append(await attempts.message(email, right))
        clock.advance(seconds=61)  # new minute: the per-IP limit does not take part
        return told

    known = await story(account, PASSWORD)
    unknown = await story("nobody@centra.com", PASSWORD)
    assert known == unknown == [WRONG_CREDENTIALS] * 5 + [
        "too many failed login attempts: try again in 1 second",
        WRONG_CREDENTIALS,
        "too many failed login attempts: try again in 2 seconds",
    ]


async def test_parallel_guesses_from_one_address_cannot_slip_through_together(
    app: Any, credentials: ClientCredentials, account: str, verifications: list[str]
) -> None:
    async def message() -> str | None:
        async with client_from(app, PEER) as client:
            return await Attempts(client, credentials).message(account, WRONG)

    for _ in range(4):
        assert await message() == WRONG_CREDENTIALS
    # Six at once: ten attempts from this address in all, within its limit per minute.
    told = await asyncio.gather(*(message() for _ in range(6)))
    assert sorted(told, key=str) == [
        "too many failed login attempts: try again in 1 second"] * 5 + [WRONG_CREDENTIALS]
    assert len(verifications) == 5


# --- per account and client address ----------------------------------------------------------

async def test_a_strangers_guesses_do_not_lock_the_owner_out(
    app: Any, credentials: ClientCredentials, account: str, clock: SteppableClock,
    verifications: list[str]
) -> None:
    # Given a stranger who keeps the account's backoff going from their address, with one
    # attempt whenever the wait is over ...
    async with client_from(app, "192.0.2.66") as one, client_from(app, "198.51.100.7") as two:
        stranger, owner = Attempts(one, credentials), Attempts(two, credentials)
        for _ in range(5):
            assert await stranger.message(account, WRONG) == WRONG_CREDENTIALS
        clock.advance(seconds=1)
        assert await stranger.message(account, WRONG) == WRONG_CREDENTIALS
        assert wait_of(await stranger.message(account, PASSWORD)) == 2

        # ... the owner, from their own address, logs in at once,
        assert await owner.message(account, PASSWORD) is None
        # and their success does not release the stranger, whose guess is refused unchecked.
        assert wait_of(await stranger.message(account, PASSWORD)) == 2
        assert verifications == [WRONG] * 6 + [PASSWORD]


class TestGuessesFromManyAddresses:
    """Guesses spread over many addresses, as from a botnet: each address stays within its
    own free failures, and the account-wide count holds them back."""

    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return support.settings_for(db_url, login_account_free_failures=5)

    async def test_fifty_failed_logins_on_one_account(
        self, app: Any, credentials: ClientCredentials, account: str, clock: SteppableClock
    ) -> None:
        """Every attempt gets a userError; the wait doubles from 1 s and stops at 900 s.

        Each attempt comes from a new address, so that only the account-wide backoff is at
        work (here after 5 failures).
        """
        expected_waits = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] + [900] * 36
        addresses = (f"198.51.{i // 200}.{i % 200 + 1}" for i in range(10_000))

        async def message(password: str) -> str | None:
            async with client_from(app, next(addresses)) as client:
                return await Attempts(client, credentials).message(account, password)

        waits = []
        for failures in range(1, 51):
            assert await message(WRONG) == WRONG_CREDENTIALS
            if failures < 5:
                continue
            wait = wait_of(await message(WRONG))
            waits.append(wait)
            assert wait <= 900
            if wait > 1:
                clock.advance(seconds=wait - 1)
                assert wait_of(await message(PASSWORD)) == 1
            clock.advance(seconds=1)
        assert waits == expected_waits
        # The clock is now 900 s past the 50th failure: after any number of failures, 900 s
        # is always enough.
        assert await message(PASSWORD) is None

    async def test_parallel_guesses_cannot_slip_through_together(
        self, app: Any, credentials: ClientCredentials, account: str, verifications: list[str]
    ) -> None:
        async def message(ip: str) -> str | None:
            async with client_from(app, ip) as client:
                return await Attempts(client, credentials).message(account, WRONG)

        for i in range(4):
            assert await message(f"192.0.2.{i + 1}") == WRONG_CREDENTIALS
        told = await asyncio.gather(*(message(f"198.51.100.{i + 1}") for i in range(8)))
        assert sorted(told, key=str) == [
            "too many failed login attempts: try again in 1 second"] * 7 + [WRONG_CREDENTIALS]
        assert len(verifications) == 5

    async def test_a_success_clears_the_account_wide_count(
        self, app: Any, credentials: ClientCredentials, account: str, clock: SteppableClock
    ) -> None:
        async def message(ip: str, password: str) -> str | None:
            async with client_from(app, ip) as client:
                return await Attempts(client, credentials).message(account, password)

        for i in range(5):
            assert await message(f"192.0.2.{i + 1}", WRONG) == WRONG_CREDENTIALS
        assert wait_of(await message("198.51.100.1", PASSWORD)) == 1  # the owner waits too
        clock.advance(seconds=1)
        assert await message("198.51.100.1", PASSWORD) is None
        # The account-wide count starts over: five failures before the next wait.
        for i in range(5):
            assert await message(f"192.0.2.{i + 10}", WRONG) == WRONG_CREDENTIALS
        assert wait_of(await message("192.0.2.20", PASSWORD)) == 1


# --- per client IP ---------------------------------------------------------------------------

async def test_ten_attempts_a_minute_per_address(
    attempts: Attempts, account: str, clock: SteppableClock, runtime: Any,
    verifications: list[str]
) -> None:
    # Different e-mails, so that no account backoff takes part.
    for i in range(10):
        assert await attempts.message(f"guess{i}@centra.com", WRONG) == WRONG_CREDENTIALS
    assert len(verifications) == 10
    clock.advance(seconds=59)
    assert await attempts.message(account, PASSWORD) == IP_LIMITED
    assert await attempts.message("guess10@centra.com", WRONG) == IP_LIMITED
    assert len(verifications) == 10  # refused before the hash
    # An attempt refused for the address is not a failure of the account.
    assert not any(key == EMAIL for key, _ in await login_failures(runtime))
    assert await ip_keys(runtime) == {f"login:ip:{PEER}"}
    clock.advance(seconds=1)
    assert await attempts.message(account, PASSWORD) is None


async def test_the_address_limit_is_per_address(
    app: Any, credentials: ClientCredentials, attempts: Attempts, account: str
) -> None:
    for i in range(10):
        assert await attempts.message(f"guess{i}@centra.com", WRONG) == WRONG_CREDENTIALS
    assert await attempts.message(account, PASSWORD) == IP_LIMITED
    async with client_from(app, "203.0.113.8") as client:
        assert await Attempts(client, credentials).message(account, PASSWORD) is None


async def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(
    attempts: Attempts, account: str, runtime: Any
) -> None:
    for i in range(10):
        told = await attempts.message(f"guess{i}@centra.com", WRONG,
                                      **{"x-forwarded-for": f"198.51.100.{i + 1}"})
        assert told == WRONG_CREDENTIALS
    assert await attempts.message(account, PASSWORD,
                                  **{"x-forwarded-for": "198.51.100.99"}) == IP_LIMITED
    assert await attempts.message(account, PASSWORD,
                                  **{"x-forwarded-for": "garbage, , ::1"}) == IP_LIMITED
    assert await ip_keys(runtime) == {f"login:ip:{PEER}"}


class TestBehindATrustedProxy:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return support.settings_for(
            db_url, trusted_proxies=(ipaddress.ip_network("203.0.113.0/24"),))

    async def test_each_forwarded_address_has_its_own_limit(
        self, attempts: Attempts, account: str, runtime: Any
    ) -> None:
        shopper_ip = {"x-forwarded-for": "198.51.100.1"}
        for i in range(10):
            told = await attempts.message(f"guess{i}@centra.com", WRONG, **shopper_ip)
            assert told == WRONG_CREDENTIALS
        assert await attempts.message(account, PASSWORD, **shopper_ip) == IP_LIMITED
        assert await attempts.message(account, PASSWORD,
                                      **{"x-forwarded-for": "198.51.100.2"}) is None
        assert await ip_keys(runtime) == {"login:ip:198.51.100.1", "login:ip:198.51.100.2"}

    async def test_a_spoofed_left_part_of_the_header_does_not_help(
        self, attempts: Attempts, account: str, runtime: Any
    ) -> None:
        # The shopper sends their own X-Forwarded-For; the proxy appends the real address.
        for i in range(10):
            told = await attempts.message(
                f"guess{i}@centra.com", WRONG,
                **{"x-forwarded-for": f"10.0.0.{i}, 198.51.100.1"})
            assert told == WRONG_CREDENTIALS
        assert await attempts.message(
            account, PASSWORD, **{"x-forwarded-for": "10.9.9.9, 198.51.100.1"}) == IP_LIMITED
        assert await ip_keys(runtime) == {"login:ip:198.51.100.1"}

    async def test_a_chain_of_trusted_proxies(
        self, attempts: Attempts, account: str, runtime: Any
    ) -> None:
        # 203.0.113.9 is another of our proxies: the client is the address before it.
        for i in range(3):
            await attempts.message(f"guess{i}@centra.com", WRONG,
                                   **{"x-forwarded-for": "198.51.100.5, 203.0.113.9"})
        assert [(key, hits) for key, _, hits in await ip_rows(runtime)] == [
            ("login:ip:198.51.100.5", 3)]

    async def test_an_untrusted_peer_is_still_its_own_client(
        self, app: Any, credentials: ClientCredentials, account: str, runtime: Any
    ) -> None:
        async with client_from(app, "192.0.2.44") as client:
            stranger = Attempts(client, credentials)
            for i in range(10):
                told = await stranger.message(f"guess{i}@centra.com", WRONG,
                                              **{"x-forwarded-for": f"198.51.100.{i + 1}"})
                assert told == WRONG_CREDENTIALS
            assert await stranger.message(account, PASSWORD,
                                          **{"x-forwarded-for": "198.51.100.77"}) == IP_LIMITED
        assert await ip_keys(runtime) == {"login:ip:192.0.2.44"}


# --- counters in the database ----------------------------------------------------------------

async def test_counters_live_in_the_database(
    attempts: Attempts, account: str, clock: SteppableClock, runtime: Any
) -> None:
    start = clock.now()
    for _ in range(3):
        assert await attempts.message("Throttled@Centra.com", WRONG) == WRONG_CREDENTIALS
    assert await attempts.message("ghost@centra.com", WRONG) == WRONG_CREDENTIALS
    ghost = {("ghost@centra.com", PEER): (1, start), ("ghost@centra.com", ACCOUNT_WIDE): (1, start)}
    assert await login_failures(runtime) == {
        (EMAIL, PEER): (3, start), (EMAIL, ACCOUNT_WIDE): (3, start), **ghost}
    assert await ip_rows(runtime) == [(f"login:ip:{PEER}", start, 4)]

    clock.advance(seconds=61)
    assert await attempts.message(account, PASSWORD) is None
    # A success clears the account's failures; the unknown address keeps its own.
    assert await login_failures(runtime) == ghost
    assert await ip_rows(runtime) == [
        (f"login:ip:{PEER}", start, 4),
        (f"login:ip:{PEER}", start + dt.timedelta(minutes=1), 1),
    ]


async def test_a_second_process_sees_the_same_counters(
    settings: Settings, clock: SteppableClock, app: Any, credentials: ClientCredentials,
    account: str
) -> None:
    """Two app instances on one database (two server processes) share the counters."""
    from asgi_lifespan import LifespanManager

    from dtc_api.app import create_app

    other = create_app(settings, clock=clock)
    async with LifespanManager(other):
        async with client_from(app, PEER) as one, client_from(other, PEER) as two:
            first, second = Attempts(one, credentials), Attempts(two, credentials)
            for i in range(5):
                side = first if i % 2 else second
                assert await side.message(account, WRONG) == WRONG_CREDENTIALS
            assert wait_of(await first.message(account, PASSWORD)) == 1
            assert wait_of(await second.message(account, PASSWORD)) == 1
            for i in range(3):
                told = await (first if i % 2 else second).message(f"g{i}@centra.com", WRONG)
                assert told == WRONG_CREDENTIALS
            assert await first.message(account, PASSWORD) == IP_LIMITED
            assert await second.message(account, PASSWORD) == IP_LIMITED


# --- concurrent correct logins ---------------------------------------------------------------

class TickingClock(SteppableClock):
    """Moves on a millisecond each time it is read, as a real clock does between requests."""

    def now(self) -> dt.datetime:
        self.advance(milliseconds=1)
        return super().now()


class TestConcurrentCorrectLogins:
    @pytest.fixture
    def clock(self) -> SteppableClock:
        return TickingClock()

    async def test_a_correct_password_is_never_refused_for_lack_of_failures(
        self, app: Any, credentials: ClientCredentials, account: str, clock: SteppableClock
    ) -> None:
        # One shopper on several devices behind one address, logging in at the same moment.
        async def message() -> str | None:
            async with client_from(app, PEER) as client:
                return await Attempts(client, credentials).message(account, PASSWORD)

        for _ in range(5):
            assert await asyncio.gather(*(message() for _ in range(3))) == [None] * 3
            clock.advance(minutes=1)  # within the address's limit per minute

    async def test_a_login_while_another_is_checked_with_a_clock_behind(
        self, settings: Settings, app: Any, credentials: ClientCredentials, account: str,
        clock: SteppableClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Two server processes on one database, the second one's clock 50 ms behind: a login
        there, while the first process is checking a login of the same account from the same
        address, owes no wait."""
        from asgi_lifespan import LifespanManager

        from dtc_api.app import create_app

        checking, release = asyncio.Event(), asyncio.Event()
        runtime = app.state.runtime
        original = runtime.hasher.verify

        async def held_verify(stored: str | None, password: str) -> bool:
            checking.set()
            await release.wait()
            return bool(await original(stored, password))

        monkeypatch.setattr(runtime.hasher, "verify", held_verify)
        other = create_app(settings, clock=SteppableClock(clock.now()
                                                          - dt.timedelta(milliseconds=50)))
        async with LifespanManager(other):
            async with client_from(app, PEER) as one, client_from(other, PEER) as two:
                first = asyncio.create_task(Attempts(one, credentials).message(account,
                                                                               PASSWORD))
                await checking.wait()  # its attempt is counted until its password is checked
                try:
                    second = await Attempts(two, credentials).message(account, PASSWORD)
                finally:
                    release.set()
                assert (second, await first) == (None, None)


# --- keys of any length ----------------------------------------------------------------------

LONG = "a" * 1_000


@pytest.mark.parametrize(("value", "length", "kept"), [
    ("login:ip:203.0.113.7", 200, True),
    ("login:ip:2001:db8::/64", 200, True),
    ("x" * 200, 200, True),
    ("x" * 201, 200, False),
    (f"login:ip:{LONG}", 200, False),
    ("x" * 64, 64, True),
    ("x" * 65, 64, False),
])
def test_bounded_keeps_short_values_and_hashes_long_ones(value: str, length: int,
                                                          kept: bool) -> None:
    stored = limits.bounded(value, length)
    if kept:
        assert stored == value
    else:
        # One character longer than any value kept as it is, so the two kinds never meet.
        assert len(stored) == length + 1
        assert stored.startswith(value[:length - 64])
        assert stored.endswith(hashlib.sha256(value.encode()).hexdigest())


def test_bounded_values_stay_distinct() -> None:
    values = [LONG, LONG + "b", "b" + LONG, LONG[:-1] + "\N{SNOWMAN}", "\ud800" + LONG]
    assert len({limits.bounded(v, 200) for v in values}) == len(values)


async def test_a_key_of_any_length_is_counted(runtime: Any, clock: SteppableClock) -> None:
    window = dt.timedelta(minutes=1)
    async with runtime.db.write() as conn:
        counts = [await limits.hit(conn, f"login:ip:{LONG}", window, clock.now())
                  for _ in range(3)]
        other = await limits.hit(conn, f"login:ip:{LONG}b", window, clock.now())
    assert (counts, other) == ([1, 2, 3], 1)
    async with runtime.db.read() as conn:
        keys = (await conn.execute(sa.select(t.rate_limit_hits.c.key))).scalars().all()
    assert sorted(len(key) for key in keys if key.startswith("login:ip:a")) == [201, 201]


async def test_an_email_of_1000_characters_is_throttled_like_another(
    attempts: Attempts, runtime: Any, verifications: list[str]
) -> None:
    email = "a" * 989 + "@centra.com"
    for _ in range(5):
        assert await attempts.message(email, WRONG) == WRONG_CREDENTIALS
    assert wait_of(await attempts.message(email, PASSWORD)) == 1
    assert len(verifications) == 5
    # Another long address is another account, with its own count.
    assert await attempts.message("b" + email, WRONG) == WRONG_CREDENTIALS
    stored = await login_failures(runtime)
    assert sorted(failures for failures, _ in stored.values()) == [1, 1, 5, 5]
    assert {len(key) for key, _ in stored} == {255}
