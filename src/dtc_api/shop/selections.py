"""The shopper's selection (cart): lines, prices from the session's pricelist, stock checks."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import sessions as session_service
from dtc_api.checkout import holds
from dtc_api.checkout import state as checkout
from dtc_api.core.errors import Code, UserError, invalid
from dtc_api.core.money import monetary_value
from dtc_api.shop import bundles, catalog
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t
from dtc_api.store.reads import Conn, Query, within

MAX_LINE_QUANTITY = 100_000


@dataclass(frozen=True)
class SelectionPolicy:
    ttl: dt.timedelta


_NEW_SELECTION = Query("INSERT INTO selections (public_id, created_at, updated_at) "
                       "VALUES ($1, $2, $3) RETURNING id")
_TOUCH = Query("UPDATE selections SET updated_at = $2 WHERE id = $1")
_LINE_ONCE = Query(
    """SELECT id, public_id, quantity FROM selection_lines WHERE selection_id = $1
    AND item_id = $2 AND contents = $3 AND subscription_plan_id IS NULL""")
_LINE_PLANNED = Query(
    """SELECT id, public_id, quantity FROM selection_lines WHERE selection_id = $1
    AND item_id = $2 AND contents = $3 AND subscription_plan_id = $4""")
_NEW_LINE = Query(
    """INSERT INTO selection_lines (public_id, selection_id, item_id, quantity,
    subscription_plan_id, contents, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
    RETURNING id""")
_LINE_BY_ID = Query(
    """SELECT id, public_id, selection_id, item_id, quantity, subscription_plan_id, contents
    FROM selection_lines WHERE selection_id = $1 AND public_id = $2""")
_PLAN = Query("UPDATE selection_lines SET subscription_plan_id = $2 WHERE id = $1")
_QUANTITY = Query("UPDATE selection_lines SET quantity = $2 WHERE id = $1")
_DELETE_LINE = Query("DELETE FROM selection_lines WHERE id = $1")
_LINES = Query(
    """SELECT l.id, l.public_id, l.selection_id, l.item_id, l.quantity,
    l.subscription_plan_id, l.contents, i.display_item_id, p.discount
    FROM selection_lines l JOIN items i ON i.id = l.item_id
    LEFT JOIN subscription_plans p ON p.id = l.subscription_plan_id
    WHERE l.selection_id = $1 ORDER BY l.id""")
_SELECTION = Query(
    """SELECT id, public_id, updated_at, shipping_address, billing_address, shipping_method_id,
    payment_method_id FROM selections WHERE id = $1""",
    updated_at="datetime", shipping_address="json", billing_address="json")


async def active_id(
    conn: Conn, session: dict[str, Any], policy: SelectionPolicy, now: dt.datetime
) -> int | None:
    """The session's selection, unless it has expired from inactivity."""
    return await alive(conn, session["selection_id"], policy, now)


async def active(
    conn: Conn, session: dict[str, Any], policy: SelectionPolicy, now: dt.datetime
) -> dict[str, Any] | None:
    """The row of the session's selection (with its checkout), unless it has expired."""
    selection_id = session["selection_id"]
    if selection_id is None:
        return None
    row = await (await within(conn)).one(_SELECTION, selection_id)
    if row is None or row["updated_at"] + policy.ttl <= now:
        return None
    return row


async def alive(
    conn: Conn, selection_id: int | None, policy: SelectionPolicy, now: dt.datetime
) -> int | None:
    """``selection_id``, unless there is none or it has expired from inactivity."""
    row = await active(conn, {"selection_id": selection_id}, policy, now)
    return None if row is None else selection_id


async def ensure(
    conn: AsyncConnection, session: dict[str, Any], policy: SelectionPolicy, now: dt.datetime
) -> int:
    """The session's selection, created if it has none."""
    selection_id = await active_id(conn, session, policy, now)
    if selection_id is None:
        selection_id = await (await within(conn)).scalar(
            _NEW_SELECTION, secrets.token_hex(16), now, now)
        await session_service.update(conn, session, selection_id=selection_id)
    return int(selection_id)


async def touch(conn: Conn, selection_id: int, now: dt.datetime) -> None:
    """The selection changed: a payment started for it is for another cart now (it ends, and
    its stock returns)."""
    await holds.cancel_open(conn, selection_id, now)
    await (await within(conn)).execute(_TOUCH, selection_id, now)


def _unavailable(
    message: str, path: tuple[str, ...], item: Any, wanted: int, available: int
) -> UserError:
    return UserError(
        message,
        path,
        typename="UnavailableItem",
        code=Code.UNAVAILABLE,
        extra={
            "originalQuantity": wanted,
            "availableQuantity": available,
            "unavailableQuantity": wanted - available,
            "itemId": item["id"],
            "displayItemId": item["display_item_id"],
        },
    )


_OFFERED = Query("""SELECT 1 FROM display_item_plans o JOIN items i
    ON i.display_item_id = o.display_item_id WHERE i.id = $1 AND o.plan_id = $2""")


async def _check_plan(conn: AsyncConnection, item_id: str, plan_id: int | None,
                      argument: str) -> None:
    """Refuse a subscription plan the item's display item does not offer."""
    if plan_id is not None and await (await within(conn)).scalar(
            _OFFERED, item_id, plan_id) is None:
        raise invalid(f"subscription plan {plan_id} is not offered for item {item_id}",
                      argument, code=Code.NOT_FOUND)


async def _same_line(conn: AsyncConnection, selection_id: int, item_id: str,
                     plan_id: int | None, contents: str) -> Any:
    """The selection's line of this item, plan (None: bought once) and bundle contents."""
    reads = await within(conn)
    if plan_id is None:
        return await reads.one(_LINE_ONCE, selection_id, item_id, contents)
    return await reads.one(_LINE_PLANNED, selection_id, item_id, contents, plan_id)


async def _allowed(conn: AsyncConnection, session: dict[str, Any], selection_id: int,
                   item_id: str, parts: list[bundles.Part] | None, line_pk: int | None,
                   sellable: int | None) -> int | None:
    """Units of a line that stock allows besides the selection's other lines (None:
    unlimited): of the item (``sellable`` units), or of the bundles its parts make."""
    if parts is None:
        if sellable is None:
            return None
        used = await bundles.used_elsewhere(conn, selection_id, [item_id], line_pk)
        return sellable - used.get(item_id, 0)
    items = [p.item_id for p in parts]
    return bundles.allowed(parts, await bundles.units(conn, items, session["market_id"]),
                           await bundles.used_elsewhere(conn, selection_id, items, line_pk))


async def _contents(conn: AsyncConnection, session: dict[str, Any], item: Any,
                    chosen: list[dict[str, Any]] | None) -> tuple[list[bundles.Part] | None,
                                                                  bool]:
    """A bundle's parts (None for a product), and whether the pricelist prices the line."""
    bundle = bundles.bundle_of(item)
    if bundle is None:
        if chosen is not None:
            raise invalid(f"item {item['id']} is not a bundle", "item", code=Code.INVALID_INPUT)
        return None, True
    parts = await bundles.contents(conn, bundle, item["product_size_id"], item["id"], chosen)
    return parts, await bundles.sellable(conn, bundle, item["id"], parts,
                                         session["pricelist_id"])


async def add_item(
    conn: AsyncConnection,
    session: dict[str, Any],
    item_id: str,
    quantity: int,
    policy: SelectionPolicy,
    now: dt.datetime,
    plan_id: int | None = None,
    chosen: list[dict[str, Any]] | None = None,
) -> tuple[str | None, list[UserError]]:
    """Add units of an item, bought once or on a subscription plan the item offers (a line
    per item, plan and bundle contents; ``chosen``: a FLEXIBLE bundle's item per section);
    returns the line's public id and what stock could not cover."""
    if quantity < 1 or quantity > MAX_LINE_QUANTITY:
        raise invalid(f"quantity must be between 1 and {MAX_LINE_QUANTITY}", "quantity",
                      code=Code.OUT_OF_RANGE)
    availability = await catalog.item_availability(
        conn, [item_id], session["market_id"], session["pricelist_id"])
    if item_id not in availability:
        raise invalid(f"item {item_id} not found", "item", code=Code.NOT_FOUND)
    await _check_plan(conn, item_id, plan_id, "subscriptionPlan")
    item, sellable = availability[item_id]
    parts, priced = await _contents(conn, session, item, chosen)
    contents = bundles.key(parts or ())
    selection_id = await ensure(conn, session, policy, now)
    reads = await within(conn)
    line = await _same_line(conn, selection_id, item_id, plan_id, contents)
    current = line["quantity"] if line else 0
    wanted = min(current + quantity, MAX_LINE_QUANTITY)
    available = await _allowed(conn, session, selection_id, item_id, parts,
                               line["id"] if line else None, sellable) if priced else 0
    granted = wanted if available is None else min(wanted, max(available, current))
    errors = []
    if granted < wanted:
        errors.append(
            _unavailable(f"item {item_id} is not available in the requested quantity",
                         ("item",), item, wanted, granted)
        )
    if granted == current:
        return (line["public_id"] if line else None), errors
    if line:
        await reads.execute(_QUANTITY, line["id"], granted)
        public_id = line["public_id"]
    else:
        public_id = secrets.token_hex(16)
        line_pk = await reads.scalar(_NEW_LINE, public_id, selection_id, item_id, granted,
                                     plan_id, contents, now)
        if parts:
            await bundles.store(conn, line_pk, parts)
    await touch(conn, selection_id, now)
    return public_id, errors


async def _line(
    conn: AsyncConnection, selection_id: int | None, line_id: str
) -> Any:
    if selection_id is None:
        return None
    return await (await within(conn)).one(_LINE_BY_ID, selection_id, line_id)


KEEP: Any = object()  # update_line: the line keeps its plan


async def update_line(
    conn: AsyncConnection,
    session: dict[str, Any],
    line_id: str,
    quantity: int | None,
    policy: SelectionPolicy,
    now: dt.datetime,
    plan_id: int | None = KEEP,
    plan_argument: str = "subscriptionPlanId",
) -> list[UserError]:
    """A line's quantity (None: kept; 0 removes the line) and plan (``KEEP``, a plan the
    item offers, or None: bought once). A line that comes to the item and plan of another
    line is merged into it."""
    if quantity is not None and not 0 <= quantity <= MAX_LINE_QUANTITY:
        raise invalid(f"quantity must be between 0 and {MAX_LINE_QUANTITY}", "quantity",
                      code=Code.OUT_OF_RANGE)
    selection_id = await active_id(conn, session, policy, now)
    line = await _line(conn, selection_id, line_id)
    if line is None:
        raise invalid(f"line {line_id} not found", "lineId", code=Code.NOT_FOUND)
    # A shortfall names the quantity asked for, or else the line (whose kept quantity, joined
    # with another line's, stock no longer covers).
    shortfall_at = "lineId" if quantity is None else "quantity"
    quantity = line["quantity"] if quantity is None else quantity
    errors: list[UserError] = []
    if quantity == 0:
        await _set_quantity(conn, line["id"], 0)
        await touch(conn, line["selection_id"], now)
        return errors
    plan = line["subscription_plan_id"] if plan_id is KEEP else plan_id
    if plan != line["subscription_plan_id"]:
        await _check_plan(conn, line["item_id"], plan, plan_argument)
        other = await _same_line(conn, line["selection_id"], line["item_id"], plan,
                                 line["contents"])
        if other is not None:  # one line per item and plan: this one joins the other
            await _set_quantity(conn, line["id"], 0)
            line, quantity = {**line, "id": other["id"]}, other["quantity"] + quantity
        await (await within(conn)).execute(_PLAN, line["id"], plan)
    availability = await catalog.item_availability(
        conn, [line["item_id"]], session["market_id"], session["pricelist_id"]
    )
    item, sellable = availability[line["item_id"]]
    parts = (await bundles.parts_of(conn, [line["id"]]))[line["id"]] if line["contents"] \
        else None
    available = await _allowed(conn, session, line["selection_id"], line["item_id"], parts,
                               line["id"], sellable)
    if parts is not None:
        bundle = bundles.bundle_of(item)
        if bundle is None or not await bundles.sellable(conn, bundle, line["item_id"], parts,
                                                        session["pricelist_id"]):
            available = 0
    if available is not None:
        if quantity > available:
            errors.append(
                _unavailable(f"item {item['id']} is not available in the requested quantity",
                             (shortfall_at,), item, quantity, max(available, 0))
            )
            quantity = max(available, 0)
    await _set_quantity(conn, line["id"], min(quantity, MAX_LINE_QUANTITY))
    await touch(conn, line["selection_id"], now)
    return errors


async def delete_line(
    conn: AsyncConnection,
    session: dict[str, Any],
    line_id: str,
    policy: SelectionPolicy,
    now: dt.datetime,
) -> None:
    selection_id = await active_id(conn, session, policy, now)
    line = await _line(conn, selection_id, line_id)
    if line is None:
        raise invalid(f"line {line_id} not found", "lineId", code=Code.NOT_FOUND)
    await _set_quantity(conn, line["id"], 0)
    await touch(conn, line["selection_id"], now)


async def _set_quantity(conn: AsyncConnection, line_pk: int, quantity: int) -> None:
    reads = await within(conn)
    if quantity == 0:
        await reads.execute(_DELETE_LINE, line_pk)
    else:
        await reads.execute(_QUANTITY, line_pk, quantity)


async def fit_to_market(
    conn: AsyncConnection,
    session: dict[str, Any],
    policy: SelectionPolicy,
    now: dt.datetime,
    path: tuple[str, ...],
) -> list[UserError]:
    """Reduce or remove lines that the session's (new) market cannot supply."""
    selection_id = await active_id(conn, session, policy, now)
    if selection_id is None:
        return []
    lines = t.selection_lines
    rows = (
        await conn.execute(sa.select(lines).where(lines.c.selection_id == selection_id))
    ).mappings().all()
    availability = await catalog.item_availability(
        conn, [r["item_id"] for r in rows], session["market_id"], session["pricelist_id"]
    )
    parts = await bundles.parts_of(conn, [r["id"] for r in rows if r["contents"]])
    units = await bundles.units(conn, {p.item_id for held in parts.values() for p in held},
                                session["market_id"])
    errors = []
    used: dict[str, int] = defaultdict(int)  # units of each item the lines before hold
    for row in sorted(rows, key=lambda r: r["id"]):  # older lines keep their units first
        item, sellable = availability[row["item_id"]]
        held = parts[row["id"]] if row["contents"] else None
        if held is not None:
            bundle = bundles.bundle_of(item)
            priced = bundle is not None and await bundles.sellable(
                conn, bundle, row["item_id"], held, session["pricelist_id"])
            available = bundles.allowed(held, units, used) if priced else 0
        else:
            available = None if sellable is None else max(sellable - used[row["item_id"]], 0)
        kept = row["quantity"] if available is None else min(row["quantity"], available)
        if kept < row["quantity"]:
            errors.append(
                _unavailable(f"item {item['id']} is not available in this market and pricelist",
                             path,
                             item, row["quantity"], kept)
            )
            await _set_quantity(conn, row["id"], kept)
        for part in held or ():
            used[part.item_id] += part.quantity * kept
        if held is None:
            used[row["item_id"]] += kept
    if errors:
        await touch(conn, selection_id, now)
    return errors


async def view(
    conn: AsyncConnection,
    geography: Geography,
    session: dict[str, Any],
    policy: SelectionPolicy,
    now: dt.datetime,
) -> dict[str, Any]:
    """A GraphQL ``Selection`` priced in the session's pricelist, with its checkout and
    discounts; ``id`` is null when empty."""
    currency = geography.currency_of(session["pricelist_id"])
    selection: dict[str, Any] = {
        "id": None,
        "lines": [],
        "language": geography.language(session["language_code"]),
        "attributes": [],
        "comment": None,
        "externalGiftCardAvailable": False,
        "taxExempt": False,
        "usedFallbackTax": False,
    }
    row = await active(conn, session, policy, now)
    total = 0
    if row is not None:
        total = await _lines(conn, session, row["id"], currency, selection["lines"])
        if selection["lines"]:
            selection["id"] = row["public_id"]
    found = await checkout.build(await within(conn), geography, session, row,
                                 [line["id"] for line in selection["lines"]], total, now)
    selection["grandTotal"] = monetary_value(found.totals.grand_minor, currency)
    selection["checkout"] = found.view
    selection["discounts"] = found.discounts
    selection["_checkout"] = found  # for the checkout's own use (vouchers, payments)
    return selection


async def _lines(conn: AsyncConnection, session: dict[str, Any], selection_id: int,
                 currency: dict[str, Any], into: list[dict[str, Any]]) -> int:
    """The selection's lines, appended to ``into``; returns their value in minor units."""
    rows = await (await within(conn)).all(_LINES, selection_id)
    if not rows:
        return 0
    parts = await bundles.parts_of(conn, [r["id"] for r in rows if r["contents"]])
    # Item ids are "<displayItemId>-<sizeId>" (the catalogue refuses others).
    members = {int(p.item_id.partition("-")[0]) for held in parts.values() for p in held}
    display_items = await catalog.display_items(
        await within(conn),
        {r["display_item_id"] for r in rows} | members,
        market_id=session["market_id"],
        pricelist_id=session["pricelist_id"],
        currency=currency,
        language=session["language_code"],
    )
    total = 0
    for row in rows:
        display_item = display_items[row["display_item_id"]]
        item = next(i for i in display_item["items"] if i["id"] == row["item_id"])
        if row["contents"] and display_item["bundle"] is not None:
            line, line_minor = bundles.line_view(row, display_item, item, parts[row["id"]],
                                                 display_items, currency)
        else:
            line_minor = (display_item["priceMinor"] or 0) * row["quantity"]
            line = {
                "__typename": "ProductLine",
                "id": row["public_id"],
                "name": display_item["name"],
                "quantity": row["quantity"],
                "item": item,
                "displayItem": display_item,
                "subscriptionId": row["subscription_plan_id"],
            }
        if row["discount"]:  # the plan's percentage off every delivery
            line_minor = round(line_minor * (100 - row["discount"]) / 100)
        total += line_minor
        line["lineValue"] = monetary_value(line_minor, currency)
        line["unitMinor"] = line_minor // row["quantity"]
        line["minor"] = line_minor
        into.append(line)
    return total


_MERGED_LINES = Query("SELECT id, item_id, subscription_plan_id, contents, quantity "
                      "FROM selection_lines WHERE selection_id = $1 ORDER BY id")
_MOVE_LINE = Query("UPDATE selection_lines SET selection_id = $2 WHERE id = $1")
_SET_QUANTITY = Query("UPDATE selection_lines SET quantity = $2 WHERE id = $1")
_DROP_SELECTION = Query("DELETE FROM selections WHERE id = $1")


async def merge(conn: Conn, source: int, target: int, now: dt.datetime) -> None:
    """Move the lines of ``source`` into ``target`` (adding quantities of the same item, plan
    and bundle contents), then delete ``source``."""
    statements = await within(conn)
    kept = {(row["item_id"], row["subscription_plan_id"], row["contents"]): row
            for row in await statements.all(_MERGED_LINES, target)}
    for row in await statements.all(_MERGED_LINES, source):
        mine = kept.get((row["item_id"], row["subscription_plan_id"], row["contents"]))
        if mine is None:
            await statements.execute(_MOVE_LINE, row["id"], target)
        else:
            quantity = min(mine["quantity"] + row["quantity"], MAX_LINE_QUANTITY)
            await statements.execute(_SET_QUANTITY, mine["id"], quantity)
    await statements.execute(_DROP_SELECTION, source)
    await touch(conn, target, now)


async def purge_expired(conn: AsyncConnection, policy: SelectionPolicy, now: dt.datetime) -> int:
    result = await conn.execute(
        sa.delete(t.selections).where(t.selections.c.updated_at <= now - policy.ttl)
    )
    return result.rowcount or 0
