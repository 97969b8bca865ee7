"""The ASGI application factory: the composition root of the HTTP service."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from dtc_api import demo, logs, metrics
from dtc_api.backoffice.gate import IntegrationGate
from dtc_api.backoffice.resolvers import build_schema as build_integration_schema
from dtc_api.clock import Clock, SystemClock
from dtc_api.config import Settings
from dtc_api.http import explorer
from dtc_api.http.cors import Cors
from dtc_api.http.documents import DocumentCache, Limits
from dtc_api.http.endpoint import GraphQLEndpoint, StorefrontGate
from dtc_api.http.observe import Observed
from dtc_api.jobs import loop
from dtc_api.mail import outbox
from dtc_api.process import drain_on_sigterm, exit_with_parent
from dtc_api.runtime import Runtime
from dtc_api.store.availability import unreachable
from dtc_api.storefront import build_schema
from dtc_api.storefront.scope import root_scopes

# Elements of list arguments one back-office request may pass.
INTEGRATION_LIST_ITEMS = 100_000
# Seconds between two readings of a worker's gauges (document caches, database pools), so
# that a scrape answered by another worker sees them nearly current.
METRICS_SAMPLE_INTERVAL = 5.0


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


class _App(Starlette):
    """Starlette, with the GraphQL endpoints' requests (nearly all of them) sent straight to
    their endpoint, timed and logged as every request is, past the router's matching and
    the exception handlers (the endpoints answer every error themselves)."""

    direct: dict[str, ASGIApp]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            endpoint = self.direct.get(scope["path"])
            if endpoint is not None:
                scope["app"] = self
                await endpoint(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    run_jobs: bool = False,
    runtime: Runtime | None = None,
    served: bool = False,
) -> Starlette:
    """The application; ``served`` when it runs under `dtc-api serve` (signals are its to
    handle)."""
    runtime = runtime or Runtime.build(settings, clock or SystemClock())
    schema = build_schema()
    limits = Limits(settings.max_query_tokens, settings.max_query_depth, settings.max_aliases)
    documents = DocumentCache(schema, limits, settings.document_cache_size,
                              settings.document_cache_bytes)
    graphql = GraphQLEndpoint(runtime, schema, documents,
                              StorefrontGate(runtime, root_scopes(schema)),
                              cors=Cors(runtime.allowed_origins))
    integration_schema = build_integration_schema()
    integration_documents = DocumentCache(integration_schema, limits,
                                          settings.document_cache_size,
                                          settings.document_cache_bytes)
    integration = GraphQLEndpoint(
        runtime, integration_schema, integration_documents,
        IntegrationGate(runtime),
        # Catalogue and stock upserts carry many records; the body limit still bounds them.
        max_list_items=max(settings.max_list_items, INTEGRATION_LIST_ITEMS),
    )

    if settings.metrics:
        metrics.enable()
        metrics.watch_cache("/graphql", documents)
        metrics.watch_cache("/integration/graphql", integration_documents)
        if graphql.answers is not None:
            metrics.watch_cache("/graphql", graphql.answers, "answer")
        metrics.watch_database(runtime.db)

    async def scrape(_: Request) -> Response:
        try:
            depth, oldest = await outbox.depth(runtime.db, runtime.clock.now())
            families = metrics.outbox_families(depth, oldest)
        except Exception as error:  # the rest of the metrics are still worth having
            if not unreachable(error):
                raise
            families = []
        text, content_type = metrics.exposition(families)
        return Response(text, media_type=content_type)

    async def sample_metrics() -> None:
        while True:
            metrics.sample()
            await asyncio.sleep(METRICS_SAMPLE_INTERVAL)

    async def healthz(_: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(_: Request) -> Response:
        if app.state.draining:
            return _json({"status": "stopping"}, 503)
        try:
            await runtime.db.ping()
        except Exception:
            return _json({"status": "unavailable", "database": "unreachable"}, 503)
        return _json({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await runtime.hasher.warm_up()
        # What exists now (schemas, caches, modules) lives as long as the process: keep it
        # out of the collector's full passes, which would otherwise walk it all and hold
        # the event loop for ~100 ms after any burst of allocations.
        gc.freeze()
        if served:
            drain_on_sigterm(settings.shutdown_delay,
                             lambda: setattr(app.state, "draining", True))
        jobs = asyncio.create_task(loop.run_forever(runtime)) if run_jobs else None
        sampling = asyncio.create_task(sample_metrics()) if settings.metrics else None
        try:
            yield
        finally:
            gc.unfreeze()
            if sampling is not None:
                sampling.cancel()
                metrics.process_exits()
            if jobs is not None:
                jobs.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await jobs
            await runtime.db.dispose()
            runtime.hasher.close()

    # With the explorer, a browser opening /graphql gets GraphiQL; GraphQL requests are
    # answered as without it.
    storefront = (explorer.explorer().routes(graphql) if settings.explorer
                  else [Route("/graphql", graphql)])
    routes = [
        *storefront,
        Route("/integration/graphql", integration),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        # The demo data's images (a shop's own live on its CDN).
        Mount("/media", StaticFiles(directory=demo.MEDIA), name="media"),
    ]
    if settings.metrics:
        routes.append(Route("/metrics", scrape, methods=["GET"]))
    app = _App(
        routes=routes,
        middleware=[Middleware(Observed, slow_ms=settings.slow_request_ms)],
        lifespan=lifespan,
    )
    app.direct = {route.path: ServerErrorMiddleware(
        Observed(route.app, slow_ms=settings.slow_request_ms))
        for route in routes if route.path in ("/graphql", "/integration/graphql")}
    app.state.runtime = runtime
    app.state.documents = documents
    app.state.draining = False
    return app


def create_app_from_env() -> Starlette:
    """Entry point for ``uvicorn --factory`` (one call per worker process)."""
    exit_with_parent()
    settings = Settings.from_env()
    logs.setup(settings.log_format, settings.log_level)
    return create_app(settings, run_jobs=settings.run_jobs, served=True)
