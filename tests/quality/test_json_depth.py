"""Deeply nested JSON bodies are a 400 problem at every service, never a RecursionError (500).

The reported attack: a sync batch nested a few thousand levels deep → 500. The same body
goes to a body FastAPI parses, a merge patch, and a gzip-encoded sync batch (which the route
inflates and parses itself), all through the real gateway.
"""

from __future__ import annotations

import gzip
import uuid

import httpx
import pytest

from shared.json_depth import MAX_DEPTH, nests_deeper_than
from shared.seeding import seed_id
from tests.stack import Stack

pytestmark = pytest.mark.slow
SYNC = "/api/v1/transfer/cities/varazdin/sync"
SPACE = seed_id("space", "magnet-hub-celje", "co-creation-room")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def sync_batch(depth: int) -> bytes:
    plan = f'{{"external_id": "deep", "challenge": "housing", "title": {nested(depth)}}}'
    return f'{{"plans": [{plan}], "milestones": [], "indicators": [], "reports": []}}'.encode()


class TestNestingDepth:
    @pytest.mark.parametrize(
        ("body", "deeper"),
        [
            (b"[]", False),
            (nested(MAX_DEPTH).encode(), False),
            (nested(MAX_DEPTH + 1).encode(), True),
            (b'{"a": "' + b"[" * 1000 + b'"}', False),  # brackets in a string do not nest
            (b'{"a": "\\"' + b"{" * 1000 + b'"}', False),  # nor after an escaped quote
            (b'["\\\\", ' + nested(MAX_DEPTH).encode() + b"]", True),
        ],
    )
    def test_counts_arrays_and_objects_not_brackets_in_strings(
        self, body: bytes, deeper: bool
    ) -> None:
        assert nests_deeper_than(body) is deeper


class TestDeepBodiesAtTheGateway:
    @pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 990, 5000, 100_000])
    async def test_a_deep_sync_batch_is_a_400_problem(
        self, quality_stack: Stack, quality_admin: dict[str, str], depth: int
    ) -> None:
        headers = {**quality_admin, "Idempotency-Key": str(uuid.uuid4())}
        async with httpx.AsyncClient(base_url=quality_stack.gateway_url, timeout=30) as gateway:
            plain = await gateway.post(
                SYNC,
                content=sync_batch(depth),
                headers={**headers, "Content-Type": "application/json"},
            )
            gzipped = await gateway.post(
                SYNC,
                content=gzip.compress(sync_batch(depth), mtime=0),
                headers={
                    **headers,
                    "Idempotency-Key": str(uuid.uuid4()),
                    "Content-Type": "application/json",
                    "Content-Encoding": "gzip",
                },
            )
            changes = await gateway.get("/api/v1/transfer/changes?city=varazdin&limit=100")

        for response in (plain, gzipped):
            assert response.status_code == 400, response.text
            assert response.headers["content-type"] == "application/problem+json"
        assert '"deep"' not in changes.text

    async def test_deep_bodies_of_other_routes_are_400_problems(
        self, quality_stack: Stack, quality_admin: dict[str, str]
    ) -> None:
        deep = nested(3000)
        async with httpx.AsyncClient(base_url=quality_stack.gateway_url, timeout=30) as gateway:
            entry = await gateway.post(
                "/api/v1/catalog/entries",
                content=f'{{"kind": "story", "title": {deep}}}',
                headers={**quality_admin, "Content-Type": "application/json"},
            )
            patch = await gateway.patch(
                f"/api/v1/participation/spaces/{SPACE}",
                content=f'{{"name": {deep}}}',
                headers={
                    **quality_admin,
                    "Content-Type": "application/merge-patch+json",
                    "If-Match": '"v1"',
                },
            )
            shallow = await gateway.post(
                "/api/v1/catalog/entries",
                content=f'{{"kind": "story", "title": {nested(20)}}}',
                headers={**quality_admin, "Content-Type": "application/json"},
            )

        for response in (entry, patch):
            assert response.status_code == 400, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert "nests deeper" in response.json()["detail"]
        assert shallow.status_code == 422  # not too deep: validated as usual
