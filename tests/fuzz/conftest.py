"""Fixtures for fuzzing: Hypothesis settings, app settings that let requests reach past the
abuse limits, the app's error log, and the endpoints with their callers."""

from __future__ import annotations

import dataclasses
import faulthandler
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import httpx
import pytest
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from dtc_api.access import integration_keys
from dtc_api.access.clients import ClientCredentials
from dtc_api.clock import SteppableClock
from dtc_api.config import Settings
from tests.fuzz.endpoint import Endpoint, ServerLog, bearer
from tests.fuzz.shoppers import Storefront
from tests.support import GRAPHQL

UNLIMITED = 1_000_000
BACK_OFFICE = "/integration/graphql"


def fuzz(examples: int) -> hypothesis_settings:
    """Hypothesis settings for a test that sends ``examples`` generated requests.

    Examples within one test share its app and database (the fixtures are made once per
    test). Derandomized: the same code is sent the same requests on every run, so that a
    failure in CI can be run again.
    """
    return hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        # Explaining a failure replays variations of it: minutes, for little more than the
        # shrunk request and the app's traceback already say.
        phases=[phase for phase in Phase if phase is not Phase.explain],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    # Every per-IP and per-account limit would otherwise answer most requests of a test
    # before its resolver runs.
    limits = {f.name: UNLIMITED for f in dataclasses.fields(Settings)
              if f.name.endswith(("_ip_limit", "_account_limit"))}
    # Every generated query is answered by its compiled plan and by graphql-core, and the
    # answers must be the same bytes (a difference fails the request).
    return Settings(database_url=db_url, db_pool_size=5, argon2_memory_kib=1024,
                    argon2_time_cost=1, mail_dir=str(tmp_path / "mail"),
                    compiled_execution="verify", **limits)


@pytest.fixture
def server_log() -> Iterator[ServerLog]:
    handler = ServerLog()
    logger = logging.getLogger("dtc_api")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
def watchdog(capsys: pytest.CaptureFixture[str]) -> Iterator[TextIO]:
    """The terminal's standard error, for the watchdog of ``Endpoint.send``."""
    with capsys.disabled():
        stream = os.fdopen(os.dup(2), "w")
    yield stream
    faulthandler.cancel_dump_traceback_later()
    stream.close()


@pytest.fixture
async def storefront(http: httpx.AsyncClient, credentials: ClientCredentials,
                     server_log: ServerLog, watchdog: TextIO) -> Storefront:
    shop = Storefront(Endpoint(http, GRAPHQL, server_log, watchdog), credentials)
    await shop.start()
    return shop


@pytest.fixture
async def customer(storefront: Storefront) -> Storefront:
    await storefront.log_in()
    return storefront


@pytest.fixture
async def back_office(http: httpx.AsyncClient, runtime: Any, clock: SteppableClock,
                      server_log: ServerLog, watchdog: TextIO
                      ) -> tuple[Endpoint, dict[str, str]]:
    """The back-office endpoint and the headers of a write key."""
    async with runtime.db.write() as conn:
        key = await integration_keys.create(conn, "fuzz", "write", clock.now())
    return Endpoint(http, BACK_OFFICE, server_log, watchdog), bearer(key)
