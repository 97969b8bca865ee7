"""Fixtures: a fresh database per test on each backend, the app, and a shopper client.

Every test that takes ``db_url`` (directly or through the app fixtures) runs once per backend:
SQLite always, PostgreSQL when DTC_TEST_POSTGRES_URL names a server we may create databases on.
The backend is part of the test id, e.g. ``test_add_item[postgresql]``.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import os
import queue
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import event
from sqlalchemy.engine import make_url

from dtc_api import demo
from dtc_api.access import clients, integration_keys
from dtc_api.access.clients import ClientCredentials
from dtc_api.app import create_app
from dtc_api.clock import SteppableClock
from dtc_api.config import Settings
from dtc_api.store import reads
from dtc_api.store.db import Database
from dtc_api.store.migrate import upgrade
from tests import support
from tests.support import Shopper

POSTGRES_URL = os.environ.get("DTC_TEST_POSTGRES_URL")
_counter = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and callspec.params.get("backend") == "postgresql":
            item.add_marker(pytest.mark.postgresql)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not POSTGRES_URL:
        pytest.skip("DTC_TEST_POSTGRES_URL is not set")
    return str(request.param)


async def _prepare(url: str) -> None:
    db = Database(url, pool_size=1)
    try:
        await upgrade(db)
        await demo.load(db, SteppableClock())
    finally:
        await db.dispose()


def _pg(database: str) -> str:
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(_pg("postgres").replace("postgresql://", "postgres://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with the demo data, copied for each test."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        asyncio.run(_prepare(f"sqlite:///{path}"))
        yield str(path)
        return
    name = f"dtc_test_template_{os.getpid()}"
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    asyncio.run(_admin(f"CREATE DATABASE {name}"))
    asyncio.run(_prepare(_pg(name)))
    yield name
    asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


class DatabaseSupply:
    """Copies of the PostgreSQL template, made ahead in a background thread.

    Copying a database takes about half a second, as long as a test: making the next ones
    while a test runs (and dropping used ones) takes that time off the suite.
    """

    def __init__(self, template: str, ahead: int = 3, makers: int = 2) -> None:
        self._template = template
        self._ready: queue.Queue[str] = queue.Queue(maxsize=ahead)
        self._used: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        # A copy spends much of its time waiting on the server: two at once keep up with
        # the quick tests.
        self._threads = [threading.Thread(target=lambda: asyncio.run(self._work()), daemon=True)
                         for _ in range(makers)]
        for thread in self._threads:
            thread.start()

    def take(self) -> str:
        return self._ready.get(timeout=60)

    def give_back(self, name: str) -> None:
        self._used.put(name)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        while not self._ready.empty():
            self._used.put(self._ready.get())
        asyncio.run(self._drop_used())

    async def _work(self) -> None:
        made = None
        while not self._stop.is_set():
            await self._drop_used()
            if made is None:
                made = f"dtc_test_{os.getpid()}_{next(_counter)}"
                await _admin(f"CREATE DATABASE {made} TEMPLATE {self._template}")
            try:
                self._ready.put(made, timeout=0.05)
                made = None
            except queue.Full:
                continue
        if made is not None:
            self._used.put(made)

    async def _drop_used(self) -> None:
        while True:
            try:
                name = self._used.get_nowait()
            except queue.Empty:
                return
            await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def supply(backend: str, template: str) -> Iterator[DatabaseSupply | None]:
    if backend != "postgresql":
        yield None
        return
    databases = DatabaseSupply(template)
    yield databases
    databases.close()


@pytest.fixture
async def db_url(backend: str, template: str, supply: DatabaseSupply | None,
                 tmp_path: Path) -> AsyncIterator[str]:
    if supply is None:
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    name = supply.take()
    yield _pg(name)
    supply.give_back(name)


@pytest.fixture
async def empty_db_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database with nothing in it, not even the schema."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"dtc_test_empty_{os.getpid()}_{next(_counter)}"
    await _admin(f"CREATE DATABASE {name}")
    yield _pg(name)
    await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def clock() -> SteppableClock:
    return SteppableClock()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return support.settings_for(db_url)


@pytest.fixture
async def app(settings: Settings, clock: SteppableClock) -> AsyncIterator[Any]:
    application = create_app(settings, clock=clock)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://dtc.test") as client:
        yield client


@pytest.fixture
def runtime(app: Any) -> Any:
    return app.state.runtime


@pytest.fixture
async def credentials(runtime: Any, clock: SteppableClock) -> ClientCredentials:
    """A fresh API client for the test (the demo client's tokens are not known to tests)."""
    async with runtime.db.write() as conn:
        return await clients.create(
            conn, "storefront", clock.now(), frontend_url="https://shop.example",
            default_country_code="SE", default_language_code="en",
        )


@pytest.fixture
async def key(runtime: Any, clock: SteppableClock) -> str:
    """A back-office key with the write scope."""
    async with runtime.db.write() as conn:
        return await integration_keys.create(conn, "erp", "write", clock.now())


@pytest.fixture
def shopper(http: httpx.AsyncClient, credentials: ClientCredentials) -> Shopper:
    return Shopper(http, credentials)


@pytest.fixture
def statements(runtime: Any) -> Iterator[list[str]]:
    """Every SQL statement the app sends while the test runs, in order."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    stop_observing = reads.observe(sent.append)  # the read path (store/reads.py)
    yield sent
    stop_observing()
    event.remove(engine, "before_cursor_execute", record)


class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives.

    Set ``refuse_recipients`` or ``refuse_data`` to a reply (e.g. "550 5.1.1 No such user")
    to make it refuse every RCPT TO or DATA with it."""

    def __init__(self) -> None:
        self.port = support.free_port()
        self.messages: list[Any] = []
        self.refuse_recipients: str | None = None
        self.refuse_data: str | None = None
        self._controller: Any = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_RCPT(self, _server: Any, _session: Any, envelope: Any, address: str,
                          _options: Any) -> str:
        if self.refuse_recipients:
            return self.refuse_recipients
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return self.refuse_data
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
