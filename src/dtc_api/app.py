"""The ASGI application factory: the composition root of the HTTP service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dtc_api import logs
from dtc_api.clock import Clock, SystemClock
from dtc_api.config import Settings
from dtc_api.graphql import build_schema
from dtc_api.graphql.scope import root_scopes
from dtc_api.http.documents import DocumentCache, Limits
from dtc_api.http.endpoint import GraphQLEndpoint, StorefrontGate
from dtc_api.integration.gate import IntegrationGate
from dtc_api.integration.resolvers import build_schema as build_integration_schema
from dtc_api.jobs import loop
from dtc_api.services.runtime import Runtime


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    run_jobs: bool = False,
    runtime: Runtime | None = None,
) -> Starlette:
    runtime = runtime or Runtime.build(settings, clock or SystemClock())
    schema = build_schema()
    limits = Limits(settings.max_query_tokens, settings.max_query_depth, settings.max_aliases)
    documents = DocumentCache(schema, limits, settings.document_cache_size)
    graphql = GraphQLEndpoint(runtime, schema, documents,
                              StorefrontGate(runtime, root_scopes(schema)))
    integration_schema = build_integration_schema()
    integration = GraphQLEndpoint(
        runtime, integration_schema,
        DocumentCache(integration_schema, limits, settings.document_cache_size),
        IntegrationGate(runtime),
    )

    async def healthz(_: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(_: Request) -> Response:
        try:
            await runtime.db.ping()
        except Exception:
            return _json({"status": "unavailable", "database": "unreachable"}, 503)
        return _json({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await runtime.hasher.warm_up()
        jobs = asyncio.create_task(loop.run_forever(runtime)) if run_jobs else None
        try:
            yield
        finally:
            if jobs is not None:
                jobs.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await jobs
            await runtime.db.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql),
            Route("/integration/graphql", integration),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.documents = documents
    return app


def create_app_from_env() -> Starlette:
    """Entry point for ``uvicorn --factory`` (one call per worker process)."""
    settings = Settings.from_env()
    logs.setup(settings.log_format, settings.log_level)
    return create_app(settings, run_jobs=settings.run_jobs)
