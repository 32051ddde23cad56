"""JSON Merge Patch (RFC 7396), the body of every PATCH: reading it, documenting it, applying it.

A route takes its patch as a parameter, so every service answers the same way:

    patch: MergePatch                                             # any JSON object
    patch: Annotated[SpacePatch, merge_patch_of(SpacePatch)]      # validated as a model
    patch: Annotated[dict[str, Any], merge_patch_for(PlanIn, "PlanPatch")]
                     # any JSON object, documented as PlanIn's fields, all optional

The body must be `application/merge-patch+json` or `application/json` (parameters such as
`charset=utf-8` allowed; anything else is a 415 with `Accept-Patch`), valid UTF-8 JSON (else
400) and a JSON object (else 422). `document_merge_patches` gives each such operation its
request body in OpenAPI: both media types, with the model's schema or a plain object.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Annotated, Any, Generic, TypeVar, Union

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.models import Schema
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from starlette.routing import BaseRoute

from shared.json_depth import loads
from shared.problems import UnprocessableContent, UnsupportedMediaType, ValidationIssue

MERGE_PATCH_MEDIA_TYPE = "application/merge-patch+json"
PATCH_MEDIA_TYPES = (MERGE_PATCH_MEDIA_TYPE, "application/json")
M = TypeVar("M", bound=BaseModel)


def merge_patch(target: Any, patch: Any) -> Any:
    """Objects merge recursively, `null` removes a member, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


async def read_merge_patch(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object, or the 415, 400 or 422 problem saying why not."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in PATCH_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Send a JSON Merge Patch as {MERGE_PATCH_MEDIA_TYPE} (or application/json).",
            headers={"Accept-Patch": ", ".join(PATCH_MEDIA_TYPES)},
            accepted=list(PATCH_MEDIA_TYPES),
        )
    patch = loads(await request.body())
    if not isinstance(patch, dict):
        raise UnprocessableContent(
            "A merge patch must be a JSON object.",
            errors=[ValidationIssue(loc=["body"], msg="must be an object", type="dict_type")],
        )
    return patch


MergePatch = Annotated[dict[str, Any], Depends(read_merge_patch)]


class MergePatchOf(Generic[M]):
    """A dependency: the merge patch validated as `model` (422 with FastAPI's own errors)."""

    def __init__(self, model: type[M]) -> None:
        self.model = model

    async def __call__(self, request: Request) -> M:
        patch = await read_merge_patch(request)
        try:
            return self.model.model_validate(patch)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
            ) from exc


def merge_patch_of(model: type[M]) -> Any:
    """`Annotated[Model, merge_patch_of(Model)]`: a route's typed merge patch parameter."""
    return Depends(MergePatchOf(model))


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def partial_model(model: type[BaseModel], name: str) -> type[BaseModel]:
    """`model`'s fields, each optional, as a merge patch of it sends them: a member that may
    be absent from the resource may also be `null` (removed); a required one may not."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[annotation, *info.metadata]
        if not info.is_required():
            annotation = Union[annotation, None]  # noqa: UP007 - a runtime type expression
        field = Field(
            default=None,
            alias=info.alias,
            description=info.description,
            examples=info.examples,
            json_schema_extra=_without_default,
        )
        fields[field_name] = (annotation, field)
    return create_model(
        name,
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"A JSON Merge Patch of {model.__name__}: any of its fields; `null` removes one.",
        **fields,
    )


class MergePatchFor:
    """A dependency: the merge patch as a dict, documented as a partial of a model (the
    service validates the patched whole)."""

    def __init__(self, model: type[BaseModel], name: str) -> None:
        self.model = partial_model(model, name)

    async def __call__(self, request: Request) -> dict[str, Any]:
        return await read_merge_patch(request)


def merge_patch_for(model: type[BaseModel], name: str) -> Any:
    """`Annotated[dict[str, Any], merge_patch_for(PlanIn, "PlanPatch")]`."""
    return Depends(MergePatchFor(model, name))


def _readers(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        if dependency.call is read_merge_patch or isinstance(
            dependency.call, MergePatchOf | MergePatchFor
        ):
            yield dependency.call
        yield from _readers(dependency)


def component_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, str]:
    """A `$ref` to `model`, which joins the components with the models it refers to."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in {**schema.pop("$defs", {}), model.__name__: schema}.items():
        # Rendered as FastAPI renders the models it documents itself, so both read the same.
        rendered = jsonable_encoder(
            Schema.model_validate(definition), by_alias=True, exclude_none=True
        )
        if components.setdefault(name, rendered) != rendered:
            raise RuntimeError(f"Two different schemas are named {name!r}.")
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _schema(reader: object, components: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(reader, MergePatchOf | MergePatchFor):
        return {"type": "object", "description": "Members to set; `null` removes one."}
    return component_ref(reader.model, components)


def document_merge_patches(document: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Give each operation that reads a merge patch its request body, in place."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    # Walked as FastAPI's own `get_openapi` does, so routers included with a prefix count.
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for reader in _readers(route.dependant):
            schema = _schema(reader, components)
            for method in route.methods or ():
                operation = document["paths"][route.path_format][method.lower()]
                operation["requestBody"] = {
                    "required": True,
                    "description": "A JSON Merge Patch (RFC 7396).",
                    "content": {media_type: {"schema": schema} for media_type in PATCH_MEDIA_TYPES},
                }
