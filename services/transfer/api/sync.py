"""Push sync: a partner system's batch, all or nothing, safe to retry."""

from __future__ import annotations

import zlib
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from services.transfer import schemas
from services.transfer.api.common import PREFIX, CityCode, catalog_client
from services.transfer.service import sync as service
from services.transfer.service.common import ensure_city, ensure_may_write
from shared.auth import CurrentPrincipal
from shared.db import Session
from shared.generators import request_body
from shared.idempotency import Idempotency
from shared.json_depth import loads
from shared.problems import (
    ContentTooLarge,
    UnprocessableContent,
    problem_response,
    problem_responses,
)

router = APIRouter(prefix=PREFIX, tags=["transfer"])
# What a gzip body may inflate to: 10 000 generous records, and no zip bomb.
MAX_INFLATED_BYTES = 16 * 1024 * 1024
_DESCRIPTION = """
Each record carries the partner's own `external_id` (unique per city and kind) and may carry
`base_version` (the `version` it was based on). Plans are plan bodies; milestones, indicators
and reports are their bodies plus `plan_external_id`. At most 10 000 records per batch.

A plan record whose challenge already has a plan without an `external_id` (made by staff or
the demo data) takes that plan over: the plan keeps its id, gains the record's `external_id`
and the record's fields, and children name it by that `plan_external_id`. Likewise an
indicator record takes over its plan's indicator of the same `code` that has no
`external_id`. A takeover is reported as `updated`.

The batch is atomic. **200**: applied; every record is `created`, `updated` or `unchanged`.
**409**: some `base_version` is stale; nothing applied; those records are `conflict` with
the server's `current` record (with `external_id` and `plan_external_id`, as you send it).
**422**: some record is invalid; nothing applied; those records are `invalid` with `errors`
(invalid wins over conflict). In a refused batch the records that would have been written
are `not_applied`, and the summary counts exactly the statuses listed. The 409 and 422
answers are problem documents carrying the same per-record lists.

With `Idempotency-Key`, a retry of the same body returns the first applied answer byte
for byte; a refused batch (409, 422) applied nothing and is not kept, so the same batch with
the same key runs again once its cause is fixed. The same key with another body is a 422; a
retry while the first is still running is a 409. Bodies are limited to 1 MiB: send
`Content-Encoding: gzip` for large batches (compress deterministically, e.g. gzip mtime 0,
so retries are identical).
"""


def _decoded(request: Request, body: bytes) -> Any:
    encoding = request.headers.get("content-encoding", "identity").lower()
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(body, MAX_INFLATED_BYTES)
        except zlib.error as exc:
            raise UnprocessableContent("The body is not valid gzip.") from exc
        if inflater.unconsumed_tail:
            raise ContentTooLarge(f"A batch inflates to at most {MAX_INFLATED_BYTES} bytes.")
    elif encoding != "identity":
        raise UnprocessableContent("Content-Encoding may be gzip or identity.")
    return loads(body)


@router.post(
    "/cities/{city}/sync",
    summary="Push a batch of plans, milestones, indicators and reports (atomic, idempotent)",
    description=_DESCRIPTION,
    response_model=schemas.SyncAnswer,
    responses=problem_responses(401, 403, 404, 409, 413, 422, 503),
)
async def sync(
    city: CityCode,
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    idempotency: Idempotency,
    _batch: Annotated[None, request_body(schemas.SyncBatch)],
) -> Response:
    ensure_may_write(principal, city)
    await ensure_city(session, city)
    if (previous := await idempotency.previous()) is not None:
        return previous
    batch = _decoded(request, await request.body())
    status_code, answer = await service.sync(session, catalog_client(request), city, batch)
    if status_code == 200:
        response: Response = Response(
            answer.model_dump_json().encode(), media_type="application/json"
        )
    else:
        response = problem_response(
            status_code,
            detail=(
                "Some records are invalid; nothing was applied."
                if status_code == 422
                else "Some records are based on a stale version; nothing was applied."
            ),
            slug="sync-invalid" if status_code == 422 else "sync-conflict",
            instance=request.url.path,
            **answer.model_dump(mode="json"),
        )
    await idempotency.remember(
        status_code, bytes(response.body), {"content-type": response.media_type or ""}
    )
    return response
