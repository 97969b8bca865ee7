"""Login and logout rules: the limits on guessing, the answers to a refused login, logging a
session in and out, and the selection a customer leaves and finds again.

The workflows that put them together are ``accounts.usecases.log_in`` and ``log_out``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dtc_api.access import sessions
from dtc_api.access.sessions import Principal
from dtc_api.config import Settings
from dtc_api.core.errors import Code, DomainError, UserError
from dtc_api.core.limits import count, limit
from dtc_api.shop import selections
from dtc_api.shop.selections import SelectionPolicy
from dtc_api.store.reads import Conn, Query, Row, within

# One message for an unknown e-mail and a wrong password, so the answer does not tell
# whether an account exists.
WRONG_CREDENTIALS = "wrong e-mail or password"


def wrong_credentials() -> DomainError:
    return DomainError(UserError(WRONG_CREDENTIALS, (), code=Code.WRONG_CREDENTIALS))


def blocked() -> DomainError:
    # Said only to whoever knows the password: it reveals nothing to a guesser.
    return DomainError(UserError("this account cannot log in: please contact the shop", (),
                                 code=Code.LOGIN_BLOCKED))


def held_back(wait: int, what: str = "login", path: tuple[str, ...] = ()) -> DomainError:
    """The answer while the backoff after failed password checks lasts ``wait`` seconds."""
    seconds = f"{wait} second" if wait == 1 else f"{wait} seconds"
    return DomainError(UserError(f"too many failed {what} attempts: try again in {seconds}",
                                 path, code=Code.RATE_LIMITED))


async def count_login(conn: Conn, settings: Settings, client: dict[str, Any],
                      client_ip: str | None, now: dt.datetime) -> None:
    """Count a login against its client address; refused beyond the per-minute limit."""
    ceiling = limit(settings, client, "loginPerIpPerMinute")
    if (await count(conn, "loginPerIpPerMinute", ceiling, client_ip, now)).over:
        raise DomainError(UserError(
            "too many login attempts from this address: try again in a minute", (),
            code=Code.RATE_LIMITED))


async def lock_customer(conn: Conn, customer_id: int) -> Row | None:
    """The customer's password hash and saved selection (``password_hash``,
    ``selection_id``), the customer locked until the end of the transaction: the hash may
    have changed (reset, update) since a password was checked against it."""
    return await (await within(conn)).one(_LOCK_CUSTOMER, customer_id)


async def log_session_in(conn: Conn, principal: Principal, customer_id: int,
                         saved_selection: int | None, policy: SelectionPolicy,
                         now: dt.datetime) -> None:
    """Log the shopper's session in as the customer, with a new token (a change of
    privilege), bringing back ``saved_selection``, the one the customer left at their last
    logout (read in this transaction, the customer locked)."""
    # The new token first: it locks and reads the session row as it is now.
    await sessions.rotate_token(conn, principal, customer_id=customer_id)
    if saved_selection is not None:
        await _take_saved_selection(conn, principal.session,  # type: ignore[arg-type]
                                    customer_id, saved_selection, policy, now)


async def _take_saved_selection(conn: Conn, session: dict[str, Any], customer_id: int,
                                saved: int, policy: SelectionPolicy, now: dt.datetime
                                ) -> None:
    """Bring back the selection the customer left at their last logout, merged with the
    shopper's current one ("logging in will not reset the state of the selection")."""
    await _set_saved_selection(conn, customer_id, None)
    alive = await selections.alive(conn, saved, policy, now)
    if alive is None:
        return
    current = await selections.active_id(conn, session, policy, now)
    if current is None:
        await sessions.update(conn, session, selection_id=alive)
    elif current != alive:
        await selections.merge(conn, alive, current, now)


_LOCK_CUSTOMER = Query(
    "SELECT password_hash, selection_id FROM customers WHERE id = $1 FOR UPDATE")
_SAVED_SELECTION = Query("SELECT selection_id FROM customers WHERE id = $1")
_SET_SAVED_SELECTION = Query("UPDATE customers SET selection_id = $2 WHERE id = $1")


async def _saved_selection(conn: Conn, customer_id: int) -> int | None:
    return await (await within(conn)).scalar(_SAVED_SELECTION, customer_id)  # type: ignore[no-any-return]


async def _set_saved_selection(conn: Conn, customer_id: int,
                               selection_id: int | None) -> None:
    await (await within(conn)).execute(_SET_SAVED_SELECTION, customer_id, selection_id)


async def logout(conn: Conn, principal: Principal, policy: SelectionPolicy,
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
    await sessions.rotate_token(conn, principal, customer_id=None)
