"""The background job loop: runs each job every interval; one failing job never stops the rest."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from dtc_api.services import selections, sessions, throttle
from dtc_api.services.runtime import Runtime

log = logging.getLogger("dtc_api.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Runtime], Awaitable[int]]


async def purge_sessions(runtime: Runtime) -> int:
    async with runtime.db.write() as conn:
        return await sessions.purge_expired(conn, runtime.session_policy, runtime.clock.now())


async def purge_selections(runtime: Runtime) -> int:
    async with runtime.db.write() as conn:
        return await selections.purge_expired(conn, runtime.selection_policy, runtime.clock.now())


async def purge_throttle_counters(runtime: Runtime) -> int:
    async with runtime.db.write() as conn:
        return await throttle.purge(conn, runtime.login_throttle, runtime.clock.now())


JOBS: Sequence[Job] = (Job("purge-sessions", purge_sessions),
                       Job("purge-selections", purge_selections),
                       Job("purge-throttle-counters", purge_throttle_counters))


async def run_once(runtime: Runtime, jobs: Sequence[Job] = JOBS) -> dict[str, int]:
    done = {}
    for job in jobs:
        try:
            done[job.name] = await job.run(runtime)
        except Exception:
            log.exception("job failed", extra={"job": job.name})
    return done


async def run_forever(runtime: Runtime, jobs: Sequence[Job] = JOBS) -> None:
    while True:
        counts = await run_once(runtime, jobs)
        if any(counts.values()):
            log.info("jobs ran", extra={"counts": counts})
        await asyncio.sleep(runtime.settings.job_interval)
