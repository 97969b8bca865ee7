"""kill -9 in the middle of registrations: every acknowledged account is there exactly once
after a restart, and the service goes on."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import sqlalchemy as sa

from dtc_api.store import tables as t
from dtc_api.store.db import Database
from tests.faults.support import LIMITS_OFF, LOGIN, PASSWORD, REGISTER, registration, serve


async def _register_until_killed(base: str, token: str, acknowledged: list[str],
                                 sent: list[str], writer: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        n = 0
        while True:
            email = f"crash{writer}x{n}@example.com"
            sent.append(email)
            try:
                answer = await client.post("/graphql", headers={
                    "authorization": f"Bearer {token}"},
                    json={"query": REGISTER, "variables": registration(email)})
            except httpx.TransportError:
                return  # the server is gone
            if answer.status_code == 200 and \
                    answer.json()["data"]["registerCustomer"]["userErrors"] == []:
                acknowledged.append(email)
            n += 1


async def test_kill_9_during_registrations_loses_no_acknowledged_account(
    db_url: str, tmp_path: Path
) -> None:
    acknowledged: list[str] = []
    sent: list[str] = []
    with serve(db_url, tmp_path, env=LIMITS_OFF) as served:
        writers = [asyncio.create_task(_register_until_killed(
            served.base, served.session_token, acknowledged, sent, w)) for w in range(4)]
        while len(acknowledged) < 150:
            await asyncio.sleep(0.05)
            assert not all(w.done() for w in writers), served.output()
        served.process.send_signal(signal.SIGKILL)
        served.process.wait()
        await asyncio.gather(*writers)

    db = Database(db_url, pool_size=1)
    try:
        async with db.read() as conn:
            rows = (await conn.execute(
                sa.select(t.customers.c.email, sa.func.count())
                .where(t.customers.c.registered, t.customers.c.email.like("crash%"))
                .group_by(t.customers.c.email))).all()
    finally:
        await db.dispose()
    stored = dict(rows)
    assert set(acknowledged) <= set(stored)  # nothing acknowledged was lost
    assert set(stored) <= set(sent)  # nothing invented
    assert set(stored.values()) == {1}  # and nothing twice

    # After a restart every acknowledged account logs in, and new ones register.
    with serve(db_url, tmp_path, env=LIMITS_OFF) as again:
        async with httpx.AsyncClient(base_url=again.base, timeout=30) as client:
            for email in (acknowledged[0], acknowledged[-1]):
                session = await client.post("/graphql", json={
                    "query": "{ session { country { code } } }"},
                    headers={"authorization": f"Bearer {again.session_token}"})
                token = session.json()["extensions"]["token"]
                answer = await client.post("/graphql", json={
                    "query": LOGIN, "variables": {"email": email, "password": PASSWORD}},
                    headers={"authorization": f"Bearer {token}"})
                assert answer.json()["data"]["login"] == {"loggedIn": {"email": email},
                                                          "userErrors": []}
            await _register_once(client, again.session_token)


async def _register_once(client: httpx.AsyncClient, token: str) -> None:
    answer = await client.post("/graphql", headers={"authorization": f"Bearer {token}"}, json={
        "query": REGISTER, "variables": registration("after@example.com")})
    assert answer.json()["data"]["registerCustomer"]["userErrors"] == []
