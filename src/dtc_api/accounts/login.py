"""Login and logout: throttling, password checks, session rotation, selection hand-over."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api.access import sessions
from dtc_api.access.sessions import Principal
from dtc_api.accounts import customers, profile, throttle
from dtc_api.accounts.passwords import Hasher
from dtc_api.core.errors import DomainError, UserError
from dtc_api.core.limits import count, limit
from dtc_api.runtime import Runtime
from dtc_api.shop import selections
from dtc_api.shop.selections import SelectionPolicy
from dtc_api.store import tables as t

# One message for an unknown e-mail and a wrong password, so the answer does not tell
# whether an account exists.
WRONG_CREDENTIALS = "wrong e-mail or password"
MAX_EMAIL_INPUT = 320


def _refused(message: str) -> DomainError:
    return DomainError(UserError(message, ()))


async def login(runtime: Runtime, principal: Principal, email: str, password: str,
                client_ip: str | None, hasher: Hasher) -> int:
    """Log the session in; returns the customer id. The session token is rotated."""
    now = runtime.clock.now()
    key = profile.login_key(email[:MAX_EMAIL_INPUT])
    # Limits are checked before the password hash is computed: a throttled guess costs
    # almost nothing and learns nothing.
    async with runtime.db.write() as conn:
        ceiling = limit(runtime.settings, principal.client, "loginPerIpPerMinute")
        if (await count(conn, "loginPerIpPerMinute", ceiling, client_ip, now)).over:
            raise _refused("too many login attempts from this address: try again in a minute")
        wait = await throttle.claim_login_attempt(conn, runtime.login_throttle, runtime.clock,
                                                  key, client_ip)
    if wait:
        raise _refused(f"too many failed login attempts: try again in {_seconds(wait)}")
    async with runtime.db.read() as conn:
        customer = await customers.find_registered(conn, key)
    stored = customer["password_hash"] if customer else None
    if not await hasher.verify(stored, password) or customer is None:
        raise _refused(WRONG_CREDENTIALS)
    if customer["login_blocked"]:
        # Said only to whoever knows the password: it reveals nothing to a guesser.
        raise _refused("this account cannot log in: please contact the shop")
    rehash = await hasher.hash(password) if hasher.needs_rehash(stored or "") else None
    async with runtime.db.write() as conn:
        # The password may have changed (reset, update) while it was being checked.
        current = await conn.scalar(sa.select(t.customers.c.password_hash).where(
            t.customers.c.id == customer["id"]).with_for_update())
        if current != stored:
            raise _refused(WRONG_CREDENTIALS)
        await throttle.clear_login_failures(conn, key, client_ip)
        if rehash is not None:
            await customers.set_password_hash(conn, customer["id"], rehash)
        session = await sessions.lock(conn, principal.session["id"])  # type: ignore[index]
        principal.session = session
        await _take_saved_selection(conn, session, customer["id"], runtime.selection_policy,
                                    now)
        await sessions.update(conn, session, customer_id=customer["id"])
        await sessions.rotate_token(conn, principal)
    return int(customer["id"])


async def check_password(runtime: Runtime, customer: dict[str, Any], password: str,
                         client_ip: str | None, path: tuple[str, ...]) -> bool:
    """Whether ``password`` is the customer's (a logged-in session confirming it).

    Each check counts against the same backoff as a login from this address, so a stolen
    session guesses no faster than a login form; it is refused while the backoff lasts.
    Only a password verified correct clears the failures.
    """
    async with runtime.db.write() as conn:
        wait = await throttle.claim_login_attempt(conn, runtime.login_throttle, runtime.clock,
                                                  customer["email_key"], client_ip)
    if wait:
        raise DomainError(UserError(
            f"too many failed password attempts: try again in {_seconds(wait)}", path))
    if not await runtime.hasher.verify(customer["password_hash"], password):
        return False
    async with runtime.db.write() as conn:
        await throttle.clear_login_failures(conn, customer["email_key"], client_ip)
    return True


def _seconds(wait: int) -> str:
    return f"{wait} second" if wait == 1 else f"{wait} seconds"


async def _take_saved_selection(conn: AsyncConnection, session: dict[str, Any],
                                customer_id: int, policy: SelectionPolicy,
                                now: dt.datetime) -> None:
    """Bring back the selection the customer left at their last logout, merged with the
    shopper's current one ("logging in will not reset the state of the selection")."""
    saved = await selections.alive(conn, await _saved_selection(conn, customer_id), policy, now)
    await _set_saved_selection(conn, customer_id, None)
    if saved is None:
        return
    current = await selections.active_id(conn, session, policy, now)
    if current is None:
        await sessions.update(conn, session, selection_id=saved)
    elif current != saved:
        await selections.merge(conn, saved, current, now)


async def _saved_selection(conn: AsyncConnection, customer_id: int) -> int | None:
    return await conn.scalar(
        sa.select(t.customers.c.selection_id).where(t.customers.c.id == customer_id))


async def _set_saved_selection(conn: AsyncConnection, customer_id: int,
                               selection_id: int | None) -> None:
    await conn.execute(sa.update(t.customers).where(t.customers.c.id == customer_id)
                       .values(selection_id=selection_id))


async def logout(conn: AsyncConnection, principal: Principal, policy: SelectionPolicy,
                 now: dt.datetime) -> None:
    """End the login. Without "retain session after logout" the selection leaves with the
    customer (and comes back at their next login); the session starts empty."""
    session = await sessions.lock(conn, principal.session["id"])  # type: ignore[index]
    principal.session = session
    customer_id = session["customer_id"]
    if customer_id is not None and not principal.client["retain_session_after_logout"]:
        leaving = await selections.active_id(conn, session, policy, now)
        if leaving is not None:
            # Another device may have saved a selection already: keep both.
            saved = await selections.alive(conn, await _saved_selection(conn, customer_id),
                                           policy, now)
            if saved is not None:
                await selections.merge(conn, leaving, saved, now)
            else:
                await _set_saved_selection(conn, customer_id, leaving)
        await sessions.update(conn, session, selection_id=None)
    await sessions.update(conn, session, customer_id=None)
    await sessions.rotate_token(conn, principal)


async def revoke_other_sessions(conn: AsyncConnection, customer_id: int, keep_session_id: int
                                ) -> int:
    result = await conn.execute(sa.delete(t.sessions).where(
        t.sessions.c.customer_id == customer_id, t.sessions.c.id != keep_session_id))
    return result.rowcount or 0
