"""The collaborators every service call needs, assembled once by the composition root."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dtc_api.access.origins import EveryOrigin
from dtc_api.access.sessions import SessionPolicy
from dtc_api.accounts.password_reset import ResetPolicy
from dtc_api.accounts.passwords import Hasher, PasswordPolicy
from dtc_api.accounts.throttle import LoginThrottle
from dtc_api.clock import Clock
from dtc_api.config import Settings
from dtc_api.mail.senders import FileSender, Sender, SmtpSender
from dtc_api.shop.geography import GeographyCache
from dtc_api.shop.selections import SelectionPolicy
from dtc_api.store.db import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    geography: GeographyCache
    session_policy: SessionPolicy
    selection_policy: SelectionPolicy
    hasher: Hasher
    password_policy: PasswordPolicy
    login_throttle: LoginThrottle
    reset_policy: ResetPolicy
    mail_sender: Sender
    allowed_origins: EveryOrigin

    @property
    def payment_ttl(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settings.payment_ttl)

    @classmethod
    def build(cls, settings: Settings, clock: Clock, db: Database | None = None) -> Runtime:
        db = db or Database(settings.database_url, pool_size=settings.db_pool_size)
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            geography=GeographyCache(db),
            session_policy=SessionPolicy(
                idle_ttl=dt.timedelta(seconds=settings.session_idle_ttl),
                max_age=dt.timedelta(seconds=settings.session_max_age),
                new_per_ip_per_minute=settings.session_ip_limit,
            ),
            selection_policy=SelectionPolicy(ttl=dt.timedelta(seconds=settings.selection_ttl)),
            hasher=Hasher(settings.argon2_memory_kib, settings.argon2_time_cost,
                          settings.argon2_parallelism, settings.hash_concurrency),
            password_policy=PasswordPolicy(settings.password_min_length,
                                           settings.password_max_length,
                                           settings.password_reject_common),
            login_throttle=LoginThrottle(
                free_failures=settings.login_free_failures, max_backoff=settings.login_max_backoff,
                account_free_failures=settings.login_account_free_failures),
            reset_policy=ResetPolicy(dt.timedelta(seconds=settings.reset_token_ttl)),
            mail_sender=SmtpSender(settings.smtp_url.value, settings.smtp_timeout)
            if settings.smtp_url else FileSender(settings.mail_dir),
            allowed_origins=EveryOrigin(db, settings.allowed_origins_ttl),
        )
