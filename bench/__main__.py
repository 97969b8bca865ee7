"""req/s, p50 and p99 of every request shape of the storefront API, in one run.

Every shape runs against a database of registered customers, next to the transport's
ceiling.

Usage: python -m bench [--customers 10000] [--seconds 10] [--database-url postgresql://…]
                       [--workers 1] [--json bench-results.json]

1. Builds the data in bulk, before the server starts (bench/dataset.py): the demo catalogue,
   --customers registered customers, each with 10 orders of 3 lines, a wishlist of 6 items,
   2 attributes and a newsletter subscription, and pools of logged-in and anonymous shopper
   sessions. Default: a temporary SQLite file; with --database-url postgresql://… a fresh
   database dtc_bench_<pid> on that server, dropped at the end.
2. Starts `dtc-api serve --demo --no-worker` (one worker pinned to CPU 0; with --workers 2,
   two workers, not pinned) with the per-IP limits lifted (one client address sends
   everything), checks each shape's answer once, then drives it with wrk pinned to CPU 1
   (16 connections, 2 s warm-up, then --seconds; a shape that rotates through the pool of
   shoppers first sends each shopper's request once, so that what the process keeps per
   shopper is warm: --kept-answers false measures every answer built). A non-2xx answer, a
   socket error or a wrong answer under load (GraphQL errors, userErrors, or not the
   expected data; counted by the wrk scripts' response callback) fails the run.
3. Measures the transport's ceiling the same way: bench/ceiling.py, a bare Starlette app on
   the same uvicorn settings, answering with the bytes of the full customer answer.
4. Prints one table, and the worker's RSS after the run, and writes them as JSON (--json).
Needs wrk (Debian/Ubuntu: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402
from bench.serve import HERE, free_port, start, wait_healthy  # noqa: E402
from tests.documents import CUSTOMER_ORDERS, LISTING, LOGIN, SESSION  # noqa: E402
from tests.fragments import FOR_CUSTOMER  # noqa: E402

UNLIMITED = "1000000000"
LIMITS = {name: UNLIMITED for name in (
    "DTC_LOGIN_IP_LIMIT", "DTC_SESSION_IP_LIMIT", "DTC_REGISTER_IP_LIMIT",
    "DTC_NEWSLETTER_IP_LIMIT", "DTC_BACK_IN_STOCK_IP_LIMIT")}

CUSTOMER_FULL = "query Customer { customer { ...CustomerFragment } }" + FOR_CUSTOMER
REGISTER = ('mutation Register($email: String!) { registerCustomer(input: {'
            f'password: "{dataset.PASSWORD}", loginOnSuccess: true, billingAddress: '
            '{email: $email, firstName: "A", lastName: "B", country: "SE"}}) '
            '{ loggedIn { id email } userErrors { message path } } }')
ADD_ITEM = ('mutation { addItem(item: "4-1") { line { id } '
            'selection { lines { quantity } grandTotal { formattedValue } } '
            'userErrors { message path } } }')
NEWSLETTER = ('mutation Subscribe($email: String!) { subscribeToNewsletter(email: $email, '
              'additionalInfo: {countryCode: "SE", languageCode: "sv"}) '
              '{ subscribed userErrors { message path } } }')
BACK_IN_STOCK = ('mutation Notify($email: String!) { backInStockSubscribe(input: '
                 '{email: $email, item: "10-1", shipTo: {countryCode: "SE"}, '
                 'languageCode: "sv"}) { subscribed userErrors { message path } } }')


class Failed(Exception):
    """The run's figures cannot be trusted: a wrong answer, an error status, a lost socket."""


@dataclass
class Shape:
    name: str
    script: str
    env: dict[str, str]
    expect: str  # text every answer under load must contain
    # The request checked once before the load: (token, query, variables) and a check of the
    # parsed answer that raises Failed.
    probe: tuple[str, str, dict[str, Any] | None]
    check: Callable[[dict[str, Any]], None]
    unique: bool = False  # needs a fresh SEED for each wrk run
    result: dict[str, Any] = field(default_factory=dict)


