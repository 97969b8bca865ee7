"""Figures for accounts: raw argon2id rate, and login / register req/s over HTTP.

Usage: python bench/accounts.py [--database-url URL] [--seconds 10] [--workers 2]
Needs wrk. The server's login and session limits are lifted for the run (one client IP sends
everything); the password hashing cost is the production default (OWASP: 19 MiB, t=2, p=1).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from argon2 import PasswordHasher
from serve import HERE, free_port, post, start, wait_healthy

UNLIMITED = {"DTC_LOGIN_IP_LIMIT": "100000000", "DTC_SESSION_IP_LIMIT": "100000000"}


def argon2_rate(threads: int, hashes: int = 40) -> float:
    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(hasher.hash, ["correct horse battery"] * hashes))
    return hashes / (time.perf_counter() - started)


def wrk(script: str, url: str, seconds: int, env: dict[str, str]) -> str:
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(HERE / script), url]
    result = subprocess.run(command, env={**os.environ, **env}, capture_output=True,  # noqa: S603
                            text=True, check=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    return f"{rate:.0f} req/s" + (f" ({bad.group(1)} non-2xx)" if bad else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"argon2id (19 MiB, t=2, p=1): {argon2_rate(1):.0f} hashes/s on 1 thread, "
          f"{argon2_rate(2):.0f} on 2")

    work = Path(tempfile.mkdtemp())
    database_url = args.database_url or f"sqlite:///{work}/bench.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(database_url, port, work / "serve.log", workers=args.workers, cpus="0,1",
                   extra_env=UNLIMITED)
    try:
        wait_healthy(base)
        printed = (work / "serve.log").read_text()
        token = re.search(r"demo client session token:\s+(\S+)", printed).group(1)
        email, password = f"bench-{time.time_ns()}@example.com", "correct horse battery"
        answer = post(base, token, "mutation($input: CustomerRegisterInput!) { "
                      "registerCustomer(input: $input) { userErrors { message } } }",
                      {"input": {"password": password, "loginOnSuccess": False,
                                 "billingAddress": {"email": email, "firstName": "A",
                                                    "lastName": "B", "country": "SE"}}})
        assert answer["data"]["registerCustomer"]["userErrors"] == [], answer
        env = {"TOKEN": token, "EMAIL": email, "PASSWORD": password}
        print(f"login (new session + login), {args.workers} workers: "
              f"{wrk('login.lua', f'{base}/graphql', args.seconds, env)}")
        print(f"registerCustomer (new session + register + login), {args.workers} workers: "
              f"{wrk('register.lua', f'{base}/graphql', args.seconds, env)}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
