"""Outbox delivery: several workers and their leases, retries, Message-IDs, purges, and the
file sender."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import logging
import random
import re
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dtc_api.clock import SteppableClock
from dtc_api.config import ConfigError, Secret, Settings
from dtc_api.jobs import loop
from dtc_api.mail import outbox
from dtc_api.mail.render import render
from dtc_api.mail.senders import FileSender
from dtc_api.runtime import Runtime
from dtc_api.store import tables as t
from tests import support
from tests.conftest import SmtpServer

LEASE = dt.timedelta(seconds=60)


async def queue(runtime: Any, count: int, now: dt.datetime) -> None:
    async with runtime.db.write() as conn:
        for n in range(count):
            message = render("password_changed", "en", {"name": f"customer {n}"})
            await outbox.enqueue(conn, "password_changed", f"c{n}@example.com", message, now)


async def deliver(runtime: Any, clock: SteppableClock) -> tuple[int, int]:
    return await outbox.deliver_due(runtime.db, runtime.mail_sender, "a@b.c", clock,
                                    lease=LEASE, max_attempts=runtime.settings.mail_max_attempts)


async def messages(runtime: Any) -> list[dict[str, Any]]:
    async with runtime.db.read() as conn:
        return [dict(r) for r in (await conn.execute(
            sa.select(t.outbox).order_by(t.outbox.c.id))).mappings()]


@pytest.mark.parametrize(("attempts", "low", "high"), [
    (1, 5, 15), (2, 10, 30), (3, 20, 60), (4, 40, 120), (9, 1280, 3840), (12, 1800, 5400),
    (30, 1800, 5400),
])
def test_retry_delay_doubles_with_jitter_and_is_capped(attempts: int, low: float,
                                                       high: float) -> None:
    rng = random.Random(attempts)
    delays = [outbox.retry_delay(attempts, rng) for _ in range(200)]
    assert low <= min(delays) and max(delays) <= high
    assert len(set(delays)) > 100  # jittered


async def test_two_workers_send_each_message_once(
    db_url: str, smtp_server: SmtpServer, runtime: Any, clock: SteppableClock
) -> None:
    await queue(runtime, 40, clock.now())
    settings = Settings(database_url=db_url, smtp_url=Secret(smtp_server.url))
    workers = [Runtime.build(settings, clock) for _ in range(2)]
    try:
        results = await asyncio.gather(*[
            outbox.deliver_due(w.db, w.mail_sender, settings.mail_from, clock, lease=LEASE,
                               max_attempts=5)
            for w in workers for _ in range(3)])
    finally:
        for worker in workers:
            await worker.db.dispose()
    assert sum(sent for sent, _ in results) == 40
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        f"c{n}@example.com" for n in range(40))


async def test_a_message_claimed_by_a_dead_worker_is_sent_later(
    smtp_server: SmtpServer, runtime: Any, clock: SteppableClock
) -> None:
    await queue(runtime, 1, clock.now())
    assert len(await outbox.claim(runtime.db, clock.now(), LEASE)) == 1  # and the worker dies
    assert await deliver(runtime, clock) == (0, 0)
    clock.advance(seconds=59)
    assert await deliver(runtime, clock) == (0, 0)
    clock.advance(seconds=1)
    assert await deliver(runtime, clock) == (1, 0)


async def test_sent_messages_are_purged_after_the_retention(
    smtp_server: SmtpServer, runtime: Any, clock: SteppableClock
) -> None:
    await queue(runtime, 2, clock.now())
    await deliver(runtime, clock)
    await queue(runtime, 1, clock.now())  # still pending
    clock.advance(days=7, seconds=1)
    await loop.run_once(runtime)
    async with runtime.db.read() as conn:
        left = (await conn.execute(sa.select(t.outbox.c.status))).scalars().all()
    assert left == ["pending"]


@pytest.fixture
def settings(db_url: str, smtp_server: SmtpServer) -> Settings:
    return support.settings_for(db_url, smtp_url=Secret(smtp_server.url), mail_max_attempts=3)


def test_default_attempts_outlast_a_day_long_outage() -> None:
    class Shortest(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return a

    # From the first attempt to the last, with every delay at its shortest.
    attempts = Settings().mail_max_attempts
    assert sum(outbox.retry_delay(n, Shortest()) for n in range(1, attempts)) > 24 * 3600


@pytest.mark.parametrize(("stage", "reply"), [
    ("refuse_recipients", "550 5.1.1 No such user"),
    ("refuse_data", "554 5.7.1 Message rejected"),
])
async def test_a_permanent_refusal_fails_the_message_at_once(
    smtp_server: SmtpServer, runtime: Any, clock: SteppableClock, stage: str, reply: str
) -> None:
    await queue(runtime, 1, clock.now())
    setattr(smtp_server, stage, reply)
    assert await deliver(runtime, clock) == (0, 1)
    [message] = await messages(runtime)
    assert (message["status"], message["attempts"], message["failed_at"]) == (
        "failed", 1, clock.now())
    assert reply in message["last_error"]
    # never tried again, even when the server would take it now
    setattr(smtp_server, stage, None)
    clock.advance(days=2)
    assert await deliver(runtime, clock) == (0, 0)
    assert smtp_server.messages == []
    # and dropped after the retention, like sent mail
    clock.advance(days=5, seconds=1)
    await loop.run_once(runtime)
    assert await messages(runtime) == []


@pytest.mark.parametrize(("stage", "reply"), [
    ("refuse_recipients", "451 4.3.0 Try again later"),
    ("refuse_data", "451 4.7.1 Greylisted"),
])
async def test_temporary_failures_are_retried_up_to_the_maximum(
    smtp_server: SmtpServer, runtime: Any, clock: SteppableClock, stage: str, reply: str
) -> None:
    await queue(runtime, 1, clock.now())
    setattr(smtp_server, stage, reply)
    for attempt in (1, 2):  # DTC_MAIL_MAX_ATTEMPTS is 3 here
        assert await deliver(runtime, clock) == (0, 1)
        [message] = await messages(runtime)
        assert (message["status"], message["attempts"]) == ("pending", attempt)
        assert message["text_body"]
        clock.advance(hours=1)
    assert await deliver(runtime, clock) == (0, 1)
    [message] = await messages(runtime)
    assert (message["status"], message["attempts"]) == ("failed", 3)
    assert "451" in message["last_error"]
    assert message["text_body"]  # no one-time link in it: kept, so it can be sent again
    clock.advance(days=1)
    assert await deliver(runtime, clock) == (0, 0)


async def test_without_smtp_mail_is_written_to_files(
    db_url: str, tmp_path: Path, clock: SteppableClock, runtime: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await queue(runtime, 1, clock.now())
    sender = FileSender(str(tmp_path / "mail"))
    with caplog.at_level(logging.INFO, logger="dtc_api.mail"):
        assert await outbox.deliver_due(runtime.db, sender, "shop <shop@example.com>",
                                        clock, lease=LEASE, max_attempts=5) == (1, 0)
    [path] = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "c0@example.com"
    assert message["From"] == "shop <shop@example.com>"
    assert str(path) in caplog.text


# --- leases -----------------------------------------------------------------------------------

class Recording:
    """A sender that runs ``before`` ahead of each message, then hands it to ``inner``."""

    def __init__(self, inner: Any, before: Callable[[EmailMessage], Awaitable[None]]) -> None:
        self.inner, self.before = inner, before
        self.sent: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.sent.append(message)
        await self.before(message)
        await self.inner.send(message)


async def stored(runtime: Any, message_id: int) -> dict[str, Any]:
    async with runtime.db.read() as conn:
        return dict((await conn.execute(sa.select(t.outbox).where(
            t.outbox.c.id == message_id))).mappings().one())


async def test_a_claim_takes_its_lease_from_the_time_of_the_claim(
    runtime: Any, clock: SteppableClock
) -> None:
    await queue(runtime, 2, clock.now())
    clock.advance(minutes=10)  # claimed late, e.g. at the end of a long pass
    [first] = await outbox.claim(runtime.db, clock.now(), LEASE, limit=1)
    row = await stored(runtime, first["id"])
    assert (row["status"], row["claimed_until"]) == ("sending", clock.now() + LEASE)
    assert row["lease"] == first["lease"] and len(first["lease"]) == 32
    [second] = await outbox.claim(runtime.db, clock.now(), LEASE, limit=1)
    assert second["id"] != first["id"] and second["lease"] != first["lease"]
    assert await outbox.claim(runtime.db, clock.now(), LEASE) == []  # both held
    clock.advance(seconds=60)
    taken = await outbox.claim(runtime.db, clock.now(), LEASE)
    assert [r["id"] for r in taken] == [first["id"], second["id"]]
    assert {r["lease"] for r in taken}.isdisjoint({first["lease"], second["lease"]})


async def test_every_message_is_sent_under_a_full_lease_however_long_the_pass(
    smtp_server: SmtpServer, runtime: Any, clock: SteppableClock
) -> None:
    await queue(runtime, 5, clock.now())
    left: list[dt.timedelta] = []

    async def slow(message: EmailMessage) -> None:
        row = await stored(runtime, int(message["X-Outbox-Id"]))
        left.append(row["claimed_until"] - clock.now())
        clock.advance(seconds=50)  # the pass lasts 250 s, four leases

    sender = Recording(runtime.mail_sender, slow)
    assert await outbox.deliver_due(runtime.db, sender, "a@b.c", clock, lease=LEASE,
                                    max_attempts=3) == (5, 0)
    assert left == [LEASE] * 5
    assert sorted(m["To"] for m in smtp_server.messages) == [f"c{n}@example.com"
                                                             for n in range(5)]


async def send(runtime: Any, rows: list[dict[str, Any]], clock: SteppableClock,
               sender: Any = None) -> tuple[int, int]:
    return await outbox.send_claimed(runtime.db, sender or runtime.mail_sender, "a@b.c", rows,
                                     clock, lease=LEASE, max_attempts=3)


async def test_a_message_whose_lease_was_taken_over_is_not_sent_by_its_first_holder(
    smtp_server: SmtpServer, runtime: Any, clock: SteppableClock
) -> None:
    await queue(runtime, 2, clock.now())
    first = await outbox.claim(runtime.db, clock.now(), LEASE)  # and the worker stalls
    clock.advance(seconds=61)
    second = await outbox.claim(runtime.db, clock.now(), LEASE)
    assert [r["id"] for r in second] == [r["id"] for r in first]
    assert await send(runtime, first, clock) == (0, 0)  # the stalled worker wakes up
    assert smtp_server.messages == []
    assert [(await stored(runtime, r["id"]))["lease"] for r in first] == [
        second[0]["lease"]] * 2  # untouched by the first holder
    assert await send(runtime, second, clock) == (2, 0)
    assert sorted(m["To"] for m in smtp_server.messages) == ["c0@example.com",
                                                             "c1@example.com"]
    assert [m["status"] for m in await messages(runtime)] == ["sent", "sent"]


async def test_a_lapsed_lease_that_no_one_took_is_still_its_holders(
    smtp_server: SmtpServer, runtime: Any, clock: SteppableClock
) -> None:
    await queue(runtime, 1, clock.now())
    rows = await outbox.claim(runtime.db, clock.now(), LEASE)
    clock.advance(minutes=5)
    assert await send(runtime, rows, clock) == (1, 0)
    assert await outbox.claim(runtime.db, clock.now(), LEASE) == []
    assert len(smtp_server.messages) == 1


async def test_a_pass_longer_than_the_lease_does_not_let_a_second_deliverer_send_twice(
    smtp_server: SmtpServer, settings: Settings, runtime: Any, clock: SteppableClock
) -> None:
    # Given worker A, whose messages take 40 s each, and worker B, which runs a whole pass
    # while A sends its second message (80 s into A's pass: A's third claim has lapsed)
    await queue(runtime, 6, clock.now())
    other = Runtime.build(settings, clock)
    b_counts: list[tuple[int, int]] = []

    async def slow(message: EmailMessage) -> None:
        clock.advance(seconds=40)
        if len(a.sent) == 2:
            b_counts.append(await outbox.deliver_due(
                other.db, other.mail_sender, "a@b.c", clock, lease=LEASE, max_attempts=3))

    a = Recording(runtime.mail_sender, slow)
    try:
        a_counts = await outbox.deliver_due(runtime.db, a, "a@b.c", clock, lease=LEASE,
                                            max_attempts=3)
    finally:
        await other.db.dispose()
    # then B took the third message and A, finding its lease gone, left it to B
    assert (a_counts, b_counts) == ((2, 0), [(4, 0)])
    assert [m["To"] for m in a.sent] == ["c0@example.com", "c1@example.com"]
    assert sorted(m["To"] for m in smtp_server.messages) == [f"c{n}@example.com"
                                                             for n in range(6)]
    assert {m["status"] for m in await messages(runtime)} == {"sent"}


# --- Message-IDs ------------------------------------------------------------------------------

MESSAGE_ID = re.compile(r"<outbox-(\d+)\.[0-9a-f]{24}@example\.com>")
FROM = "shop <shop@example.com>"


async def test_a_copy_sent_again_after_a_crash_has_the_same_message_id(
    smtp_server: SmtpServer, runtime: Any, clock: SteppableClock
) -> None:
    await queue(runtime, 2, clock.now())
    [crashed, _] = await outbox.claim(runtime.db, clock.now(), LEASE)
    # The server accepts the first message; the worker dies before recording it.
    await runtime.mail_sender.send(outbox.build(crashed, FROM))
    clock.advance(seconds=60)
    assert await outbox.deliver_due(runtime.db, runtime.mail_sender, FROM, clock, lease=LEASE,
                                    max_attempts=3) == (2, 0)
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]
    outbox_ids = [match.group(1) for i in ids if (match := MESSAGE_ID.fullmatch(i))]
    assert outbox_ids == [str(crashed["id"])] * 2 + [str(crashed["id"] + 1)]


async def test_the_message_id_is_the_same_on_a_retry(
    smtp_server: SmtpServer, runtime: Any, clock: SteppableClock
) -> None:
    await queue(runtime, 1, clock.now())

    async def nothing(_: EmailMessage) -> None:
        return None

    sender = Recording(runtime.mail_sender, nothing)
    smtp_server.refuse_data = "451 4.7.1 Greylisted"
    assert await outbox.deliver_due(runtime.db, sender, FROM, clock, lease=LEASE,
                                    max_attempts=3) == (0, 1)
    smtp_server.refuse_data = None
    clock.advance(hours=1)
    assert await outbox.deliver_due(runtime.db, sender, FROM, clock, lease=LEASE,
                                    max_attempts=3) == (1, 0)
    first, second = (m["Message-ID"] for m in sender.sent)
    assert first == second == smtp_server.messages[0]["Message-ID"]
    assert MESSAGE_ID.fullmatch(first)


def test_message_keys_differ_across_databases_and_reused_ids() -> None:
    created = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    row = {"id": 7, "created_at": created}
    key = outbox.message_key(b"a" * 32, row)
    assert key == outbox.message_key(b"a" * 32, dict(row))
    assert key != outbox.message_key(b"b" * 32, row)  # another database
    assert key != outbox.message_key(b"a" * 32, {**row, "id": 8})
    # the same id again, e.g. after a backup was restored: another message, another key
    assert key != outbox.message_key(b"a" * 32, {**row, "created_at": created
                                                 + dt.timedelta(microseconds=1)})


@pytest.mark.parametrize(("sender", "domain"), [
    ("shop <shop@example.com>", "example.com"),
    ("orders@shop.example", "shop.example"),
    ("dtc-api", "localhost"),
])
def test_the_message_id_names_the_senders_domain(sender: str, domain: str) -> None:
    row = {"id": 3, "message_key": "k" * 24, "recipient": "c@example.com", "subject": "s",
           "text_body": "t", "html_body": "<p>h</p>"}
    assert outbox.build(row, sender)["Message-ID"] == f"<outbox-3.{'k' * 24}@{domain}>"


@pytest.mark.parametrize(("environ", "error"), [
    ({}, None),
    ({"DTC_MAIL_LEASE": "31"}, None),
    ({"DTC_MAIL_LEASE": "30"}, "DTC_MAIL_LEASE must be longer than DTC_SMTP_TIMEOUT"),
    ({"DTC_SMTP_TIMEOUT": "90"}, "DTC_MAIL_LEASE must be longer than DTC_SMTP_TIMEOUT"),
    ({"DTC_MAIL_LEASE": "2", "DTC_SMTP_TIMEOUT": "1.5"}, None),
    ({"DTC_MAIL_LEASE": "0"}, "mail_lease must be positive"),
])
def test_the_lease_must_outlast_an_smtp_exchange(environ: dict[str, str],
                                                 error: str | None) -> None:
    if error is None:
        lease = float(environ.get("DTC_MAIL_LEASE", 60))
        assert Settings.from_env(environ).mail_lease == lease
    else:
        with pytest.raises(ConfigError, match=error):
            Settings.from_env(environ)
