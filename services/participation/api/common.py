"""Bits every participation router uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel

from shared.auth import Principal, Role, require_roles
from shared.etag import created_headers

PREFIX = "/api/v1/participation"
Coordinator = Annotated[Principal, require_roles(Role.COORDINATOR)]
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "Not modified"}}


def created(collection: str) -> Callable[[BaseModel], dict[str, str]]:
    """`Location` and `ETag` headers of a newly created resource."""
    return created_headers(f"{PREFIX}/{collection}/{{id}}")
