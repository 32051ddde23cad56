"""The app factory every service uses, so every service has the same edges.

Problems for every error, request ids and metrics, the body limit, `/healthz`, `/readyz`
and `/metrics`, and a lifespan that owns the database engine and the peer clients.
"""

from __future__ import annotations

import asyncio
import gc
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.pool import QueuePool
from starlette.responses import Response
from starlette.types import ASGIApp

from shared.db import Database
from shared.head import HeadAsGetMiddleware
from shared.json_depth import JsonDepthMiddleware
from shared.limits import BodySizeLimitMiddleware
from shared.links import PublicLinksMiddleware
from shared.observability import (
    ObservabilityMiddleware,
    configure_logging,
    database_pool_gauges,
    gauges_refreshed,
    metrics_endpoint,
)
from shared.openapi import install_openapi
from shared.peers import Peers
from shared.problems import install_problem_handlers, problem_response
from shared.routing import add_routes
from shared.settings import Environment, Settings, get_settings

ReadinessCheck = Callable[[FastAPI], Awaitable[dict[str, str]]]


class NotReady(Exception):
    """Raised by a readiness check that has a per-dependency report to show."""

    def __init__(self, report: dict[str, str]) -> None:
        super().__init__(", ".join(f"{name}: {state}" for name, state in report.items()))
        self.report = report


READY_TIMEOUT_SECONDS = 2.0


async def _database_ready(app: FastAPI) -> dict[str, str]:
    database: Database = app.state.database
    await database.ping()
    return {"database": "ok"}


def _health_router(checks: Sequence[ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="The database and required peers answer",
        responses={503: {"description": "Not ready"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        report: dict[str, str] = {}
        ready = True
        for check in checks:
            try:
                report.update(await asyncio.wait_for(check(request.app), READY_TIMEOUT_SECONDS))
            except NotReady as exc:
                ready = False
                report.update(exc.report)
            except Exception as exc:  # any failure means "not ready", never a 500
                ready = False
                report[getattr(check, "__name__", "check").strip("_")] = type(exc).__name__
        if ready:
            return JSONResponse({"status": "ready", "checks": report})
        return problem_response(
            503, detail="Not ready: a dependency does not answer.", slug="not-ready", checks=report
        )

    return router


def _metrics_route(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """`/metrics`, open in local and test; with `MAGNET_METRICS_TOKEN` set it asks for
    `Authorization: Bearer <token>`, and in production without one it is not served: the
    gateway's port is public, and metrics tell an attacker what hurts."""
    token = settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None
    hidden = token is None and settings.environment is Environment.PRODUCTION

    async def metrics(request: Request) -> Response:
        if hidden:
            return problem_response(404, detail="Not Found", instance=request.url.path)
        if token is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, b"Bearer " + token):
                return problem_response(
                    401,
                    detail="Metrics need the metrics token.",
                    slug="unauthorized",
                    instance=request.url.path,
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        return await metrics_endpoint(request)

    return metrics


def _freeze_startup_objects(settings: Settings) -> None:
    """Leave what startup built (the app, its routes and models, imported modules) out of
    the garbage collector's passes: they live as long as the process, and walking them
    again and again costs CPU and shows as latency spikes under load (bench/README.md).
    Not in tests, where one process starts many apps that do not live as long as it."""
    if settings.environment is Environment.TEST:
        return
    gc.collect()
    gc.freeze()


def create_service_app(
    *,
    name: str,
    schema: str,
    title: str,
    routers: Sequence[APIRouter],
    peers: tuple[str, ...] = (),
    readiness_checks: Sequence[ReadinessCheck] = (),
    settings: Settings | None = None,
    extra_lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    edge_middleware: Sequence[Callable[[ASGIApp], ASGIApp]] = (),
    app_class: type[FastAPI] = FastAPI,
    announce_routes: bool = True,
    **fastapi_kwargs: Any,
) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json, service=name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = Database(settings, application_name=f"magnet-{name}")
        app.state.peers = Peers(settings, peers)
        pool = app.state.database.engine.pool
        assert isinstance(pool, QueuePool)
        try:
            async with gauges_refreshed(database_pool_gauges(name, pool)):
                if extra_lifespan is None:
                    _freeze_startup_objects(settings)
                    yield
                else:
                    async with extra_lifespan(app):
                        _freeze_startup_objects(settings)
                        yield
        finally:
            await app.state.peers.aclose()
            await app.state.database.dispose()

    app = app_class(title=title, version="1.0.0", lifespan=lifespan, **fastapi_kwargs)
    app.state.settings = settings
    app.state.schema = schema
    app.state.service_name = name
    install_problem_handlers(app)
    install_openapi(app)
    add_routes(app.router, _health_router([_database_ready, *readiness_checks]))
    app.add_route("/metrics", _metrics_route(settings), include_in_schema=False)
    add_routes(app.router, *routers)
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(JsonDepthMiddleware)  # inside the size limit: reads a bounded body
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    for middleware in edge_middleware:  # inside request ids and metrics, outside the limit
        app.add_middleware(middleware)
    app.add_middleware(PublicLinksMiddleware, base_url=settings.public_base_url)
    app.add_middleware(
        ObservabilityMiddleware,
        service=name,
        access_log_enabled=settings.access_log,
        announce_route=announce_routes,
    )
    return app
