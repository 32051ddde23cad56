"""The events list pages with its filters: every page continues where the last one ended."""

from __future__ import annotations

from typing import Any

import httpx

from tests.participation.conftest import API, Headers


async def _walk(client: httpx.AsyncClient, params: dict[str, Any], **kwargs: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = await client.get(
            f"{API}/events", params={**params, **({"cursor": cursor} if cursor else {})}, **kwargs
        )
        assert page.status_code == 200, page.text
        body = page.json()
        ids += [event["id"] for event in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            assert "Link" not in page.headers
            return ids
        assert page.headers["Link"].endswith('>; rel="next"')


async def test_pages_of_two_list_what_one_page_lists_in_the_same_order(
    participation: httpx.AsyncClient, coordinator: Headers
) -> None:
    for params, headers in [
        ({}, {}),
        ({}, coordinator),
        ({"from": "2020-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}, {}),
        ({"from": "2020-01-01T00:00:00Z"}, coordinator),
    ]:
        whole = await participation.get(
            f"{API}/events", params={**params, "limit": 100}, headers=headers
        )
        expected = [event["id"] for event in whole.json()["items"]]
        assert len(expected) > 2
        assert await _walk(participation, {**params, "limit": 2}, headers=headers) == expected


async def test_a_tampered_or_foreign_cursor_is_a_400(participation: httpx.AsyncClient) -> None:
    first = (await participation.get(f"{API}/events", params={"limit": 1})).json()
    cursor = first["next_cursor"]
    hubs = (await participation.get(f"{API}/hubs", params={"limit": 1})).json()

    tampered = await participation.get(f"{API}/events", params={"cursor": cursor[:-2] + "xx"})
    foreign = await participation.get(f"{API}/events", params={"cursor": hubs["next_cursor"]})

    assert (tampered.status_code, foreign.status_code) == (400, 400)
