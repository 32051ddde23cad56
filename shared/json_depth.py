"""A bound on how deeply a JSON body may nest, for every JSON body of every service.

Python's JSON parser, pydantic and the encoders recurse once per level: a body nested a few
thousand levels deep ends in a RecursionError somewhere (a 500), and one nested a little
less deep in a parse that succeeds and a failure further on. No document of this API nests
more than a handful of levels, so anything deeper than `MAX_DEPTH` is a 400 problem before
any of that runs: `JsonDepthMiddleware` checks every request whose body is JSON, and
`loads` is the parser for code that reads a body itself (a gzip batch, a merge patch).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import BadRequest, problem_response

MAX_DEPTH = 64
TOO_DEEP = f"The JSON body nests deeper than {MAX_DEPTH} levels."
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def nests_deeper_than(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether `body` opens more than `limit` arrays or objects inside each other (brackets
    inside strings do not count). Malformed JSON is left to the parser to refuse."""
    structure = _STRING.sub(b"", body)
    if structure.count(b"[") + structure.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKET.finditer(structure):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    # Python's parser takes NaN and Infinity; JSON (RFC 8259) has neither.
    raise ValueError(f"{name} is not JSON")


def loads(body: bytes | str) -> Any:
    """The JSON value of `body`; a 400 problem when it is not JSON (UTF-8) or nests too deep."""
    raw = body.encode() if isinstance(body, str) else body
    if nests_deeper_than(raw):
        raise BadRequest(TOO_DEEP)
    try:
        return json.loads(raw.decode(), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise BadRequest("The body is not valid JSON (UTF-8).") from exc


def _is_plain_json(scope: Scope) -> bool:
    content_type = b""
    for name, value in scope["headers"]:
        if name == b"content-encoding" and value.strip().lower() not in (b"", b"identity"):
            return False  # read (and checked) by the route that inflates it
        if name == b"content-type":
            content_type = value.split(b";")[0].strip().lower()
    return content_type == b"application/json" or content_type.endswith(b"+json")


class JsonDepthMiddleware:
    """Reads a JSON request body (already bounded in size) and refuses it with a 400 problem
    when it nests too deep; otherwise hands the same body on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_plain_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except HTTPException as exc:  # the body limit, counted as the body arrives
            refused = problem_response(
                exc.status_code,
                detail=exc.detail,
                slug="content-too-large",
                instance=scope["path"],
            )
            await refused(scope, receive, send)
            return
        body = b"".join(chunks)
        if nests_deeper_than(body):
            response = problem_response(
                400,
                detail=TOO_DEEP,
                slug="json-too-deep",
                instance=scope["path"],
            )
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
