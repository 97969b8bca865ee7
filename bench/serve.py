"""Figures for `dtc-api serve`: cold start of `serve --demo`, and req/s of the `session` query.

Usage: python bench/serve.py [--database-url URL] [--seconds 10] [--connections 16]
Needs wrk (Debian: apt-get install wrk). The server runs one worker pinned to CPU 0 and wrk
runs on CPU 1, both on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent
DTC_API = [sys.executable, "-m", "dtc_api.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(base: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.01)
    raise SystemExit("server did not become healthy")


def start(database_url: str, port: int, log: Path, *, workers: int = 1,
          cpus: str | None = "0", extra_env: dict[str, str] | None = None
          ) -> subprocess.Popen[bytes]:
    """`dtc-api serve --demo --no-worker`, pinned to ``cpus`` (None: not pinned)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DTC_")}
    env.update(extra_env or {})
    env["DTC_DATABASE_URL"] = database_url
    pinned = cpus is not None and shutil.which("taskset")
    command = ["taskset", "-c", cpus, *DTC_API] if pinned else DTC_API
    return subprocess.Popen(  # noqa: S603
        [*command, "serve", "--demo", "--port", str(port), "--no-worker",
         "--workers", str(workers)],
        stdout=log.open("w"), stderr=subprocess.STDOUT, env=env,
    )


def post(base: str, token: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(  # noqa: S310
        f"{base}/graphql", data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--starts", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    database_url = args.database_url or f"sqlite:///{work}/bench.db"

    cold = []
    for attempt in range(args.starts):
        if not args.database_url and attempt == 0:
            Path(work / "bench.db").unlink(missing_ok=True)
        port = free_port()
        started = time.perf_counter()
        server = start(database_url, port, work / "serve.log")
        wait_healthy(f"http://127.0.0.1:{port}")
        cold.append(time.perf_counter() - started)
        server.terminate()
        server.wait()
    print(f"cold start of `serve --demo` to /healthz: first {cold[0]:.2f} s "
          f"(empty database), then median {statistics.median(cold[1:] or cold):.2f} s")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(database_url, port, work / "serve.log")
    try:
        wait_healthy(base)
        printed = (work / "serve.log").read_text()
        client_token = re.search(r"demo client session token:\s+(\S+)", printed).group(1)
        shopper = post(base, client_token, "{ session { country { code } } }")
        token = shopper["extensions"]["token"]
        def wrk(seconds: int) -> list[str]:
            command = ["wrk", "-t1", f"-c{args.connections}", f"-d{seconds}s",
                       "-s", str(HERE / "session_query.lua"), f"{base}/graphql"]
            return ["taskset", "-c", "1", *command] if shutil.which("taskset") else command

        env = {**os.environ, "TOKEN": token}
        subprocess.run(wrk(2), env=env, capture_output=True, check=True)  # noqa: S603 warm-up
        result = subprocess.run(wrk(args.seconds), env=env,  # noqa: S603
                                capture_output=True, text=True, check=True)
        print(result.stdout)
        rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
        print(f"session query, 1 worker, {args.connections} connections: "
              f"{float(rate.group(1)):.0f} req/s"
              + (f" ({errors.group(1)} non-2xx!)" if errors else ""))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
