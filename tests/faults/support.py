"""Real processes and real faults: `dtc-api serve` as a child process, and a TCP proxy in
front of PostgreSQL that can cut the database off (refusing and dropping connections) and
let it back, without disturbing the other tests' databases."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests import support
from tests.support import PASSWORD as PASSWORD  # re-exported for the fault tests
from tests.support import free_port as free_port

# Abuse limits off: these tests send many requests from one address on purpose.
LIMITS_OFF = {"DTC_REGISTER_IP_LIMIT": "100000", "DTC_LOGIN_IP_LIMIT": "100000",
              "DTC_SESSION_IP_LIMIT": "100000"}
REGISTER = """mutation($input: CustomerRegisterInput!) {
  registerCustomer(input: $input) { loggedIn { id } userErrors { message } } }"""
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { loggedIn { email } userErrors { message } } }"""


def registration(email: str, first_name: str = "Shopper") -> dict[str, object]:
    """The variables of REGISTER for a new account with PASSWORD."""
    return {"input": support.registration(email, first_name=first_name, last_name="Test")}


@dataclass
class Served:
    base: str
    session_token: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def serve(database_url: str, work: Path, *, args: tuple[str, ...] = ("--no-worker",),
          env: dict[str, str] | None = None, port: int | None = None) -> Iterator[Served]:
    """`dtc-api serve --demo` on ``port`` or a free one; stopped (SIGTERM) at the end."""
    port = port or free_port()
    log = work / f"serve-{port}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DTC_")}
    environment.update(DTC_DATABASE_URL=database_url, DTC_ARGON2_MEMORY_KIB="1024",
                       DTC_COMPILED_EXECUTION="verify",
                       DTC_ARGON2_TIME_COST="1", DTC_MAIL_DIR=str(work / "mail"))
    environment.update(env or {})
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dtc_api.cli", "serve", "--demo", "--port", str(port), *args],
            stdout=out, stderr=subprocess.STDOUT, env=environment, cwd=work,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(log.read_text())
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError(log.read_text())
        token = re.search(r"demo client session token:\s+(\S+)", log.read_text())
        assert token is not None, log.read_text()
        yield Served(base, token.group(1), process, log)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not stopped within 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class CuttableProxy:
    """A TCP proxy to ``target`` on its own thread and event loop.

    ``cut()`` stops listening (new connections are refused) and drops every open one, as a
    stopped database server would; ``restore()`` listens again on the same port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread.start()
        self.restore()

    def _call(self, coroutine) -> None:  # type: ignore[no-untyped-def]
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def restore(self) -> None:
        async def listen() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port,
                                                      reuse_address=True)
        self._call(listen())

    def cut(self) -> None:
        async def close() -> None:
            server, self._server = self._server, None
            if server is not None:
                server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            self._writers.clear()
            if server is not None:
                await server.wait_closed()
        self._call(close())

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                sink.transport.abort()
                self._writers.discard(sink)

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
