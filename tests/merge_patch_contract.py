"""What every PATCH route answers for the body it is sent, whichever service it belongs to.

A service's test module subclasses `MergePatchBodyContract` as `TestMergePatchBodies` and
gives a `patchable` fixture (parametrized over its PATCH routes) that makes a fresh resource.
Every test also checks that a refused body changed nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.test_problems import assert_problem

PATCH_MEDIA_TYPES = ["application/merge-patch+json", "application/json"]
Json = dict[str, Any]
NOT_AN_OBJECT = {"loc": ["body"], "msg": "must be an object", "type": "dict_type"}


@dataclass
class Patchable:
    """One resource behind a PATCH route."""

    client: httpx.AsyncClient
    url: str
    headers: dict[str, str]
    etag: str
    text_patch: Callable[[str], Json]  # a valid merge patch that sets one text to the given one

    async def read(self) -> Json:
        response = await self.client.get(self.url, headers=self.headers)
        assert response.status_code == 200, response.text
        resource: Json = response.json()
        return resource

    async def send(
        self, body: bytes, content_type: str | None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        sent = {**(self.headers if headers is None else headers), "If-Match": self.etag}
        if content_type is not None:
            sent["Content-Type"] = content_type
        return await self.client.patch(self.url, content=body, headers=sent)

    def body(self, text: str) -> bytes:
        return json.dumps(self.text_patch(text)).encode()


class MergePatchBodyContract:
    async def test_other_media_types_are_415_naming_the_accepted_ones(
        self, patchable: Patchable
    ) -> None:
        before = await patchable.read()
        for content_type in (
            None,
            "text/plain",
            "application/json-patch+json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
        ):
            response = await patchable.send(patchable.body("Changed"), content_type)
            problem = assert_problem(response, 415)
            assert problem["type"] == "urn:magnet:problem:unsupported-media-type"
            assert problem["accepted"] == PATCH_MEDIA_TYPES
            assert response.headers["accept-patch"] == ", ".join(PATCH_MEDIA_TYPES)
        assert await patchable.read() == before

    @pytest.mark.parametrize(
        "content_type",
        [
            "application/json",
            "application/merge-patch+json",
            "application/merge-patch+json; charset=utf-8",
            "Application/JSON; charset=UTF-8",
        ],
    )
    async def test_both_media_types_are_accepted_with_parameters(
        self, patchable: Patchable, content_type: str
    ) -> None:
        before = await patchable.read()
        text = f"Changed {uuid.uuid4().hex[:8]} – čšž"

        response = await patchable.send(patchable.body(text), content_type)

        assert response.status_code == 200, response.text
        assert text in json.dumps(response.json(), ensure_ascii=False)
        assert response.json()["version"] == before["version"] + 1
        assert await patchable.read() == response.json()

    @pytest.mark.parametrize(
        "body",
        [b"{", b"", b'{"a": 1} {}', b'{"a": NaN}', b'{"a": Infinity}', b'{"a": "\xff"}'],
    )
    async def test_a_body_that_is_not_json_is_400(self, patchable: Patchable, body: bytes) -> None:
        before = await patchable.read()
        response = await patchable.send(body, "application/merge-patch+json")
        assert assert_problem(response, 400)["detail"] == "The body is not valid JSON (UTF-8)."
        assert await patchable.read() == before

    @pytest.mark.parametrize("body", [b"[]", b'["not", "an", "object"]', b'"text"', b"null", b"7"])
    async def test_json_that_is_not_an_object_is_422(
        self, patchable: Patchable, body: bytes
    ) -> None:
        before = await patchable.read()
        response = await patchable.send(body, "application/json")
        problem = assert_problem(response, 422)
        assert problem["errors"] == [NOT_AN_OBJECT]
        assert await patchable.read() == before

    async def test_deep_nesting_is_refused_not_a_server_error(self, patchable: Patchable) -> None:
        before = await patchable.read()
        for depth in (500, 990, 5000):
            nested = '{"a": ' * depth + "1" + "}" * depth
            body = json.dumps(patchable.text_patch("x")).replace('"x"', nested).encode()
            response = await patchable.send(body, "application/json")
            assert response.status_code in (400, 422), (depth, response.text)
        assert await patchable.read() == before

    async def test_a_nul_in_a_text_is_422(self, patchable: Patchable) -> None:
        before = await patchable.read()
        response = await patchable.send(patchable.body("Zero\x00byte"), "application/json")
        assert_problem(response, 422)
        assert await patchable.read() == before

    async def test_a_streamed_body_over_the_limit_is_413(self, patchable: Patchable) -> None:
        before = await patchable.read()
        start, end = patchable.body("x").split(b'"x"')

        async def chunks() -> AsyncIterator[bytes]:
            yield start + b'"'
            for _ in range(17):
                yield b"y" * 65536
            yield b'"' + end

        response = await patchable.client.patch(
            patchable.url,
            content=chunks(),
            headers={
                **patchable.headers,
                "If-Match": patchable.etag,
                "Content-Type": "application/merge-patch+json",
            },
        )
        assert_problem(response, 413)
        assert await patchable.read() == before

    async def test_credentials_are_checked_before_the_body(self, patchable: Patchable) -> None:
        before = await patchable.read()
        response = await patchable.send(b"{", "text/plain", headers={})
        assert_problem(response, 401)
        assert await patchable.read() == before
