"""Customer account workflows, one function each, each owning its transactions: registration,
login and logout, profile updates, wishlists, the forgotten password, the customer as the
storefront reads it, and the operator's actions on customers.

They take plain values (and the runtime's collaborators) and return plain values or raise
``DomainError``; both names of an operation, the storefront and the back-office call the same
ones. A password hash takes tens of milliseconds, so none is computed inside a transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from dtc_api import metrics
from dtc_api.access import sessions
from dtc_api.access.sessions import Principal
from dtc_api.accounts import admin, customers, login, password_reset, profile, throttle, view
from dtc_api.core.limits import limit
from dtc_api.runtime import Runtime
from dtc_api.shop import wishlists
from dtc_api.shop.geography import Geography
from dtc_api.store.reads import within


def _session(principal: Principal) -> dict[str, Any]:
    if principal.session is None:
        raise RuntimeError("operation without a session passed the scope check")
    return principal.session


# -- registration, login, logout --------------------------------------------------------------


async def register(runtime: Runtime, geography: Geography, principal: Principal,
                   client_ip: str | None, data: Mapping[str, Any]) -> int:
    """``registerCustomer``: the new customer's id; the session is logged in as the customer
    when ``data["loginOnSuccess"]``."""
    ceiling = limit(runtime.settings, principal.client, "registrationsPerIpPerHour")
    async with runtime.db.transaction() as statements:
        await customers.claim_registration(statements, client_ip, ceiling, runtime.clock.now())
    language_code = principal.session["language_code"] if principal.session else None
    async with runtime.db.read() as conn:
        registration = await customers.validate_registration(
            conn, geography, runtime.password_policy, data, language_code)
    password_hash = await runtime.hasher.hash(data["password"])
    async with runtime.db.write() as conn:
        now = runtime.clock.now()
        customer_id = await customers.register(conn, registration, password_hash, now)
        if data["loginOnSuccess"]:  # a new customer has no saved selection
            await login.log_session_in(conn, principal, customer_id, None,
                                       runtime.selection_policy, now)
    return customer_id


async def log_in(runtime: Runtime, principal: Principal, email: str, password: str,
                 client_ip: str | None) -> int:
    """``login``: the customer's id; the session is logged in and its token rotated."""
    now = runtime.clock.now()
    key = profile.login_key(email)
    # Limits are checked before the password hash is computed: a throttled guess costs
    # almost nothing and learns nothing.
    async with runtime.db.transaction() as conn:
        await login.count_login(conn, runtime.settings, principal.client, client_ip, now)
        wait = await throttle.claim_login_attempt(conn, runtime.login_throttle, runtime.clock,
                                                  key, client_ip)
    if wait:
        metrics.login_failed("held_back")
        raise login.held_back(wait)
    customer = await runtime.db.reads(customers.find_registered, key)
    stored = customer["password_hash"] if customer else None
    if not await runtime.hasher.verify(stored, password) or customer is None:
        metrics.login_failed("wrong_credentials")
        raise login.wrong_credentials()
    if customer["login_blocked"]:
        metrics.login_failed("blocked")
        raise login.blocked()
    hasher = runtime.hasher
    rehash = await hasher.hash(password) if hasher.needs_rehash(stored or "") else None
    async with runtime.db.transaction() as conn:
        locked = await login.lock_customer(conn, customer["id"])
        if locked is None or locked["password_hash"] != stored:
            metrics.login_failed("wrong_credentials")
            raise login.wrong_credentials()
        await throttle.clear_login_failures(conn, key, client_ip)
        if rehash is not None:
            await customers.set_password_hash(conn, customer["id"], rehash)
        await login.log_session_in(conn, principal, customer["id"], locked["selection_id"],
                                   runtime.selection_policy, now)
    return int(customer["id"])


async def log_out(runtime: Runtime, principal: Principal) -> None:
    """``logout``: the session is logged out and its token rotated."""
    async with runtime.db.transaction() as conn:
        await login.logout(conn, principal, runtime.selection_policy, runtime.clock.now())


# -- the logged-in customer -------------------------------------------------------------------


