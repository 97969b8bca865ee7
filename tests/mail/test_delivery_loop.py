"""The delivery loop and the periodic jobs while the database cannot be reached: the outage
is told once per interval, not a traceback per poll; any other failure keeps its traceback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from dtc_api.clock import SteppableClock
from dtc_api.config import Settings
from dtc_api.jobs import loop
from dtc_api.runtime import Runtime
from tests import support


@pytest.fixture
def unreachable() -> Iterator[Runtime]:
    """A runtime whose PostgreSQL refuses every connection (nothing listens on its port)."""
    settings = Settings(database_url=f"postgresql://dtc@127.0.0.1:{support.free_port()}/dtc",
                        mail_poll_interval=0.01, job_interval=0.01)
    yield Runtime.build(settings, SteppableClock())


async def test_an_unreachable_database_is_one_log_line_not_a_traceback_per_poll(
    unreachable: Runtime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    outage = unreachable.db.outage
    refused: list[BaseException] = []
    tell = outage.refused

    def counted(error: BaseException) -> None:
        refused.append(error)
        tell(error)

    monkeypatch.setattr(outage, "refused", counted)
    with caplog.at_level(logging.INFO):
        jobs = asyncio.create_task(loop.run_forever(unreachable))
        await asyncio.sleep(1.0)  # some 100 polls of the outbox, 100 runs of the jobs
        jobs.cancel()
        with pytest.raises(asyncio.CancelledError):
            await jobs
    await unreachable.db.dispose()
    assert outage.ongoing
    assert len(refused) > 100  # every poll and job run was counted ...
    [record] = caplog.records  # ... and told once
    assert record.getMessage().startswith("database unreachable (")
    assert record.exc_info is None


async def test_a_job_failing_otherwise_keeps_its_traceback(
    unreachable: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_: Runtime) -> int:
        raise RuntimeError("a bug")

    async def fine(_: Runtime) -> int:
        return 3

    with caplog.at_level(logging.INFO):
        done = await loop.run_once(unreachable, [loop.Job("broken", broken),
                                                 loop.Job("fine", fine)])
    assert done == {"fine": 3}
    [record] = caplog.records
    assert record.getMessage() == "job failed"
    assert record.__dict__["job"] == "broken"
    assert record.exc_info and isinstance(record.exc_info[1], RuntimeError)


async def test_a_turn_says_which_jobs_failed_and_still_runs_the_rest(
    unreachable: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_: Runtime) -> int:
        raise RuntimeError("a bug")

    async def fine(_: Runtime) -> int:
        return 1

    jobs = [loop.Job("broken", broken), loop.Job("fine", fine, "tidied {n} thing{s}")]
    with caplog.at_level(logging.INFO):
        done = await loop.turn(unreachable, jobs)
    await unreachable.db.dispose()
    assert done.failed == ["broken", "mail"]  # mail: the database cannot be reached
    assert done.lines(jobs) == ["broken: failed (see the log)", "fine: tidied 1 thing",
                                "mail: delivery failed (see the log)"]
    assert done.as_json() == {"fine": 1, "mail-sent": 0, "mail-failed": 0,
                              "failed": ["broken", "mail"]}


@pytest.mark.parametrize(("sent", "failed", "said"), [
    (0, 0, "mail: sent 0 e-mails"),
    (1, 0, "mail: sent 1 e-mail"),
    (1_200, 1, "mail: sent 1,200 e-mails; 1 attempt failed (retried later, or given up: "
               "see the log)"),
    (3, 2, "mail: sent 3 e-mails; 2 attempts failed (retried later, or given up: see the log)"),
])
def test_a_turn_s_mail_in_words(sent: int, failed: int, said: str) -> None:
    turn = loop.Turn({"purge-sessions": 1}, sent, failed, [])
    assert turn.lines() == [
        "purge-sessions: purged 1 expired session",
        *(f"{job.name}: failed (see the log)" for job in loop.JOBS[1:]), said]
