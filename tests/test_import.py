"""dtc-api import FILE.json: all or nothing, the bad record named, big files refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dtc_api.cli import main

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


def run_import(db_url: str, path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--database-url", db_url, "import", str(path)])
    return result.exit_code, result.output


def run_import_text(db_url: str, document: object, tmp: Path) -> tuple[int, str]:
    path = tmp / "import.json"
    path.write_text(json.dumps(document))
    return run_import(db_url, path)


def test_import_loads_catalogue_stock_and_orders(db_url: str, tmp_path: Path) -> None:
    code, output = run_import_text(db_url, DOCUMENT, tmp_path)
    assert code == 0, output
    assert "displayItems: 2" in output and "stock: 1" in output and "orders: 1" in output
    code, output = run_import_text(db_url, {"displayItems": DOCUMENT["displayItems"]},
                                   tmp_path)
    assert code == 0, output  # importing again updates


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
