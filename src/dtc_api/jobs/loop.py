"""The background job loop: runs each job every interval; one failing job never stops the rest."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dtc_api.access import sessions
from dtc_api.accounts import password_reset, throttle
from dtc_api.checkout import usecases as checkout
from dtc_api.core import limits
from dtc_api.mail import outbox
from dtc_api.runtime import Runtime
from dtc_api.shop import selections
from dtc_api.store.availability import unreachable

log = logging.getLogger("dtc_api.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Runtime], Awaitable[int]]
    # What a run did, in words, from the count it returns: "purged {n} expired session{s}".
    says: str = "{n} done"

    def said(self, count: int) -> str:
        return self.says.format(n=f"{count:,}", s="" if count == 1 else "s")


async def purge_sessions(runtime: Runtime) -> int:
    async with runtime.db.write() as conn:
        return await sessions.purge_expired(conn, runtime.session_policy, runtime.clock.now())


async def purge_selections(runtime: Runtime) -> int:
    async with runtime.db.write() as conn:
        return await selections.purge_expired(conn, runtime.selection_policy, runtime.clock.now())


async def purge_throttle_counters(runtime: Runtime) -> int:
    async with runtime.db.write() as conn:
        now = runtime.clock.now()
        return (await limits.purge(conn, now)
                + await throttle.purge(conn, runtime.login_throttle, now))


async def purge_reset_links(runtime: Runtime) -> int:
    async with runtime.db.write() as conn:
        return await password_reset.purge_expired(conn, runtime.clock.now())


async def expire_payments(runtime: Runtime) -> int:
    """Payments left unfinished past their time give their stock back."""
    return await checkout.expire_payments(runtime.db, runtime.clock.now())


async def purge_finished_mail(runtime: Runtime) -> int:
    retention = dt.timedelta(seconds=runtime.settings.outbox_retention)
    async with runtime.db.write() as conn:
        return await outbox.purge_finished(conn, retention, runtime.clock.now())


async def deliver_mail_once(runtime: Runtime) -> tuple[int, int]:
    """Queue the e-mails of recorded requests, then send what is due: (sent, failed)."""
    await password_reset.process_requests(runtime)
    return await outbox.deliver_due(runtime.db, runtime.mail_sender,
                                    runtime.settings.mail_from, runtime.clock,
                                    lease=dt.timedelta(seconds=runtime.settings.mail_lease),
                                    max_attempts=runtime.settings.mail_max_attempts)


async def deliver_mail(runtime: Runtime) -> None:
    """The delivery loop, every DTC_MAIL_POLL_INTERVAL seconds."""
    while True:
        try:
            await deliver_mail_once(runtime)
        except Exception as error:
            _failed(runtime, error, "mail delivery failed; continuing")
        else:
            runtime.db.outage.served()
        await asyncio.sleep(runtime.settings.mail_poll_interval)


def _failed(runtime: Runtime, error: Exception, message: str, **extra: str) -> None:
    """An unreachable database goes to the outage log (a line per interval while it lasts,
    however often the jobs poll); anything else is logged with its traceback."""
    if unreachable(error):
        runtime.db.outage.refused(error)
    else:
        log.exception(message, extra=extra)


JOBS: Sequence[Job] = (
    Job("purge-sessions", purge_sessions, "purged {n} expired session{s}"),
    Job("purge-selections", purge_selections, "purged {n} abandoned selection{s}"),
    Job("purge-throttle-counters", purge_throttle_counters,
        "purged {n} old rate-limit counter{s}"),
    Job("purge-reset-links", purge_reset_links, "purged {n} expired password-reset link{s}"),
    Job("purge-finished-mail", purge_finished_mail,
        "deleted {n} sent or failed e-mail{s} past DTC_OUTBOX_RETENTION"),
    Job("expire-payments", expire_payments,
        "expired {n} unfinished payment{s}, their stock returned"),
)


async def run_once(runtime: Runtime, jobs: Sequence[Job] = JOBS) -> dict[str, int]:
    done = {}
    for job in jobs:
        try:
            done[job.name] = await job.run(runtime)
        except Exception as error:
            _failed(runtime, error, "job failed", job=job.name)
        else:
            runtime.db.outage.served()
    return done


@dataclass(frozen=True)
class Turn:
    """What one turn of every job and of mail delivery did (``dtc-api worker --once``)."""

    counts: dict[str, int]  # records per job that ran
    sent: int
    attempts_failed: int  # each is retried later, or given up (see the log)
    failed: list[str]  # jobs that failed (see the log), "mail" among them

    def lines(self, jobs: Sequence[Job] = JOBS) -> list[str]:
        """The turn in words, a line per job."""
        said = [f"{job.name}: {job.said(self.counts[job.name])}" if job.name in self.counts
                else f"{job.name}: failed (see the log)" for job in jobs]
        if "mail" in self.failed:
            return [*said, "mail: delivery failed (see the log)"]
        mail = f"mail: sent {self.sent:,} e-mail{'' if self.sent == 1 else 's'}"
        if self.attempts_failed:
            mail += (f"; {self.attempts_failed:,} attempt"
                     f"{' failed' if self.attempts_failed == 1 else 's failed'} "
                     "(retried later, or given up: see the log)")
        return [*said, mail]

    def as_json(self) -> dict[str, Any]:
        return {**self.counts, "mail-sent": self.sent, "mail-failed": self.attempts_failed,
                "failed": self.failed}


async def turn(runtime: Runtime, jobs: Sequence[Job] = JOBS) -> Turn:
    """Every job once, then mail delivery once; a failure is logged and reported, and the
    rest still run."""
    counts = await run_once(runtime, jobs)
    failed = [job.name for job in jobs if job.name not in counts]
    sent = attempts_failed = 0
    try:
        sent, attempts_failed = await deliver_mail_once(runtime)
    except Exception as error:
        _failed(runtime, error, "mail delivery failed")
        failed.append("mail")
    return Turn(counts, sent, attempts_failed, failed)


async def run_forever(runtime: Runtime, jobs: Sequence[Job] = JOBS) -> None:
    """The periodic jobs, and mail delivery beside them."""
    mail = asyncio.create_task(deliver_mail(runtime))
    try:
        await _periodic(runtime, jobs)
    finally:
        mail.cancel()


async def _periodic(runtime: Runtime, jobs: Sequence[Job]) -> None:
    while True:
        counts = await run_once(runtime, jobs)
        if any(counts.values()):
            log.info("jobs ran", extra={"counts": counts})
        await asyncio.sleep(runtime.settings.job_interval)
