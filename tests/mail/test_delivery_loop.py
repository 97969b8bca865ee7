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
