"""Make an OpenAPI document something client generators turn into good code.

Generators name functions after `operationId`, classes after a schema's `title`, decide
which calls need a token from `security` and which headers a call must send from
`required`. So, for every service from one rule:

- `operationId` is the route function's name, noun first, in kebab case: `list_events` →
  `events-list`, `cancel_registration` → `registration-cancel` (a route's own
  `operation_id=` wins). Stable while the function keeps its name, short, unique.
- `security` follows the route's dependencies: a required principal → bearer; an optional
  one → `[{}, bearer]` (a token shows more); none → `[]`.
- `If-Match` is required wherever 428 is answered without it; header names are spelled as
  sent (`If-Match`), and an optional parameter is absent, never `null`.
- The headers that answers carry are documented: `ETag`, `Link`, `Location`,
  `Idempotent-Replayed` here, `Retry-After` with the problems (`shared.openapi`).
- Every component schema's `title` is its name, FastAPI's `Page_Event_` becomes
  `EventPage`: generators that name classes after titles make one class per schema.
- A discriminator's property is required; defaults of request-only schemas are described
  rather than declared (see `describe_request_defaults`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fastapi import Depends
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.routing import BaseRoute

from shared.auth import optional_principal, required_principal
from shared.merge_patch import component_ref

SCHEME = "HTTPBearer"
SCHEMA_PREFIX = "#/components/schemas/"
# First words of route functions that say what is done; the rest names what it is done to.
VERBS = frozenset(
    {
        "add",
        "cancel",
        "correct",
        "create",
        "decide",
        "delete",
        "erase",
        "export",
        "get",
        "list",
        "patch",
        "revoke",
        "set",
        "submit",
    }
)
_PAGE = re.compile(r"^Page_(\w+)_$")

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "The resource's version as an entity tag; send it back in `If-Match`.",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'The next page as `<absolute URL>; rel="next"`, when there is one.',
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "The absolute URL of the created resource.",
        "schema": {"type": "string", "format": "uri"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request "
        "with the same `Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}


class RequestBody:
    """A dependency that reads nothing: it documents the JSON body of a route that reads
    the body itself (to inflate it, or to judge each record on its own)."""

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model

    async def __call__(self) -> None:
        return None


def request_body(model: type[BaseModel]) -> Any:
    """`_: Annotated[None, request_body(SyncBatch)]` documents the body as `SyncBatch`."""
    return Depends(RequestBody(model))


def operation_id(name: str) -> str:
    """`cancel_registration` → `registration-cancel`; a name without a verb stays as it is."""
    words = name.split("_")
    if len(words) > 1 and words[0] in VERBS:
        words = [*words[1:], words[0]]
    return "-".join(words)


def _calls(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def security_of(dependant: Dependant) -> list[dict[str, list[str]]]:
    calls = set(map(id, _calls(dependant)))
    if id(required_principal) in calls:
        return [{SCHEME: []}]
    if id(optional_principal) in calls:
        return [{}, {SCHEME: []}]
    return []


def _document_body(
    dependant: Dependant, operation: dict[str, Any], document: dict[str, Any]
) -> None:
    for call in _calls(dependant):
        if isinstance(call, RequestBody):
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schema = component_ref(call.model, schemas)
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema}},
            }


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _add_headers(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.get("responses", {})
    parameters = operation.get("parameters", [])
    names = {(p.get("in"), p.get("name", "").lower()) for p in parameters}
    versioned = any(code in responses for code in ("304", "412", "428"))
    paged = ("query", "cursor") in names
    idempotent = ("header", "idempotency-key") in names
    for code, response in responses.items():
        headers: dict[str, Any] = {}
        # A created resource's address and version, unless the route lists its own headers.
        if code == "201" and "headers" not in response:
            headers["Location"] = _header("Location")
            headers["ETag"] = _header("ETag")
        if code == "200" and versioned:
            headers["ETag"] = _header("ETag")
        if code in ("304", "412"):
            headers["ETag"] = _header("ETag")
        if code == "200" and paged:
            headers["Link"] = _header("Link")
        if code[:1] == "2" and idempotent:
            headers["Idempotent-Replayed"] = _header("Idempotent-Replayed")
        if headers:
            response["headers"] = {**response.get("headers", {}), **headers}


def _parameters_as_sent(operation: dict[str, Any]) -> None:
    """FastAPI lists `if_match` as `if-match`, and an optional parameter as `X | null`;
    generators send names as listed, and a parameter is absent, never null."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header":
            parameter["name"] = "-".join(w.capitalize() for w in parameter["name"].split("-"))
        schema = parameter.get("schema", {})
        options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
        if len(options) == 1 and len(schema["anyOf"]) == 2:
            del schema["anyOf"]
            if schema.get("default", "") is None:
                del schema["default"]
            parameter["schema"] = {**options[0], **schema}


