"""Limits of the forgotten-password flow (kept apart so the runtime can build them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ResetPolicy:
    ttl: dt.timedelta  # how long a reset link works (its limits: services/limits.py)
