"""Prometheus metrics (``DTC_METRICS=true``), served at ``/metrics``.

Off by default: until :func:`enable` is called every recording function returns at once and
``prometheus_client`` is not even imported. Metrics are process-wide (as Prometheus' client
keeps them); with ``PROMETHEUS_MULTIPROC_DIR`` set before the first import (``dtc-api serve``
sets it for its workers), every worker writes its values there and any worker's ``/metrics``
answers the sum of them all.

What the database knows (the outbox) is read when scraped, not counted.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Operation names are the client's choice: a process labels at most this many distinct ones,
# and the rest as "other", so that no client can grow the series without bound.
MAX_OPERATION_NAMES = 500
OTHER = "other"
ANONYMOUS = "(anonymous)"  # an operation without a name
NONE = "(none)"  # a request refused before its operation was known, or not GraphQL
LOGIN_FAILURES = ("wrong_credentials", "blocked", "held_back")
MAIL_OUTCOMES = ("sent", "retry", "failed")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")


class _Metrics:
    """The metrics of this process, made when enabled."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Counter(
            "dtc_requests", "HTTP requests by endpoint, GraphQL operation and outcome "
            "(ok, user_errors, graphql_error, 4xx, 5xx).",
            ["endpoint", "operation", "outcome"], registry=registry)
        self.latency = Histogram(
            "dtc_request_duration_seconds", "Time from a request's arrival to its last byte, "
            "by endpoint and GraphQL operation.", ["endpoint", "operation"],
            buckets=LATENCY_BUCKETS, registry=registry)
        self.document_lookups = Counter(
            "dtc_document_cache_lookups", "Query documents looked up in the parsed-document "
            "cache, by endpoint and result (hit, miss).", ["endpoint", "result"],
            registry=registry)
        self.document_entries = Gauge(
            "dtc_document_cache_entries", "Documents held in the parsed-document caches.",
            ["endpoint"], multiprocess_mode="livesum", registry=registry)
        self.document_bytes = Gauge(
            "dtc_document_cache_bytes", "Estimated bytes the parsed-document caches hold.",
            ["endpoint"], multiprocess_mode="livesum", registry=registry)
        self.answer_lookups = Counter(
            "dtc_answer_cache_lookups", "Session and customer queries looked up among the kept "
            "answers, by endpoint and result (hit; miss: none kept, or built before a change).",
            ["endpoint", "result"], registry=registry)
        self.answer_entries = Gauge(
            "dtc_answer_cache_entries", "Answers kept between requests.",
            ["endpoint"], multiprocess_mode="livesum", registry=registry)
        self.answer_bytes = Gauge(
            "dtc_answer_cache_bytes", "Bytes the kept answers hold (compressed).",
            ["endpoint"], multiprocess_mode="livesum", registry=registry)
        self.refusals = Counter(
            "dtc_limit_refusals", "Requests over a rate limit, by the limit's name (as in "
            "the back-office API's rateLimits).", ["limit"], registry=registry)
        self.login_failures = Counter(
            "dtc_login_failures", "Logins refused, by reason (wrong_credentials, blocked, "
            "held_back).", ["reason"], registry=registry)
        self.mail = Counter(
            "dtc_mail_deliveries", "E-mail delivery attempts, by outcome (sent; retry: "
            "failed and tried again later; failed: given up).", ["outcome"], registry=registry)
        self.pool = Gauge(
            "dtc_db_pool_connections", "Database connections by pool (write: transactions, "
            "read: the read path) and state (in_use, idle).", ["pool", "state"],
            multiprocess_mode="livesum", registry=registry)
        # Known label values start at zero, so that a rate over them exists from the start.
        from dtc_api.core.limits import LIMITS

        for name in LIMITS:
            self.refusals.labels(name)
        for reason in LOGIN_FAILURES:
            self.login_failures.labels(reason)
        for outcome in MAIL_OUTCOMES:
            self.mail.labels(outcome)
        self.operations: set[str] = set()
        # What is sampled, held weakly: an app that is gone (in tests, one per test) stops
        # being reported.
        self.caches: list[_WatchedCache] = []
        self.databases: list[weakref.ref[Any]] = []

    def operation(self, name: str) -> str:
        if name in self.operations or name in (ANONYMOUS, NONE):
            return name
        if len(self.operations) >= MAX_OPERATION_NAMES or not _NAME.fullmatch(name):
            return OTHER
        self.operations.add(name)
        return name


_metrics: _Metrics | None = None


def enabled() -> bool:
    return _metrics is not None


def enable() -> None:
    """Make the metrics (once per process)."""
    global _metrics
    if _metrics is None:
        _metrics = _Metrics()


def prepare_multiprocess(directory: str | None = None) -> str:
    """Before any worker starts: a fresh directory for the workers' values (counting starts
    at zero with each `serve`), named in the environment they inherit."""
    directory = directory or tempfile.mkdtemp(prefix="dtc-api-metrics-")
    os.environ[MULTIPROC_DIR] = directory
    return directory


def remove_multiprocess(directory: str) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def process_exits() -> None:
    """This worker stops: its live gauges (cache sizes, pool use) no longer count."""
    directory = os.environ.get(MULTIPROC_DIR)
    if _metrics is not None and directory:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid(), directory)


# Recording: each returns at once while the metrics are off.

