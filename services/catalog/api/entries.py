"""Routes for entries: list and search, create, read (JSON or JSON-LD), change, workflow."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from services.catalog import schemas
from services.catalog.api.common import PREFIX
from services.catalog.linked_data import entry_path, json_ld
from services.catalog.service import entries
from services.catalog.service.listing import EntryFilter, Sort, list_entries
from shared.auth import OptionalPrincipal, Principal, Role, require_roles
from shared.db import ReadConnection, Session
from shared.etag import IfMatch, conditional_get, etag_of
from shared.i18n import Language
from shared.idempotency import Idempotency
from shared.linked_data import (
    LINKED_DATA_RESPONSE,
    VARY,
    accepted_language,
    linked_data_response,
    wants_linked_data,
)
from shared.merge_patch import merge_patch_for
from shared.pagination import Page, Paging
from shared.problems import problem_responses
from shared.settings import Settings

router = APIRouter(prefix=PREFIX, tags=["catalog"])

Editor = Annotated[Principal, require_roles(Role.EDITOR)]
EntryRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=120,
        description="The entry's id or its slug.",
        examples=["towns-living-room"],
    ),
]
Codes = Annotated[list[str], Query(max_length=20)]


def _with_etag(entry: schemas.Entry, status_code: int = 200) -> Response:
    return Response(
        entry.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": etag_of(entry.version)},
    )


@router.get(
    "/entries",
    operation_id="entries-list",
    summary="List and search entries (published ones without credentials)",
    description=(
        "Sorted by relevance when `q` is given, else by recency (publication time for "
        "published entries, creation time when unpublished ones are listed). Repeated tag "
        "parameters narrow (an entry must carry all of them); repeated `kind`/`status` widen. "
        "`lang` keeps entries that have a title in that language and prefers it for matches. "
        "The names of an entry's blocks, challenges and cities, in every language, are searched "
        "with its text. Words match whole first; the last word as a prefix, then a typo in any "
        "word of four letters or more, only when fewer than 20 entries match. A search ranks, "
        "and `facets` counts, at most the first 200 matching entries (`facets.complete` is "
        "false when there were more), taken from a fixed eighth of the catalog when that "
        "alone holds 200. A snippet is cut from the title and summary when they match, else "
        "from the body too."
    ),
    responses=problem_responses(400, 422),
)
async def get_entries(
    response: Response,
    connection: ReadConnection,
    principal: OptionalPrincipal,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=200, description="Words to search for.")] = None,
    kind: Annotated[list[schemas.EntryKind], Query()] = [],  # noqa: B006 (FastAPI copies it)
    block: Codes = [],  # noqa: B006
    challenge: Codes = [],  # noqa: B006
    city: Codes = [],  # noqa: B006
    status: Annotated[list[schemas.EntryStatus], Query()] = [],  # noqa: B006
    lang: Language | None = None,
    sort: Sort | None = None,
    facets: Annotated[bool, Query(description="Add counts per kind, block, challenge.")] = False,
) -> schemas.EntryPage:
    wanted = EntryFilter(
        q=q,
        kinds=kind,
        blocks=block,
        challenges=challenge,
        cities=city,
        statuses=status,
        lang=lang.value if lang else None,
        sort=sort,
    )
    page = await list_entries(connection, wanted, principal, paging=paging, facets=facets)
    return paging.page(response, page)


@router.post(
    "/entries",
    summary="Create an entry (a draft)",
    status_code=201,
    response_model=schemas.Entry,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_entry(
    new: schemas.NewEntry, session: Session, idempotency: Idempotency, editor: Editor
) -> Response:
    async def create() -> schemas.Entry:
        return await entries.create_entry(session, new, editor)

    def headers(created: Any) -> dict[str, str]:
        return {"Location": entry_path(created), "ETag": etag_of(created.version)}

    return await idempotency.run(create, status_code=201, headers=headers)


@router.get(
    "/entries/{ref}",
    summary="One entry by id or slug (JSON, or schema.org JSON-LD with Accept)",
    response_model=schemas.Entry,
    responses={
        **LINKED_DATA_RESPONSE,
        304: {"description": "Not modified"},
        **problem_responses(404),
    },
)
async def get_entry(
    ref: EntryRef,
    request: Request,
    response: Response,
    connection: ReadConnection,
    principal: OptionalPrincipal,
    lang: Annotated[Language | None, Query(description="Language of the JSON-LD.")] = None,
) -> schemas.Entry | Response:
    entry = await entries.get_entry(connection, ref, principal)
    response.headers["Vary"] = VARY
    if not wants_linked_data(request):
        return conditional_get(request, response, entry)
    settings: Settings = request.app.state.settings
    preferred = lang.value if lang else accepted_language(request)
    document = json_ld(entry, preferred, settings.public_base_url)
    return linked_data_response(request, entry.version, document)


@router.patch(
    "/entries/{ref}",
    summary="Change an entry with a JSON Merge Patch (RFC 7396); needs If-Match",
    response_model=schemas.Entry,
    responses=problem_responses(400, 401, 403, 404, 409, 412, 415, 422, 428),
)
async def patch_entry(
    ref: EntryRef,
    editor: Editor,
    patch: Annotated[dict[str, Any], merge_patch_for(schemas.EntryUpdate, "EntryPatch")],
    session: Session,
    if_match: IfMatch = None,
) -> Response:
    return _with_etag(await entries.update_entry(session, ref, patch, if_match, editor))


@router.delete(
    "/entries/{ref}",
    summary="Delete an entry (its revisions are kept); needs If-Match",
    status_code=204,
    responses=problem_responses(401, 403, 404, 412, 428),
)
async def delete_entry(
    ref: EntryRef, session: Session, editor: Editor, if_match: IfMatch = None
) -> Response:
    await entries.delete_entry(session, ref, if_match, editor)
    return Response(status_code=204)


@router.post(
    "/entries/{ref}/transitions",
    operation_id="entry-transition",
    summary="Move an entry through draft → in_review → published → archived",
    description="Also in_review → draft. An illegal move is a 409; If-Match is optional.",
    response_model=schemas.Entry,
    responses=problem_responses(401, 403, 404, 409, 412, 422),
)
async def post_transition(
    ref: EntryRef,
    transition: schemas.Transition,
    session: Session,
    editor: Editor,
    if_match: IfMatch = None,
) -> Response:
    return _with_etag(await entries.transition(session, ref, transition.to, if_match, editor))


@router.get(
    "/entries/{ref}/revisions",
    operation_id="entry-revisions-list",
    summary="Every change of an entry: who, when and what (editors and admins)",
    responses=problem_responses(400, 401, 403, 404),
)
async def get_revisions(
    ref: EntryRef,
    response: Response,
    connection: ReadConnection,
    _: Editor,
    paging: Paging,
) -> Page[schemas.Revision]:
    page = await entries.list_revisions(connection, ref, paging)
    return paging.page(response, page)