def _require_if_match(operation: dict[str, Any]) -> None:
    if "428" not in operation.get("responses", {}):
        return
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
            parameter["required"] = True
            parameter["schema"] = {"type": "string"}


def _name_form_body(operation: dict[str, Any], renames: dict[str, str]) -> None:
    """FastAPI names a form's schema `Body_<its own operation id>`: name it after ours."""
    for content in operation.get("requestBody", {}).get("content", {}).values():
        name = content.get("schema", {}).get("$ref", "").removeprefix(SCHEMA_PREFIX)
        if name.startswith("Body_"):
            words = operation["operationId"].split("-")
            renames[name] = "".join(word.capitalize() for word in words) + "Body"


def rename_schemas(document: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    """The document with its component schemas renamed, every reference following."""
    if not renames:
        return document
    text = json.dumps(document)
    for old, new in renames.items():
        text = text.replace(f'"{SCHEMA_PREFIX}{old}"', f'"{SCHEMA_PREFIX}{new}"')
    renamed: dict[str, Any] = json.loads(text)
    schemas = renamed.get("components", {}).get("schemas", {})
    renamed["components"]["schemas"] = {renames.get(k, k): v for k, v in schemas.items()}
    return renamed


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def require_discriminators(document: dict[str, Any]) -> None:
    """A discriminator's property is required in every schema it tells apart (OpenAPI 3.1
    §4.8.25); pydantic leaves a defaulted `Literal` optional. In place."""
    schemas = document.get("components", {}).get("schemas", {})
    for node in list(_walk(document)):
        if "oneOf" not in node or "propertyName" not in node.get("discriminator", {}):
            continue
        name = node["discriminator"]["propertyName"]
        for option in node["oneOf"]:
            target = schemas.get(option.get("$ref", "").removeprefix(SCHEMA_PREFIX))
            if target is not None and name in target.get("properties", {}):
                required = target.setdefault("required", [])
                if name not in required:
                    required.append(name)


def _reachable(roots: Any, schemas: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    pending = [roots]
    while pending:
        for node in _walk(pending.pop()):
            name = node.get("$ref", "").removeprefix(SCHEMA_PREFIX)
            if name in schemas and name not in seen:
                seen.add(name)
                pending.append(schemas[name])
    return seen


def describe_request_defaults(document: dict[str, Any]) -> None:
    """In schemas only requests use, a property's `default` moves into its description.

    Generators type a property with a default as always present (it is, in an answer),
    so a request body could not leave it out; the server applies the default all the same.
    """
    schemas = document.get("components", {}).get("schemas", {})
    operations = [
        operation
        for item in document.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict)
    ]
    requests = _reachable([op.get("requestBody", {}) for op in operations], schemas)
    answers = _reachable([op.get("responses", {}) for op in operations], schemas)
    for name in requests - answers:
        for prop in schemas[name].get("properties", {}).values():
            if "default" in prop:
                default = json.dumps(prop.pop("default"), ensure_ascii=False)
                note = f"Default: `{default}`."
                prop["description"] = (
                    f"{prop['description']} {note}" if "description" in prop else note
                )


def title_schemas(document: dict[str, Any]) -> None:
    """Each component schema's `title` is its name, in place."""
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        schema["title"] = name


def _route_operations(
    document: dict[str, Any], routes: Sequence[BaseRoute]
) -> Iterator[tuple[APIRoute, Dependant, dict[str, Any]]]:
    paths = document.get("paths", {})
    for route in iter_route_contexts(routes):
        original = route.original_route
        if not isinstance(original, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is not None:
                yield original, route.dependant, operation


def document_for_generators(document: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Operation ids, security, required `If-Match`, response headers, titles; in place."""
    bodies: dict[str, str] = {}
    for route, dependant, operation in _route_operations(document, routes):
        operation["operationId"] = route.operation_id or operation_id(route.name)
        operation["security"] = security_of(dependant)
        _parameters_as_sent(operation)
        _require_if_match(operation)
        _document_body(dependant, operation, document)
        _add_headers(operation)
        _name_form_body(operation, bodies)
    components = document.setdefault("components", {})
    components["headers"] = {**components.get("headers", {}), **HEADERS}
    schemas = components.get("schemas", {})
    pages = {name: f"{match[1]}Page" for name in schemas if (match := _PAGE.match(name))}
    document.update(rename_schemas(document, {**pages, **bodies}))
    require_discriminators(document)
    describe_request_defaults(document)
    title_schemas(document)
