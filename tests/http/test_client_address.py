"""The client address the limits count: only dtc-api decides it, from the peer and from
X-Forwarded-For written by trusted proxies, in one spelling per client."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from dtc_api.access.clients import ClientCredentials
from dtc_api.config import Settings
from dtc_api.http.client_ip import client_ip
from dtc_api.store import tables as t
from tests import support
from tests.faults.support import serve
from tests.support import IP_LIMITED

PROXY = "203.0.113.7"  # the conftest client's address
TRUSTED = (ipaddress.ip_network("203.0.113.0/24"),)
SESSION = "{ session { country { code } } }"
LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { userErrors { message } } }"""


@pytest.mark.parametrize(("peer", "header", "expected"), [
    ("203.0.113.7", None, "203.0.113.7"),
    ("203.0.113.7", ["198.51.100.1"], "198.51.100.1"),
    # Every header line counts, joined in order: a proxy may append a line of its own.
    ("203.0.113.7", ["198.51.100.66", "198.51.100.1"], "198.51.100.1"),
    ("203.0.113.7", ["198.51.100.66, 198.51.100.1"], "198.51.100.1"),
    # A chain of our own proxies is walked to the first address we did not write.
    ("203.0.113.7", ["198.51.100.1, 203.0.113.9"], "198.51.100.1"),
    # Not an address: the walk stops at the last hop a trusted proxy vouched for.
    ("203.0.113.7", ["garbage"], "203.0.113.7"),
    ("203.0.113.7", ["198.51.100.1, 203.0.113.9, x" * 100], "203.0.113.7"),
    ("203.0.113.7", ["1" * 5000], "203.0.113.7"),
    # Ports and brackets, as some proxies write them.
    ("203.0.113.7", ["198.51.100.1:4711"], "198.51.100.1"),
    ("203.0.113.7", ["[2001:db8::1]:4711"], "2001:db8::/64"),
    # One client, one spelling; IPv6 is counted per /64.
    ("2001:DB8:0:0::1", None, "2001:db8::/64"),
    ("2001:db8::ffff:1", None, "2001:db8::/64"),
    ("2001:db8:0:1::1", None, "2001:db8:0:1::/64"),
    ("::ffff:198.51.100.1", None, "198.51.100.1"),
    ("203.0.113.7", ["2001:DB8:0:0:0:0:0:1"], "2001:db8::/64"),
    # An untrusted peer is its own client, whatever it says.
    ("192.0.2.44", ["198.51.100.1"], "192.0.2.44"),
])
def test_client_address(peer: str, header: list[str] | None, expected: str) -> None:
    assert client_ip(peer, header, TRUSTED) == expected


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_ip("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"


async def _keys(runtime: Any) -> set[str]:
    async with runtime.db.read() as conn:
        return set((await conn.execute(sa.select(t.rate_limit_hits.c.key))).scalars())


class TestBehindATrustedProxy:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return support.settings_for(db_url, trusted_proxies=TRUSTED)

    async def test_a_line_appended_by_the_proxy_is_the_client(
        self, http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any
    ) -> None:
        # The shopper sends X-Forwarded-For: 198.51.100.66; our proxy appends its own line.
        answer = await http.post("/graphql", json={"query": SESSION}, headers=[
            ("authorization", f"Bearer {credentials.session_token}"),
            ("x-forwarded-for", "198.51.100.66"),
            ("x-forwarded-for", "198.51.100.1"),
        ])
        assert answer.json()["data"] == {"session": {"country": {"code": "SE"}}}
        assert await _keys(runtime) == {"session:ip:198.51.100.1"}

    async def test_one_ipv6_client_in_any_spelling_is_one_client(
        self, http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any
    ) -> None:
        for spelling in ("2001:DB8:0:0::1", "2001:db8::1", "2001:db8::2:1", "[2001:db8::1]:80"):
            answer = await http.post("/graphql", json={"query": SESSION}, headers={
                "authorization": f"Bearer {credentials.session_token}",
                "x-forwarded-for": spelling,
            })
            assert answer.status_code == 200
        assert await _keys(runtime) == {"session:ip:2001:db8::/64"}
        async with runtime.db.read() as conn:
            hits = await conn.scalar(sa.select(t.rate_limit_hits.c.hits))
        assert hits == 4

    async def test_a_huge_forwarded_header_is_an_ordinary_request(
        self, http: httpx.AsyncClient, credentials: ClientCredentials, runtime: Any
    ) -> None:
        for forwarded in ("9" * 2000, "198.51.100.1," * 500 + "1" * 400):
            answer = await http.post("/graphql", json={"query": SESSION}, headers={
                "authorization": f"Bearer {credentials.session_token}",
                "x-forwarded-for": forwarded,
            })
            assert answer.status_code == 200, answer.text
            assert answer.json()["data"] == {"session": {"country": {"code": "SE"}}}
        assert await _keys(runtime) == {f"session:ip:{PROXY}"}


# --- a real server: the HTTP server must not rewrite the address itself ----------------------

@pytest.fixture
async def real(empty_db_url: str, tmp_path: Path
               ) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """`dtc-api serve --demo` without trusted proxies, at most 5 new sessions a minute."""
    with serve(empty_db_url, tmp_path, env={"DTC_SESSION_IP_LIMIT": "5"}) as served:
        async with httpx.AsyncClient(base_url=served.base) as client:
            yield client, served.session_token


async def test_a_forged_header_does_not_escape_the_login_limit(
    real: tuple[httpx.AsyncClient, str]
) -> None:
    client, session_token = real
    first = await client.post("/graphql", json={"query": SESSION},
                              headers={"authorization": f"Bearer {session_token}"})
    token = first.json()["extensions"]["token"]
    told = []
    for i in range(11):
        answer = await client.post(
            "/graphql",
            json={"query": LOGIN, "variables": {"email": f"guess{i}@example.com",
                                                "password": "not the password"}},
            headers={"authorization": f"Bearer {token}",
                     "x-forwarded-for": f"198.51.100.{i + 1}"},
        )
        told.append(answer.json()["data"]["login"]["userErrors"][0]["message"])
    assert told[:10] == ["wrong e-mail or password"] * 10
    assert told[10] == IP_LIMITED


async def test_a_forged_header_does_not_escape_the_new_session_limit(
    real: tuple[httpx.AsyncClient, str]
) -> None:
    client, session_token = real
    statuses = []
    for i in range(6):
        answer = await client.post(
            "/graphql", json={"query": SESSION},
            headers={"authorization": f"Bearer {session_token}",
                     "x-forwarded-for": f"198.51.100.{i + 1}", "x-real-ip": f"192.0.2.{i}",
                     "forwarded": f"for=192.0.2.{i}"},
        )
        statuses.append(answer.status_code)
    assert statuses == [200] * 5 + [429]
