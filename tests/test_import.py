"""dtc-api import FILE.json: all or nothing, the bad record named, big files refused."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from dtc_api.cli import main
from dtc_api.shop import catalogue
from dtc_api.store import tables as t
from dtc_api.store.db import Database

DOCUMENT = {
    "markets": [{"key": "switzerland", "name": "Switzerland"}],
    "pricelists": [{"key": "chf-import", "name": "CHF", "currency": "EUR"}],
    "countries": [{"code": "CH", "shipTo": True, "market": "switzerland",
                   "pricelist": "chf-import"}],
    "displayItems": [
        {"id": 30, "name": "Scarf", "uri": "scarf", "productNumber": "SC-30",
         "prices": [{"pricelist": "sek", "price": 199}],
         "items": [{"id": "30-1", "sizeId": 1, "name": "One size", "sku": "SC-30"}]},
        {"id": 31, "name": "Gloves", "uri": "gloves", "productNumber": "GL-31",
         "prices": [{"pricelist": "sek", "price": 249}],
         "items": [{"id": "31-1", "sizeId": 1, "name": "M", "sku": "GL-31-M"}]},
    ],
    "stock": [{"item": "30-1", "warehouse": "main", "quantity": 5}],
    "orders": [{"number": 9001, "email": "guest@example.com", "pricelist": 1,
                "shippingMethod": {"id": 1, "name": "Standard"},
                "lines": [{"item": "30-1", "quantity": 1, "unitPrice": 199}]}],
}


def invoke_import(db_url: str, path: Path) -> Result:
    return CliRunner().invoke(main, ["--database-url", db_url, "import", str(path)])


def run_import(db_url: str, path: Path) -> tuple[int, str]:
    result = invoke_import(db_url, path)
    return result.exit_code, result.output


def write(document: object, tmp: Path) -> Path:
    path = tmp / "import.json"
    path.write_text(json.dumps(document))
    return path


def run_import_text(db_url: str, document: object, tmp: Path) -> tuple[int, str]:
    return run_import(db_url, write(document, tmp))


SUMMARY = ("currencies: 0, languages: 0, markets: 1, pricelists: 1, countries: 1, "
           "warehouses: 0, subscriptionPlans: 0, brands: 0, collections: 0, categories: 0, "
           "attributeTypes: 0, displayItems: 2, items: 2, shippingMethods: 0, "
           "paymentMethods: 0, vouchers: 0, stock: 1, orders: 1\n")


def test_import_loads_catalogue_stock_and_orders(db_url: str, tmp_path: Path) -> None:
    result = invoke_import(db_url, write(DOCUMENT, tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout == SUMMARY
    code, output = run_import_text(db_url, {"displayItems": DOCUMENT["displayItems"]},
                                   tmp_path)
    assert code == 0, output  # importing again updates


def test_import_tells_each_section_s_progress_on_stderr(db_url: str, tmp_path: Path) -> None:
    result = invoke_import(db_url, write(DOCUMENT, tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout == SUMMARY  # the summary alone, as before
    # Not a terminal: a line as a section starts, and one with its count and time at its end
    # (the sections the file has, in the order they are written).
    timed = re.compile(r" in \d+\.\d s$")
    lines = [timed.sub(" in * s", line) for line in result.stderr.splitlines()]
    assert lines == [
        "checking: 7 records ...", "checking: 7 records in * s",
        "markets: 1 records ...", "markets: 1 records in * s",
        "pricelists: 1 records ...", "pricelists: 1 records in * s",
        "countries: 1 records ...", "countries: 1 records in * s",
        "displayItems: 2 records ...", "displayItems: 2 records in * s",
        "stock: 1 records ...", "stock: 1 records in * s",
        "orders: 1 records ...", "orders: 1 records in * s",
    ]


def test_import_on_a_terminal_rewrites_a_line_per_section(tmp_path: Path) -> None:
    # What a terminal shows does not depend on the backend: a SQLite file of its own, with
    # the demo data the document refers to.
    db_url = f"sqlite:///{tmp_path / 'terminal.db'}"
    assert CliRunner().invoke(main, ["--database-url", db_url, "demo"]).exit_code == 0
    path = write(DOCUMENT, tmp_path)
    terminal, child_end = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "dtc_api.cli", "--database-url", db_url, "import", str(path)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=child_end,
        env={**os.environ, "DTC_LOG_LEVEL": "WARNING"})
    os.close(child_end)
    shown = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the child closed the terminal (Linux: EIO)
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 0, shown
    assert stdout.decode() == SUMMARY
    # Each section's line is drawn at its start and rewritten (\r) until its end, with its
    # count and time; the terminal turns each finished line's \n into \r\n.
    lines = shown.decode().split("\r\n")
    assert lines.pop() == ""
    steps = [("checking", 7), ("markets", 1), ("pricelists", 1), ("countries", 1),
             ("displayItems", 2), ("stock", 1), ("orders", 1)]
    assert len(lines) == len(steps)
    for line, (step, total) in zip(lines, steps, strict=True):
        frames = line.split("\r")
        assert frames[0] == ""
        assert frames[1] == f"{step:<18}{0:>7} / {total}"
        assert re.fullmatch(rf"{step} +{total} / {total}  \d+\.\d s", frames[-1])
        # (a slow machine may draw the count in between as well)
        assert all(re.fullmatch(rf"{step} +\d+ / {total}", frame) for frame in frames[2:-1])


def test_display_items_written_a_slice_at_a_time_keep_their_own_rows(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given display items written one at a time, each with rows of its own in other tables
    monkeypatch.setattr(catalogue, "WRITE_CHUNK", 1)
    products = [{"id": 40 + n, "name": f"Hat {n}", "uri": f"hat-{n}", "productNumber": f"H{n}",
                 "prices": [{"pricelist": "sek", "price": 100 + n}],
                 "categories": [101] if n != 1 else [],
                 "items": [{"id": f"{40 + n}-{size}", "sizeId": size, "name": f"S{size}",
                            "sku": f"H{n}-{size}"} for size in range(1, n + 2)]}
                for n in range(3)]
    result = invoke_import(db_url, write({"displayItems": products}, tmp_path))
    assert result.exit_code == 0, result.output
    assert "displayItems: 3, items: 6," in result.stdout

    async def stored() -> dict[int, tuple[int, int, int]]:
        db = Database(db_url, pool_size=1)
        try:
            async with db.read() as conn:
                return {product["id"]: (
                    await conn.scalar(sa.select(sa.func.count()).select_from(t.items).where(
                        t.items.c.display_item_id == product["id"])),
                    await conn.scalar(sa.select(t.display_item_prices.c.price_minor).where(
                        t.display_item_prices.c.display_item_id == product["id"])),
                    await conn.scalar(sa.select(sa.func.count()).select_from(
                        t.display_item_categories).where(
                        t.display_item_categories.c.display_item_id == product["id"])),
                ) for product in products}
        finally:
            await db.dispose()

    # then each has its own items, price and categories
    assert asyncio.run(stored()) == {40: (1, 10_000, 1), 41: (2, 10_100, 0), 42: (3, 10_200, 1)}


@pytest.mark.parametrize(("change", "named"), [
    (lambda d: d["displayItems"][1]["prices"][0].update(pricelist="nope"),
     "displayItems[1].prices[0].pricelist: pricelist nope not found"),
    (lambda d: d["stock"][0].update(warehouse="nowhere"),
     "stock[0].warehouse: warehouse nowhere not found"),
    (lambda d: d["orders"][0]["lines"][0].update(item="404-1"),
     "orders[0].lines[0].item: item 404-1 not found"),
    (lambda d: d["displayItems"][1].pop("uri"),
     "displayItems[1]: Expected value of type 'DisplayItemInput' to include required field "
     "'uri'"),
    (lambda d: d["displayItems"][0]["items"][0].pop("sizeId"),
     "displayItems[0].items[0]: Expected value of type 'ItemInput' to include required field "
     "'sizeId'"),
    (lambda d: d["displayItems"][0]["prices"][0].update(price="199"),
     "displayItems[0].prices[0].price: Float cannot represent non numeric value: '199'"),
    (lambda d: d["orders"][0].update(status="LOST"),
     "orders[0].status: Value 'LOST' does not exist in 'OrderStatus' enum."),
    (lambda d: d.update(widgets=[]), "widgets: unknown section 'widgets'"),
    (lambda d: d["orders"][0].update(shippingMethod={"id": "1", "name": "Standard"}),
     "orders[0].shippingMethod.id: Int cannot represent non-integer value: '1'"),
    (lambda d: d["orders"][0].update(shippingMethod={"id": -1, "name": "Standard"}),
     "orders[0].shippingMethod.id: id must be a positive whole number"),
    (lambda d: d["orders"][0].update(shippingMethod={"id": 1, "name": ""}),
     "orders[0].shippingMethod.name: name must be 1 to 200 characters"),
    (lambda d: d["orders"][0].update(shippingMethod="Standard"),
     "orders[0].shippingMethod: Expected value of type 'ShippingMethodInput' to be an object"),
    (lambda d: d["orders"][0].update(shippingMethod={"id": 1, "name": "S", "price": 5}),
     "orders[0].shippingMethod: Expected value of type 'ShippingMethodInput' not to include "
     "unknown field 'price'"),
])
def test_a_bad_record_in_the_middle_writes_nothing(db_url: str, tmp_path: Path, change,
                                                    named: str) -> None:
    document = json.loads(json.dumps(DOCUMENT))
    change(document)
    code, output = run_import_text(db_url, document, tmp_path)
    assert code == 1
    assert "nothing was written" in output and named in output
    assert "Traceback" not in output
    # Nothing from the good records before it was written either.
    code, output = run_import_text(db_url, {"stock": [{"item": "30-1", "warehouse": "main",
                                                       "quantity": 1}]}, tmp_path)
    assert code == 1 and "item 30-1 not found" in output


def test_a_50_mb_file_is_refused_clearly(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as out:
        out.write(b'{"stock": [')
        out.truncate(50 * 1024 * 1024)
    code, output = run_import(db_url, path)
    assert code == 1
    assert "is 50 MiB; an import may be at most 20 MiB" in output


def test_not_json_is_refused(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    code, output = run_import(db_url, path)
    assert code == 1 and "is not valid JSON" in output
