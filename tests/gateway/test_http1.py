"""The gateway's upstream client on the wire: keep-alive, streaming both ways, HEAD,
timeouts, broken answers and the connection limit."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator

import pytest

from services.gateway.http1 import ConnectFailed, Disconnected, Pool, PoolBusy
from tests.gateway.upstream_server import UpstreamServer, pattern
from tests.ports import free_port


@pytest.fixture
async def upstream() -> AsyncIterator[UpstreamServer]:
    server = await UpstreamServer().start()
    yield server
    await server.stop()


def pool_for(server: UpstreamServer, *, limit: int = 8) -> Pool:
    return Pool("127.0.0.1", server.port, limit=limit, connect_timeout=1.0)


async def get_json(pool: Pool, target: str, **kwargs: object) -> dict[str, object]:
    response = await pool.request("GET", target, [(b"accept", b"application/json")], **kwargs)  # type: ignore[arg-type]
    assert response.status == 200
    found: dict[str, object] = json.loads(await response.read())
    return found


class TestKeepAlive:
    async def test_sequential_requests_share_one_connection(self, upstream: UpstreamServer) -> None:
        pool = pool_for(upstream)
        for number in range(5):
            answer = await get_json(pool, f"/echo/{number}")
            assert answer["target"] == f"/echo/{number}"
        assert upstream.connections == 1
        pool.close()

    async def test_a_connection_the_server_closes_is_not_reused(
        self, upstream: UpstreamServer
    ) -> None:
        pool = pool_for(upstream)
        await get_json(pool, "/close")
        await get_json(pool, "/echo")
        assert upstream.connections == 2
        pool.close()

    async def test_an_answer_not_read_to_its_end_closes_its_connection(
        self, upstream: UpstreamServer
    ) -> None:
        pool = pool_for(upstream)
        response = await pool.request("GET", "/big?size=1000000", [])
        response.release()  # the rest of the body would confuse the next answer
        await get_json(pool, "/echo")
        assert upstream.connections == 2
        pool.close()

    async def test_requests_beyond_the_limit_wait_for_a_connection(
        self, upstream: UpstreamServer
    ) -> None:
        pool = pool_for(upstream, limit=2)
        answers = await asyncio.gather(*(get_json(pool, f"/echo/{n}") for n in range(10)))
        assert len(answers) == 10
        assert upstream.most_open <= 2
        pool.close()

    async def test_a_wait_for_a_connection_is_bounded_and_leaves_no_trace(
        self, upstream: UpstreamServer
    ) -> None:
        pool = Pool("127.0.0.1", upstream.port, limit=1, connect_timeout=1.0, queue_timeout=0.2)
        hanging = asyncio.create_task(pool.request("GET", "/hang", [], read_timeout=1.0))
        await asyncio.sleep(0.1)
        with pytest.raises(PoolBusy):
            await pool.request("GET", "/echo", [])
        with pytest.raises(TimeoutError):
            await hanging
        # The turn that gave up is out of the queue: the free connection is taken at once.
        assert (await get_json(pool, "/echo", queue_timeout=0))["method"] == "GET"
        pool.close()


class TestStreaming:
    async def test_a_large_chunked_answer_arrives_whole(self, upstream: UpstreamServer) -> None:
        pool = pool_for(upstream)
        size = 3 * 1024 * 1024 + 17
        response = await pool.request("GET", f"/big?size={size}", [])
        assert response.content_length is None  # chunked
        assert not response.complete
        body = bytearray()
        async for chunk in response.chunks():
            body += chunk
            await asyncio.sleep(0)  # a slow reader: reading pauses and resumes
        response.release()
        assert bytes(body) == pattern(size)
        await get_json(pool, "/echo")
        assert upstream.connections == 1  # read to its end: the connection was kept
        pool.close()

    @pytest.mark.parametrize("size", [262_000, 300_000, 400_000, 600_000])
    async def test_a_large_answer_read_whole_leaves_its_connection_usable(
        self, upstream: UpstreamServer, size: int
    ) -> None:
        pool = pool_for(upstream)
        for _ in range(3):
            response = await pool.request("GET", f"/big?size={size}", [], read_timeout=2.0)
            await asyncio.sleep(0.05)  # let it all arrive: reading may pause past the buffer
            assert await response.read() == pattern(size)
        assert (await get_json(pool, "/echo", read_timeout=2.0))["method"] == "GET"
        assert upstream.connections == 1
        pool.close()

    @pytest.mark.parametrize("size", [262_000, 300_000, 400_000])
    async def test_a_large_answer_released_unread_leaves_a_usable_connection(
        self, upstream: UpstreamServer, size: int
    ) -> None:
        pool = pool_for(upstream)
        for _ in range(3):
            response = await pool.request("GET", f"/big?size={size}", [], read_timeout=2.0)
            await asyncio.sleep(0.05)
            response.release()  # kept when it had all arrived, closed otherwise
        assert (await get_json(pool, "/echo", read_timeout=2.0))["method"] == "GET"
        pool.close()

    async def test_a_streamed_body_is_sent_chunked(self, upstream: UpstreamServer) -> None:
        pool = pool_for(upstream)
        pieces = [pattern(70_000), b"", b"tail"]

        async def body() -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece

        response = await pool.request("POST", "/echo", [], body(), chunked=True)
        answer = json.loads(await response.read())
        whole = b"".join(pieces)
        assert answer["headers"]["transfer-encoding"] == "chunked"
        assert (answer["length"], answer["sha256"]) == (
            len(whole),
            hashlib.sha256(whole).hexdigest(),
        )
        pool.close()

    async def test_a_body_with_a_length_is_sent_as_it_is(self, upstream: UpstreamServer) -> None:
        pool = pool_for(upstream)
        payload = pattern(5000)
        headers = [(b"content-length", str(len(payload)).encode())]
        response = await pool.request("PUT", "/echo", headers, payload)
        answer = json.loads(await response.read())
        assert answer["method"] == "PUT"
        assert answer["sha256"] == hashlib.sha256(payload).hexdigest()
        pool.close()

    async def test_head_has_no_body_and_the_next_request_works(
        self, upstream: UpstreamServer
    ) -> None:
        pool = pool_for(upstream)
        response = await pool.request("HEAD", "/echo", [])
        assert response.status == 200
        assert response.content_length == 0
        assert await response.read() == b""
        assert (await get_json(pool, "/echo"))["method"] == "GET"
        pool.close()


class TestFailures:
    async def test_no_server_is_a_connect_failure(self) -> None:
        pool = Pool("127.0.0.1", free_port(), limit=4, connect_timeout=1.0)
        with pytest.raises(ConnectFailed):
            await pool.request("GET", "/", [])

    async def test_a_silent_server_times_out_and_frees_the_connection(
        self, upstream: UpstreamServer
    ) -> None:
        pool = pool_for(upstream, limit=1)
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimeoutError):
            await pool.request("GET", "/hang", [], read_timeout=0.3)
        assert asyncio.get_running_loop().time() - started < 2
        await get_json(pool, "/echo")  # the only slot was given back
        pool.close()

    async def test_an_answer_broken_off_mid_body_raises(self, upstream: UpstreamServer) -> None:
        pool = pool_for(upstream)
        response = await pool.request("GET", "/broken", [])
        with pytest.raises(Disconnected):
            await response.read()
        await get_json(pool, "/echo")
        pool.close()

    async def test_an_answer_that_is_not_http_raises(self, upstream: UpstreamServer) -> None:
        pool = pool_for(upstream)
        with pytest.raises(Disconnected):
            await pool.request("GET", "/garbage", [])
        await get_json(pool, "/echo")
        pool.close()

    async def test_a_cancelled_request_gives_its_slot_back(self, upstream: UpstreamServer) -> None:
        pool = pool_for(upstream, limit=1)
        hanging = asyncio.create_task(pool.request("GET", "/hang", []))
        await asyncio.sleep(0.1)
        hanging.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hanging
        await asyncio.wait_for(get_json(pool, "/echo"), 2)
        pool.close()
