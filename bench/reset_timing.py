"""Response time of resetPasswordEmail for a registered and an unknown e-mail.

Usage: python bench/reset_timing.py [--requests 200] [--database-url URL]
In-process (ASGI transport) so that only the server's own work is timed; the two kinds of
request are interleaved so drift affects both alike. Limits are lifted for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time

import httpx
from asgi_lifespan import LifespanManager

from dtc_api import demo
from dtc_api.app import create_app
from dtc_api.clock import SystemClock
from dtc_api.config import Settings
from dtc_api.store.db import Database
from dtc_api.store.migrate import upgrade

REQUEST = ('mutation($e: String!) { resetPasswordEmail(email: $e, url: "customer/reset") '
           "{ userErrors { message } } }")


async def main(count: int, database_url: str | None) -> None:
    work = tempfile.mkdtemp()
    url = database_url or f"sqlite:///{work}/reset.db"
    db = Database(url)
    await upgrade(db)
    credentials = await demo.load(db, SystemClock())
    await db.dispose()
    settings = Settings(database_url=url, mail_dir=f"{work}/mail", reset_account_limit=10**9,
                        reset_ip_limit=10**9, session_ip_limit=10**9)
    app = create_app(settings)
    async with LifespanManager(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        async def post(token: str, query: str, variables: dict) -> dict:
            response = await http.post("/graphql", json={"query": query, "variables": variables},
                                       headers={"authorization": f"Bearer {token}"})
            return response.json()

        answer = await post(credentials.session_token, "mutation($i: CustomerRegisterInput!) "
                            "{ registerCustomer(input: $i) { userErrors { message } } }",
                            {"i": {"password": "correct horse battery", "loginOnSuccess": False,
                                   "billingAddress": {"email": "known@example.com",
                                                      "firstName": "K", "lastName": "N",
                                                      "country": "SE"}}})
        token = answer["extensions"]["token"]
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for n in range(count + 20):
            for kind, address in (("known", "known@example.com"),
                                  ("unknown", f"unknown{n}@example.com")):
                started = time.perf_counter()
                answer = await post(token, REQUEST, {"e": address})
                elapsed = time.perf_counter() - started
                assert answer["data"]["resetPasswordEmail"]["userErrors"] == [], answer
                if n >= 20:  # warm-up
                    times[kind].append(elapsed)
    known, unknown = (statistics.median(times[k]) * 1000 for k in ("known", "unknown"))
    print(f"resetPasswordEmail median over {count} requests: registered e-mail "
          f"{known:.2f} ms, unknown e-mail {unknown:.2f} ms, ratio {known / unknown:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.database_url))
