"""Request ids, W3C trace context, structured JSON logs and Prometheus metrics.

One pure ASGI middleware does all of it per request: it accepts the caller's `X-Request-ID`
(or makes one), echoes it on the response, binds it (and the trace id from `traceparent`)
to every log line of the request, and records the request in a histogram labelled by the
route template, never the raw path, so label cardinality stays bounded.

Logs are JSON lines that ingestion can trust: every record, ours and the libraries' (uvicorn,
SQLAlchemy, …) through the standard `logging` bridge, is one JSON object tagged with its
`service` and `process` (pid), written with ONE `write()` of at most `PIPE_BUF` bytes. Several
processes share one stream (the `magnet up` children, the workers of a service), and `print`
writes a record and its newline in two calls: two processes' records then share a line and
an empty line follows. A single write of at most `PIPE_BUF` bytes is atomic on a pipe, so no
other process's record can land inside it; a record that would be longer has its longest
values shortened (keeping their ends, where a traceback says what failed) and says so.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import select
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import structlog
from fastapi.routing import iter_route_contexts
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.pool import QueuePool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
# A service names the route template it answered with, for the gateway's per-route metrics
# (the gateway reads it and does not pass it on). Bounded: the service's own routes.
ROUTE_HEADER = b"x-magnet-route"
# Where a proxy leaves the upstream's route template for the metrics of the request.
PROXIED_ROUTE = "magnet.proxied_route"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")

_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
traceparent_var: ContextVar[str | None] = ContextVar("traceparent", default=None)

REQUESTS = Counter(
    "magnet_http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
LATENCY = Histogram(
    "magnet_http_request_duration_seconds",
    "Time to the last byte of the response",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

DB_POOL = Gauge(
    "magnet_db_pool_connections",
    "Database connections in use, idle in the pool, and the pools' size (summed over workers)",
    ["service", "state"],
    multiprocess_mode="livesum",
)
# Gauges are set by refreshers: at each scrape, and every GAUGE_REFRESH_SECONDS in a service
# of several workers, where a scrape reaches only one of them (`magnet serve --workers`).
GAUGE_REFRESH_SECONDS = 2.0
_gauge_refreshers: list[Callable[[], None]] = []


def multiprocess() -> bool:
    return "PROMETHEUS_MULTIPROC_DIR" in os.environ


def refresh_gauges() -> None:
    for refresh in list(_gauge_refreshers):
        refresh()


@asynccontextmanager
async def gauges_refreshed(refresh: Callable[[], None]) -> AsyncIterator[None]:
    """`refresh` keeps its gauges current while the block runs."""
    _gauge_refreshers.append(refresh)
    task = asyncio.create_task(_refresh_forever(refresh)) if multiprocess() else None
    try:
        yield
    finally:
        _gauge_refreshers.remove(refresh)
        if task is not None:
            task.cancel()


async def _refresh_forever(refresh: Callable[[], None]) -> None:
    while True:
        refresh()
        await asyncio.sleep(GAUGE_REFRESH_SECONDS)


def database_pool_gauges(service: str, pool: QueuePool) -> Callable[[], None]:
    in_use, idle, size = (DB_POOL.labels(service, state) for state in ("in_use", "idle", "size"))

    def refresh() -> None:
        in_use.set(pool.checkedout())
        idle.set(pool.checkedin())
        size.set(pool.size())

    return refresh


access_log = structlog.get_logger("magnet.access")


def add_request_ids(
    logger: object, method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Tag a log line written during a request with its request and trace ids (read from
    the request's context variables rather than bound per request: cheaper)."""
    if (request_id := request_id_var.get()) is not None:
        event.setdefault("request_id", request_id)
    if (traceparent := traceparent_var.get()) is not None:
        event.setdefault("trace_id", traceparent[3:35])
    return event


MAX_RECORD_BYTES = select.PIPE_BUF  # 4096 on Linux: the size one write() keeps whole
_SHORTENED = "…"


class LineWriter:
    """Writes each record as one line with one `write()` on a file descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def msg(self, message: str) -> None:
        data = message.encode("utf-8", "replace") + b"\n"
        while data:  # a blocking write of <= PIPE_BUF bytes is whole; longer ones may split
            written = os.write(self.fd, data)
            data = data[written:]

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _size(event: dict[str, Any]) -> int:
    return len(json.dumps(event, default=repr, ensure_ascii=False).encode())


def _shortened(event: dict[str, Any], budget: int) -> dict[str, Any]:
    """The record with its longest string values cut (their ends kept) to fit `budget`."""
    event = {**event, "truncated": True}
    for _ in range(2 * len(event) + 4):  # multi-byte text may take a second cut
        excess = _size(event) - budget
        if excess <= 0:
            return event
        key, value = max(
            ((k, v) for k, v in event.items() if isinstance(v, str)),
            key=lambda item: len(item[1].encode()),
            default=("", ""),
        )
        if len(value) <= len(_SHORTENED):
            break
        keep = max(0, len(value) - excess - len(_SHORTENED) - 16)
        event[key] = _SHORTENED + value[len(value) - keep :]
    if _size(event) <= budget:
        return event
    # What is too long is not a string (or there are too many keys): keep the essentials.
    wanted = ("event", "level", "timestamp", "service", "process", "request_id", "truncated")
    return {key: str(event[key])[:200] for key in wanted if key in event}


def render_json_line(logger: object, method: str, event: structlog.typing.EventDict) -> str:
    """JSON on one line (no raw newline can appear in it), at most MAX_RECORD_BYTES."""
    rendered = json.dumps(event, default=repr, ensure_ascii=False)
    if len(rendered) * 4 < MAX_RECORD_BYTES or len(rendered.encode()) < MAX_RECORD_BYTES:
        return rendered
    shortened = _shortened(dict(event), MAX_RECORD_BYTES - 1)
    return json.dumps(shortened, default=repr, ensure_ascii=False)


def _tagger(service: str) -> structlog.typing.Processor:
    def tag(
        logger: object, method: str, event: structlog.typing.EventDict
    ) -> structlog.typing.EventDict:
        event.setdefault("service", service)
        event["process"] = os.getpid()  # read per record: workers are forked after set-up
        return event

    return tag


def configure_logging(level: str = "INFO", json_logs: bool = True, service: str = "magnet") -> None:
    """structlog and the standard `logging` tree (uvicorn, libraries) to one line writer."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_request_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _tagger(service),
    ]
    renderer: structlog.typing.Processor = (
        render_json_line if json_logs else structlog.dev.ConsoleRenderer(colors=False)
    )
    numeric_level = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    writer = LineWriter(sys.stderr.fileno())
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=lambda *args: writer,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(_WriterStream(writer))
    handler.terminator = ""
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(max(numeric_level, logging.WARNING))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logging.getLogger(name).handlers = []  # uvicorn's own (plain text) handlers
        logging.getLogger(name).propagate = True


