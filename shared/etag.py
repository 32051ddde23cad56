"""ETags from resource versions, with the If-None-Match / If-Match rules of RFC 9110.

`GET` answers 304 when the client's copy is current. Writes MUST name the version they
change: no `If-Match` → 428, a stale one → 412 carrying the current `ETag`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Protocol, TypeVar

from fastapi import Header, Request, Response
from pydantic import BaseModel

from shared.problems import PreconditionFailed, PreconditionRequired

IfMatch = Annotated[
    str | None,
    Header(description="The ETag you last read; required on every change (428 without it)."),
]


def etag_of(version: int) -> str:
    return f'"v{version}"'


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def not_modified(request: Request, version: int) -> Response | None:
    """A 304 response when `If-None-Match` matches, else None."""
    header = request.headers.get("if-none-match")
    if header is None:
        return None
    tags = _tags(header)
    if "*" in tags or etag_of(version) in tags:
        return Response(status_code=304, headers={"ETag": etag_of(version)})
    return None


def require_if_match(header: str | None, version: int) -> None:
    """Check the `If-Match` header value of a write against the current version."""
    if header is None:
        raise PreconditionRequired(
            "This change needs an If-Match header with the ETag you last read."
        )
    tags = [tag.strip() for tag in header.split(",") if tag.strip()]
    # If-Match uses strong comparison: a weak tag never matches.
    if "*" in tags or etag_of(version) in tags:
        return
    raise PreconditionFailed(
        "The resource has changed since you read it; read it again and retry.",
        headers={"ETag": etag_of(version)},
    )


class Versioned(Protocol):
    version: int


V = TypeVar("V", bound=Versioned)


def with_etag(response: Response, resource: V) -> V:
    """The resource, with its version's ETag set on the response."""
    response.headers["ETag"] = etag_of(resource.version)
    return resource


def conditional_get(request: Request, response: Response, resource: V) -> V | Response:
    """Return the resource with its ETag, or a 304 when the client's copy is current."""
    if (unchanged := not_modified(request, resource.version)) is not None:
        return unchanged
    response.headers["ETag"] = etag_of(resource.version)
    return resource


def created_headers(location: str) -> Callable[[BaseModel], dict[str, str]]:
    """`Location` and `ETag` of a created resource; `location` has an `{id}` placeholder."""

    def headers(resource: BaseModel) -> dict[str, str]:
        fields = resource.model_dump(include={"id", "version"})
        return {"Location": location.format(id=fields["id"]), "ETag": etag_of(fields["version"])}

    return headers
