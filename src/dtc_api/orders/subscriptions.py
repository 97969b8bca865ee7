"""Subscriptions under a contract: each one product delivered on a schedule, recorded by the
back-office, viewed and changed by its customer.

The customer's changes follow Centra's rules: only the contract's customer may change it; an
address changes contract-wide and stays in its country; an interval moves only to a plan that
still offers the items, taking the plan's interval and discount; a subscription pauses and
resumes at any time, and a cancellation is final (when every subscription of a contract is
cancelled, its stored payment details are dropped); a quantity may fall to 1 at least, and
rise only while the plan's terms are still the ones the subscription has.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.core import validate
from dtc_api.core.errors import Code, DomainError, UserError, invalid
from dtc_api.shop import catalog
from dtc_api.shop.geography import Geography
from dtc_api.store import tables as t
from dtc_api.store.reads import Query, Reads

MAX_QUANTITY = 100
# The address fields a customer may change (the country stays the contract's).
ADDRESS_FIELDS = ("firstName", "lastName", "address1", "address2", "city", "zipCode",
                  "email", "phoneNumber")
MAX_ADDRESS_FIELD = 200


# -- recording (back-office) ---------------------------------------------------------------

async def record(conn: AsyncConnection, contract_id: int, subscriptions: list[dict[str, Any]],
                 now: dt.datetime) -> None:
    """The subscriptions of a new contract (SubscriptionInput records); refusals' paths
    start at ``subscriptions``."""
    errors: list[UserError] = []
    plans = await _plans(conn, {s["plan"] for s in subscriptions})
    for index, subscription in enumerate(subscriptions):
        where = ("subscriptions", str(index))
        plan = plans.get(subscription["plan"])
        if plan is None:
            errors.append(UserError(f"subscription plan {subscription['plan']} not found",
                                    (*where, "plan"), code=Code.NOT_FOUND))
        if not subscription["lines"]:
            errors.append(UserError("a subscription needs a line", (*where, "lines"),
                                    code=Code.REQUIRED))
        for number, line in enumerate(subscription["lines"]):
            if not 1 <= line["quantity"] <= MAX_QUANTITY:
                errors.append(UserError(f"quantity must be between 1 and {MAX_QUANTITY}",
                                        (*where, "lines", str(number), "quantity"),
                                        code=Code.OUT_OF_RANGE))
        missing = {} if plan is None else await _not_offering(
            conn, [line["item"] for line in subscription["lines"]], subscription["plan"])
        for number, line in enumerate(subscription["lines"]):
            if line["item"] in missing:
                errors.append(UserError(missing[line["item"]],
                                        (*where, "lines", str(number), "item"),
                                        code=Code.NOT_FOUND))
        subscription["_next"] = _date(subscription.get("nextOrderDate"), errors,
                                      (*where, "nextOrderDate"))
    if errors:
        raise DomainError(*errors)
    for subscription in subscriptions:
        plan = plans[subscription["plan"]]
        subscription_id = (await conn.execute(sa.insert(t.subscriptions).values(
            contract_id=contract_id, plan_id=plan["id"],
            status=subscription.get("status") or "ACTIVE",
            interval_type=plan["interval_type"], interval_value=plan["interval_value"],
            discount=plan["discount"], next_order_date=subscription["_next"],
            created_at=now, updated_at=now).returning(t.subscriptions.c.id))).scalar_one()
        await conn.execute(sa.insert(t.subscription_lines), [
            {"subscription_id": subscription_id, "item_id": line["item"],
             "quantity": line["quantity"]} for line in subscription["lines"]])


def after(day: dt.date, interval_type: str, value: int) -> dt.date:
    """The day ``value`` intervals later (a month later than 31 January: the last of February)."""
    if interval_type == "DAY":
        return day + dt.timedelta(days=value)
    if interval_type == "WEEK":
        return day + dt.timedelta(weeks=value)
    months = day.month - 1 + value * (12 if interval_type == "YEAR" else 1)
    year, month = day.year + months // 12, months % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _date(raw: str | None, errors: list[UserError], path: tuple[str, ...]) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(UserError("a date is YYYY-MM-DD", path, code=Code.INVALID_INPUT))
        return None


async def _plans(conn: AsyncConnection, ids: set[int]) -> dict[int, Any]:
    plans = t.subscription_plans
    return {row["id"]: row for row in (await conn.execute(
        sa.select(plans).where(plans.c.id.in_(list(ids))))).mappings()}


async def _not_offering(conn: AsyncConnection, item_ids: list[str], plan_id: int
                        ) -> dict[str, str]:
    """Why each item cannot be subscribed to on the plan: unknown, or not offered."""
    offered = t.display_item_plans
    rows = (await conn.execute(
        sa.select(t.items.c.id, offered.c.plan_id)
        .outerjoin(offered, sa.and_(offered.c.display_item_id == t.items.c.display_item_id,
                                    offered.c.plan_id == plan_id))
        .where(t.items.c.id.in_(item_ids)))).all()
    found = {item_id: plan for item_id, plan in rows}
    return {item_id: f"item {item_id} not found" if item_id not in found else
            f"subscription plan {plan_id} is not offered for item {item_id}"
            for item_id in item_ids if found.get(item_id) is None}


# -- the customer's changes ----------------------------------------------------------------

async def _owned_contract(conn: AsyncConnection, customer_id: int, contract_id: int) -> Any:
    """The customer's contract, locked; another customer's is "not found" as well."""
    contracts = t.subscription_contracts
    row = (await conn.execute(sa.select(contracts).where(
        contracts.c.id == contract_id, contracts.c.customer_id == customer_id)
        .with_for_update())).mappings().first()
    if row is None:
        raise invalid(f"subscription contract {contract_id} not found", "contractId",
                      code=Code.NOT_FOUND)
    return row


async def _owned(conn: AsyncConnection, customer_id: int, subscription_id: int) -> Any:
    """The customer's subscription (locked, with its contract's id), not cancelled."""
    subs, contracts = t.subscriptions, t.subscription_contracts
    row = (await conn.execute(
        sa.select(subs).join(contracts, contracts.c.id == subs.c.contract_id)
        .where(subs.c.id == subscription_id, contracts.c.customer_id == customer_id)
        .with_for_update())).mappings().first()
    if row is None:
        raise invalid(f"subscription {subscription_id} not found", "subscriptionId",
                      code=Code.NOT_FOUND)
    return row


def _not_cancelled(row: Mapping[str, Any]) -> None:
    if row["status"] == "CANCELLED":
        raise invalid(f"subscription {row['id']} is cancelled: it cannot be changed",
                      "subscriptionId", code=Code.INVALID_INPUT)


async def _touch(conn: AsyncConnection, subscription_id: int | None, contract_id: int,
                 now: dt.datetime, **values: Any) -> None:
    if subscription_id is not None:
        await conn.execute(sa.update(t.subscriptions)
                           .where(t.subscriptions.c.id == subscription_id)
                           .values(updated_at=now, **values))
    await conn.execute(sa.update(t.subscription_contracts)
                       .where(t.subscription_contracts.c.id == contract_id)
                       .values(updated_at=now))


async def change_address(conn: AsyncConnection, customer_id: int, contract_id: int,
                         address: dict[str, Any], now: dt.datetime) -> int:
    """The fields given replace the contract's; its country and state stay."""
    contract = await _owned_contract(conn, customer_id, contract_id)
    changed = dict(contract["shipping_address"])
    for name in ADDRESS_FIELDS:
        if name not in address:
            continue
        value = address[name].strip() if isinstance(address[name], str) else None
        if value is not None and len(value) > MAX_ADDRESS_FIELD:
            raise invalid(f"{name} has at most {MAX_ADDRESS_FIELD} characters", "address",
                          name, code=Code.INVALID_INPUT)
        if name == "email" and value:
            value = validate.email(value, "address", "email")
        changed[name] = value or None
    await conn.execute(sa.update(t.subscription_contracts)
                       .where(t.subscription_contracts.c.id == contract_id)
                       .values(shipping_address=changed, updated_at=now))
    return contract_id


