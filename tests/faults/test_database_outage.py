"""PostgreSQL cut off under load: a real `dtc-api serve` answers 503 with Retry-After (never
500, never a hang), logs the outage in a few lines, and serves again as soon as the database
is back."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from tests.faults.support import CuttableProxy, serve

SESSION = "{ session { country { code } } }"
RATE = 20  # requests a second, as a storefront's trickle


async def _load(base: str, token: str, seconds: float) -> list[tuple[float, int, float, dict]]:
    """(sent at, status, seconds taken, body) for RATE requests a second."""
    answers: list[tuple[float, int, float, dict]] = []
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        async def one(sent: float) -> None:
            started = time.monotonic()
            response = await client.post("/graphql", json={"query": SESSION},
                                         headers={"authorization": f"Bearer {token}"})
            answers.append((sent, response.status_code, time.monotonic() - started,
                            {"body": response.text, "headers": dict(response.headers)}))

        tasks = []
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            tasks.append(asyncio.create_task(one(elapsed)))
            await asyncio.sleep(1 / RATE)
        await asyncio.gather(*tasks)
    return sorted(answers, key=lambda a: a[0])


async def test_an_outage_answers_503_and_recovers(
    db_url: str, proxy: CuttableProxy, tmp_path: Path
) -> None:
    url = make_url(db_url).set(host="127.0.0.1", port=proxy.port)
    with serve(url.render_as_string(hide_password=False), tmp_path) as served:
        async with httpx.AsyncClient(base_url=served.base) as client:
            first = await client.post("/graphql", json={"query": SESSION}, headers={
                "authorization": f"Bearer {served.session_token}"})
        token = first.json()["extensions"]["token"]
        before = len(served.output().splitlines())

        loop = asyncio.get_running_loop()
        load = asyncio.create_task(_load(served.base, token, 6.0))
        await asyncio.sleep(1.5)
        await loop.run_in_executor(None, proxy.cut)
        cut_at = 1.5
        await asyncio.sleep(3.0)
        await loop.run_in_executor(None, proxy.restore)
        back_at = 4.5
        answers = await load
        log = served.output().splitlines()[before:]

    statuses = {status for _, status, _, _ in answers}
    assert statuses <= {200, 503}, answers
    assert max(took for _, _, took, _ in answers) < 2.0  # no hang
    refused = [a for a in answers if a[1] == 503]
    assert len(refused) >= RATE  # the outage was seen
    assert all(cut_at - 0.3 <= sent <= back_at + 0.5 for sent, *_ in refused)
    for _, _, _, answer in refused:
        body = json.loads(answer["body"])
        assert body["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
        assert answer["headers"]["retry-after"] == "5"
    # Served again within half a second of the database's return.
    assert all(status == 200 for sent, status, _, _ in answers if sent >= back_at + 0.5)
    assert all(status == 200 for sent, status, _, _ in answers if sent < cut_at - 0.3)
    # The outage is told in a few lines: when it started, how long, when it ended.
    assert "Traceback" not in "\n".join(log)
    # Besides the line of each request (a refused one says so) ...
    requests = [line for line in log if " dtc_api.request: " in line]
    assert len([line for line in requests if "status=503" in line and "outcome=5xx" in line]
               ) == len(refused)
    told = [line for line in log if line not in requests]
    assert len(told) <= 6, told
    assert any("database unreachable" in line for line in told)
    assert any("database reachable again" in line for line in told)