async def update_customer(runtime: Runtime, geography: Geography, principal: Principal,
                          client_ip: str | None, data: Mapping[str, Any]) -> int:
    """``updateCustomer``: the customer's id. A new password ends every other session of the
    customer and renews this one's token."""
    session = _session(principal)
    customer_id = session["customer_id"]
    async with runtime.db.read() as conn:
        customer = await customers.get(conn, customer_id)
    old_password_correct = None
    if data.get("oldPassword") is not None and data.get("password") is not None:
        old_password_correct = await _confirm_password(runtime, customer, data["oldPassword"],
                                                       client_ip)
    async with runtime.db.read() as conn:
        update = await customers.validate_update(
            conn, geography, runtime.password_policy, customer, data,
            principal.client["require_old_password"], old_password_correct)
    new_hash = (await runtime.hasher.hash(update.new_password)
                if update.new_password is not None else None)
    async with runtime.db.write() as conn:
        await customers.apply_update(conn, customer, update, new_hash, session["id"],
                                     runtime.clock.now())
        if new_hash is not None:
            await sessions.rotate_token(conn, principal)
    return int(customer_id)


async def _confirm_password(runtime: Runtime, customer: dict[str, Any], password: str,
                            client_ip: str | None) -> bool:
    """Whether ``password`` is the customer's (a logged-in session confirming it).

    Each check counts against the same backoff as a login from this address, so a stolen
    session guesses no faster than a login form; it is refused while the backoff lasts.
    Only a password verified correct clears the failures.
    """
    async with runtime.db.transaction() as conn:
        wait = await throttle.claim_login_attempt(conn, runtime.login_throttle, runtime.clock,
                                                  customer["email_key"], client_ip)
    if wait:
        raise login.held_back(wait, "password", ("input", "oldPassword"))
    if not await runtime.hasher.verify(customer["password_hash"], password):
        return False
    async with runtime.db.transaction() as conn:
        await throttle.clear_login_failures(conn, customer["email_key"], client_ip)
    return True


WishlistChange = Callable[[AsyncConnection, int], Awaitable[int]]


async def _change_wishlist(runtime: Runtime, geography: Geography, session: dict[str, Any],
                           change: WishlistChange) -> dict[str, Any]:
    """Apply ``change`` (which returns the wishlist's id) and read the wishlist back, as a
    GraphQL ``Wishlist``, in one transaction."""
    customer_id = session["customer_id"]
    async with runtime.db.write() as conn:
        wishlist_id = await change(conn, customer_id)
        lists = await view.wishlists(await within(conn), geography, customer_id, session)
    return next(w for w in lists if w["id"] == wishlist_id)


async def add_wishlist_item(runtime: Runtime, geography: Geography, session: dict[str, Any],
                            display_item_id: int, wishlist_id: int | None) -> dict[str, Any]:
    """``addWishlistItem``: to ``wishlist_id``, or to the default wishlist (made if need be)."""
    now = runtime.clock.now()
    return await _change_wishlist(runtime, geography, session, lambda conn, customer_id:
                                  wishlists.add_item(conn, customer_id, display_item_id,
                                                     wishlist_id, now))


async def remove_wishlist_item(runtime: Runtime, geography: Geography, session: dict[str, Any],
                               display_item_id: int, wishlist_id: int) -> dict[str, Any]:
    """``removeWishlistItem``."""
    return await _change_wishlist(runtime, geography, session, lambda conn, customer_id:
                                  wishlists.remove_item(conn, customer_id, display_item_id,
                                                        wishlist_id))


# -- the customer as the storefront reads it --------------------------------------------------


async def view_customer(runtime: Runtime, geography: Geography, customer_id: int,
                        session: Mapping[str, Any], fields: Collection[str],
                        orders_page: tuple[int, int] | None = None) -> dict[str, Any] | None:
    """A GraphQL ``Customer``, loading only the parts in ``fields`` (and with
    ``orders_page``, (limit, page), that page of orders: ``view.PRELOADED_ORDERS``)."""
    return await runtime.db.reads(view.view, geography, customer_id, session, fields,
                                  orders_page)


async def customer_orders(runtime: Runtime, geography: Geography, customer_id: int,
                          session: Mapping[str, Any], limit: int, page: int
                          ) -> list[dict[str, Any]]:
    """One page of the customer's orders, newest first (``Customer.orders``, ``order``)."""
    return await runtime.db.reads(view.orders, geography, customer_id, session, limit, page)