class _WriterStream:
    """What `logging.StreamHandler` writes a formatted record to: one line per record."""

    def __init__(self, writer: LineWriter) -> None:
        self.writer = writer

    def write(self, text: str) -> None:
        self.writer.msg(text)

    def flush(self) -> None:
        pass


def new_traceparent(parent: str | None) -> str:
    """Continue the caller's trace with a new span id, or start a trace."""
    match = _TRACEPARENT.match(parent or "")
    return _child_of(match.group(1) if match else os.urandom(16).hex())


def _child_of(trace_id: str) -> str:
    return f"00-{trace_id}-{os.urandom(8).hex()}-01"


def current_child_traceparent() -> str:
    """A new span of the current request's trace (already validated), for a call it makes."""
    parent = traceparent_var.get()
    return _child_of(parent[3:35]) if parent else new_traceparent(None)


def _ids(scope: Scope) -> tuple[str | None, str | None]:
    """The caller's `X-Request-ID` and `traceparent`, in one pass over the headers."""
    request_id = traceparent = None
    for key, value in scope["headers"]:
        if key == b"x-request-id":
            request_id = value.decode("latin-1")
        elif key == b"traceparent":
            traceparent = value.decode("latin-1")
    return request_id, traceparent


class ObservabilityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        access_log_enabled: bool = True,
        announce_route: bool = False,
    ) -> None:
        self.app = app
        self.service = service
        self.access_log_enabled = access_log_enabled
        self.announce_route = announce_route  # behind the gateway: tell it the route template
        self._templates: dict[int, str] | None = None  # id(route) → its full path template
        # The labelled metrics per (method, route, status): `labels()` costs on every call.
        self._metrics: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming, traceparent = _ids(scope)
        # One read of the random source for a new request id, trace id and span id.
        fresh = os.urandom(40).hex()
        safe = incoming is not None and _SAFE_REQUEST_ID.match(incoming) is not None
        request_id = incoming if safe and incoming else fresh[:32]
        if traceparent is None or not _TRACEPARENT.match(traceparent):
            traceparent = f"00-{fresh[32:64]}-{fresh[64:]}-01"  # the edge of a new trace
        request_id_token = request_id_var.set(request_id)
        traceparent_token = traceparent_var.set(traceparent)
        method = scope["method"]
        started = time.perf_counter()
        status_code = 500
        request_id_header = (b"x-request-id", request_id.encode())
        proxied: list[str] = []  # a list: scope may be copied on its way to the proxy
        scope[PROXIED_ROUTE] = proxied

        async def send_with_request_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                extra = [request_id_header]
                if self.announce_route and scope.get("route") is not None:
                    extra.append((ROUTE_HEADER, self._template(scope).encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            elapsed = time.perf_counter() - started
            template = (proxied and proxied[0]) or self._template(scope)
            self._record(method, template, status_code, elapsed)
            if self.access_log_enabled and template not in _QUIET_ROUTES:
                access_log.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    status=status_code,
                    ms=round(elapsed * 1000, 2),
                )
            request_id_var.reset(request_id_token)
            traceparent_var.reset(traceparent_token)

    def _template(self, scope: Scope) -> str:
        """The matched route's whole path template: a route of an included router knows
        only its own part (`/entries/{ref}`), FastAPI's route contexts the prefixes too."""
        route = scope.get("route")
        if route is None:
            return "unmatched"
        if self._templates is None:
            app = scope.get("app")
            self._templates = {
                id(context.original_route): context.path
                for context in iter_route_contexts(getattr(app, "routes", []))
                if context.path
            }
        return self._templates.get(id(route)) or getattr(route, "path", None) or "unmatched"

    def _record(self, method: str, template: str, status: int, elapsed: float) -> None:
        key = (method, template, status)
        metrics = self._metrics.get(key)
        if metrics is None:
            metrics = self._metrics[key] = (
                REQUESTS.labels(self.service, method, template, str(status)),
                LATENCY.labels(self.service, method, template),
            )
        requests, latency = metrics
        requests.inc()
        latency.observe(elapsed)


async def metrics_endpoint(request: Request) -> Response:
    refresh_gauges()
    if not multiprocess():
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
    registry = CollectorRegistry()  # every worker's figures, added up
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
