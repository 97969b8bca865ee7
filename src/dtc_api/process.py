"""Process hygiene for `dtc-api serve`: workers that die with their parent, a port that is
checked before the server says it serves, and a shutdown that stops accepting at once."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("dtc_api.process")

_PR_SET_PDEATHSIG = 1


def exit_with_parent() -> None:
    """In a worker process of ``serve --workers N``, ask the kernel for SIGTERM when the
    parent dies (Linux), so that killing the parent never leaves workers holding the port."""
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return
    if os.getppid() != parent.pid:  # the parent died before we asked
        os.kill(os.getpid(), signal.SIGTERM)


def _tcp_socket(host: str) -> socket.socket:
    """A TCP socket for ``host`` (IPv4 or IPv6) that may bind a port left in TIME_WAIT."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                         socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def port_free(host: str, port: int) -> OSError | None:
    """Whether ``host:port`` can be listened on now (None), or why not."""
    with _tcp_socket(host) as sock:
        try:
            sock.bind((host, port))
        except OSError as error:
            return error
    return None


def run_server(config: Any) -> None:
    """Run uvicorn with ``config``: in this process, or as a supervisor of workers."""
    import uvicorn

    if config.workers > 1:
        _supervisor(config).run()
        return
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        sys.exit(3)  # uvicorn's "startup failure"


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets bound to ``host:port`` together (SO_REUSEPORT), one a worker: the
    kernel spreads new connections over them by their addresses. (Sharing one socket, the
    worker that wakes first accepts every connection waiting, up to the backlog: 16
    keep-alive connections opened at once could all land on one worker.) Where the system
    has no SO_REUSEPORT: one socket, shared."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count if hasattr(socket, "SO_REUSEPORT") else 1):
            sock = _tcp_socket(host)
            sockets.append(sock)
            if hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]  # port 0: the others take the port the first got
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _supervisor(config: Any) -> Any:
    """uvicorn's supervisor of ``config.workers`` workers, each with a listening socket of
    its own (see ``listening_sockets``), which a worker that replaces it takes over: the
    connections the kernel queued on it wait for the new worker."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess
    from uvicorn.supervisors.multiprocess import Process

    class Supervisor(Multiprocess):
        def _worker(self, slot: int) -> Process:
            process = Process(self.config, [self.sockets[slot % len(self.sockets)]])
            process.start()
            return process

        def init_processes(self) -> None:
            self.processes = [self._worker(slot) for slot in range(self.processes_num)]

        # The two below are uvicorn 0.54's, but for the socket each worker is given.
        def restart_all(self) -> None:
            for slot, old in enumerate(self.processes):
                if self.should_exit.is_set():
                    return
                new = self._worker(slot)
                if not new.wait_until_ready(self.config.timeout_worker_healthcheck,
                                            self.should_exit):
                    new.kill()
                    new.join()
                    if not self.should_exit.is_set():
                        log.error("worker %s was not ready in time: worker %s stays",
                                  new.pid, old.pid)
                    return
                old.terminate()
                old.join()
                self.processes[slot] = new

        def keep_subprocess_alive(self) -> None:
            if self.should_exit.is_set():
                return
            for slot, process in enumerate(self.processes):
                if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                    continue
                process.kill()  # hung: killed
                process.join()
                if process.exitcode == STARTUP_FAILURE:
                    # Broken before serving (the app, the socket): it would break again.
                    log.error("worker %s failed to start: stopping", process.pid)
                    self.should_exit.set()
                    return
                if self.should_exit.is_set():
                    return
                log.warning("worker %s died: starting another", process.pid)
                self.processes[slot] = self._worker(slot)

        def terminate_all(self) -> None:
            # The workers stop accepting as soon as they are told to stop; the listening
            # sockets this process holds must not go on taking connections nobody will
            # answer while they finish what they accepted.
            for sock in self.sockets:
                sock.close()
            super().terminate_all()

    return Supervisor(config, sockets=listening_sockets(config.host, config.port,
                                                        config.workers))


def drain_on_sigterm(delay: float, draining: Callable[[], None]) -> None:
    """Put off the server's stop on SIGTERM by ``delay`` seconds, calling ``draining`` at
    once (so /readyz turns 503 and a load balancer stops sending new requests while the
    process still answers them). A second SIGTERM stops at once. Call from the server's
    event loop, after the server installed its own handlers."""
    if delay <= 0 or threading.current_thread() is not threading.main_thread():
        return
    stop = signal.getsignal(signal.SIGTERM)
    if not callable(stop):
        return
    loop = asyncio.get_running_loop()
    signalled = False

    def handler(sig: int, frame: Any) -> None:
        nonlocal signalled
        if signalled:
            stop(sig, frame)
            return
        signalled = True
        draining()
        log.warning("stopping in %.1f s: /readyz answers 503 until then", delay)
        loop.call_soon_threadsafe(loop.call_later, delay, stop, sig, frame)

    signal.signal(signal.SIGTERM, handler)
