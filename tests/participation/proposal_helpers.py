"""Residents' tokens, fresh labs and proposals for the tests of residents' contributions."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx

from shared.auth import Principal, Role, issue_token
from shared.db import libpq_url
from shared.seeding import seed_id
from shared.settings import Settings

API = "/api/v1/participation"
Headers = dict[str, str]
HOUSING_LAB = seed_id("lab", "housing-lab")


def resident(
    settings: Settings,
    name: str = "Ana",
    *,
    email: str | None = None,
    language: str = "sl",
    subject: str | None = None,
) -> Headers:
    principal = Principal(
        subject=subject or str(uuid.uuid4()),
        role=Role.RESIDENT,
        name=name,
        email=email,
        language=language,
    )
    return {"Authorization": f"Bearer {issue_token(principal, settings)}"}


def staff(settings: Settings, role: Role) -> Headers:
    principal = Principal(subject=str(uuid.uuid4()), role=role)
    return {"Authorization": f"Bearer {issue_token(principal, settings)}"}


async def new_lab(database_url: str, supports_per_resident: int | None = None) -> str:
    """A lab of its own (phases `listen` and `co-create`), so a test's lists are its own."""
    lab_id = uuid.uuid4()
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        hub = await connection.fetchval("SELECT id FROM participation.hubs ORDER BY slug LIMIT 1")
        await connection.execute(
            "INSERT INTO participation.labs (id, slug, title, description, challenge, hub_id, "
            "partners, methods, outcomes, supports_per_resident) "
            "VALUES ($1, $2, $3, '{}'::jsonb, 'housing', $4, '[]'::jsonb, '{}', '{}', $5)",
            lab_id,
            f"test-lab-{lab_id.hex[:10]}",
            json.dumps({"en": "Test lab"}),
            hub,
            supports_per_resident,
        )
        for position, key in enumerate(("listen", "co-create"), start=1):
            await connection.execute(
                "INSERT INTO participation.lab_phases (lab_id, position, key, title, starts_on, "
                "ends_on, is_current) VALUES ($1, $2, $3, $4, '2026-01-01', '2027-12-31', $5)",
                lab_id,
                position,
                key,
                json.dumps({"en": key}),
                position == 1,
            )
    finally:
        await connection.close()
    return str(lab_id)


async def propose(
    client: httpx.AsyncClient,
    lab_id: str,
    author: Headers,
    title: str = "Skupnostni vrt",
    body: str = "Predlagam skupnostni vrt za stanovalce.",
    **fields: Any,
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/labs/{lab_id}/proposals",
        json={"title": {"sl": title}, "body": {"sl": body}, **fields},
        headers=author,
    )
    assert response.status_code == 201, response.text
    proposal: dict[str, Any] = response.json()
    return proposal