async def change_interval(conn: AsyncConnection, customer_id: int, subscription_id: int,
                          plan_id: int, now: dt.datetime) -> int:
    row = await _owned(conn, customer_id, subscription_id)
    _not_cancelled(row)
    items = [r.item_id for r in await conn.execute(
        sa.select(t.subscription_lines.c.item_id)
        .where(t.subscription_lines.c.subscription_id == subscription_id))]
    plan = (await _plans(conn, {plan_id})).get(plan_id)
    if plan is None or await _not_offering(conn, items, plan_id):
        raise invalid(f"subscription plan {plan_id} is not offered for this subscription",
                      "subscriptionPlanId", code=Code.NOT_FOUND)
    await _touch(conn, subscription_id, row["contract_id"], now, plan_id=plan_id,
                 interval_type=plan["interval_type"], interval_value=plan["interval_value"],
                 discount=plan["discount"])
    return int(row["contract_id"])


async def change_quantity(conn: AsyncConnection, customer_id: int, subscription_id: int,
                          quantity: int, now: dt.datetime) -> int:
    row = await _owned(conn, customer_id, subscription_id)
    _not_cancelled(row)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise invalid(f"quantity must be between 1 and {MAX_QUANTITY}", "quantity",
                      code=Code.OUT_OF_RANGE)
    lines = t.subscription_lines
    current = await conn.scalar(sa.select(sa.func.max(lines.c.quantity))
                                .where(lines.c.subscription_id == subscription_id))
    if quantity > (current or 0):
        plan = (await _plans(conn, {row["plan_id"]})).get(row["plan_id"]) \
            if row["plan_id"] is not None else None
        terms = (row["interval_type"], row["interval_value"], row["discount"])
        if plan is None or (plan["interval_type"], plan["interval_value"],
                            plan["discount"]) != terms:
            raise invalid("the quantity may only be lowered: the plan's terms have changed "
                          "since this subscription began", "quantity", code=Code.INVALID_INPUT)
    await conn.execute(sa.update(lines).where(lines.c.subscription_id == subscription_id)
                       .values(quantity=quantity))
    await _touch(conn, subscription_id, row["contract_id"], now)
    return int(row["contract_id"])


