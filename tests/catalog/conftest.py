"""Catalog test helpers: credentials for every role and a factory for entries."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from shared.auth import Principal, Role, issue_token
from shared.settings import Settings

Headers = dict[str, str]
EntryFactory = Callable[..., Awaitable[dict[str, Any]]]


def bearer(settings: Settings, role: Role, city: str | None = None) -> Headers:
    principal = Principal(subject=f"{role.value}-{uuid.uuid4().hex[:6]}", role=role, city=city)
    return {"Authorization": f"Bearer {issue_token(principal, settings)}"}


@pytest.fixture
def editor(settings: Settings) -> Headers:
    return bearer(settings, Role.EDITOR)


@pytest.fixture
def admin_headers(settings: Settings) -> Headers:
    return bearer(settings, Role.ADMIN)


@pytest.fixture
def coordinator(settings: Settings) -> Headers:
    return bearer(settings, Role.COORDINATOR)


@pytest.fixture
def partner(settings: Settings) -> Headers:
    return bearer(settings, Role.PARTNER, city="kosice")


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def entry_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "method",
        "title": {"en": f"Test method {unique()}"},
        "summary": {"en": "A short summary."},
        "body": {"en": "The body of the entry."},
        "innovation_blocks": ["participation"],
        "challenges": ["housing"],
        "cities": ["celje"],
    }
    body.update(overrides)
    return body


async def transition(
    catalog: httpx.AsyncClient, headers: Headers, entry_id: str, to: str
) -> httpx.Response:
    return await catalog.post(
        f"/api/v1/catalog/entries/{entry_id}/transitions", json={"to": to}, headers=headers
    )


@pytest.fixture
def make_entry(catalog: httpx.AsyncClient, editor: Headers) -> EntryFactory:
    """Create an entry through the API; `status="published"` walks it through the workflow."""

    async def make(status: str = "draft", **overrides: Any) -> dict[str, Any]:
        response = await catalog.post(
            "/api/v1/catalog/entries", json=entry_body(**overrides), headers=editor
        )
        assert response.status_code == 201, response.text
        entry: dict[str, Any] = response.json()
        path = {"draft": [], "in_review": ["in_review"], "published": ["in_review", "published"]}
        path["archived"] = [*path["published"], "archived"]
        for step in path[status]:
            moved = await transition(catalog, editor, entry["id"], step)
            assert moved.status_code == 200, moved.text
            entry = moved.json()
        return entry

    return make
