"""Entries: create, read, change and delete them, the publication workflow, and revisions.

Every change runs under a row lock inside the request's transaction, bumps `version` and
writes a revision (who, when, what changed) in the same transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.catalog import schemas
from services.catalog.models import Entry, EntryRevision
from services.catalog.service import check_taxonomy_codes
from services.catalog.text import SLUG_MAX_LENGTH, slugify
from shared.auth import Principal, Role
from shared.constraints import constraint_name
from shared.etag import require_if_match
from shared.i18n import pick
from shared.merge_patch import merge_patch
from shared.pagination import Page, PageQuery, paginate
from shared.problems import Conflict, NotFound, UnprocessableContent, ValidationIssue

Status = schemas.EntryStatus
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.IN_REVIEW}),
    Status.IN_REVIEW: frozenset({Status.PUBLISHED, Status.DRAFT}),
    Status.PUBLISHED: frozenset({Status.ARCHIVED}),
    Status.ARCHIVED: frozenset(),
}
EDITABLE = (
    "slug",
    "kind",
    "title",
    "summary",
    "body",
    "innovation_blocks",
    "challenges",
    "cities",
)
READ_ONLY = ("id", "status", "published_at", "version", "created_at", "updated_at")
# Staff who prepare content around entries (editors, and coordinators linking methods to
# labs before they are published) read every status; everyone else only published entries.
UNPUBLISHED_READERS = frozenset({Role.ADMIN, Role.EDITOR, Role.COORDINATOR})
ENTRY_COLUMNS = (
    Entry.id,
    Entry.slug,
    Entry.kind,
    Entry.title,
    Entry.summary,
    Entry.body,
    Entry.innovation_blocks,
    Entry.challenges,
    Entry.cities,
    Entry.status,
    Entry.published_at,
    Entry.version,
    Entry.created_at,
    Entry.updated_at,
)
SLUG_ATTEMPTS = 5


def sees_unpublished(principal: Principal | None) -> bool:
    return principal is not None and principal.role in UNPUBLISHED_READERS


def actor_of(principal: Principal) -> str:
    return f"{principal.kind}:{principal.subject}"


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def ref_condition(ref: str) -> ColumnElement[bool]:
    """An entry is addressed by its id or by its slug."""
    if is_uuid(ref):
        return Entry.id == uuid.UUID(ref)
    return Entry.slug == ref


def _not_found(ref: str) -> NotFound:
    return NotFound(f"There is no entry {ref!r}.")


async def get_entry(
    connection: AsyncConnection, ref: str, principal: Principal | None
) -> schemas.Entry:
    statement = select(*ENTRY_COLUMNS).where(ref_condition(ref))
    if not sees_unpublished(principal):
        statement = statement.where(Entry.status == Status.PUBLISHED)
    row = (await connection.execute(statement)).one_or_none()
    if row is None:
        raise _not_found(ref)
    return schemas.Entry.model_validate(row._mapping)


async def _locked(session: AsyncSession, ref: str) -> schemas.Entry:
    statement = select(*ENTRY_COLUMNS).where(ref_condition(ref)).with_for_update()
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise _not_found(ref)
    return schemas.Entry.model_validate(row._mapping)


async def _record(
    session: AsyncSession,
    entry: schemas.Entry,
    action: str,
    principal: Principal,
    changes: dict[str, Any],
) -> None:
    await session.execute(
        insert(EntryRevision).values(
            entry_id=entry.id,
            version=entry.version,
            action=action,
            actor=actor_of(principal),
            actor_role=principal.role.value,
            changes=changes,
        )
    )


def _document(entry: schemas.Entry) -> dict[str, Any]:
    dumped = entry.model_dump(mode="json")
    return {name: dumped[name] for name in EDITABLE}


async def _free_slugs(connection: AsyncConnection, title: str) -> list[str]:
    base = slugify(title)[: SLUG_MAX_LENGTH - 8].rstrip("-") or "entry"
    if is_uuid(base):
        base = f"entry-{base}"
    taken = set(
        (
            await connection.execute(
                select(Entry.slug).where(
                    or_(Entry.slug == base, Entry.slug.regexp_match(f"^{base}-[0-9]+$"))
                )
            )
        ).scalars()
    )
    candidates = [base] if base not in taken else []
    number = 2
    while len(candidates) < SLUG_ATTEMPTS:
        if f"{base}-{number}" not in taken:
            candidates.append(f"{base}-{number}")
        number += 1
    return candidates


async def create_entry(
    session: AsyncSession, new: schemas.NewEntry, principal: Principal
) -> schemas.Entry:
    connection = await session.connection()
    await check_taxonomy_codes(connection, new.innovation_blocks, new.challenges)
    values = new.model_dump(mode="json", exclude={"slug"})
    if new.slug is not None:
        candidates = [new.slug]
    else:
        candidates = await _free_slugs(connection, pick(values["title"], "en"))
    actor = actor_of(principal)
    for slug in candidates:
        # The unique constraint decides between concurrent writers; a derived slug moves on
        # to the next free number, an explicit one is the caller's conflict.
        statement = (
            pg_insert(Entry)
            .values(
                id=uuid.uuid4(),
                slug=slug,
                status=Status.DRAFT,
                version=1,
                created_by=actor,
                updated_by=actor,
                **values,
            )
            .on_conflict_do_nothing(constraint="uq_entries_slug")
            .returning(*ENTRY_COLUMNS)
        )
        row = (await session.execute(statement)).one_or_none()
        if row is not None:
            entry = schemas.Entry.model_validate(row._mapping)
            document = _document(entry)
            await _record(
                session,
                entry,
                "created",
                principal,
                {name: {"from": None, "to": value} for name, value in document.items()},
            )
            return entry
    raise Conflict(
        f"The slug {candidates[0]!r} is already taken; choose another.",
        conflicting_slug=candidates[0],
    )


def _patched(current: schemas.Entry, patch: dict[str, Any]) -> schemas.EntryUpdate:
    read_only = [name for name in READ_ONLY if name in patch]
    if read_only:
        raise UnprocessableContent(
            "Some fields cannot be changed with PATCH.",
            errors=[
                ValidationIssue(
                    loc=["body", name],
                    msg="read-only"
                    + ("; change it with POST …/transitions" if name == "status" else ""),
                )
                for name in read_only
            ],
        )
    try:
        return schemas.EntryUpdate.model_validate(merge_patch(_document(current), patch))
    except ValidationError as exc:
        raise UnprocessableContent(
            "The patched entry is not valid; see errors.",
            errors=[
                ValidationIssue(loc=["body", *error["loc"]], msg=error["msg"], type=error["type"])
                for error in exc.errors()
            ],
        ) from exc


async def update_entry(
    session: AsyncSession,
    ref: str,
    patch: dict[str, Any],
    if_match: str | None,
    principal: Principal,
) -> schemas.Entry:
    current = await _locked(session, ref)
    require_if_match(if_match, current.version)
    before = _document(current)
    after = _patched(current, patch).model_dump(mode="json")
    changes = {
        name: {"from": before[name], "to": after[name]}
        for name in EDITABLE
        if before[name] != after[name]
    }
    if not changes:
        return current
    if "innovation_blocks" in changes or "challenges" in changes:
        await check_taxonomy_codes(
            await session.connection(), after["innovation_blocks"], after["challenges"]
        )
    statement = (
        update(Entry)
        .where(Entry.id == current.id)
        .values(
            **{name: after[name] for name in changes},
            version=Entry.version + 1,
            updated_at=func.now(),
            updated_by=actor_of(principal),
        )
        .returning(*ENTRY_COLUMNS)
    )
    try:
        async with session.begin_nested():
            row = (await session.execute(statement)).one()
    except IntegrityError as exc:
        if constraint_name(exc) == "uq_entries_slug":
            raise Conflict(
                f"The slug {after['slug']!r} is already taken; choose another.",
                conflicting_slug=after["slug"],
            ) from exc
        raise
    entry = schemas.Entry.model_validate(row._mapping)
    await _record(session, entry, "updated", principal, changes)
    return entry


async def transition(
    session: AsyncSession,
    ref: str,
    to: Status,
    if_match: str | None,
    principal: Principal,
) -> schemas.Entry:
    current = await _locked(session, ref)
    if if_match is not None:
        require_if_match(if_match, current.version)
    allowed = TRANSITIONS[current.status]
    if to not in allowed:
        raise Conflict(
            f"An entry that is {current.status.value} cannot become {to.value}.",
            current_status=current.status.value,
            allowed=sorted(status.value for status in allowed),
        )
    values: dict[str, Any] = {
        "status": to,
        "version": Entry.version + 1,
        "updated_at": func.now(),
        "updated_by": actor_of(principal),
    }
    if to is Status.PUBLISHED:
        values["published_at"] = func.now()
    statement = (
        update(Entry).where(Entry.id == current.id).values(**values).returning(*ENTRY_COLUMNS)
    )
    entry = schemas.Entry.model_validate((await session.execute(statement)).one()._mapping)
    changes: dict[str, Any] = {"status": {"from": current.status.value, "to": to.value}}
    if to is Status.PUBLISHED:
        changes["published_at"] = {"from": None, "to": entry.published_at}
    await _record(session, entry, "transitioned", principal, _jsonable(changes))
    return entry


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {
            side: value.isoformat() if hasattr(value, "isoformat") else value
            for side, value in change.items()
        }
        for name, change in changes.items()
    }


async def delete_entry(
    session: AsyncSession, ref: str, if_match: str | None, principal: Principal
) -> None:
    current = await _locked(session, ref)
    require_if_match(if_match, current.version)
    await session.execute(delete(Entry).where(Entry.id == current.id))
    gone = current.model_copy(update={"version": current.version + 1})
    changes = {name: {"from": value, "to": None} for name, value in _document(current).items()}
    changes["status"] = {"from": current.status.value, "to": None}
    await _record(session, gone, "deleted", principal, changes)


async def list_revisions(
    connection: AsyncConnection, ref: str, paging: PageQuery
) -> Page[schemas.Revision]:
    entry_id = await connection.scalar(select(Entry.id).where(ref_condition(ref)))
    if entry_id is None:
        raise _not_found(ref)
    return await paginate(
        connection,
        select(
            EntryRevision.id,
            EntryRevision.entry_id,
            EntryRevision.version,
            EntryRevision.action,
            EntryRevision.actor,
            EntryRevision.actor_role,
            EntryRevision.changes,
            EntryRevision.created_at,
        ).where(EntryRevision.entry_id == entry_id),
        key=[EntryRevision.id],
        paging=paging,
        item=lambda row: schemas.Revision.model_validate(row._mapping),
    )