async def order(runtime: Runtime, geography: Geography, order_id: int,
                session: Mapping[str, Any]) -> dict[str, Any] | None:
    """One order by id (``order`` after a checkout, ``paymentResult``)."""
    return await runtime.db.reads(view.order, geography, order_id, session)


# -- the forgotten password -------------------------------------------------------------------


async def request_password_reset(runtime: Runtime, client: dict[str, Any], email: str,
                                 url: str, client_ip: str | None) -> None:
    """``resetPasswordEmail`` / ``requestPasswordResetEmail``: the same answer whether or not
    the e-mail has an account; the link is e-mailed by the delivery worker."""
    password_reset.check_request(client, url)
    now = runtime.clock.now()
    async with runtime.db.write() as conn:
        await password_reset.record_request(conn, runtime.settings, client, email, url,
                                            client_ip, now)


async def verify_reset_hashes(runtime: Runtime, hash_: str, customer_id: str) -> bool:
    """``verifyResetPasswordHashes``: whether a link is valid; it stays valid."""
    async with runtime.db.read() as conn:
        found = await password_reset.valid_link(
            conn, password_reset.customer_id(customer_id), hash_, runtime.clock.now())
    return found is not None


async def reset_password(runtime: Runtime, principal: Principal, hash_: str, customer_id: str,
                         password: str, confirm: str | None, log_session_in: bool) -> None:
    """``resetPassword``: the link is used up, every session of the customer but this one
    ends, and a notice is e-mailed. This session is logged in as the customer if asked
    (unless their login is blocked), or logged out if it was theirs and that was not asked;
    its token is renewed only then, with its privilege. A storefront keeps the token it had
    after a reset (it does not read this answer's), so a reset from an anonymous session
    must leave that token valid for the login that follows."""
    now = runtime.clock.now()
    cid = password_reset.customer_id(customer_id)
    async with runtime.db.read() as conn:
        link = await password_reset.valid_link(conn, cid, hash_, now)
        customer = await customers.get_or_none(conn, cid) if link else None
    customer = password_reset.check_new_password(runtime.password_policy, customer, password,
                                                 confirm)
    cid = customer["id"]
    new_hash = await runtime.hasher.hash(password)
    session_id = _session(principal)["id"]
    async with runtime.db.write() as conn:
        await password_reset.use_link(conn, link, cid, hash_, now)
        await customers.change_password(conn, cid, new_hash, now, session_id)
        session = await sessions.lock(conn, session_id)
        principal.session = session
        logs_in = log_session_in and not customer["login_blocked"]
        logs_out = not logs_in and session["customer_id"] == cid
        if logs_in or logs_out:
            await sessions.update(conn, session, customer_id=cid if logs_in else None)
            await sessions.rotate_token(conn, principal)
        await password_reset.notify_changed(conn, customer, now)


# -- the operator's actions on customers (back-office, CLI) -----------------------------------


async def search_customers(runtime: Runtime, text: str | None, page: int, limit: int
                           ) -> dict[str, Any]:
    """Customers whose e-mail or name contains ``text``, newest first, a page at a time."""
    async with runtime.db.read() as conn:
        return await admin.search(conn, text, page, limit)


async def get_customer(runtime: Runtime, customer_id: int) -> dict[str, Any] | None:
    """A customer's summary, or None."""
    async with runtime.db.read() as conn:
        return await admin.get(conn, customer_id)


async def customer_profile(runtime: Runtime, geography: Geography, customer_id: int
                           ) -> dict[str, Any] | None:
    """The customer as the storefront would show them, with their latest orders."""
    return await runtime.db.reads(view.profile, geography, customer_id)


async def set_customer_login_blocked(runtime: Runtime, customer_id: int, blocked: bool
                                     ) -> dict[str, Any] | None:
    """Block (ending every session of the customer) or unblock logins; the summary after."""
    async with runtime.db.write() as conn:
        await admin.set_login_blocked(conn, customer_id, blocked)
        return await admin.get(conn, customer_id)


async def erase_customer(runtime: Runtime, customer_id: int) -> None:
    """A data-protection erasure (see ``admin.erase``)."""
    async with runtime.db.write() as conn:
        await admin.erase(conn, customer_id, runtime.clock.now())
