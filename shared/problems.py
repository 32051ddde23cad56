"""RFC 9457 problem details: the one shape every error of every service takes.

Domain code raises a `Problem` subclass; `install_problem_handlers` renders it, and also
turns FastAPI's own 404/405/422, lost database connections and unexpected exceptions into
problems. Nothing internal (tracebacks, SQL, host names) ever reaches a response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from shared.db import LOST_CONNECTION

PROBLEM_MEDIA_TYPE = "application/problem+json"
# `shared.openapi` puts `ProblemDetail` into every document's components.
PROBLEM_SCHEMA_REF = "#/components/schemas/ProblemDetail"
log = structlog.get_logger("magnet.problems")


def problem_type(slug: str) -> str:
    return f"urn:magnet:problem:{slug}"


# The one title of each problem type (`urn:magnet:problem:<slug>`), whoever answers it:
# clients may show or switch on the title, so a type never comes with two.
PROBLEM_TITLES = {
    "bad-request": "Bad Request",
    "json-too-deep": "JSON Nested Too Deeply",
    "unauthorized": "Unauthorized",
    "forbidden": "Forbidden",
    "not-found": "Not Found",
    "method-not-allowed": "Method Not Allowed",
    "conflict": "Conflict",
    "gone": "Gone",
    "precondition-failed": "Precondition Failed",
    "content-too-large": "Content Too Large",
    "unsupported-media-type": "Unsupported Media Type",
    "validation-error": "Your request is not valid.",
    "precondition-required": "Precondition Required",
    "too-many-requests": "Too Many Requests",
    "internal-error": "Internal Server Error",
    "service-unavailable": "Service Unavailable",
    "database-unavailable": "Database Unavailable",
    "not-ready": "Not Ready",
    "gateway-timeout": "Gateway Timeout",
    "cors-preflight-refused": "CORS Preflight Refused",
    "sync-invalid": "Nothing was applied",
    "sync-conflict": "Nothing was applied",
}
# FastAPI's own answers for routes and methods that do not exist.
_HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed"}


def problem_title(status: int, slug: str | None, title: str | None = None) -> str:
    """A registered type's own title; else the one given, else the status phrase."""
    if slug is not None and slug in PROBLEM_TITLES:
        return PROBLEM_TITLES[slug]
    return title or HTTPStatus(status).phrase


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str | None = None


