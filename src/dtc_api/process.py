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


def port_free(host: str, port: int) -> OSError | None:
    """Whether ``host:port`` can be listened on now (None), or why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            return error
    return None


def run_server(config: Any) -> None:
    """Run uvicorn with ``config``: in this process, or as a supervisor of workers."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        def terminate_all(self) -> None:
            # The workers stop accepting as soon as they are told to stop; the listening
            # socket this process holds must not go on taking connections nobody will
            # answer while they finish what they accepted.
            for sock in self.sockets:
                sock.close()
            super().terminate_all()

    if config.workers > 1:
        Supervisor(config, sockets=[config.bind_socket()]).run()
        return
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        sys.exit(3)  # uvicorn's "startup failure"


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