def request(endpoint: str, operation: str, outcome: str, seconds: float) -> None:
    """A request answered: ``operation`` is its GraphQL operation's name, ``ANONYMOUS`` or
    ``NONE``."""
    if _metrics is None:
        return
    label = _metrics.operation(operation)
    _metrics.requests.labels(endpoint, label, outcome).inc()
    _metrics.latency.labels(endpoint, label).observe(seconds)


def watch_cache(endpoint: str, cache: Any, kind: str = "document") -> None:
    """A cache (``kind``: document, or answer) whose lookups and size are reported
    (``cache.hits``, ``cache.misses``, ``len(cache)``, ``cache.bytes``): read when sampled, so
    that a lookup costs no more than counting it."""
    if _metrics is not None:
        watched = _WatchedCache(endpoint, cache, kind)
        _metrics.caches.append(watched)
        for result in ("hit", "miss"):
            watched.families(_metrics)[0].labels(endpoint, result)


class _WatchedCache:
    def __init__(self, endpoint: str, cache: Any, kind: str) -> None:
        self.endpoint = endpoint
        self.cache = weakref.ref(cache)
        self.kind = kind
        self.hits = self.misses = 0  # as far as counted

    def families(self, metrics: Any) -> tuple[Any, Any, Any]:
        """Its lookups, entries and bytes."""
        if self.kind == "answer":
            return metrics.answer_lookups, metrics.answer_entries, metrics.answer_bytes
        return metrics.document_lookups, metrics.document_entries, metrics.document_bytes


def watch_database(db: Any) -> None:
    """A database whose pools are reported (``db.pool_use()``)."""
    if _metrics is not None:
        _metrics.databases.append(weakref.ref(db))


def limit_refused(limit: str) -> None:
    if _metrics is not None:
        _metrics.refusals.labels(limit).inc()


def login_failed(reason: str) -> None:
    if _metrics is not None:
        _metrics.login_failures.labels(reason).inc()


def mail_attempt(outcome: str) -> None:
    if _metrics is not None:
        _metrics.mail.labels(outcome).inc()


def sample() -> None:
    """Read this process's gauges (cache sizes, pool use): before a scrape, and now and then
    so that the other workers' values are current too."""
    if _metrics is None:
        return
    entries: dict[tuple[str, str], int] = {}
    size: dict[tuple[str, str], int] = {}
    kinds: dict[str, _WatchedCache] = {}
    _metrics.caches = [w for w in _metrics.caches if w.cache() is not None]
    _metrics.databases = [d for d in _metrics.databases if d() is not None]
    for watched in _metrics.caches:
        endpoint, cache = watched.endpoint, watched.cache()
        if cache is None:
            continue
        lookups = watched.families(_metrics)[0]
        hits, misses = cache.hits, cache.misses
        if hits > watched.hits:
            lookups.labels(endpoint, "hit").inc(hits - watched.hits)
        if misses > watched.misses:
            lookups.labels(endpoint, "miss").inc(misses - watched.misses)
        watched.hits, watched.misses = hits, misses
        where = (watched.kind, endpoint)
        kinds[watched.kind] = watched
        entries[where] = entries.get(where, 0) + len(cache)
        size[where] = size.get(where, 0) + cache.bytes
    for (kind, endpoint), count in entries.items():
        _, held, held_bytes = kinds[kind].families(_metrics)
        held.labels(endpoint).set(count)
        held_bytes.labels(endpoint).set(size[(kind, endpoint)])
    use: dict[tuple[str, str], int] = {}
    for ref in _metrics.databases:
        db = ref()
        if db is None:
            continue
        for pool, (in_use, idle) in db.pool_use().items():
            use[(pool, "in_use")] = use.get((pool, "in_use"), 0) + in_use
            use[(pool, "idle")] = use.get((pool, "idle"), 0) + idle
    for (pool, state), count in use.items():
        _metrics.pool.labels(pool, state).set(count)


def exposition(extra: Iterable[Any] = ()) -> tuple[bytes, str]:
    """The text exposition of every worker's metrics and of ``extra`` (metric families read
    from the database); and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    if _metrics is None:
        raise RuntimeError("metrics are off: call enable() first")
    sample()
    if os.environ.get(MULTIPROC_DIR):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = _metrics.registry
    text = generate_latest(registry)
    families = list(extra)
    if families:
        once = CollectorRegistry()
        once.register(_Families(families))
        text += generate_latest(once)
    return text, CONTENT_TYPE_LATEST


class _Families:
    def __init__(self, families: list[Any]) -> None:
        self.families = families

    def collect(self) -> Iterator[Any]:
        yield from self.families


def outbox_families(depth: dict[str, int], oldest_pending_seconds: float) -> list[Any]:
    """The outbox as the database holds it: messages by status, and the age of the oldest
    one waiting to be sent (0 when none is)."""
    from prometheus_client.core import GaugeMetricFamily

    messages = GaugeMetricFamily("dtc_outbox_messages", "E-mail messages in the outbox by "
                                 "status (pending, sending, sent, failed).", labels=["status"])
    for status in ("pending", "sending", "sent", "failed"):
        messages.add_metric([status], depth.get(status, 0))
    oldest = GaugeMetricFamily("dtc_outbox_oldest_pending_seconds", "Age of the oldest "
                               "message waiting to be sent, in seconds (0: none waits).",
                               value=oldest_pending_seconds)
    return [messages, oldest]
