"""The body of a participation PATCH: the media types, JSON and shape every service accepts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.catalog.app import create_app as create_catalog
from services.participation.app import create_app
from shared.settings import Settings
from tests.conftest import asgi_client
from tests.merge_patch_contract import MergePatchBodyContract, Patchable
from tests.participation.conftest import API, Headers, SpaceFactory
from tests.participation.test_events import create_event
from tests.participation.test_labs import lab_body
from tests.test_problems import assert_problem


@pytest.fixture(scope="module")
async def with_catalog_in_process(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The participation app with the catalog app as its peer, both in this process."""
    catalog = create_catalog(settings)
    app = create_app(settings)
    async with asgi_client(catalog), asgi_client(app) as client:
        peers = app.state.peers
        await peers.clients["catalog"].aclose()
        peers.clients["catalog"] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=catalog), base_url="http://catalog"
        )
        yield client


async def _created(client: httpx.AsyncClient, path: str, body: Any, headers: Headers) -> Any:
    response = await client.post(f"{API}/{path}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(params=["space", "event", "lab"])
async def patchable(
    request: pytest.FixtureRequest,
    participation: httpx.AsyncClient,
    with_catalog_in_process: httpx.AsyncClient,
    coordinator: Headers,
    new_space: SpaceFactory,
    celje_hub: dict[str, Any],
) -> Patchable:
    kind: str = request.param
    client = participation
    if kind == "space":
        created = await new_space()
    elif kind == "event":
        created = await create_event(participation, coordinator)
    else:
        client = with_catalog_in_process
        created = await _created(client, "labs", lab_body(celje_hub), coordinator)
    return Patchable(
        client=client,
        url=f"{API}/{kind}s/{created['id']}",
        headers=coordinator,
        etag=f'"v{created["version"]}"',
        text_patch=(
            (lambda text: {"name": {"en": text}})
            if kind == "space"
            else (lambda text: {"title": {"en": text}})
        ),
    )


class TestMergePatchBodies(MergePatchBodyContract):
    pass


class TestTypedPatches:
    async def test_a_patch_its_model_refuses_is_a_422_naming_each_field(
        self, participation: httpx.AsyncClient, coordinator: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space()
        url = f"{API}/spaces/{space['id']}"

        response = await participation.patch(
            url,
            json={"kind": "castle", "capacity": 0},
            headers={**coordinator, "If-Match": '"v1"'},
        )

        assert assert_problem(response, 422)["title"] == "Your request is not valid."
        errors = response.json()["errors"]
        assert [(error["loc"], error["type"]) for error in errors] == [
            (["body", "kind"], "enum"),
            (["body", "capacity"], "greater_than"),
        ]
        assert (await participation.get(url)).json() == space

    async def test_unknown_members_are_ignored_as_before(
        self, participation: httpx.AsyncClient, coordinator: Headers, new_space: SpaceFactory
    ) -> None:
        space = await new_space()
        response = await participation.patch(
            f"{API}/spaces/{space['id']}",
            json={"colour": "blue", "capacity": 4},
            headers={**coordinator, "If-Match": '"v1"'},
        )
        assert response.status_code == 200, response.text
        assert (response.json()["capacity"], response.json()["version"]) == (4, 2)
        assert "colour" not in response.json()