async def change_status(conn: AsyncConnection, customer_id: int, subscription_id: int,
                        status: str, now: dt.datetime) -> int:
    row = await _owned(conn, customer_id, subscription_id)
    if row["status"] == status:
        return int(row["contract_id"])
    _not_cancelled(row)
    await _touch(conn, subscription_id, row["contract_id"], now, status=status)
    if status == "CANCELLED":
        subs = t.subscriptions
        left = await conn.scalar(sa.select(sa.func.count()).where(
            subs.c.contract_id == row["contract_id"], subs.c.status != "CANCELLED"))
        if not left:  # nothing more to pay for: the stored payment details go
            await conn.execute(sa.update(t.subscription_contracts)
                               .where(t.subscription_contracts.c.id == row["contract_id"])
                               .values(payment_method=None, payment_status=None))
    return int(row["contract_id"])


# -- reading -------------------------------------------------------------------------------

_SUBSCRIPTIONS = Query(
    """SELECT s.id, s.contract_id, s.status, s.interval_type, s.interval_value, s.discount,
    s.next_order_date, s.created_at, s.updated_at, s.plan_id,
    p.name AS plan_name, p.interval_type AS plan_interval_type,
    p.interval_value AS plan_interval_value, p.discount AS plan_discount
    FROM subscriptions s LEFT JOIN subscription_plans p ON p.id = s.plan_id
    WHERE s.contract_id = ANY($1) ORDER BY s.contract_id, s.id""",
    next_order_date="date", created_at="datetime", updated_at="datetime")
_LINES = Query(
    """SELECT l.id, l.subscription_id, l.item_id, l.quantity, i.display_item_id
    FROM subscription_lines l JOIN items i ON i.id = l.item_id
    WHERE l.subscription_id = ANY($1) ORDER BY l.id""")


