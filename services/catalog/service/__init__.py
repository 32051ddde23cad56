"""Catalog rules and queries: the taxonomy here, entries, listing and search in submodules."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.catalog.models import Challenge, InnovationBlock
from services.catalog.schemas import Taxonomy, TaxonomyTerm
from shared.problems import UnprocessableContent, ValidationIssue


async def taxonomy(connection: AsyncConnection) -> Taxonomy:
    terms: dict[str, list[TaxonomyTerm]] = {}
    for name, model in (("innovation_blocks", InnovationBlock), ("challenges", Challenge)):
        rows = await connection.execute(
            select(model.code, model.label, model.description).order_by(model.position)
        )
        terms[name] = [TaxonomyTerm.model_validate(row._mapping) for row in rows]
    return Taxonomy(innovation_blocks=terms["innovation_blocks"], challenges=terms["challenges"])


async def check_taxonomy_codes(
    connection: AsyncConnection, innovation_blocks: Sequence[str], challenges: Sequence[str]
) -> None:
    """422 naming every code that is not in the taxonomy (a trigger guards the same rule)."""
    issues: list[ValidationIssue] = []
    for field, model, codes in (
        ("innovation_blocks", InnovationBlock, innovation_blocks),
        ("challenges", Challenge, challenges),
    ):
        if not codes:
            continue
        known = set(
            (await connection.execute(select(model.code).where(model.code.in_(codes)))).scalars()
        )
        issues += [
            ValidationIssue(
                loc=["body", field, index], msg=f"unknown code {code!r}", type="unknown_code"
            )
            for index, code in enumerate(codes)
            if code not in known
        ]
    if issues:
        raise UnprocessableContent("Some tags are not in the taxonomy.", errors=issues)
