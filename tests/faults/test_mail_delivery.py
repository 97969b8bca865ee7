"""Mail delivery with real processes: `dtc-api serve` and two `dtc-api worker`s empty one outbox
through a slow SMTP server, each message arriving once; a worker killed while it sends loses
nothing, and the copy it causes carries the first one's Message-ID; a database outage is told
in a few lines and the mail goes out when the database is back."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import email.policy
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from dtc_api.clock import SystemClock
from dtc_api.config import Secret, Settings
from dtc_api.jobs import loop
from dtc_api.mail import outbox
from dtc_api.mail.render import render
from dtc_api.runtime import Runtime
from dtc_api.store import tables as t
from dtc_api.store.db import Database
from tests.conftest import SmtpServer
from tests.faults.support import CuttableProxy, free_port, serve, stop

LEASE = 3.0  # seconds: short, so that a lease running out shows within the test
SMTP_DELAY = 0.4  # seconds the server takes to accept each message
SUBSCRIBE = """
mutation($input: BackInStockSubscribeInput!) {
  backInStockSubscribe(input: $input) { subscribed userErrors { message path } }
}
"""


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic()
    message_id: str
    to: str


class SlowSink:
    """A real SMTP server (aiosmtpd, on its own thread) that takes ``delay`` seconds to accept
    each message. A message counts as received once the server has it whole, before it
    answers: a client killed during the wait has handed it over, as to a real server."""

    def __init__(self, delay: float) -> None:
        self.port = free_port()
        self.delay = delay
        self.received: list[Received] = []
        self.busy: list[float] = []  # when each message being accepted right now arrived
        self.peak = 0  # most messages accepted at once
        self._lock = threading.Lock()
        self._controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        arrived = time.monotonic()
        with self._lock:
            self.received.append(Received(arrived, message["Message-ID"], message["To"]))
            self.busy.append(arrived)
            self.peak = max(self.peak, len(self.busy))
        try:
            await asyncio.sleep(self.delay)
        finally:
            with self._lock:
                self.busy.remove(arrived)
        return "250 Message accepted for delivery"

    def snapshot(self) -> tuple[list[Received], list[float]]:
        with self._lock:
            return list(self.received), list(self.busy)

    def __enter__(self) -> SlowSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._controller.stop()


def _environment(database_url: str, work: Path, sink: SlowSink) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DTC_")}
    environment.update(
        DTC_DATABASE_URL=database_url, DTC_SMTP_URL=sink.url,
        DTC_MAIL_FROM="shop <shop@example.com>", DTC_MAIL_LEASE=str(LEASE),
        DTC_SMTP_TIMEOUT="2", DTC_MAIL_POLL_INTERVAL="0.2", DTC_MAIL_DIR=str(work / "mail"),
        DTC_ARGON2_MEMORY_KIB="1024", DTC_ARGON2_TIME_COST="1",
    )
    return environment


@contextlib.contextmanager
def worker(name: str, environment: dict[str, str], work: Path
           ) -> Iterator[subprocess.Popen[bytes]]:
    """`dtc-api worker`, its output in ``work/<name>.log``; stopped (SIGTERM) at the end."""
    with (work / f"{name}.log").open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "dtc_api.cli", "worker"],
                                   stdout=out, stderr=subprocess.STDOUT, env=environment,
                                   cwd=work)
    try:
        yield process
    finally:
        stop(process)


def _logs(work: Path) -> str:
    return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')}"
                     for path in sorted(work.glob("*.log")))


async def _statuses(db: Database) -> Counter[str]:
    async with db.read() as conn:
        return Counter((await conn.execute(sa.select(t.outbox.c.status))).scalars())


async def _until_all_sent(db: Database, count: int, seconds: float, work: Path) -> None:
    deadline = time.monotonic() + seconds
    while (statuses := await _statuses(db)) != {"sent": count}:
        assert time.monotonic() < deadline, f"{statuses}\n{_logs(work)}"
        await asyncio.sleep(0.2)


def _subscribe(base: str, session_token: str, emails: list[str]) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        token = session_token
        for address in emails:
            answer = client.post("/graphql", headers={"authorization": f"Bearer {token}"},
                                 json={"query": SUBSCRIBE, "variables": {"input": {
                                     "email": address, "item": "10-1",
                                     "shipTo": {"countryCode": "SE"}}}}).json()
            assert answer["data"]["backInStockSubscribe"]["subscribed"] is True, answer
            token = answer["extensions"]["token"]


async def test_three_delivery_processes_send_every_message_once(
    db_url: str, tmp_path: Path
) -> None:
    emails = [f"shopper{n}@example.com" for n in range(48)]
    with SlowSink(SMTP_DELAY) as sink:
        environment = _environment(db_url, tmp_path, sink)
        db = Database(db_url, pool_size=1)
        try:
            with worker("worker-1", environment, tmp_path), \
                    worker("worker-2", environment, tmp_path), \
                    serve(db_url, tmp_path, args=(), env={
                        **{k: v for k, v in environment.items() if k.startswith("DTC_")},
                        "DTC_BACK_IN_STOCK_IP_LIMIT": "1000"}) as served:
                _subscribe(served.base, served.session_token, emails)
                # Given 48 back-in-stock e-mails queued at once by a restock
                restock = await asyncio.to_thread(
                    subprocess.run,
                    [sys.executable, "-m", "dtc_api.cli", "stock", "set", "10-1", "5"],
                    env=environment, cwd=tmp_path, capture_output=True, text=True,
                    timeout=60, check=False)
                started = time.monotonic()
                assert "48 back-in-stock e-mails queued" in restock.stdout, restock
                # when three processes deliver them through a server slower than the lease
                # allows for a whole pass (48 x 0.4 s of SMTP, 3 s leases)
                await _until_all_sent(db, 48, 40, tmp_path)
                took = time.monotonic() - started
                await asyncio.sleep(2 * LEASE)  # time for a lapsed lease to cause a copy
                received, _ = sink.snapshot()
                statuses = await _statuses(db)
                async with db.read() as conn:
                    attempts = set((await conn.execute(
                        sa.select(t.outbox.c.attempts))).scalars())
        finally:
            await db.dispose()
    # then every message arrived exactly once, and the outbox says so
    logs = _logs(tmp_path)
    assert statuses == {"sent": 48} and attempts == {1}, logs
    assert Counter(r.message_id for r in received).most_common(1)[0][1] == 1, received
    assert sorted(r.to for r in received) == sorted(emails), logs
    # ... sent side by side, which a single process could not have done in the time
    assert sink.peak >= 2, logs
    assert took < 48 * SMTP_DELAY, (took, logs)
    assert "Traceback" not in logs


async def _queue(db_url: str, count: int) -> list[str]:
    db = Database(db_url, pool_size=1)
    recipients = [f"c{n}@example.com" for n in range(count)]
    try:
        async with db.write() as conn:
            await outbox.enqueue_many(conn, "password_changed", [
                (address, render("password_changed", "en", {"name": address}))
                for address in recipients], dt.datetime.now(dt.UTC))
    finally:
        await db.dispose()
    return recipients


async def test_a_worker_killed_while_sending_loses_nothing_and_its_copy_keeps_the_message_id(
    db_url: str, tmp_path: Path
) -> None:
    recipients = await _queue(db_url, 20)
    db = Database(db_url, pool_size=1)
    with SlowSink(0.5) as sink:
        environment = _environment(db_url, tmp_path, sink)
        try:
            # Given a worker killed (SIGKILL) while the server accepts its third message
            with worker("doomed", environment, tmp_path) as doomed:
                deadline = time.monotonic() + 30
                while True:
                    received, busy = sink.snapshot()
                    now = time.monotonic()
                    if len(received) >= 3 and busy and now - busy[0] < 0.25:
                        doomed.send_signal(signal.SIGKILL)
                        break
                    assert time.monotonic() < deadline, _logs(tmp_path)
                    await asyncio.sleep(0.01)
                doomed.wait()
                in_flight = received[-1]
            # when another worker starts
            with worker("successor", environment, tmp_path):
                await _until_all_sent(db, 20, 40, tmp_path)
                await asyncio.sleep(LEASE)
                received, _ = sink.snapshot()
                statuses = await _statuses(db)
        finally:
            await db.dispose()
    # then nothing was lost; the message in flight was sent again, once the lease ran out,
    # with the Message-ID of the copy the server had already accepted; nothing else twice
    logs = _logs(tmp_path)
    assert statuses == {"sent": 20}, logs
    assert sorted(set(r.to for r in received)) == sorted(recipients)
    copies = [r for r in received if r.to == in_flight.to]
    assert [c.message_id for c in copies] == [in_flight.message_id] * 2, received
    assert Counter(r.message_id for r in received if r.to != in_flight.to).most_common(1)[0][
        1] == 1, received
    assert len(received) == 21
    # (the lease was renewed just before the first copy's SMTP exchange began)
    assert LEASE - 1 <= copies[1].at - copies[0].at <= LEASE + 15, copies


async def test_mail_waits_out_a_database_outage_told_in_a_few_lines(
    db_url: str, proxy: CuttableProxy, smtp_server: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxied = make_url(db_url).set(host="127.0.0.1", port=proxy.port)
    settings = Settings(database_url=proxied.render_as_string(hide_password=False),
                        smtp_url=Secret(smtp_server.url), mail_poll_interval=0.05,
                        db_pool_size=2)
    runtime = Runtime.build(settings, SystemClock())
    loop_ = asyncio.get_running_loop()
    with caplog.at_level(logging.INFO, logger="dtc_api"):
        delivery = asyncio.create_task(loop.deliver_mail(runtime))
        try:
            await asyncio.sleep(0.3)
            await loop_.run_in_executor(None, proxy.cut)
            await asyncio.sleep(1.5)  # some 30 polls of an unreachable database
            await _queue(db_url, 1)
            await loop_.run_in_executor(None, proxy.restore)
            deadline = time.monotonic() + 10
            while not smtp_server.messages:
                assert time.monotonic() < deadline, caplog.text
                await asyncio.sleep(0.05)
            # The pass that sent it ends (and notes the recovery) a moment after SMTP has it.
            while "database reachable again" not in caplog.text:
                assert time.monotonic() < deadline, caplog.text
                await asyncio.sleep(0.05)
        finally:
            delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await delivery
            await runtime.db.dispose()
    assert [m["To"] for m in smtp_server.messages] == ["c0@example.com"]
    lines = [r for r in caplog.records if r.name.startswith("dtc_api")]
    assert [r.getMessage().split(" (")[0].split(" after")[0] for r in lines] == [
        "database unreachable", "database reachable again"], caplog.text
    assert not any(r.exc_info for r in lines)
