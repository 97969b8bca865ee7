"""How long hostile requests hold a `dtc-api serve` worker: each is sent while another
thread asks /healthz every 5 ms, and the table gives the request's answer and the slowest
/healthz answer meanwhile (the event loop's stall, as another shopper would feel it).

Usage: python bench/hostile.py [--database-url URL]
One worker pinned to CPU 0; the requests come from CPU 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from serve import DTC_API, free_port, start, wait_healthy

PASSWORD = "correct horse battery staple"  # noqa: S105 (a bench account)


def _setup(base: str, session_token: str, database_url: str) -> tuple[str, str]:
    """A logged-in shopper with 20 orders, and the demo client's no-session token."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DTC_")},
           "DTC_DATABASE_URL": database_url}
    key = json.loads(subprocess.run(  # noqa: S603
        [*DTC_API, "integration-keys", "create", "--name", f"bench{time.time_ns()}", "--json"],
        capture_output=True, text=True, check=True, env=env).stdout)["key"]
    with httpx.Client(base_url=base, timeout=60) as client:
        answer = client.post("/graphql", headers={"authorization": f"Bearer {session_token}"},
                             json={"query": """mutation($input: CustomerRegisterInput!) {
                                 registerCustomer(input: $input) { loggedIn { id } } }""",
                                   "variables": {"input": {
                                       "billingAddress": {"email": "hostile@example.com",
                                                          "firstName": "Hostile",
                                                          "lastName": "Bench",
                                                          "country": "SE"},
                                       "password": PASSWORD, "loginOnSuccess": True}}}).json()
        shopper = answer["extensions"]["token"]
        customer = answer["data"]["registerCustomer"]["loggedIn"]["id"]
        for number in range(1, 21):
            client.post("/integration/graphql", headers={"authorization": f"Bearer {key}"},
                        json={"query": """mutation($input: OrderInput!) {
                            createOrder(input: $input) { userErrors { message } } }""",
                              "variables": {"input": {
                                  "number": 900000 + number, "customerId": customer,
                                  "pricelist": 1, "lines": [{"item": "1-1", "quantity": 1,
                                                             "unitPrice": 299.0}]}}})
    return shopper, key


def _cases(shopper: str, no_session: str) -> list[tuple[str, str, bytes]]:
    stamp = time.time_ns() % 10_000  # a text this server has not seen
    huge_format = " ".join(f'd{i}: orderDate(format: "{"Y" * 4500}")' for i in range(20))
    pricelists = " ".join(f"p{i}: pricelists(id: $ids) {{ id }}" for i in range(100))
    countries = " ".join(
        f"c{i}: countries(onlyShipTo: false) {{ code name states {{ code name }} }}"
        for i in range(100))
    allowed = " ".join(
        f"c{i}: countries(onlyShipTo: false) {{ code name states {{ code name }} }}"
        for i in range(11))
    deep = '{"query": "query($v: String!) { __type(name: $v) { name } }", "variables": ' \
           '{"v": ' + "[" * 1000 + '"x"' + "]" * 1000 + "}}"
    return [
        ("date format of 4,500 characters x 20 aliases, 20 orders", shopper, json.dumps({
            "query": f"{{ customer {{ orders(limit: 100) {{ {huge_format} }} }} }}"}).encode()),
        ("format: null", shopper, json.dumps({
            "query": "{ customer { orders { orderDate(format: null) } } }"}).encode()),
        ("pricelists(id:) 100,000 ids x 100 aliases (~600 KB)", no_session, json.dumps({
            "query": f"query($ids: [Int!]) {{ {pricelists} }}",
            "variables": {"ids": list(range(100_000))}}).encode()),
        ("countries with states x 100 aliases (85,000 fields)", no_session,
         json.dumps({"query": f"{{ {countries} }}"}).encode()),
        ("countries with states x 11 aliases (9,350 fields, allowed)", no_session,
         json.dumps({"query": f"{{ {allowed} }}"}).encode()),
        ("a new 5,000-token document (validation errors)", no_session, json.dumps({
            "query": "{" + " ".join(f"f{stamp}x{i}" for i in range(4_990)) + "}"
        }).encode()),
        ("variables nested 1,000 deep", no_session, deep.encode()),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if shutil.which("taskset"):
        os.sched_setaffinity(0, {1})
    work = Path(tempfile.mkdtemp())
    database_url = args.database_url or f"sqlite:///{work}/bench.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(database_url, port, work / "serve.log",
                   extra_env={"DTC_REGISTER_IP_LIMIT": "1000"})
    try:
        wait_healthy(base)
        printed = (work / "serve.log").read_text()
        session_token = re.search(r"demo client session token:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
        no_session = re.search(r"demo client no-session token:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
        shopper, _ = _setup(base, session_token, database_url)
        print("| request | answer | took | slowest /healthz meanwhile |")
        print("|---|---|---|---|")
        for label, token, body in _cases(shopper, no_session):
            slowest = 0.0
            done = threading.Event()

            def probe(done: threading.Event = done) -> None:
                nonlocal slowest
                with httpx.Client(base_url=base, timeout=30) as client:
                    while not done.is_set():
                        started = time.perf_counter()
                        client.get("/healthz")
                        slowest = max(slowest, time.perf_counter() - started)
                        time.sleep(0.005)

            prober = threading.Thread(target=probe)
            prober.start()
            time.sleep(0.05)
            with httpx.Client(base_url=base, timeout=60) as client:
                started = time.perf_counter()
                response = client.post("/graphql", content=body, headers={
                    "authorization": f"Bearer {token}", "content-type": "application/json"})
                took = time.perf_counter() - started
            time.sleep(0.05)
            done.set()
            prober.join()
            answer = response.json()
            error = (answer.get("errors") or [{}])[0]
            told = (error.get("extensions", {}).get("code") or error.get("message", "")[:40]
                    if "errors" in answer else "data")
            print(f"| {label} | {response.status_code} {told} | {took * 1000:.0f} ms "
                  f"| {slowest * 1000:.0f} ms |")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
