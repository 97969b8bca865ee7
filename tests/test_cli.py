"""The dtc-api command: help, migrate, demo, clients, schema, and serve as a real process."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from dtc_api.cli import main
from dtc_api.core import limits
from dtc_api.store.db import Database
from tests.faults.support import serve

COMMANDS = ["serve", "migrate", "demo", "worker", "schema", "docs", "clients"]


def run(*args: str, database_url: str | None = None) -> str:
    options = ["--database-url", database_url] if database_url else []
    result = CliRunner().invoke(main, [*options, *args], env={"DTC_LOG_LEVEL": "WARNING"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_help_lists_every_command() -> None:
    text = run("--help")
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s+\S", text, re.MULTILINE), command


@pytest.mark.parametrize("command", [*COMMANDS, "clients create"])
def test_each_command_explains_itself(command: str) -> None:
    text = run(*command.split(), "--help")
    assert "Usage: " in text and len(text.splitlines()) > 4


def test_schema_prints_the_sdl() -> None:
    sdl = run("schema")
    assert "directive @scope(modes: [SCOPE!]!) on FIELD_DEFINITION" in sdl
    assert "addItem(item: String!, quantity: Int! = 1, subscriptionPlan: Int): AddItemPayload!" \
        in sdl


def test_unknown_setting_fails_loudly() -> None:
    result = CliRunner().invoke(main, ["migrate"], env={"DTC_DATABSE_URL": "sqlite:///x.db"})
    assert result.exit_code != 0
    assert "unknown setting DTC_DATABSE_URL" in result.output


def test_clients_create_prints_credentials_once(empty_db_url: str) -> None:
    out = run("clients", "create", "--name", "web", "--frontend-url", "https://shop.example",
              "--json", database_url=empty_db_url)
    credentials = json.loads(out)
    assert set(credentials) == {"name", "sessionToken", "noSessionToken", "sharedSecret"}
    assert credentials["name"] == "web"
    assert len({credentials["sessionToken"], credentials["noSessionToken"],
                credentials["sharedSecret"]}) == 3
    again = CliRunner().invoke(main, ["--database-url", empty_db_url, "clients", "create",
                                      "--name", "web", "--json"])
    assert again.exit_code != 0
    assert "exists already" in again.output


def test_demo_json_and_migrate(empty_db_url: str) -> None:
    run("migrate", database_url=empty_db_url)
    first = json.loads(run("demo", "--json", database_url=empty_db_url))
    second = json.loads(run("demo", "--json", database_url=empty_db_url))
    assert first["name"] == second["name"] == "demo"
    assert first["sessionToken"] != second["sessionToken"]


def test_worker_once_says_what_each_job_did(db_url: str, tmp_path: Path) -> None:
    # given two rate-limit counters of a window that ended a day ago
    async def count_yesterday() -> None:
        db = Database(db_url, pool_size=1)
        try:
            async with db.write() as conn:
                for key in ("login:192.0.2.1", "login:192.0.2.2"):
                    await limits.hit(conn, key, dt.timedelta(minutes=1),
                                     dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        finally:
            await db.dispose()

    asyncio.run(count_yesterday())
    env = {"DTC_LOG_LEVEL": "WARNING", "DTC_MAIL_DIR": str(tmp_path / "mail")}
    result = CliRunner().invoke(main, ["--database-url", db_url, "worker", "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "purge-sessions: purged 0 expired sessions",
        "purge-selections: purged 0 abandoned selections",
        "purge-throttle-counters: purged 2 old rate-limit counters",
        "purge-reset-links: purged 0 expired password-reset links",
        "purge-finished-mail: deleted 0 sent or failed e-mails past DTC_OUTBOX_RETENTION",
        "expire-payments: expired 0 unfinished payments, their stock returned",
        "mail: sent 0 e-mails",
    ]
    # The same as JSON, for scripts (nothing left to purge this time).
    result = CliRunner().invoke(main, ["--database-url", db_url, "worker", "--once", "--json"],
                                env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "purge-sessions": 0, "purge-selections": 0, "purge-throttle-counters": 0,
        "purge-reset-links": 0, "purge-finished-mail": 0, "expire-payments": 0,
        "mail-sent": 0, "mail-failed": 0, "failed": []}


def test_worker_json_goes_with_once() -> None:
    result = CliRunner().invoke(main, ["worker", "--json"])
    assert result.exit_code == 2
    assert "--json goes with --once" in result.output


@pytest.fixture
def served(empty_db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`dtc-api serve --demo` as a real process; yields its URL and printed output."""
    with serve(empty_db_url, tmp_path, args=()) as process:
        yield process.base, process.output()