async def of_contracts(reads: Reads, geography: Geography,
                       contracts: list[Mapping[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """GraphQL ``SubscriptionInfo``s by contract id, their lines priced in each contract's
    pricelist (less the subscription's discount)."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not contracts:
        return found
    rows = await reads.all(_SUBSCRIPTIONS, [c["id"] for c in contracts])
    lines = await reads.all(_LINES, [r["id"] for r in rows]) if rows else []
    by_subscription: dict[int, list[Any]] = defaultdict(list)
    for line in lines:
        by_subscription[line["subscription_id"]].append(line)
    where = {c["id"]: _where(geography, c) for c in contracts}
    display: dict[tuple[int, int], dict[int, Any]] = {}
    for market_id, pricelist_id in set(where.values()):
        ids = {line["display_item_id"] for row in rows
               if where[row["contract_id"]] == (market_id, pricelist_id)
               for line in by_subscription[row["id"]]}
        display[(market_id, pricelist_id)] = await catalog.display_items(
            reads, ids, market_id=market_id, pricelist_id=pricelist_id,
            currency=geography.currency_of(pricelist_id))
    for row in rows:
        market_id, pricelist_id = where[row["contract_id"]]
        currency = geography.currency_of(pricelist_id)
        items = display[(market_id, pricelist_id)]
        contract = next(c for c in contracts if c["id"] == row["contract_id"])
        found[row["contract_id"]].append(_view(row, by_subscription[row["id"]], items,
                                               currency, contract["payment_status"]))
    return found


def _where(geography: Geography, contract: Mapping[str, Any]) -> tuple[int, int]:
    market = contract["market_id"]
    if market is None:
        country = (contract["shipping_address"] or {}).get("country") or ""
        market = geography.market_and_pricelist(country)[0]
    return market, contract["pricelist_id"]


def _view(row: Mapping[str, Any], lines: list[Any], display: Mapping[int, Any],
          currency: dict[str, Any], payment_status: str | None) -> dict[str, Any]:
    plan = None if row["plan_id"] is None else catalog.plan_view({
        "id": row["plan_id"], "name": row["plan_name"],
        "interval_type": row["plan_interval_type"],
        "interval_value": row["plan_interval_value"], "discount": row["plan_discount"]})
    views = []
    reasons: list[str] = []
    for line in lines:
        display_item = display.get(line["display_item_id"])
        item = None if display_item is None else next(
            (i for i in display_item["items"] if i["id"] == line["item_id"]), None)
        if display_item is None or item is None:
            reasons.append("NOT_PURCHASABLE")
            continue
        if display_item["priceMinor"] is None:
            reasons.append("NOT_PURCHASABLE")
        elif item["stock"]["quantity"] < line["quantity"] and not item["preorder"]:
            reasons.append("OUT_OF_STOCK")
        minor = (display_item["priceMinor"] or 0) * line["quantity"]
        if row["discount"]:
            minor = round(minor * (100 - row["discount"]) / 100)
        views.append({"__typename": "ProductLine", "id": str(line["id"]),
                      "name": display_item["name"], "quantity": line["quantity"],
                      "item": item, "displayItem": display_item,
                      "subscriptionId": row["plan_id"],
                      "lineValue": catalog.monetary_value(minor, currency)})
    if payment_status == "REVOKED":
        reasons.append("PAYMENT_REVOKED")
    elif payment_status == "SUSPENDED":
        reasons.append("PAYMENT_DECLINED")
    # What would stop the next delivery; a paused or cancelled subscription delivers nothing.
    reasons = sorted(set(reasons)) if row["status"] == "ACTIVE" else []
    return {"id": row["id"], "status": row["status"],
            "interval": {"type": row["interval_type"], "value": row["interval_value"]},
            "discount": row["discount"], "plan": plan, "lines": views,
            "nextOrderDate": row["next_order_date"], "nextRetryDate": None,
            "needsAttention": bool(reasons), "attentionReasons": reasons,
            "createdAt": row["created_at"], "updatedAt": row["updated_at"]}


class Loader:
    """The subscriptions of a customer's contracts, read once and only if asked for."""

    def __init__(self, geography: Geography, contracts: list[Mapping[str, Any]]) -> None:
        self.geography = geography
        self.contracts = contracts
        self._read: asyncio.Future[dict[int, list[dict[str, Any]]]] | None = None

    async def of(self, contract_id: int, run: Callable[..., Awaitable[Any]]
                 ) -> list[dict[str, Any]]:
        """``run(unit, *args)`` runs a read unit (``Database.reads``)."""
        if self._read is None:
            self._read = asyncio.ensure_future(run(of_contracts, self.geography,
                                                   self.contracts))
        return (await asyncio.shield(self._read)).get(contract_id, [])
