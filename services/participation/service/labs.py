"""Learning labs: catalog references are checked over HTTP before anything is written."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import Row, case, delete, func, insert, literal_column, select, update
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.participation.models import Event, Lab, LabPhase, Registration
from services.participation.proposal_models import Proposal
from services.participation.schemas import labs as schemas
from services.participation.schemas.events import AgeBand
from services.participation.service import catalog
from services.participation.service.hubs import get_hub
from shared.db import Executor
from shared.etag import require_if_match
from shared.pagination import Page, PageQuery, paginate
from shared.problems import Conflict, NotFound, UnprocessableContent, ValidationIssue

_PHASES = (
    select(
        func.coalesce(
            func.jsonb_agg(
                aggregate_order_by(
                    func.jsonb_build_object(
                        "position",
                        LabPhase.position,
                        "key",
                        LabPhase.key,
                        "title",
                        LabPhase.title,
                        "starts_on",
                        LabPhase.starts_on,
                        "ends_on",
                        LabPhase.ends_on,
                        "current",
                        LabPhase.is_current,
                    ),
                    LabPhase.position,
                )
            ),
            literal_column("'[]'::jsonb"),
        )
    )
    .where(LabPhase.lab_id == Lab.id)
    .correlate(Lab)
    .scalar_subquery()
    .cast(JSONB)
)
_OUTCOME_PROPOSALS = (
    select(
        func.coalesce(
            func.array_agg(aggregate_order_by(Proposal.id, Proposal.created_at)),
            literal_column("'{}'::uuid[]"),
        )
    )
    .where(
        Proposal.lab_id == Lab.id,
        Proposal.lab_outcome,
        Proposal.state == literal_column("'accepted'"),
    )
    .correlate(Lab)
    .scalar_subquery()
)
_COLUMNS = (
    Lab.id,
    Lab.slug,
    Lab.title,
    Lab.description,
    Lab.challenge,
    Lab.hub_id,
    _PHASES.label("phases"),
    Lab.partners,
    Lab.methods,
    Lab.outcomes,
    Lab.supports_per_resident,
    _OUTCOME_PROPOSALS.label("outcome_proposals"),
    Lab.version,
    Lab.created_at,
    Lab.updated_at,
)


def _to_lab(row: Row[Any]) -> schemas.Lab:
    values = dict(row._mapping)
    current = [phase["key"] for phase in values["phases"] if phase["current"]]
    values["current_phase"] = current[0] if current else None
    return schemas.Lab.model_validate(values)


async def get_lab(connection: Executor, lab_id: uuid.UUID) -> schemas.Lab:
    row = (await connection.execute(select(*_COLUMNS).where(Lab.id == lab_id))).one_or_none()
    if row is None:
        raise NotFound(f"There is no lab {lab_id}.")
    return _to_lab(row)


async def list_labs(
    connection: AsyncConnection,
    *,
    challenge: str | None,
    paging: PageQuery,
) -> Page[schemas.Lab]:
    statement = select(*_COLUMNS)
    if challenge is not None:
        statement = statement.where(Lab.challenge == challenge)
    return await paginate(
        connection,
        statement,
        key=[Lab.created_at, Lab.id],
        paging=paging,
        item=_to_lab,
    )


async def _check_catalog(
    client: httpx.AsyncClient,
    authorization: str | None,
    *,
    challenge: str | None,
    methods: list[uuid.UUID] | None,
    outcomes: list[uuid.UUID] | None,
) -> None:
    if challenge is not None:
        await catalog.check_challenge(client, challenge)
    references = {
        field: ids for field, ids in (("methods", methods), ("outcomes", outcomes)) if ids
    }
    if references:
        await catalog.check_entries(client, references, authorization)


async def _write_phases(
    session: AsyncSession, lab_id: uuid.UUID, phases: list[schemas.Phase]
) -> None:
    await session.execute(delete(LabPhase).where(LabPhase.lab_id == lab_id))
    await session.execute(
        insert(LabPhase).values(
            [
                {
                    "lab_id": lab_id,
                    "position": position,
                    "key": phase.key,
                    "title": phase.model_dump(mode="json")["title"],
                    "starts_on": phase.starts_on,
                    "ends_on": phase.ends_on,
                    "is_current": phase.current,
                }
                for position, phase in enumerate(phases, start=1)
            ]
        )
    )


async def create_lab(
    session: AsyncSession,
    client: httpx.AsyncClient,
    authorization: str | None,
    body: schemas.LabCreate,
) -> schemas.Lab:
    try:
        await get_hub(session, body.hub_id)
    except NotFound as exc:
        raise UnprocessableContent(
            f"There is no hub {body.hub_id}.",
            errors=[ValidationIssue(loc=["body", "hub_id"], msg="unknown hub")],
        ) from exc
    await _check_catalog(
        client,
        authorization,
        challenge=body.challenge,
        methods=body.methods,
        outcomes=body.outcomes,
    )
    lab_id = uuid.uuid4()
    values = body.model_dump(mode="json", exclude={"phases", "methods", "outcomes"})
    try:
        async with session.begin_nested():
            await session.execute(
                insert(Lab).values(
                    id=lab_id, methods=body.methods, outcomes=body.outcomes, **values
                )
            )
    except IntegrityError as exc:
        raise Conflict(f"There is already a lab with the slug {body.slug!r}.") from exc
    await _write_phases(session, lab_id, body.phases)
    return await get_lab(session, lab_id)


async def patch_lab(
    session: AsyncSession,
    client: httpx.AsyncClient,
    authorization: str | None,
    lab_id: uuid.UUID,
    patch: schemas.LabPatch,
    if_match: str | None,
) -> schemas.Lab:
    version = await session.scalar(select(Lab.version).where(Lab.id == lab_id).with_for_update())
    if version is None:
        raise NotFound(f"There is no lab {lab_id}.")
    require_if_match(if_match, version)
    await _check_catalog(
        client,
        authorization,
        challenge=patch.challenge,
        methods=patch.methods,
        outcomes=patch.outcomes,
    )
    changes = {
        name: value
        for name, value in patch.model_dump(mode="json", exclude_unset=True).items()
        # A null limit of supports lifts it; other nulls leave a field as it is.
        if (value is not None or name == "supports_per_resident")
        and name not in ("phases", "methods", "outcomes")
    }
    for name in ("methods", "outcomes"):
        if (ids := getattr(patch, name)) is not None:
            changes[name] = ids
    if patch.phases is not None:
        await _write_phases(session, lab_id, patch.phases)
    await session.execute(
        update(Lab)
        .where(Lab.id == lab_id)
        .values(**changes, version=Lab.version + 1, updated_at=func.now())
    )
    return await get_lab(session, lab_id)


async def statistics(connection: AsyncConnection, lab_id: uuid.UUID) -> schemas.LabStatistics:
    """Registrations and attendance of the lab's events per age band; no personal data."""
    await get_lab(connection, lab_id)
    events = await connection.scalar(select(func.count()).where(Event.lab_id == lab_id))

    def count(condition: Any) -> Any:
        return func.count(case((condition, 1)))

    rows = await connection.execute(
        select(
            Registration.age_band,
            count(Registration.status == "confirmed").label("registered"),
            count(Registration.status == "waitlisted").label("waitlisted"),
            count(Registration.attended).label("attended"),
        )
        .join(Event, Event.id == Registration.event_id)
        .where(Event.lab_id == lab_id, Registration.status != "cancelled")
        .group_by(Registration.age_band)
    )
    by_band = {row.age_band: row for row in rows}
    bands: list[AgeBand | None] = [*AgeBand, None]
    by_age_band = [
        schemas.AgeBandStatistics(
            age_band=band,
            registered=by_band[band].registered if band in by_band else 0,
            waitlisted=by_band[band].waitlisted if band in by_band else 0,
            attended=by_band[band].attended if band in by_band else 0,
        )
        for band in bands
    ]
    return schemas.LabStatistics(
        lab_id=lab_id,
        events=events or 0,
        registered=sum(band.registered for band in by_age_band),
        waitlisted=sum(band.waitlisted for band in by_age_band),
        attended=sum(band.attended for band in by_age_band),
        by_age_band=by_age_band,
    )
