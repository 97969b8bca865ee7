"""backInStockSubscribe / subscribeToBackInStock and the restock notification."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from dtc_api.cli import main
from dtc_api.config import Settings
from dtc_api.jobs import loop
from dtc_api.shop import stock
from dtc_api.store import tables as t
from tests import documents, support
from tests.conftest import SmtpServer
from tests.support import Shopper

SEED = """
mutation {
backInStockSubscribe(
input: {
email: "example@centra.com"
shipTo: { countryCode: "SE" }
item: "10-1"
languageCode: "en"
}
) {
subscribed
userErrors {
message
path
}
}
}
"""
SUBSCRIBE = """
mutation($input: BackInStockSubscribeInput!) {
  backInStockSubscribe(input: $input) { subscribed userErrors { message path } }
}
"""


@pytest.fixture
def settings(db_url: str, smtp_server: SmtpServer) -> Settings:
    return support.mail_settings(db_url, smtp_server.url)


async def stock_set(db_url: str, item: str, quantity: int, warehouse: str = "main") -> str:
    """`dtc-api stock set …`, run as the command runs (its own event loop, in a thread)."""
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["--database-url", db_url, "stock", "set", item,
                                   str(quantity), "--warehouse", warehouse])
    assert result.exit_code == 0, result.output
    return result.stdout


def catch_up(clock: Any) -> None:
    """The CLI queues mail on the real clock; bring the test's clock past it."""
    clock.advance(seconds=(dt.datetime.now(dt.UTC) - clock.now()).total_seconds() + 60)


async def subscribe(shopper: Shopper, **input: Any) -> dict[str, Any]:
    data = {"email": "example@centra.com", "shipTo": {"countryCode": "SE"}, "item": "10-1",
            **input}
    return (await shopper.gql(SUBSCRIBE, {"input": data}))["backInStockSubscribe"]


async def waiting(runtime: Any) -> int:
    table = t.back_in_stock_subscriptions
    async with runtime.db.read() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)
                                     .where(table.c.notified_at.is_(None))))


async def test_seed_example_and_both_names(shopper: Shopper, runtime: Any) -> None:
    assert await shopper.gql(SEED) == {
        "backInStockSubscribe": {"subscribed": True, "userErrors": []}}
    again = await shopper.gql(SEED.replace("backInStockSubscribe", "subscribeToBackInStock"))
    assert again == {"subscribeToBackInStock": {"subscribed": True, "userErrors": []}}
    assert await waiting(runtime) == 1  # idempotent


@pytest.mark.parametrize(("input", "message", "path"), [
    ({"email": None}, "email is required unless the shopper is logged in", ["email"]),
    ({"item": "404-1"}, "item 404-1 not found", ["item"]),
    ({"languageCode": "xx"}, "language not found", ["languageCode"]),
    ({"shipTo": {"countryCode": "XX"}}, "country not found", ["shipTo", "countryCode"]),
    ({"shipTo": {"countryCode": "US", "stateCode": "ZZ"}}, "state not found",
     ["shipTo", "stateCode"]),
    ({"email": "nope"}, None, ["email"]),
])
async def test_bad_input(shopper: Shopper, runtime: Any, input: dict[str, Any],
                         message: str | None, path: list[str]) -> None:
    answer = await subscribe(shopper, **input)
    assert answer["subscribed"] is False
    assert [e["path"] for e in answer["userErrors"]] == [["backInStockSubscribe", "input",
                                                          *path]]
    if message:
        assert answer["userErrors"][0]["message"] == message
    assert await waiting(runtime) == 0


async def test_logged_in_shopper_may_omit_the_email(shopper: Shopper, runtime: Any) -> None:
    await shopper.gql(documents.REGISTER_ERRORS, {"input": support.registration(
        "m@example.com", first_name="M", last_name="N", login=True)})
    assert (await subscribe(shopper, email=None))["userErrors"] == []
    async with runtime.db.read() as conn:
        email = await conn.scalar(sa.select(t.back_in_stock_subscriptions.c.email))
    assert email == "m@example.com"


