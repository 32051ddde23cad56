"""Bits every participation router uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BaseModel

from shared.auth import Principal, Role, require_roles
from shared.etag import created_headers
from shared.i18n import Language
from shared.linked_data import accepted_language
from shared.settings import settings_of

PREFIX = "/api/v1/participation"
Coordinator = Annotated[Principal, require_roles(Role.COORDINATOR)]
LinkedDataLanguage = Annotated[
    Language | None, Query(description="Language of the JSON-LD (else Accept-Language).")
]
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "Not modified"}}


def created(collection: str) -> Callable[[BaseModel], dict[str, str]]:
    """`Location` and `ETag` headers of a newly created resource."""
    return created_headers(f"{PREFIX}/{collection}/{{id}}")


def linked_data_context(request: Request, lang: Language | None) -> tuple[str | None, str]:
    """The language a JSON-LD answer is written in, and the public address its links use."""
    public_url = settings_of(request).public_base_url
    return (lang.value if lang else accepted_language(request)), public_url