def graphql(url: str, token: str, query: str, variables: dict[str, Any] | None = None
            ) -> tuple[bytes, dict[str, Any]]:
    body = {"query": query} if variables is None else {"query": query, "variables": variables}
    request = urllib.request.Request(  # noqa: S310 (always http://127.0.0.1)
        url, data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        raw = response.read()
        if response.status != 200:
            raise Failed(f"HTTP {response.status}: {raw[:300]!r}")
    return raw, json.loads(raw)


def expect(condition: bool, what: str, answer: dict[str, Any]) -> None:
    if not condition:
        raise Failed(f"{what}: {json.dumps(answer)[:600]}")


def payload(answer: dict[str, Any], name: str) -> dict[str, Any]:
    expect("errors" not in answer and answer.get("data") is not None, "GraphQL errors", answer)
    data = answer["data"][name]
    if isinstance(data, dict) and "userErrors" in data:
        expect(data["userErrors"] == [], "userErrors", answer)
    return data


def shapes(data: dataset.Dataset, client: str, shopper: str, run: str) -> list[Shape]:
    with data.logged_in_tokens.open() as lines:
        first_logged_in = lines.readline().strip()
    with data.anonymous_tokens.open() as lines:
        first_anonymous = lines.readline().strip()
    first_id = data.customer_id(0)
    orders = dataset.ORDERS_PER_CUSTOMER
    numbers = [dataset.order_number(0, n) for n in range(orders)]
    logged_in = {"TOKENS": str(data.logged_in_tokens)}

    def typename(answer: dict[str, Any]) -> None:
        expect(answer == {"data": {"__typename": "Query"}, "extensions": answer.get(
            "extensions")}, "typename", answer)

    def session_anonymous(answer: dict[str, Any]) -> None:
        session = payload(answer, "session")
        expect(session["loggedIn"] is None and session["country"]["code"] == "SE",
               "anonymous SE session", answer)

    def session_logged_in(answer: dict[str, Any]) -> None:
        session = payload(answer, "session")
        expect(session["loggedIn"] == {"id": first_id}, "logged in as customer 0", answer)

    def customer_orders(answer: dict[str, Any]) -> None:
        customer = payload(answer, "customer")
        expect(customer["email"] == dataset.email_of(0)
               and customer["billingAddress"]["country"]["code"] == "SE"
               and sorted(o["number"] for o in customer["orders"]) == numbers
               and all(o["status"] == "SHIPPED" and len(o["totals"]) == 3
                       for o in customer["orders"]), "customer 0 with 10 orders", answer)

    def customer_full(answer: dict[str, Any]) -> None:
        customer = payload(answer, "customer")
        wishlists = customer["wishlists"]
        expect(customer["id"] == first_id and customer["email"] == dataset.email_of(0)
               and customer["totalOrders"] == orders
               and len(customer["orders"]) == orders
               and all(len(o["lines"]) == 3 and None not in o["lines"]
                       for o in customer["orders"])
               and len(wishlists) == 1 and len(wishlists[0]["items"]) == data.wishlist_items
               and len(customer["attributes"]) == 2
               and [s["isActive"] for s in customer["newsletterSubscriptions"]] == [True],
               "customer 0: 10 orders of 3 lines, 6 wished items, 2 attributes, 1 newsletter",
               answer)

    def login(answer: dict[str, Any]) -> None:
        logged = payload(answer, "login")["loggedIn"]
        last = data.customers - 1
        expect(logged == {"id": data.customer_id(last), "email": dataset.email_of(last)},
               "logged in as the last customer", answer)
        expect(answer["extensions"]["token"] != client, "a shopper token", answer)

    def register(answer: dict[str, Any]) -> None:
        logged = payload(answer, "registerCustomer")["loggedIn"]
        expect(logged is not None and logged["id"] > data.customer_id(data.customers - 1),
               "a new customer, logged in", answer)

    def add_item(answer: dict[str, Any]) -> None:
        added = payload(answer, "addItem")
        expect(added["line"] is not None
               and [line["quantity"] for line in added["selection"]["lines"]] == [1],
               "one unit in the selection", answer)

    def subscribed(name: str) -> Callable[[dict[str, Any]], None]:
        def check(answer: dict[str, Any]) -> None:
            expect(payload(answer, name)["subscribed"] is True, "subscribed", answer)
        return check

    def listing(answer: dict[str, Any]) -> None:
        found = payload(answer, "displayItems")
        expect(len(found["list"]) == min(20, found["pagination"]["total"]) > 0
               and all(item["media"] and item["price"] for item in found["list"]
                       if item["id"] != 19),  # the flexible bundle has no single price
               "a page of display items with media and prices", answer)

    probe_email = f"bench-probe-{run}@example.com"
    return [
        Shape("{ __typename } (shopper token)", "fixed.lua",
              {"TOKEN": shopper, "BODY": json.dumps({"query": "{ __typename }"})},
              '"__typename":"Query"', (shopper, "{ __typename }", None), typename),
        Shape("session, anonymous", "fixed.lua",
              {"TOKEN": shopper, "BODY": json.dumps({"query": SESSION})},
              '"loggedIn":null', (shopper, SESSION, None), session_anonymous),
        Shape("session, logged in", "pool.lua",
              {**logged_in, "BODY": json.dumps({"query": SESSION})},
              '"loggedIn":{"id":', (first_logged_in, SESSION, None), session_logged_in),
        Shape("customer: name, e-mail, address, 10 orders", "pool.lua",
              {**logged_in, "BODY": json.dumps({"query": CUSTOMER_ORDERS})},
              '"orders":[{"number":', (first_logged_in, CUSTOMER_ORDERS, None),
              customer_orders),
        Shape("customer { ...CustomerFragment }", "pool.lua",
              {**logged_in, "BODY": json.dumps({"query": CUSTOMER_FULL})},
              '"orders":[{"id":', (first_logged_in, CUSTOMER_FULL, None), customer_full),
        Shape("displayItems: a listing page (media, prices, stock, filters)", "fixed.lua",
              {"TOKEN": shopper, "BODY": json.dumps({"query": LISTING})},
              '"list":[{"id":', (shopper, LISTING, None), listing),
        Shape("login (new session + login)", "login_customers.lua",
              {"TOKEN": client, "QUERY": json.dumps(LOGIN), "PASSWORD": dataset.PASSWORD,
               "CUSTOMERS": str(data.customers)},
              '"loggedIn":{"id":',
              (client, LOGIN, {"email": dataset.email_of(data.customers - 1),
                               "password": dataset.PASSWORD}), login),
        Shape("registerCustomer (new session, loginOnSuccess)", "unique_email.lua",
              {"TOKEN": client, "QUERY": json.dumps(REGISTER)}, '"loggedIn":{"id":',
              (client, REGISTER, {"email": probe_email}), register, unique=True),
        Shape("addItem (anonymous sessions)", "pool.lua",
              {"TOKENS": str(data.anonymous_tokens), "BODY": json.dumps({"query": ADD_ITEM})},
              '"quantity":', (first_anonymous, ADD_ITEM, None), add_item),
        Shape("subscribeToNewsletter (new e-mail)", "unique_email.lua",
              {"TOKEN": shopper, "QUERY": json.dumps(NEWSLETTER)}, '"subscribed":true',
              (shopper, NEWSLETTER, {"email": probe_email}),
              subscribed("subscribeToNewsletter"), unique=True),
        Shape("backInStockSubscribe (new e-mail)", "unique_email.lua",
              {"TOKEN": shopper, "QUERY": json.dumps(BACK_IN_STOCK)}, '"subscribed":true',
              (shopper, BACK_IN_STOCK, {"email": probe_email}),
              subscribed("backInStockSubscribe"), unique=True),
    ]


def _wrk_command(script: str, url: str, seconds: int, connections: int) -> list[str]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
               "-s", str(HERE / script), url]
    return ["taskset", "-c", "1", *command] if shutil.which("taskset") else command


