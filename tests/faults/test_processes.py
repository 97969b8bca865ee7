"""`dtc-api serve` as an operator meets it: workers do not outlive their parent, and a port
in use is said before anything claims to serve."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.support import LIMITS_OFF, LOGIN, PASSWORD, REGISTER, registration, serve


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'dtc.db'}"
    with serve(database, tmp_path, args=("--no-worker", "--workers", "2")) as served:
        deadline = time.monotonic() + 20
        while len(workers := {p for p in _children(served.process.pid) if _alive(p)}) < 2:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        served.process.send_signal(signal.SIGKILL)
        served.process.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers):
            assert time.monotonic() < deadline, "workers outlived their parent"
            time.sleep(0.1)
        port = int(served.base.rsplit(":", 1)[1])
    # The port is free again: a new server takes it.
    with serve(database, tmp_path, port=port) as again:
        assert httpx.get(f"{again.base}/healthz").json() == {"status": "ok"}


def test_a_port_in_use_is_refused_before_the_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("DTC_")}
        environment["DTC_DATABASE_URL"] = f"sqlite:///{tmp_path / 'dtc.db'}"
        result = subprocess.run(
            [sys.executable, "-m", "dtc_api.cli", "serve", "--port", str(port)],
            capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "serves the storefront API" not in result.stdout + result.stderr


def _outcome(client: httpx.Client, url: str) -> str:
    try:
        response = client.post(url, json={"query": "{ __typename }"})
    except httpx.ConnectError:
        return "refused"
    except httpx.TransportError as error:
        return f"dropped: {type(error).__name__}"
    return str(response.status_code)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_stopping_server_refuses_new_connections_while_it_finishes_a_slow_one(
    tmp_path: Path, workers: str
) -> None:
    database = f"sqlite:///{tmp_path / 'dtc.db'}"
    # A costly password hash (~0.5 s) keeps a login in flight while the server stops.
    slow_hash = {"DTC_ARGON2_MEMORY_KIB": "65536", "DTC_ARGON2_TIME_COST": "8", **LIMITS_OFF}
    outcomes: list[str] = []
    slow: dict[str, Any] = {}
    with serve(database, tmp_path, args=("--no-worker", "--workers", workers),
               env=slow_hash) as served:
        url = f"{served.base}/graphql"
        headers = {"authorization": f"Bearer {served.session_token}"}
        registered = httpx.post(url, headers=headers, timeout=30, json={
            "query": REGISTER, "variables": registration("slow@example.com")}).json()
        assert registered["data"]["registerCustomer"]["userErrors"] == []

        def log_in() -> None:
            answer = httpx.post(url, headers=headers, timeout=30, json={
                "query": LOGIN, "variables": {"email": "slow@example.com",
                                              "password": PASSWORD}})
            slow["answer"] = answer.json()

        login = threading.Thread(target=log_in)
        login.start()
        time.sleep(0.1)  # the login is being hashed
        served.process.send_signal(signal.SIGTERM)
        # A new connection for every request: what a load balancer's fresh traffic looks like.
        with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=10) as client:
            while served.process.poll() is None:
                outcomes.append(_outcome(client, url))
                time.sleep(0.01)
        login.join()
        assert served.process.wait(timeout=15) in (0, -signal.SIGTERM)
    # What was accepted is answered ...
    assert slow["answer"]["data"]["login"] == {"loggedIn": {"email": "slow@example.com"},
                                               "userErrors": []}
    # ... and, while it is, new connections are refused rather than taken and dropped. (One
    # connection can still be reset: one the kernel queued in the instant the last worker
    # closed its listening socket.)
    assert outcomes.count("refused") >= 5, outcomes
    assert len([o for o in outcomes if o.startswith("dropped")]) <= 1, outcomes


def test_readyz_turns_503_first_during_the_shutdown_delay(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'dtc.db'}"
    with serve(database, tmp_path, env={"DTC_SHUTDOWN_DELAY": "1.5"}) as served:
        assert httpx.get(f"{served.base}/readyz").json() == {"status": "ok"}
        stopping = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        ready = httpx.get(f"{served.base}/readyz")
        assert (ready.status_code, ready.json()) == (503, {"status": "stopping"})
        answer = httpx.post(f"{served.base}/graphql", json={"query": "{ __typename }"})
        assert answer.status_code == 200  # still served while the balancer takes note
        # Stopped by the signal, after a graceful shutdown (uvicorn re-raises it at the end).
        assert served.process.wait(timeout=15) in (0, -signal.SIGTERM)
        assert time.monotonic() - stopping >= 1.5
        assert "stopping in 1.5 s" in served.output()


def test_metrics_count_the_requests_of_every_worker(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'dtc.db'}"
    shared = tmp_path / "metrics"
    shared.mkdir()
    sent = 40
    query = {"query": "query Counted { session { country { code } } }"}
    environment = {"DTC_METRICS": "true", "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    with serve(database, tmp_path, args=("--no-worker", "--workers", "2"),
               env=environment) as served:
        for _ in range(sent):  # a connection each: the workers take turns accepting
            answer = httpx.post(f"{served.base}/graphql", json=query,
                                headers={"authorization": f"Bearer {served.session_token}"})
            assert answer.status_code == 200 and "errors" not in answer.json()
        # Whichever worker answers the scrape, it counts every worker's requests.
        for _ in range(6):
            text = httpx.get(f"{served.base}/metrics").text
            assert _counted(text) == sent, text

        counts = _per_worker(shared, tmp_path)
        assert sum(counts) == sent
        assert len([c for c in counts if c]) == 2, counts  # both workers answered some


@pytest.mark.parametrize("replaced", [False, True], ids=["started", "one replaced"])
def test_keep_alive_connections_opened_at_once_reach_every_worker(tmp_path: Path,
                                                                  replaced: bool) -> None:
    """A proxy's pool or a load generator opens its connections together and keeps them:
    each worker must get some (a shared socket let the first worker to wake take them all),
    a worker started in place of one that died too."""
    import asyncio

    database = f"sqlite:///{tmp_path / 'dtc.db'}"
    shared = tmp_path / "metrics"
    shared.mkdir()
    connections, rounds = 32, 3
    query = {"query": "query Counted { session { country { code } } }"}
    environment = {"DTC_METRICS": "true", "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    with serve(database, tmp_path, args=("--no-worker", "--workers", "2"),
               env=environment) as served:
        port = int(served.base.rsplit(":", 1)[1])
        deadline = time.monotonic() + 30
        while _listening(port) < 2:  # both workers are up, not only the one that answered
            assert time.monotonic() < deadline, "the workers do not both listen"
            time.sleep(0.05)
        if replaced:
            dead = min(_workers(served.process.pid))
            os.kill(dead, signal.SIGKILL)
            while _alive(dead) or len(_workers(served.process.pid)) < 2:
                assert time.monotonic() < deadline, "the dead worker was not replaced"
                time.sleep(0.05)
        headers = {"authorization": f"Bearer {served.session_token}"}

        async def load() -> None:
            limits = httpx.Limits(max_connections=connections,
                                  max_keepalive_connections=connections)
            async with httpx.AsyncClient(limits=limits, timeout=30) as client:
                for _ in range(rounds):  # the first round opens every connection at once
                    answers = await asyncio.gather(*(
                        client.post(f"{served.base}/graphql", json=query, headers=headers)
                        for _ in range(connections)))
                    assert all(a.status_code == 200 and "errors" not in a.json()
                               for a in answers)

        asyncio.run(load())
        counts = _per_worker(shared, tmp_path)
    assert sum(counts) == connections * rounds
    assert len([c for c in counts if c]) == 2, counts


def _workers(pid: int) -> set[int]:
    """The live worker processes of the server ``pid`` (not multiprocessing's helpers)."""
    found = set()
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command and _alive(child):
            found.add(child)
    return found


def _listening(port: int) -> int:
    """Listening TCP sockets on ``port`` (Linux's /proc/net/tcp: state 0A)."""
    found = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            found += state == "0A" and int(local.rsplit(":", 1)[1], 16) == port
    return found


def _per_worker(shared: Path, work: Path) -> list[float]:
    """The requests each worker counted, from its own file of the metrics directory."""
    from prometheus_client import CollectorRegistry, multiprocess

    counts = []
    for path in shared.glob("counter_*.db"):
        alone = work / f"alone-{path.stem}"
        alone.mkdir()
        shutil.copy(path, alone)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(alone))
        counts.append(_counted(generate_latest(registry).decode()))
    return counts


def _counted(exposition: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(exposition)
               for sample in family.samples
               if sample.name == "dtc_requests_total"
               and sample.labels.get("operation") == "Counted")
