"""Abuse limits: deployment defaults (DTC_*), which an API client may override."""

from __future__ import annotations

from typing import Any

from dtc_api.config import Settings

# name (as in the back-office API) -> the setting that gives its default
LIMITS = {
    "loginPerIpPerMinute": "login_ip_limit",
    "newSessionsPerIpPerMinute": "session_ip_limit",
    "passwordResetsPerAccountPerHour": "reset_account_limit",
    "passwordResetsPerIpPerHour": "reset_ip_limit",
    "newsletterPerIpPerHour": "newsletter_ip_limit",
    "backInStockPerIpPerHour": "back_in_stock_ip_limit",
    "registrationsPerIpPerHour": "register_ip_limit",
}


def limit(settings: Settings, client: dict[str, Any], name: str) -> int:
    """The limit ``name`` for this client; an unknown name is an error, never "no limit"."""
    default = getattr(settings, LIMITS[name])
    return int((client.get("rate_limits") or {}).get(name, default))


def check(overrides: dict[str, Any]) -> list[str]:
    """Names of overrides that are not positive integers."""
    return [name for name, value in overrides.items()
            if name not in LIMITS or not isinstance(value, int) or value < 1]
