"""Make every service's OpenAPI document tell the truth about the problems it returns.

Any operation can answer a problem the route never mentions: the body limit (413, and 400
for a malformed Content-Length), a lost database (503), an unexpected error (500), FastAPI's
own validation (422) and, with credentials or path parameters, 401 and 404. This adds those
to every operation, and gives every error response one body: `ProblemDetail` as
`application/problem+json` (replacing FastAPI's `HTTPValidationError`, which no route sends).
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.generators import document_for_generators
from shared.merge_patch import document_merge_patches
from shared.problems import PROBLEM_MEDIA_TYPE, PROBLEM_SCHEMA_REF, ProblemDetail

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Every request passes the body limit and may meet a lost database or a bug.
ALWAYS = (400, 413, 500, 503)
RETRY_AFTER = {"$ref": "#/components/headers/Retry-After"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}


def problem_schemas() -> dict[str, Any]:
    """`ProblemDetail` and the models it refers to, as OpenAPI components."""
    schema = ProblemDetail.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    return {**definitions, "ProblemDetail": schema}


def _operations(document: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for item in document.get("paths", {}).values():
        for method in METHODS:
            if method in item:
                yield item[method]


def _implied_statuses(operation: dict[str, Any]) -> set[int]:
    statuses = set(ALWAYS)
    parameters = operation.get("parameters", [])
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if any(parameter.get("in") == "path" for parameter in parameters):
        statuses.add(404)
    if operation.get("security"):
        statuses.add(401)
    return statuses


def add_problem_statuses(paths: dict[str, Any], statuses: Iterable[int] = ()) -> None:
    """Add the implied and the given problem statuses to each operation, in place."""
    for operation in _operations({"paths": paths}):
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for status in sorted(_implied_statuses(operation) | set(statuses)):
            responses.setdefault(str(status), {"description": HTTPStatus(status).phrase})
        for code, response in responses.items():
            if code[:1] in ("4", "5"):
                response["content"] = problem_content()
            if code in ("429", "503"):
                response.setdefault("headers", {})["Retry-After"] = RETRY_AFTER


def document_problems(document: dict[str, Any]) -> None:
    """Declare every operation's problems, all as `ProblemDetail`, in place."""
    document.setdefault("components", {}).setdefault("schemas", {}).update(problem_schemas())
    add_problem_statuses(document.setdefault("paths", {}))
    schemas = document["components"]["schemas"]
    text = repr(document.get("paths", {}))
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        if f"#/components/schemas/{name}" not in text:
            schemas.pop(name, None)


def install_openapi(app: FastAPI) -> None:
    """Replace `app.openapi` with one that documents the problems (cached like FastAPI's)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            document_merge_patches(document, app.routes)
            document_problems(document)
            document_for_generators(document, app.routes)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
