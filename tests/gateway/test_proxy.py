"""What the proxy sends on and brings back, seen from a stand-in service: bodies streamed
both ways, headers forwarded, dropped and added, paths and queries kept byte for byte."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.gateway.conftest import GatewayFactory
from tests.gateway.upstream_server import UpstreamServer, pattern

pytestmark = pytest.mark.slow


@pytest.fixture
async def upstream() -> AsyncIterator[UpstreamServer]:
    server = await UpstreamServer().start()
    yield server
    await server.stop()


async def echoed(gateway: Any, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = await gateway.request(method, f"/api/v1/catalog{path}", **kwargs)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


class TestBodies:
    async def test_a_chunked_upload_arrives_whole_with_its_length(
        self, gateway_app: GatewayFactory, upstream: UpstreamServer
    ) -> None:
        pieces = [pattern(100_000), pattern(3), pattern(250_000)]

        async def body() -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece

        async with gateway_app(catalog_url=upstream.url) as gateway:
            answer = await echoed(gateway, "POST", "/echo", content=body())
        whole = b"".join(pieces)
        # Buffered before the service is called (a slow sender never holds its connection).
        assert "transfer-encoding" not in answer["headers"]
        assert answer["headers"]["content-length"] == str(len(whole))
        assert answer["length"] == len(whole)
        assert answer["sha256"] == hashlib.sha256(whole).hexdigest()

    async def test_an_upload_with_a_length_keeps_it(
        self, gateway_app: GatewayFactory, upstream: UpstreamServer
    ) -> None:
        payload = pattern(40_000)
        async with gateway_app(catalog_url=upstream.url) as gateway:
            answer = await echoed(gateway, "PUT", "/echo", content=payload)
        assert answer["headers"]["content-length"] == str(len(payload))
        assert answer["sha256"] == hashlib.sha256(payload).hexdigest()

    async def test_a_large_answer_streams_back_whole(
        self, gateway_app: GatewayFactory, upstream: UpstreamServer
    ) -> None:
        size = 2 * 1024 * 1024 + 5
        async with gateway_app(catalog_url=upstream.url) as gateway:
            response = await gateway.get(f"/api/v1/catalog/big?size={size}")
        assert response.status_code == 200
        assert response.content == pattern(size)

    async def test_head_answers_without_a_body(
        self, gateway_app: GatewayFactory, upstream: UpstreamServer
    ) -> None:
        async with gateway_app(catalog_url=upstream.url) as gateway:
            response = await gateway.head("/api/v1/catalog/echo")
            after = await echoed(gateway, "GET", "/echo")
        assert response.status_code == 200
        assert response.content == b""
        assert after["method"] == "GET"


class TestHeadersAndTargets:
    async def test_hop_by_hop_headers_stay_and_tracing_headers_are_added(
        self, gateway_app: GatewayFactory, upstream: UpstreamServer
    ) -> None:
        async with gateway_app(catalog_url=upstream.url) as gateway:
            answer = await echoed(
                gateway,
                "GET",
                "/echo",
                headers={
                    "Keep-Alive": "timeout=5",
                    "TE": "trailers",
                    "Proxy-Authorization": "Basic c2VjcmV0",
                    "X-Forwarded-For": "203.0.113.7",
                    "X-Request-ID": "proxy-test-1",
                    "Accept-Language": "sl",
                },
            )
        sent = answer["headers"]
        assert not {"keep-alive", "te", "proxy-authorization"} & sent.keys()
        assert sent["host"] == upstream.url.removeprefix("http://")
        assert sent["x-forwarded-for"] == "127.0.0.1", "the claim of an untrusted peer is dropped"
        assert sent["x-request-id"] == "proxy-test-1"
        assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", sent["traceparent"])
        assert sent["accept-language"] == "sl"

    async def test_answers_keep_service_headers_and_gain_the_edge_ones(
        self, gateway_app: GatewayFactory, upstream: UpstreamServer
    ) -> None:
        async with gateway_app(catalog_url=upstream.url) as gateway:
            response = await gateway.get("/api/v1/catalog/echo")
        assert response.headers["x-upstream"] == "yes"
        assert "server" not in response.headers  # the service's own is not passed on
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert response.headers["vary"] == "Origin"
        assert len(response.headers.get_list("x-request-id")) == 1

    async def test_path_and_query_go_through_byte_for_byte(
        self, gateway_app: GatewayFactory, upstream: UpstreamServer
    ) -> None:
        target = "/echo/a%2Fb/%C5%BEivljenje?q=%C5%BEivljenje&tag=a&tag=b"
        async with gateway_app(catalog_url=upstream.url) as gateway:
            answer = await echoed(gateway, "GET", target)
        assert answer["target"] == "/api/v1/catalog" + target
