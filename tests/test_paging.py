"""The `Paging` dependency: one set of `limit`/`cursor` parameters and the next-page link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Response

from shared.pagination import DEFAULT_LIMIT, Page, Paging
from shared.settings import Settings
from tests.conftest import TEST_SECRET

NEXT = "the-next-cursor"


def paging_app(settings: Settings) -> FastAPI:
    app = FastAPI()
    app.state.settings = settings

    @app.get("/things")
    async def list_things(response: Response, paging: Paging, more: bool = False) -> Page[str]:
        assert paging.settings is app.state.settings
        seen = [str(paging.limit), paging.cursor or "-"]
        return paging.page(response, Page[str](items=seen, next_cursor=NEXT if more else None))

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = paging_app(Settings(secret_key=TEST_SECRET))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


class TestPagingParameters:
    async def test_defaults_to_the_first_page_of_twenty(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/things")
        assert response.status_code == 200
        assert response.json() == {"items": [str(DEFAULT_LIMIT), "-"], "next_cursor": None}

    async def test_passes_limit_and_the_raw_cursor_through(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/things", params={"limit": 100, "cursor": "abc.def"})
        assert response.status_code == 200
        assert response.json()["items"] == ["100", "abc.def"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"limit": 0}, "limit"),
            ({"limit": 101}, "limit"),
            ({"limit": "many"}, "limit"),
            ({"cursor": "x" * 513}, "cursor"),
        ],
    )
    async def test_out_of_bounds_is_a_422(
        self, client: httpx.AsyncClient, params: dict[str, Any], field: str
    ) -> None:
        response = await client.get("/things", params=params)
        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["detail"]] == [["query", field]]

    def test_documents_both_parameters_as_before(self) -> None:
        document = paging_app(Settings(secret_key=TEST_SECRET)).openapi()
        parameters = {p["name"]: p for p in document["paths"]["/things"]["get"]["parameters"]}
        assert parameters["limit"] == {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "Page size (1..100).",
            "schema": {
                "type": "integer",
                "maximum": 100,
                "minimum": 1,
                "description": "Page size (1..100).",
                "default": DEFAULT_LIMIT,
                "title": "Limit",
            },
        }
        assert parameters["cursor"]["description"] == "`next_cursor` of the previous page."
        assert parameters["cursor"]["required"] is False


class TestFinishingAPage:
    async def test_links_the_next_page_keeping_the_other_parameters(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/things", params={"more": "true", "limit": 5, "cursor": "a"})
        assert response.status_code == 200
        assert response.json()["next_cursor"] == NEXT
        assert response.headers["link"] == f'</things?more=true&limit=5&cursor={NEXT}>; rel="next"'

    async def test_the_last_page_has_no_link(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/things", params={"limit": 5})
        assert response.status_code == 200
        assert response.json()["next_cursor"] is None
        assert "link" not in response.headers