class ProblemDetail(BaseModel):
    """The body of every error response (documented in each service's OpenAPI)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ValidationIssue] | None = None


class Problem(Exception):
    status: int = 500
    slug: str = "internal-error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.default_title())
        self.detail = detail
        self.title = problem_title(self.status, self.slug, title)
        self.headers = dict(headers or {})
        self.extra = extra

    @classmethod
    def default_title(cls) -> str:
        return problem_title(cls.status, cls.slug)


class BadRequest(Problem):
    status, slug = 400, "bad-request"


class Unauthorized(Problem):
    status, slug = 401, "unauthorized"

    def __init__(self, detail: str | None = "Valid credentials are required.", **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(Problem):
    status, slug = 403, "forbidden"


class NotFound(Problem):
    status, slug = 404, "not-found"


class Conflict(Problem):
    status, slug = 409, "conflict"


class Gone(Problem):
    status, slug = 410, "gone"


class PreconditionFailed(Problem):
    status, slug = 412, "precondition-failed"


class ContentTooLarge(Problem):
    status, slug = 413, "content-too-large"


class UnsupportedMediaType(Problem):
    status, slug = 415, "unsupported-media-type"


class UnprocessableContent(Problem):
    status, slug = 422, "validation-error"

    def __init__(
        self, detail: str | None = None, *, errors: Sequence[ValidationIssue] = (), **kw: Any
    ) -> None:
        super().__init__(detail, **kw)
        self.errors = list(errors)


class PreconditionRequired(Problem):
    status, slug = 428, "precondition-required"


class TooManyRequests(Problem):
    status, slug = 429, "too-many-requests"


class ServiceUnavailable(Problem):
    status, slug = 503, "service-unavailable"


class GatewayTimeout(Problem):
    status, slug = 504, "gateway-timeout"


def problem_response(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    slug: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    title = problem_title(status, slug, title)
    body: dict[str, Any] = {
        "type": problem_type(slug) if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": instance,
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _render(request: Request, problem: Problem) -> JSONResponse:
    extra = dict(problem.extra)
    if isinstance(problem, UnprocessableContent) and problem.errors:
        extra["errors"] = [issue.model_dump(exclude_none=True) for issue in problem.errors]
    return problem_response(
        problem.status,
        title=problem.title,
        detail=problem.detail,
        slug=problem.slug,
        instance=request.url.path,
        headers=problem.headers,
        **extra,
    )


def _validation_issues(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only location and message: echoing the input back could leak personal data.
    return [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors()
    ]


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return _render(request, exc)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404:
        detail = f"No resource at {request.url.path}."
    elif exc.status_code == 405:
        detail = f"Method {request.method} is not allowed on {request.url.path}."
    return problem_response(
        exc.status_code,
        detail=detail,
        slug=_HTTP_SLUGS.get(exc.status_code),
        instance=request.url.path,
        headers=exc.headers,
    )


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        # Not JSON at all is a malformed request (400), as for every PATCH; 422 is for
        # JSON that does not fit.
        return problem_response(
            400,
            detail="The body is not valid JSON (UTF-8).",
            slug="bad-request",
            instance=request.url.path,
        )
    return problem_response(
        422,
        detail="One or more fields are invalid; see errors.",
        slug="validation-error",
        instance=request.url.path,
        errors=_validation_issues(exc),
    )


# SQLSTATEs of text PostgreSQL cannot store (a NUL character, or none of the encoding's):
# the input's fault, whatever route it came through.
_UNSTORABLE_TEXT = {"22021", "22P05"}


# Raised through SQLAlchemy, or by the driver itself for a statement run on it directly.
_DATABASE_ERRORS = (DBAPIError, asyncpg.PostgresError)


def _sqlstate(exc: Exception) -> str | None:
    original = getattr(exc, "orig", exc)
    return getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)


async def _on_database_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, _DATABASE_ERRORS) and _sqlstate(exc) in _UNSTORABLE_TEXT:
        return problem_response(
            422,
            detail="Some text contains a character that cannot be stored (such as NUL).",
            slug="validation-error",
            instance=request.url.path,
        )
    lost_connection = (
        isinstance(exc, OperationalError | InterfaceError)
        or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
        or _database_went_away(exc)
    )
    if isinstance(exc, _DATABASE_ERRORS) and not lost_connection:
        return await _on_unexpected(request, exc)
    log.warning("database unavailable", error_type=type(exc).__name__)
    return problem_response(
        503,
        detail="The database is unavailable; retry shortly.",
        slug="database-unavailable",
        instance=request.url.path,
        headers={"Retry-After": "1"},
    )


# SQLSTATE classes of a server that is away for now: connection exceptions, insufficient
# resources (too many connections, out of memory, disk full) and operator intervention
# (shutting down, starting up, terminated).
_AWAY_SQLSTATE_CLASSES = ("08", "53", "57")


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        original = getattr(current, "orig", None)
        current = (
            original
            if isinstance(original, BaseException) and original not in chain
            else (current.__cause__ or current.__context__)
        )
    return chain


def _database_went_away(exc: BaseException) -> bool:
    for cause in _causes(exc):
        if isinstance(cause, LOST_CONNECTION) and (
            not isinstance(cause, OSError) or _raised_by_the_driver(cause)
        ):
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate[:2] in _AWAY_SQLSTATE_CLASSES:
            return True
    return False


def _raised_by_the_driver(exc: BaseException) -> bool:
    """An OSError from the database driver (a socket that is gone), not from other code."""
    traceback = exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_globals.get("__name__", "").startswith("asyncpg"):
            return True
        traceback = traceback.tb_next
    return False


async def _on_os_error(request: Request, exc: Exception) -> Response:
    if _raised_by_the_driver(exc):
        return await _on_database_error(request, exc)
    return await _on_unexpected(request, exc)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled exception", exc_info=exc, path=request.url.path)
    return problem_response(
        500,
        detail="An unexpected error occurred; it has been logged.",
        slug="internal-error",
        instance=request.url.path,
    )


async def response_for(scope: Scope, exc: Exception) -> Response:
    """The answer the app's exception handlers give to `exc`, for ASGI code that runs
    outside FastAPI's routing (the gateway's proxy path)."""
    handlers = scope["app"].exception_handlers
    handler = next(
        (handlers[kind] for kind in type(exc).__mro__ if kind in handlers), _on_unexpected
    )
    response = await handler(Request(scope), exc)
    assert isinstance(response, Response)
    return response


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    for database_error in _DATABASE_ERRORS:
        app.add_exception_handler(database_error, _on_database_error)
    app.add_exception_handler(PoolTimeoutError, _on_database_error)
    app.add_exception_handler(ConnectionError, _on_database_error)
    for lost in LOST_CONNECTION:
        if lost is not OSError:  # too broad to blame on the database unless the driver raised it
            app.add_exception_handler(lost, _on_database_error)
    app.add_exception_handler(OSError, _on_os_error)
    app.add_exception_handler(Exception, _on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries so routes document the problems they can return."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            # Only as problem+json: FastAPI would file a `model` under application/json.
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
        }
        for status in statuses
    }