async def test_restock_via_the_cli_sends_one_email_in_the_right_language(
    shopper: Shopper, db_url: str, runtime: Any, clock: Any, smtp_server: SmtpServer
) -> None:
    await subscribe(shopper, email="sv@example.com", languageCode="sv")
    await subscribe(shopper, email="us@example.com", shipTo={"countryCode": "US",
                                                             "stateCode": "NY"})
    # `main` serves every market: both subscriptions are notified, once.
    assert "2 back-in-stock e-mails queued" in await stock_set(db_url, "10-1", 5)
    assert "0 back-in-stock e-mails queued" in await stock_set(db_url, "10-1", 7)
    catch_up(clock)
    await loop.deliver_mail_once(runtime)
    assert sorted(m["To"] for m in smtp_server.messages) == ["sv@example.com",
                                                             "us@example.com"]
    message = next(m for m in smtp_server.messages if m["To"] == "sv@example.com")
    assert message["Subject"] == "Recycled Down Parka finns i lager igen"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "storlek S" in text
    assert "https://shop.example/recycled-down-parka" in text
    english = next(m for m in smtp_server.messages if m["To"] == "us@example.com")
    assert english["Subject"] == "Recycled Down Parka is back in stock"
    assert await waiting(runtime) == 0


async def test_no_email_while_the_countrys_warehouses_are_empty(
    shopper: Shopper, db_url: str, runtime: Any, clock: Any, smtp_server: SmtpServer
) -> None:
    await subscribe(shopper, email="se@example.com")  # Sweden: only `main` serves it
    await subscribe(shopper, email="us@example.com", shipTo={"countryCode": "US",
                                                             "stateCode": "NY"})
    assert "1 back-in-stock e-mails queued" in await stock_set(db_url, "10-1", 3, "us-east")
    catch_up(clock)
    await loop.deliver_mail_once(runtime)
    assert [m["To"] for m in smtp_server.messages] == ["us@example.com"]
    assert await waiting(runtime) == 1
    await stock_set(db_url, "10-1", 0, "us-east")
    await stock_set(db_url, "10-1", 2, "us-east")  # again, where Sweden is not served
    catch_up(clock)
    await loop.deliver_mail_once(runtime)
    assert [m["To"] for m in smtp_server.messages] == ["us@example.com"]


async def test_concurrent_restocks_notify_once(shopper: Shopper, runtime: Any,
                                               smtp_server: SmtpServer) -> None:
    for n in range(5):
        await subscribe(shopper, email=f"c{n}@example.com")
    geography = await runtime.geography.get()

    async def restock(quantity: int) -> int:
        async with runtime.db.write() as conn:
            return await stock.set_stock(conn, geography, "10-1", "main", quantity,
                                                 runtime.clock.now())

    queued = await asyncio.gather(*[restock(q) for q in range(1, 7)])
    assert sum(queued) == 5
    await loop.deliver_mail_once(runtime)
    assert sorted(m["To"] for m in smtp_server.messages) == [f"c{n}@example.com"
                                                             for n in range(5)]


@pytest.mark.parametrize(("item", "quantity", "warehouse", "message"), [
    ("404-1", 1, "main", "item 404-1 not found"),
    ("10-1", -1, "main", "quantity must not be negative"),
    ("10-1", 1, "nowhere", "warehouse nowhere not found"),
])
def test_stock_set_bad_input(db_url: str, item: str, quantity: int, warehouse: str,
                             message: str) -> None:
    result = CliRunner().invoke(main, ["--database-url", db_url, "stock", "set", item,
                                       "--warehouse", warehouse, "--", str(quantity)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


async def test_per_ip_limit_is_a_clear_error(shopper: Shopper) -> None:
    for n in range(30):
        assert (await subscribe(shopper, email=f"n{n}@example.com"))["subscribed"] is True
    refused = await subscribe(shopper, email="one-more@example.com")
    assert refused == {"subscribed": False, "userErrors": [{
        "message": "too many subscriptions from this address: try again later",
        "path": ["backInStockSubscribe"]}]}


async def test_two_workers_restocking_at_once_send_one_email(
    shopper: Shopper, db_url: str, settings: Settings, runtime: Any, clock: Any,
    smtp_server: SmtpServer,
) -> None:
    from dtc_api.runtime import Runtime

    await subscribe(shopper, email="once@example.com")
    workers = [Runtime.build(settings, clock) for _ in range(2)]
    try:
        async def restock_and_deliver(worker: Runtime, quantity: int) -> None:
            geography = await worker.geography.get()
            async with worker.db.write() as conn:
                await stock.set_stock(conn, geography, "10-1", "main", quantity,
                                              clock.now())
            await loop.deliver_mail_once(worker)

        await asyncio.gather(*[restock_and_deliver(w, q) for q in (3, 4) for w in workers])
    finally:
        for worker in workers:
            await worker.db.dispose()
    assert [m["To"] for m in smtp_server.messages] == ["once@example.com"]