def test_serve_demo_prints_a_working_token_and_curl_example(served: tuple[str, str]) -> None:
    base, printed = served
    assert f"{base}/graphql" in printed
    token = re.search(r"demo client session token:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
    assert f"curl -s {base}/graphql" in printed and token in printed

    answer = httpx.post(f"{base}/graphql", headers={"authorization": f"Bearer {token}"},
                        json={"query": "{ session { country { code } } }"}).json()
    assert answer["data"] == {"session": {"country": {"code": "SE"}}}
    shopper_token = answer["extensions"]["token"]

    added = httpx.post(
        f"{base}/graphql", headers={"authorization": f"Bearer {shopper_token}"},
        json={"query": 'mutation { addItem(item: "1-1") { selection { lines { quantity } } '
                       "userErrors { message } } }"},
    ).json()
    assert added["data"]["addItem"] == {"selection": {"lines": [{"quantity": 1}]},
                                        "userErrors": []}
    assert httpx.get(f"{base}/readyz").json() == {"status": "ok"}


def test_serve_demo_opens_the_explorer(served: tuple[str, str]) -> None:
    """The demo turns the explorer on and prints a link that hands the page the session
    token in the fragment, which the browser keeps to itself."""
    base, printed = served
    token = re.search(r"demo client session token:\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
    assert f"explorer (open in a browser): {base}/graphql#token={token}" in printed
    page = httpx.get(f"{base}/graphql", headers={"accept": "text/html"})
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "graphql/explorer/graphiql.min.js" in page.text


def test_serve_demo_leaves_the_explorer_off_when_told(empty_db_url: str, tmp_path: Path
                                                      ) -> None:
    with serve(empty_db_url, tmp_path, args=(), env={"DTC_EXPLORER": "false"}) as process:
        assert "explorer (open in a browser)" not in process.output()
        answer = httpx.get(f"{process.base}/graphql", headers={"accept": "text/html"})
        assert answer.status_code == 406


def test_clients_create_refuses_an_unknown_default_country(empty_db_url: str) -> None:
    result = CliRunner().invoke(main, ["--database-url", empty_db_url, "clients", "create",
                                       "--name", "web", "--default-country", "ZZ"])
    assert result.exit_code == 1
    assert "country ZZ not found" in result.output
    assert "Traceback" not in result.output


def test_integration_keys_create_list_revoke(empty_db_url: str) -> None:
    created = json.loads(run("integration-keys", "create", "--name", "erp", "--json",
                             database_url=empty_db_url))
    assert created["name"] == "erp" and len(created["key"]) >= 43
    listed = run("integration-keys", "list", database_url=empty_db_url)
    assert "erp\twrite" in listed and created["key"] not in listed
    run("integration-keys", "revoke", "erp", database_url=empty_db_url)
    assert "revoked" in run("integration-keys", "list", database_url=empty_db_url)


def test_clients_allowed_origins_reach_a_running_server(empty_db_url: str, tmp_path: Path
                                                        ) -> None:
    """The demo client's frontend (http://localhost:3000) may call from a browser; more
    origins are added with `clients create --allowed-origin` and `clients set-origins`, and
    a running server sees them within DTC_ALLOWED_ORIGINS_TTL."""
    asked = {"access-control-request-method": "POST",
             "access-control-request-headers": "authorization, content-type"}
    with serve(empty_db_url, tmp_path, args=(),
               env={"DTC_ALLOWED_ORIGINS_TTL": "0.3"}) as process:
        def preflight(origin: str) -> int:
            """The status once the server has seen the last change (at most 5 s)."""
            deadline = time.monotonic() + 5
            while True:
                status = httpx.options(f"{process.base}/graphql",
                                       headers={"origin": origin, **asked}).status_code
                if time.monotonic() > deadline or status == expected.get(origin, status):
                    return status
                time.sleep(0.1)

        expected: dict[str, int] = {}

        assert preflight("http://localhost:3000") == 204
        assert preflight("https://shop.example") == 403
        run("clients", "create", "--name", "web", "--allowed-origin", "https://shop.example",
            "--allowed-origin", "https://www.shop.example/", "--json",
            database_url=empty_db_url)
        expected.update({"https://shop.example": 204, "https://www.shop.example": 204})
        assert preflight("https://shop.example") == 204
        assert preflight("https://www.shop.example") == 204
        out = run("clients", "set-origins", "--name", "web", "https://staging.example",
                  database_url=empty_db_url)
        assert out.strip() == "https://staging.example"
        expected.update({"https://shop.example": 403, "https://staging.example": 204})
        assert preflight("https://shop.example") == 403
        assert preflight("https://staging.example") == 204
        assert run("clients", "set-origins", "--name", "web",
                   database_url=empty_db_url).strip() == "(no origin allowed)"
    refused = CliRunner().invoke(main, ["--database-url", empty_db_url, "clients",
                                        "set-origins", "--name", "web", "shop.example"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "an allowed origin is scheme://host[:port]" in refused.output
