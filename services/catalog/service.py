"""Catalog rules and queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.catalog.models import Challenge, InnovationBlock
from services.catalog.schemas import Taxonomy, TaxonomyTerm


async def taxonomy(connection: AsyncConnection) -> Taxonomy:
    terms: dict[str, list[TaxonomyTerm]] = {}
    for name, model in (("innovation_blocks", InnovationBlock), ("challenges", Challenge)):
        rows = await connection.execute(
            select(model.code, model.label, model.description).order_by(model.position)
        )
        terms[name] = [TaxonomyTerm.model_validate(row._mapping) for row in rows]
    return Taxonomy(innovation_blocks=terms["innovation_blocks"], challenges=terms["challenges"])
