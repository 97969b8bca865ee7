"""`dtc-api backup` under writes, and a restore drill: the copy is consistent, holds every
account acknowledged before it began, and serves."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from dtc_api.cli import main
from tests.faults.support import (
    LIMITS_OFF,
    LOGIN,
    PASSWORD,
    REGISTER,
    Served,
    registration,
    serve,
)

CUSTOMER = "{ customer { email firstName orders { number } wishlists { id } } }"


def _post(client: httpx.Client, token: str, query: str, variables: dict | None = None) -> dict:
    answer = client.post("/graphql", json={"query": query, "variables": variables},
                         headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _register(client: httpx.Client, served: Served, n: int) -> bool:
    email = f"backup{n}@example.com"
    answer = _post(client, served.session_token, REGISTER,
                   registration(email, f"Shopper {n}"))
    return answer["data"]["registerCustomer"]["userErrors"] == []


def _run(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DTC_")}
    environment["DTC_DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "dtc_api.cli", *args], capture_output=True,
                          text=True, env=environment, timeout=120, check=False)


def test_a_backup_taken_under_writes_restores_and_serves(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    acknowledged: list[int] = []
    stop = threading.Event()
    with serve(f"sqlite:///{live}", tmp_path, env=LIMITS_OFF) as served:
        with httpx.Client(base_url=served.base, timeout=30) as client:
            for n in range(20):
                assert _register(client, served, n)
                acknowledged.append(n)

        def write() -> None:
            with httpx.Client(base_url=served.base, timeout=30) as client:
                n = 20
                while not stop.is_set():
                    if _register(client, served, n):
                        acknowledged.append(n)
                    n += 1

        writers = [threading.Thread(target=write) for _ in range(1)]
        for writer in writers:
            writer.start()
        time.sleep(0.5)
        before_backup = len(acknowledged)
        copy = tmp_path / "backup.db"
        result = _run("backup", str(copy), database_url=f"sqlite:///{live}")
        after_backup = len(acknowledged)
        time.sleep(0.5)
        stop.set()
        for writer in writers:
            writer.join()
        assert result.returncode == 0, result.stderr
        assert "integrity checked" in result.stdout
    assert after_backup > before_backup > 20  # writes went on while the copy was taken

    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        emails = {row[0] for row in conn.execute(
            "SELECT email FROM customers WHERE registered")}
    kept = {int(e.removeprefix("backup").removesuffix("@example.com")) for e in emails}
    # Everything acknowledged before the backup began is in it; nothing not acknowledged.
    assert set(acknowledged[:before_backup]) <= kept <= set(acknowledged)

    # The drill: put the copy in place of a lost database and serve from it.
    restored = tmp_path / "restored.db"
    shutil.copyfile(copy, restored)
    with serve(f"sqlite:///{restored}", tmp_path, env=LIMITS_OFF) as again, \
            httpx.Client(base_url=again.base, timeout=30) as client:
        for n in (0, before_backup - 1):
            session = _post(client, again.session_token, "{ session { country { code } } }")
            token = session["extensions"]["token"]
            answer = _post(client, token, LOGIN, {"email": f"backup{n}@example.com",
                                                  "password": PASSWORD})
            assert answer["data"]["login"] == {"loggedIn": {"email": f"backup{n}@example.com"},
                                               "userErrors": []}
            customer = _post(client, answer["extensions"]["token"], CUSTOMER)
            assert customer["data"]["customer"] == {
                "email": f"backup{n}@example.com", "firstName": f"Shopper {n}",
                "orders": [], "wishlists": []}
        # And it takes writes again.
        assert _register(client, again, 10_000)


def test_backup_refuses_postgresql_and_overwriting_the_database(tmp_path: Path) -> None:
    refused = CliRunner().invoke(main, ["--database-url", "postgresql://u@127.0.0.1:1/x",
                                        "backup", str(tmp_path / "x.db")])
    assert refused.exit_code == 1
    assert "pg_dump" in refused.output
    live = tmp_path / "live.db"
    sqlite3.connect(live).close()
    itself = CliRunner().invoke(main, ["--database-url", f"sqlite:///{live}", "backup",
                                       str(live)])
    assert itself.exit_code == 1
    assert "must not overwrite the database itself" in itself.output
    assert not list(tmp_path.glob("*.partial"))