def _wrk_figures(returncode: int, stdout: str, stderr: str) -> dict[str, Any]:
    found = re.search(r"^BENCH (\{.*\})$", stdout, re.MULTILINE)
    if returncode != 0 or found is None:
        raise Failed(f"wrk failed ({returncode}): {stderr or stdout}")
    figures = json.loads(found.group(1))
    sample = re.search(r"^BENCH_SAMPLE (.*)$", stdout, re.MULTILINE)
    figures["sample"] = sample.group(1) if sample else None
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = figures["wrong"] + figures["non2xx"] + figures["socket_errors"]
    return figures


def wrk(script: str, url: str, seconds: int, connections: int, env: dict[str, str]
        ) -> dict[str, Any]:
    done = subprocess.run(_wrk_command(script, url, seconds, connections),  # noqa: S603
                          env={**os.environ, "BENCH_LUA": str(HERE), **env},
                          capture_output=True, text=True, timeout=seconds + 60, check=False)
    return _wrk_figures(done.returncode, done.stdout, done.stderr)


def wrk_together(runs: list[tuple[str, int, dict[str, str]]], url: str, seconds: int
                 ) -> list[dict[str, Any]]:
    """Several wrk runs (script, connections, env) at once, against the same server."""
    started = [subprocess.Popen(_wrk_command(script, url, seconds, connections),  # noqa: S603
                                env={**os.environ, "BENCH_LUA": str(HERE), **env},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for script, connections, env in runs]
    results = []
    for process in started:
        stdout, stderr = process.communicate(timeout=seconds + 60)
        results.append(_wrk_figures(process.returncode, stdout, stderr))
    return results


def argon2_rate(seconds: float = 3.0) -> float:
    """argon2id verifications a second on CPU 0 alone, with the service's default settings:
    what a login can at best reach on one core."""
    from dtc_api.config import Settings

    settings = Settings()
    program = (
        "import sys, time\n"
        "from argon2 import PasswordHasher\n"
        "m, t, p, seconds = map(float, sys.argv[1:])\n"
        "hasher = PasswordHasher(time_cost=int(t), memory_cost=int(m), parallelism=int(p))\n"
        "stored = hasher.hash('x' * 12)\n"
        "count, started = 0, time.perf_counter()\n"
        "while time.perf_counter() - started < seconds:\n"
        "    hasher.verify(stored, 'x' * 12)\n"
        "    count += 1\n"
        "print(count / (time.perf_counter() - started))\n")
    command = [sys.executable, "-c", program, str(settings.argon2_memory_kib),
               str(settings.argon2_time_cost), str(settings.argon2_parallelism), str(seconds)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=True,  # noqa: S603
                          timeout=seconds + 60)
    return float(done.stdout.strip())


def first_pass(name: str, url: str, env: dict[str, str], connections: int) -> None:
    """Each shopper of the pool asks once, so what a process keeps per shopper (kept answers)
    is warm when the load starts, as in a shop that has been open a while."""
    tokens = [line for line in Path(env["TOKENS"]).read_text().splitlines() if line]
    body = env["BODY"].encode()

    async def send_all() -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            async def one_by_one(mine: list[str]) -> None:
                for token in mine:
                    answer = await client.post(url, content=body, headers={
                        "content-type": "application/json", "authorization": f"Bearer {token}"})
                    if answer.status_code != 200 or env["EXPECT"] not in answer.text:
                        raise Failed(f"{name}, first pass: {answer.text[:300]}")
            await asyncio.gather(*(one_by_one(tokens[n::connections])
                                   for n in range(connections)))

    asyncio.run(send_all())


def measure(name: str, script: str, url: str, args: argparse.Namespace, env: dict[str, str],
            unique: bool, run: str, serving: list[int]) -> dict[str, Any]:
    """One shape's figures; ``serving``: the processes that answer (their CPU time is read
    around the run, as is wrk's)."""
    if script == "pool.lua":
        first_pass(name, url, env, args.connections)
    seeds = iter(f"{run}-{n}" for n in range(2))
    warm = wrk(script, url, 2, args.connections, {**env, "SEED": next(seeds)} if unique else env)
    server_before, loader_before = cpu_seconds(serving), loader_cpu_seconds()
    figures = wrk(script, url, args.seconds, args.connections,
                  {**env, "SEED": next(seeds)} if unique else env)
    requests = max(figures["requests"], 1)
    figures["server_cpu_us"] = (cpu_seconds(serving) - server_before) / requests * 1e6
    figures["wrk_cpu_us"] = (loader_cpu_seconds() - loader_before) / requests * 1e6
    for phase, result in (("warm-up", warm), ("run", figures)):
        refuse_errors(f"{name}, {phase}", result)
    print(f"  {name}: {figures['rps']:,.0f} req/s", flush=True)
    return figures


def refuse_errors(what: str, result: dict[str, Any]) -> None:
    if result["errors"]:
        raise Failed(f"{what}: {result['wrong']} wrong answers, {result['non2xx']} non-2xx, "
                     f"{result['socket_errors']} socket errors; first wrong answer: "
                     f"{result['sample']}")


# Shoppers reading their account while logins flood in: a steady trickle (each connection
# pauses between requests), so the figure is the latency a reader sees, not a queue.
FLOOD_READERS = 4
FLOOD_READER_PAUSE_MS = 20


def login_flood(cases: list[Shape], url: str, args: argparse.Namespace) -> dict[str, Any]:
    """The customer query's latency, quiet and while a login flood runs on the same worker:
    hashing must not starve the event loop."""
    reader = next(c for c in cases if c.probe[1] == CUSTOMER_ORDERS)
    login = next(c for c in cases if c.probe[1] == LOGIN)
    reads = ("pool.lua", FLOOD_READERS, {**reader.env, "EXPECT": reader.expect,
                                          "PAUSE_MS": str(FLOOD_READER_PAUSE_MS)})
    floods = ("login_customers.lua", args.connections, {**login.env, "EXPECT": login.expect})
    (quiet,) = wrk_together([reads], url, args.seconds)
    flooded, logins = wrk_together([reads, floods], url, args.seconds)
    for what, result in (("quiet", quiet), ("flood: reads", flooded), ("flood: logins", logins)):
        refuse_errors(f"login flood, {what}", result)
    ratio = flooded["p99_us"] / quiet["p99_us"]
    print(f"  customer p99 {quiet['p99_us'] / 1000:.2f} ms quiet, "
          f"{flooded['p99_us'] / 1000:.2f} ms during {logins['rps']:.0f} logins/s "
          f"({ratio:.2f}x)", flush=True)
    return {"quiet_p99_us": quiet["p99_us"], "flood_p99_us": flooded["p99_us"],
            "quiet_rps": quiet["rps"], "flood_rps": flooded["rps"],
            "logins_rps": logins["rps"], "p99_ratio": ratio}


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue and len(found) < 1000:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else 0.0


def serving(server: subprocess.Popen[bytes], workers: int) -> list[int]:
    """The processes that serve requests: the server itself with one worker, its worker
    processes with more (not multiprocessing's resource tracker)."""
    if workers == 1:
        return [server.pid]
    return [pid for pid in descendants(server.pid)
            if b"multiprocessing" not in Path(f"/proc/{pid}/cmdline").read_bytes()
            or b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def worker_rss(pids: list[int], workers: int) -> list[float]:
    """RSS of each serving process."""
    return sorted((rss_mib(pid) for pid in pids), reverse=True)[:workers]


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (all their threads)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def loader_cpu_seconds() -> float:
    """CPU time of the wrk runs that have ended (children of this process)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class Postgres:
    """A fresh database on the server of ``url``, dropped at the end."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.admin = make_url(url)
        self.name = f"dtc_bench_{os.getpid()}"
        self.url = self.admin.set(database=self.name).render_as_string(hide_password=False)

    async def _run(self, statement: str) -> None:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(self.admin.set(drivername="postgresql+asyncpg"),
                                     isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(statement))
        finally:
            await engine.dispose()

    def create(self) -> None:
        asyncio.run(self._run(f'CREATE DATABASE "{self.name}"'))

    def drop(self) -> None:
        asyncio.run(self._run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def table(rows: list[dict[str, Any]], ceiling: dict[str, Any]) -> str:
    lines = ["| shape | req/s | p50 | p99 | errors | ratio to ceiling "
             "| CPU µs a request: server, wrk |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in [*rows, ceiling]:
        ratio = row["rps"] / ceiling["rps"]
        lines.append(f"| {row['shape']} | {row['rps']:,.0f} | {row['p50_us'] / 1000:.2f} ms | "
                     f"{row['p99_us'] / 1000:.2f} ms | {row['errors']} | {ratio:.3f} | "
                     f"{row['server_cpu_us']:,.0f}, {row['wrk_cpu_us']:,.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", help="postgresql://… (default: a temp SQLite file)")
    parser.add_argument("--sessions", type=int, default=2000,
                        help="logged-in sessions (one per customer) the read shapes rotate "
                             "through (default 2000)")
    parser.add_argument("--json", default="bench-results.json", help="where to write results")
    parser.add_argument("--compiled", choices=("true", "false"), default="true",
                        help="compiled plans on (the default) or off, for comparison")
    parser.add_argument("--kept-answers", choices=("true", "false"), default="true",
                        help="answers kept between requests on (the default) or off: off, "
                             "every customer answer is built")
    parser.add_argument("--metrics", metavar="FILE",
                        help="serve with DTC_METRICS=true and write /metrics, scraped after "
                             "the run, to FILE")
    parser.add_argument("--only", action="append", metavar="TEXT",
                        help="run only the shapes whose name contains TEXT (repeatable); the "
                             "login flood runs with the login shape, the ceiling always")
    parser.add_argument("--keep", action="store_true",
                        help="keep the PostgreSQL database after the run (to EXPLAIN its "
                             "statements: bench/explain.py)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: install it (Debian/Ubuntu: apt-get install wrk)", file=sys.stderr)
        return 2
    if args.customers < 1 or args.seconds < 1 or args.workers < 1:
        parser.error("--customers, --seconds and --workers must be positive")

    work = Path(tempfile.mkdtemp(prefix="dtc-bench-"))
    postgres = Postgres(args.database_url) if args.database_url else None
    database_url = postgres.url if postgres else f"sqlite:///{work}/bench.db"
    run = f"{os.getpid()}{int(time.time()) % 100_000}"
    pinned = "0" if args.workers == 1 else None
    server = ceiling = None
    try:
        if postgres:
            postgres.create()
        print(f"building {args.customers:,} customers on "
              f"{'PostgreSQL ' + postgres.name if postgres else 'SQLite'}…", flush=True)
        data = asyncio.run(dataset.build(database_url, args.customers, args.sessions, 5000,
                                         work))
        print(f"  built in {data.build_seconds:.1f} s", flush=True)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start(database_url, port, work / "serve.log", workers=args.workers,
                       cpus=pinned,
                       extra_env={**LIMITS, "DTC_COMPILED_EXECUTION": args.compiled,
                                  **({} if args.kept_answers == "true"
                                     else {"DTC_ANSWER_CACHE_BYTES": "0"}),
                                  "DTC_METRICS": "true" if args.metrics else "false"})
        wait_healthy(base, timeout=120)
        answering = serving(server, args.workers)
        printed = (work / "serve.log").read_text()
        found = re.search(r"demo client session token:\s+(\S+)", printed)
        if found is None:
            raise Failed(f"no client token in the server's output:\n{printed}")
        client = found.group(1)
        url = f"{base}/graphql"
        _, started = graphql(url, client, "{ session { country { code } } }")
        shopper = started["extensions"]["token"]

        every = cases = shapes(data, client, shopper, run)
        if args.only:
            cases = [c for c in every if any(text in c.name for text in args.only)]
            if not cases:
                parser.error(f"no shape's name contains any of {args.only}")
        full_answer = b""
        for case in every:
            raw, answer = graphql(url, *case.probe)
            case.check(answer)
            if case.expect not in raw.decode():
                raise Failed(f"{case.name}: answer lacks {case.expect!r}: {raw[:300]!r}")
            if case.probe[1] == CUSTOMER_FULL:
                full_answer = raw
        print(f"every shape answered correctly once; {args.seconds} s of load each "
              f"(after 2 s warm-up), {args.connections} connections", flush=True)

        rows = []
        hashing = 0.0
        for case in cases:
            if case.script == "pool.lua":
                asyncio.run(dataset.refresh_sessions(database_url))
            login = case.script == "login_customers.lua"
            if login:  # this machine's speed drifts: the hashing rate is read next to it
                before = argon2_rate()
            figures = measure(case.name, case.script, url, args,
                              {**case.env, "EXPECT": case.expect}, case.unique, run, answering)
            if login:
                hashing = (before + argon2_rate()) / 2
            rows.append({"shape": case.name, **figures})
        asyncio.run(dataset.refresh_sessions(database_url))
        flooding = any(c.probe[1] == LOGIN for c in cases)
        flood = login_flood(every, url, args) if flooding else None
        rss = worker_rss(answering, args.workers)
        if args.metrics:
            with urllib.request.urlopen(f"{base}/metrics", timeout=30) as scraped:  # noqa: S310
                Path(args.metrics).write_bytes(scraped.read())
        stop(server)
        server = None

        body = work / "ceiling.json"
        body.write_bytes(full_answer)
        port = free_port()
        command = [sys.executable, str(HERE / "ceiling.py"), str(port), str(args.workers)]
        if pinned and shutil.which("taskset"):
            command = ["taskset", "-c", pinned, *command]
        ceiling = subprocess.Popen(command, env={**os.environ, "BENCH_CEILING_BODY": str(body)},  # noqa: S603
                                   stdout=(work / "ceiling.log").open("w"),
                                   stderr=subprocess.STDOUT)
        wait_healthy(f"http://127.0.0.1:{port}")
        figures = measure("ceiling", "fixed.lua", f"http://127.0.0.1:{port}/graphql", args,
                          {"TOKEN": shopper, "BODY": json.dumps({"query": CUSTOMER_FULL}),
                           "EXPECT": '"orders":[{"id":'}, False, run,
                          serving(ceiling, args.workers))
        top = {"shape": f"ceiling: bare Starlette, {len(full_answer):,} B fixed answer",
               **figures}
        stop(ceiling)
        ceiling = None
    except Failed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    finally:
        for process in (server, ceiling):
            if process is not None:
                stop(process)
        if postgres and args.keep:
            print(f"kept {postgres.url}")
        elif postgres:
            postgres.drop()
        shutil.rmtree(work, ignore_errors=True)

    backend = "PostgreSQL" if postgres else "SQLite"
    where = "1 worker pinned to CPU 0" if args.workers == 1 else f"{args.workers} workers"
    print(f"\n{backend}, {args.customers:,} customers, {where}, wrk on CPU 1, "
          f"{args.connections} connections, {args.seconds} s per shape, compiled plans "
          f"{'on' if args.compiled == 'true' else 'off'}, kept answers "
          f"{'on' if args.kept_answers == 'true' else 'off'}\n")
    print(table(rows, top))
    print(f"\nRSS of the {'worker' if args.workers == 1 else 'workers'} after the run: "
          + ", ".join(f"{value:.0f} MiB" for value in rss))
    logins = next((r for r in rows if r["shape"].startswith("login")), None)
    if logins is not None and flood is not None:
        print(f"login: {logins['rps']:.1f}/s against {hashing:.1f} argon2id verifications/s on "
              f"one core alone, read just before and after it ({logins['rps'] / hashing:.0%})")
        print(f"customer query ({FLOOD_READERS} connections, {FLOOD_READER_PAUSE_MS} ms apart): "
              f"p99 {flood['quiet_p99_us'] / 1000:.2f} ms quiet, "
              f"{flood['flood_p99_us'] / 1000:.2f} ms during a login flood of "
              f"{flood['logins_rps']:.0f}/s ({flood['p99_ratio']:.2f}x)")
    for row in [*rows, top]:
        row["ratio_to_ceiling"] = row["rps"] / top["rps"]
        row.pop("sample", None)
    Path(args.json).write_text(json.dumps({
        "backend": backend, "customers": args.customers, "workers": args.workers,
        "connections": args.connections, "seconds": args.seconds,
        "compiled": args.compiled == "true", "kept_answers": args.kept_answers == "true",
        "build_seconds": round(data.build_seconds, 1),
        "shapes": rows, "ceiling": top, "worker_rss_mib": [round(v, 1) for v in rss],
        "argon2_per_second": round(hashing, 1), "login_flood": flood,
    }, indent=2) + "\n")
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
