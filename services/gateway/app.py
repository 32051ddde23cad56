"""The gateway's app factory: identity routes, the proxy, the merged OpenAPI and `/docs`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from services.gateway import proxy, service
from services.gateway.api import router as identity_router
from services.gateway.credentials import ApiKeyExchangeMiddleware
from services.gateway.models import SCHEMA
from services.gateway.openapi import MergedOpenAPI
from shared.app import NotReady, create_service_app
from shared.db import Database
from shared.settings import SERVICE_NAMES, Settings

log = structlog.get_logger("magnet.gateway")


async def _upstreams_ready(app: FastAPI) -> dict[str, str]:
    report: dict[str, str] = {}
    for name in SERVICE_NAMES:
        client: httpx.AsyncClient = app.state.peers[name]
        try:
            response = await client.get("/readyz", timeout=1.0)
            report[name] = "ok" if response.status_code == 200 else f"status {response.status_code}"
        except httpx.HTTPError as exc:
            report[name] = type(exc).__name__
    not_ready = {name: state for name, state in report.items() if state != "ok"}
    if not_ready:
        raise NotReady(report)
    return report


@asynccontextmanager
async def _gateway_lifespan(app: FastAPI) -> AsyncIterator[None]:
    await _create_first_admin(app)
    async with proxy.upstream_sessions(app):
        yield


async def _create_first_admin(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    if not (settings.admin_email and settings.admin_password):
        return
    database: Database = app.state.database
    async with database.sessionmaker() as session, session.begin():
        created = await service.ensure_admin(
            session, settings.admin_email, settings.admin_password.get_secret_value()
        )
    if created:
        log.info("first admin created", email=settings.admin_email)


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_service_app(
        name="gateway",
        schema=SCHEMA,
        title="MAGNET gateway",
        routers=[identity_router],
        peers=SERVICE_NAMES,
        readiness_checks=[_upstreams_ready],
        settings=settings,
        extra_lifespan=_gateway_lifespan,
        inner_middleware=[ApiKeyExchangeMiddleware],
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.router.routes.extend(proxy.routes)
    if app.state.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=app.state.settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
                "X-Request-ID",
                "Accept-Language",
            ],
            expose_headers=["ETag", "Link", "Location", "Retry-After", "X-Request-ID"],
            max_age=600,
        )
    merged = MergedOpenAPI()

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(await merged.document(app))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="MAGNET platform API")

    return app
