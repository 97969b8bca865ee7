"""Outbox delivery: several workers, retries, purges, and the file sender."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import logging
import random
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dtc_api.clock import SteppableClock
from dtc_api.config import Secret, Settings
from dtc_api.jobs import loop
from dtc_api.mail import outbox
from dtc_api.mail.render import render
from dtc_api.mail.senders import FileSender
from dtc_api.services.runtime import Runtime
from dtc_api.store import tables as t
from tests.conftest import SmtpServer


async def queue(runtime: Any, count: int, now: dt.datetime) -> None:
    async with runtime.db.write() as conn:
        for n in range(count):
            message = render("password_changed", "en", {"name": f"customer {n}"})
            await outbox.enqueue(conn, "password_changed", f"c{n}@example.com", message, now)


async def deliver(runtime: Any, clock: SteppableClock) -> tuple[int, int]:
    return await outbox.deliver_due(runtime.db, runtime.mail_sender, "a@b.c", clock.now(),
                                    max_attempts=runtime.settings.mail_max_attempts)


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
            outbox.deliver_due(w.db, w.mail_sender, settings.mail_from, clock.now(),
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
    assert len(await outbox.claim(runtime.db, clock.now())) == 1  # and the worker dies
    assert await deliver(runtime, clock) == (0, 0)
    clock.advance(minutes=6)
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
    return Settings(database_url=db_url, db_pool_size=5, smtp_url=Secret(smtp_server.url),
                    argon2_memory_kib=1024, argon2_time_cost=1, mail_max_attempts=3)


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
                                        clock.now(), max_attempts=5) == (1, 0)
    [path] = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "c0@example.com"
    assert message["From"] == "shop <shop@example.com>"
    assert str(path) in caplog.text
