"""schema.org JSON-LD answers, for whichever resource has them (`Accept: application/ld+json`).

A route reads the resource as usual and, when `wants_linked_data(request)`, answers with
`linked_data_response`: its own ETag (the JSON-LD is another representation of the same
version), a 304 for a current copy, and `Vary` on what chose it.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from shared.i18n import LANGUAGES

LD_MEDIA_TYPE = "application/ld+json"
SCHEMA_ORG = "https://schema.org"
VARY = "Accept, Accept-Language, Authorization"
LINKED_DATA_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {LD_MEDIA_TYPE: {}}, "description": "JSON, or schema.org JSON-LD"}
}


def wants_linked_data(request: Request) -> bool:
    """`Accept` names JSON-LD, and before plain JSON when it names both."""
    accept = request.headers.get("accept", "")
    ranges = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if LD_MEDIA_TYPE not in ranges:
        return False
    return "application/json" not in ranges or ranges.index(LD_MEDIA_TYPE) < ranges.index(
        "application/json"
    )


def accepted_language(request: Request) -> str | None:
    """The first known language of `Accept-Language`."""
    for part in request.headers.get("accept-language", "").split(","):
        language = part.split(";")[0].strip().lower()[:2]
        if language in LANGUAGES:
            return language
    return None


def linked_data_response(request: Request, version: int, document: dict[str, Any]) -> Response:
    """`document` as JSON-LD with its ETag, or a 304 when the client's copy is current."""
    etag = f'"v{version}-ld"'
    headers = {"ETag": etag, "Vary": VARY}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return JSONResponse(document, media_type=LD_MEDIA_TYPE, headers=headers)
