"""Settings, read once from ``DTC_*`` environment variables in the composition root."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


class Secret(str):
    """A string that never prints its value (logs, reprs, tracebacks)."""

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    @property
    def value(self) -> str:
        return str.__str__(self)


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"not a boolean: {raw!r}")


def _networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in raw.split(",")
            if part.strip()
        )
    except ValueError as exc:
        raise ConfigError(f"DTC_TRUSTED_PROXIES: {exc}") from exc


def usable_cpus() -> int:
    """The CPUs this process may run on (fewer than the machine's when it is pinned)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///./dtc-api.db"
    smtp_url: Secret | None = None
    mail_dir: str = "./var/mail"
    mail_from: str = "dtc-api <no-reply@localhost>"
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    log_format: str = "console"
    log_level: str = "INFO"
    # Prometheus metrics at /metrics (off: a public deployment exposes only what it chose).
    metrics: bool = False
    # A request that takes longer than this (milliseconds) is logged at WARNING.
    slow_request_ms: int = 500
    # A shopper session ends after this long without a request ...
    session_idle_ttl: int = 30 * 24 * 3600
    # ... and in any case this long after it was created.
    session_max_age: int = 90 * 24 * 3600
    # Selections (carts) are dropped after this long without a change (Centra: 7 days).
    selection_ttl: int = 7 * 24 * 3600
    # A payment started at checkout holds its stock this long; then it expires and the stock
    # is returned (a result that comes later is refused).
    payment_ttl: int = 30 * 60
    max_body_bytes: int = 1024 * 1024
    # Seconds the origins of all API clients are kept for CORS preflights (a change made by
    # another process, e.g. `dtc-api clients set-origins`, is seen within this; 0: never kept).
    allowed_origins_ttl: float = 10.0
    max_query_tokens: int = 5000
    max_query_depth: int = 15
    max_aliases: int = 100
    document_cache_size: int = 512
    # Cached query documents run as compiled plans (graphql-core when a plan cannot answer
    # exactly); false: always graphql-core. "verify" runs both and fails a request whose
    # answers differ (for tests).
    compiled_execution: str = "true"
    # The document cache's budget in (estimated) bytes per endpoint and process.
    document_cache_bytes: int = 16 * 1024 * 1024
    # Answers to shoppers' session and customer queries kept between requests, per process,
    # in bytes (compressed); each is served again only while the session, its customer and
    # the catalogue are unchanged. 0: none are kept.
    answer_cache_bytes: int = 16 * 1024 * 1024
    # Elements of list arguments one request may pass, counting each use of a variable
    # (a list of 1,000 ids used under 10 aliases is 10,000).
    max_list_items: int = 1000
    # An answer larger than this, or resolving more fields than this, is refused: no single
    # request may hold a worker for long (~7 µs a field here: 10,000 fields take ~70 ms).
    max_response_bytes: int = 8 * 1024 * 1024
    max_result_fields: int = 10_000
    db_pool_size: int = 10
    # Seconds `serve` goes on answering after SIGTERM, with /readyz at 503, before it stops
    # accepting (give the load balancer's health check time to notice).
    shutdown_delay: float = 0.0
    job_interval: float = 60.0
    # Run the background jobs inside `serve` (off with --no-worker).
    run_jobs: bool = True
    # Password policy (OWASP ASVS: length, no composition rules, no known-common passwords).
    password_min_length: int = 8
    password_max_length: int = 256
    password_reject_common: bool = True
    # argon2id cost, OWASP's minimum by default: 19 MiB, 2 passes, 1 lane.
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    # Hashes computed at once per process; more queue instead of exhausting memory and CPU.
    # One per CPU the process may run on: two 19 MiB hashes sharing one core evict each
    # other's memory from the cache at every switch.
    hash_concurrency: int = field(default_factory=usable_cpus)
    # Login throttling: attempts per client IP per minute, and the backoff: per account and
    # client address after login_free_failures, per account from every address after
    # login_account_free_failures.
    login_ip_limit: int = 10
    login_free_failures: int = 5
    login_max_backoff: int = 900
    login_account_free_failures: int = 100
    # Registrations per client IP per hour.
    register_ip_limit: int = 30
    # New shopper sessions per client IP per minute (front-ends that render on a server must
    # list themselves in DTC_TRUSTED_PROXIES and forward the shopper's IP).
    session_ip_limit: int = 300
    # Password reset: link lifetime (seconds) and requests per account / per client IP per hour.
    reset_token_ttl: int = 3600
    reset_account_limit: int = 3
    reset_ip_limit: int = 20
    # Mail: how often the delivery loop looks for due messages, the SMTP timeout, and how
    # long sent and failed messages are kept.
    mail_poll_interval: float = 1.0
    smtp_timeout: float = 30.0
    # A worker holds the messages it claimed this long (renewed before each one is sent); a
    # worker that dies leaves them to the others after it. Longer than smtp_timeout, so a
    # lease cannot run out while one message is being handed over.
    mail_lease: float = 60.0
    outbox_retention: int = 7 * 24 * 3600
    # Attempts before a message that keeps failing is given up: with the retry backoff (at
    # most an hour, ±50%) 72 attempts take 31 hours at the least, about 2.6 days on average.
    mail_max_attempts: int = 72
    # Subscriptions per client IP per hour.
    newsletter_ip_limit: int = 30
    back_in_stock_ip_limit: int = 30
    # GraphiQL at GET /graphql for a browser (serve --demo turns it on).
    explorer: bool = False

    # name of the environment variable -> (field, parser)
    _ENV: ClassVar[dict[str, tuple[str, Any]]] = {
        "DTC_DATABASE_URL": ("database_url", str),
        "DTC_SMTP_URL": ("smtp_url", Secret),
        "DTC_MAIL_DIR": ("mail_dir", str),
        "DTC_MAIL_FROM": ("mail_from", str),
        "DTC_TRUSTED_PROXIES": ("trusted_proxies", _networks),
        "DTC_LOG_FORMAT": ("log_format", str),
        "DTC_LOG_LEVEL": ("log_level", str),
        "DTC_METRICS": ("metrics", _bool),
        "DTC_SLOW_REQUEST_MS": ("slow_request_ms", int),
        "DTC_SESSION_IDLE_TTL": ("session_idle_ttl", int),
        "DTC_SESSION_MAX_AGE": ("session_max_age", int),
        "DTC_SELECTION_TTL": ("selection_ttl", int),
        "DTC_PAYMENT_TTL": ("payment_ttl", int),
        "DTC_MAX_BODY_BYTES": ("max_body_bytes", int),
        "DTC_ALLOWED_ORIGINS_TTL": ("allowed_origins_ttl", float),
        "DTC_MAX_QUERY_TOKENS": ("max_query_tokens", int),
        "DTC_MAX_QUERY_DEPTH": ("max_query_depth", int),
        "DTC_MAX_ALIASES": ("max_aliases", int),
        "DTC_DOCUMENT_CACHE_SIZE": ("document_cache_size", int),
        "DTC_DOCUMENT_CACHE_BYTES": ("document_cache_bytes", int),
        "DTC_ANSWER_CACHE_BYTES": ("answer_cache_bytes", int),
        "DTC_MAX_LIST_ITEMS": ("max_list_items", int),
        "DTC_MAX_RESPONSE_BYTES": ("max_response_bytes", int),
        "DTC_MAX_RESULT_FIELDS": ("max_result_fields", int),
        "DTC_DB_POOL_SIZE": ("db_pool_size", int),
        "DTC_SHUTDOWN_DELAY": ("shutdown_delay", float),
        "DTC_JOB_INTERVAL": ("job_interval", float),
        "DTC_RUN_JOBS": ("run_jobs", _bool),
        "DTC_COMPILED_EXECUTION": ("compiled_execution", str),
        "DTC_PASSWORD_MIN_LENGTH": ("password_min_length", int),
        "DTC_PASSWORD_MAX_LENGTH": ("password_max_length", int),
        "DTC_PASSWORD_REJECT_COMMON": ("password_reject_common", _bool),
        "DTC_ARGON2_MEMORY_KIB": ("argon2_memory_kib", int),
        "DTC_ARGON2_TIME_COST": ("argon2_time_cost", int),
        "DTC_ARGON2_PARALLELISM": ("argon2_parallelism", int),
        "DTC_HASH_CONCURRENCY": ("hash_concurrency", int),
        "DTC_LOGIN_IP_LIMIT": ("login_ip_limit", int),
        "DTC_LOGIN_FREE_FAILURES": ("login_free_failures", int),
        "DTC_LOGIN_MAX_BACKOFF": ("login_max_backoff", int),
        "DTC_LOGIN_ACCOUNT_FREE_FAILURES": ("login_account_free_failures", int),
        "DTC_REGISTER_IP_LIMIT": ("register_ip_limit", int),
        "DTC_SESSION_IP_LIMIT": ("session_ip_limit", int),
        "DTC_RESET_TOKEN_TTL": ("reset_token_ttl", int),
        "DTC_RESET_ACCOUNT_LIMIT": ("reset_account_limit", int),
        "DTC_RESET_IP_LIMIT": ("reset_ip_limit", int),
        "DTC_MAIL_POLL_INTERVAL": ("mail_poll_interval", float),
        "DTC_SMTP_TIMEOUT": ("smtp_timeout", float),
        "DTC_MAIL_LEASE": ("mail_lease", float),
        "DTC_OUTBOX_RETENTION": ("outbox_retention", int),
        "DTC_MAIL_MAX_ATTEMPTS": ("mail_max_attempts", int),
        "DTC_NEWSLETTER_IP_LIMIT": ("newsletter_ip_limit", int),
        "DTC_BACK_IN_STOCK_IP_LIMIT": ("back_in_stock_ip_limit", int),
        "DTC_EXPLORER": ("explorer", _bool),
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from the environment; keyword overrides (CLI flags) win.

        An unknown ``DTC_*`` variable is an error, so a misspelt setting fails loudly
        instead of silently leaving a default in place.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, raw in environ.items():
            if not name.startswith("DTC_") or name.startswith("DTC_TEST_"):
                continue
            if name not in cls._ENV:
                raise ConfigError(f"unknown setting {name}")
            attr, parse = cls._ENV[name]
            try:
                values[attr] = None if raw == "" and attr == "smtp_url" else parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        if self.log_format not in {"json", "console"}:
            raise ConfigError("DTC_LOG_FORMAT must be 'json' or 'console'")
        if self.compiled_execution not in ("true", "false", "verify"):
            raise ConfigError("DTC_COMPILED_EXECUTION must be true, false or verify")
        if self.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError("DTC_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        for name in ("session_idle_ttl", "session_max_age", "selection_ttl", "payment_ttl",
                     "max_body_bytes",
                     "max_query_tokens", "max_query_depth", "max_aliases",
                     "document_cache_size", "document_cache_bytes", "max_list_items",
                     "max_result_fields", "max_response_bytes",
                     "db_pool_size", "password_min_length",
                     "password_max_length", "argon2_memory_kib", "argon2_time_cost",
                     "argon2_parallelism", "hash_concurrency", "login_ip_limit",
                     "login_max_backoff", "login_account_free_failures",
                     "register_ip_limit", "session_ip_limit", "job_interval",
                     "reset_token_ttl", "reset_account_limit", "reset_ip_limit",
                     "mail_poll_interval", "smtp_timeout", "mail_lease", "outbox_retention",
                     "mail_max_attempts", "newsletter_ip_limit", "back_in_stock_ip_limit"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        if self.answer_cache_bytes < 0:
            raise ConfigError("answer_cache_bytes must not be negative")
        if self.allowed_origins_ttl < 0:
            raise ConfigError("allowed_origins_ttl must not be negative")
        if self.shutdown_delay < 0:
            raise ConfigError("shutdown_delay must not be negative")
        if self.mail_lease <= self.smtp_timeout:
            raise ConfigError("DTC_MAIL_LEASE must be longer than DTC_SMTP_TIMEOUT: a message's "
                              "lease must outlast the SMTP exchange that sends it")

