"""The body of a transfer PATCH: the media types, JSON and shape every service accepts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.merge_patch_contract import MergePatchBodyContract, Patchable
from tests.transfer.test_indicators import new_indicator
from tests.transfer.test_plans import BASE, create_plan


async def _created(api: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str]) -> Any:
    response = await api.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(params=["plan", "milestone", "indicator", "report"])
async def patchable(
    request: pytest.FixtureRequest, api: httpx.AsyncClient, city: str, partner: dict[str, str]
) -> Patchable:
    kind: str = request.param
    if kind == "indicator":
        created = await new_indicator(api, city, partner)
    else:
        created = await create_plan(api, city, partner)
    plan = f"{BASE}/{city}/plans/{created['id']}"
    if kind == "milestone":
        body = {"title": {"en": "A milestone"}, "due": "2026-06-01", "status": "planned"}
        created = await _created(api, f"{plan}/milestones", body, partner)
    elif kind == "report":
        body = {"period_start": "2026-01-01", "period_end": "2026-06-30", "narrative": {"en": "H1"}}
        created = await _created(api, f"{plan}/reports", body, partner)
    text_field = "narrative" if kind == "report" else "title"
    return Patchable(
        client=api,
        url=f"{BASE}/{city}/{kind}s/{created['id']}",
        headers=partner,
        etag=f'"v{created["version"]}"',
        text_patch=lambda text: {text_field: {"en": text}},
    )


class TestMergePatchBodies(MergePatchBodyContract):
    pass
