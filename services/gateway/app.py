"""The gateway's app factory: identity routes, the proxy, the merged OpenAPI and `/docs`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from importlib import resources
from pathlib import Path

import structlog
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway import service
from services.gateway.api import router as identity_router
from services.gateway.dashboard.api import router as dashboard_router
from services.gateway.dashboard.cache import SharedResults
from services.gateway.edge import EdgeMiddleware, EdgePolicy, LoginLimiter, cors_options
from services.gateway.forwarded import ForwardedForMiddleware
from services.gateway.gauges import upstream_gauges
from services.gateway.models import SCHEMA
from services.gateway.openapi import MergedOpenAPI
from services.gateway.passwords import PasswordHashing, available_cores
from services.gateway.proxy import ProxyApp, route_of
from services.gateway.resident_limits import ResidentLimits
from services.gateway.residents_api import router as residents_router
from services.gateway.upstreams import Upstream, upstream_sessions
from shared.app import READY_TIMEOUT_SECONDS, create_service_app
from shared.db import Database
from shared.head import HeadAsGetMiddleware
from shared.json_depth import JsonDepthMiddleware
from shared.observability import gauges_refreshed
from shared.problems import problem_response
from shared.settings import SERVICE_NAMES, Settings, get_settings

log = structlog.get_logger("magnet.gateway")
# Swagger UI and ReDoc as fastapi-offline ships them: /docs and /redoc load nothing from
# outside, so they work on an intranet without Internet access.
DOCS_ASSETS = Path(str(resources.files("fastapi_offline") / "static"))


async def _database_state(app: FastAPI) -> str:
    database: Database = app.state.database
    try:
        await asyncio.wait_for(database.ping(), READY_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure means "not ready", never a 500
        return type(exc).__name__
    return "ok"


async def readyz(request: Request) -> JSONResponse:
    """The database and every upstream, probed at once, with each upstream's breaker."""
    app = request.app
    upstreams: dict[str, Upstream] = app.state.upstreams
    database, reports = await asyncio.gather(
        _database_state(app),
        asyncio.gather(*(upstream.readiness() for upstream in upstreams.values())),
    )
    details = dict(zip(upstreams, reports, strict=True))
    checks = {"database": database, **{name: str(r["status"]) for name, r in details.items()}}
    if all(state == "ok" for state in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks, "upstreams": details})
    return problem_response(
        503,
        detail="Not ready: a dependency does not answer.",
        slug="not-ready",
        checks=checks,
        upstreams=details,
    )


def _replace_readiness(app: FastAPI) -> None:
    """Answer `/readyz` before the shared route does: the gateway reports more."""
    app.add_api_route(
        "/readyz",
        readyz,
        methods=["GET"],
        tags=["operations"],
        summary="The database and every service answer; each service's breaker state",
        responses={503: {"description": "Not ready"}},
        include_in_schema=False,  # the shared route documents it once
    )
    app.router.routes.insert(0, app.router.routes.pop())


@asynccontextmanager
async def _gateway_lifespan(app: FastAPI) -> AsyncIterator[None]:
    await _create_first_admin(app)
    async with upstream_sessions(app), gauges_refreshed(upstream_gauges(app.state.upstreams)):
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


class GatewayApp(FastAPI):
    """FastAPI for the gateway's own routes; proxied requests go through the same edge
    middlewares straight to `ProxyApp`, skipping FastAPI's routing and exception layers."""

    _proxy_stack: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (route := route_of(scope)) is not None:
            scope["app"] = self
            scope["route"] = route
            if self._proxy_stack is None:
                self._proxy_stack = self._build_proxy_stack()
            await self._proxy_stack(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def _build_proxy_stack(self) -> ASGIApp:
        app: ASGIApp = ProxyApp()
        for cls, args, kwargs in reversed(self.user_middleware):
            # A proxied HEAD, and the JSON body's depth, are the service's to judge.
            if cls not in (HeadAsGetMiddleware, JsonDepthMiddleware):
                app = cls(app, *args, **kwargs)
        return app


def create_app(settings: Settings | None = None) -> GatewayApp:
    settings = settings or get_settings()
    edge = EdgePolicy(
        cors=cors_options(settings),
        per_credential=settings.rate_limit_per_minute,
        per_address=settings.rate_limit_per_address_per_minute,
        redis_url=settings.redis_url,
        key_prefix=settings.rate_limit_key_prefix,
    )
    app = create_service_app(
        name="gateway",
        schema=SCHEMA,
        title="MAGNET gateway",
        routers=[identity_router, residents_router, dashboard_router],
        peers=SERVICE_NAMES,
        settings=settings,
        extra_lifespan=_gateway_lifespan,
        app_class=GatewayApp,
        announce_routes=False,  # the public edge: its answers name no route template
        edge_middleware=[
            partial(EdgeMiddleware, policy=edge),
            # Outside the limits, which count the client it finds; without trusted proxies
            # the peer is the client, and a layer that would change nothing costs a call.
            *(
                [partial(ForwardedForMiddleware, trusted=settings.trusted_proxies)]
                if settings.trusted_proxies
                else []
            ),
        ],
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    assert isinstance(app, GatewayApp)
    app.state.login_limiter = LoginLimiter(
        settings.login_attempts_per_minute, settings.login_attempts_per_address_per_minute
    )
    app.state.resident_limits = ResidentLimits(settings)
    app.state.password_hashing = PasswordHashing(
        slots=settings.password_hashing_threads or available_cores(),
        per_address=settings.logins_at_once_per_address,
        max_wait=settings.password_hashing_max_wait_seconds,
    )
    app.state.overview_results = SharedResults(settings.dashboard_cache_seconds)
    _replace_readiness(app)
    merged = MergedOpenAPI()

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        # Generated clients default to this address: the public one, never how we were reached.
        return JSONResponse(await merged.document(app, settings.public_base_url))

    app.mount("/docs/assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="MAGNET platform API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge from an outside server
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="MAGNET platform API",
            redoc_js_url="/docs/assets/redoc.standalone.js",
            redoc_favicon_url="/docs/assets/favicon.png",
            with_google_fonts=False,
        )

    return app
