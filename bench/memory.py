"""Memory of one `dtc-api serve` worker under many distinct documents: its RSS after 20,000
requests with 2,000 distinct query texts, then after 150 distinct ~99 KB queries (hostile:
too many tokens, thousands of unknown fields, and valid documents padded with comments).

Usage: python bench/memory.py [--database-url URL] [--requests 20000] [--distinct 2000]
The server runs one worker pinned to CPU 0; the requests come from CPU 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from serve import free_port, start, wait_healthy

FULL = """query Customer{n} {{
  customer {{
    id email firstName lastName
    billingAddress {{ country {{ code name }} city zipCode address1 address2 }}
    orders(limit: 10) {{ id number orderDate status totals {{ type }} }}
    wishlists {{ id name items {{ id name uri }} }}
    newsletterSubscriptions {{ isActive createdAt country {{ code }} }}
  }}
  session {{ country {{ code }} language {{ code }} market {{ name }} }}
}}"""
SMALL = "query Session{n} {{ session {{ country {{ code name }} pricelist {{ name }} }} }}"
PAD = 99_000


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def documents(distinct: int) -> list[str]:
    return [(FULL if n % 2 else SMALL).format(n=n) for n in range(distinct)]


def hostile(count: int) -> list[str]:
    texts = []
    for n in range(count):
        kind = n % 3
        if kind == 0:  # over the token limit
            text = "{ " + " ".join(f"t{n}x{i}" for i in range(12_000))
        elif kind == 1:  # parses, fails validation with 100 errors
            text = "{ " + " ".join(f"u{n}x{i}" for i in range(4_900)) + " }"
        else:  # valid, padded with a comment
            text = f"query Padded{n} {{ session {{ country {{ code }} }} }}\n#"
        texts.append((text + " " * PAD)[:PAD])
    return texts


async def send_all(base: str, token: str, texts: list[str], total: int,
                   concurrency: int = 8) -> tuple[int, float]:
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(texts[i % len(texts)])
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        async def worker() -> None:
            while not queue.empty():
                query = queue.get_nowait()
                answer = await client.post("/graphql", json={"query": query},
                                           headers={"authorization": f"Bearer {token}"})
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    if set(statuses) - {200}:
        raise SystemExit(f"unexpected statuses: {statuses}")
    return total, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--distinct", type=int, default=2_000)
    parser.add_argument("--compiled", choices=("true", "false"), default="true",
                        help="compiled plans on (the default) or off, for comparison")
    parser.add_argument("--hostile", type=int, default=150)
    args = parser.parse_args()
    if shutil.which("taskset"):
        os.sched_setaffinity(0, {1})
    work = Path(tempfile.mkdtemp())
    database_url = args.database_url or f"sqlite:///{work}/bench.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(database_url, port, work / "serve.log",
                   extra_env={"DTC_COMPILED_EXECUTION": args.compiled})
    try:
        wait_healthy(base)
        printed = (work / "serve.log").read_text()
        client_token = re.search(r"demo client session token:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
        shopper = httpx.post(f"{base}/graphql", json={"query": "{ session { country { code } } }"},
                             headers={"authorization": f"Bearer {client_token}"}).json()
        token = shopper["extensions"]["token"]
        rows = [("after start", rss_mib(server.pid), "")]
        count, took = asyncio.run(send_all(base, token, documents(args.distinct), args.requests))
        rows.append((f"after {count:,} requests, {args.distinct:,} distinct texts",
                     rss_mib(server.pid), f"{count / took:,.0f} req/s"))
        texts = hostile(args.hostile)
        count, took = asyncio.run(send_all(base, token, texts, len(texts), concurrency=2))
        rows.append((f"after {count} distinct ~99 KB queries", rss_mib(server.pid),
                     f"{took:.1f} s"))
        print("| moment | RSS of the worker | rate |")
        print("|---|---|---|")
        for label, rss, note in rows:
            print(f"| {label} | {rss:.0f} MiB | {note} |")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
