"""HEAD on every GET resource: the GET's status and headers, no body (RFC 9110 §9.1)."""

from __future__ import annotations

import httpx
import pytest

CITY = "/api/v1/transfer/cities/kosice"


async def assert_head_matches_get(client: httpx.AsyncClient, path: str) -> httpx.Response:
    got = await client.get(path)
    head = await client.head(path)
    assert head.status_code == got.status_code
    assert head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers.get("etag") == got.headers.get("etag")
    # The connection stays usable: a server that expected a body would have dropped it.
    assert (await client.get(path)).status_code == got.status_code
    return head


class TestInEachService:
    async def test_a_resource(self, transfer: httpx.AsyncClient) -> None:
        head = await assert_head_matches_get(transfer, CITY)
        assert head.status_code == 200

    async def test_a_list(self, participation: httpx.AsyncClient) -> None:
        await assert_head_matches_get(participation, "/api/v1/participation/hubs")

    async def test_a_resource_that_is_not_there(self, catalog: httpx.AsyncClient) -> None:
        head = await assert_head_matches_get(catalog, "/api/v1/catalog/entries/no-such-entry")
        assert head.status_code == 404

    async def test_a_conditional_head_is_not_modified(self, transfer: httpx.AsyncClient) -> None:
        etag = (await transfer.get(CITY)).headers["etag"]
        head = await transfer.head(CITY, headers={"If-None-Match": etag})
        assert head.status_code == 304
        assert head.content == b""

    async def test_is_counted_under_its_route_and_method(self, transfer: httpx.AsyncClient) -> None:
        await transfer.head(CITY)
        metrics = (await transfer.get("/metrics")).text
        assert 'method="HEAD",route="/api/v1/transfer/cities/{code}"' in metrics

    async def test_a_route_without_get_still_refuses_it(self, transfer: httpx.AsyncClient) -> None:
        head = await transfer.head("/api/v1/transfer/cities/kosice/sync")
        assert head.status_code == 405


@pytest.mark.slow
class TestThroughTheGateway:
    async def test_a_proxied_resource(self, gateway: httpx.AsyncClient) -> None:
        await assert_head_matches_get(gateway, CITY)

    async def test_a_gateway_route(self, gateway: httpx.AsyncClient) -> None:
        head = await assert_head_matches_get(gateway, "/api/v1/dashboard/cities/kosice")
        assert head.status_code == 200
