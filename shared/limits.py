"""Refuse request bodies over the configured limit (1 MiB by default) with a 413 problem.

A declared `Content-Length` over the limit is refused before the body is read; a chunked
body is counted as it streams and refused as soon as it passes the limit.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import problem_response


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self) -> str:
        return f"Request bodies are limited to {self.max_bytes} bytes."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None
                if declared is None or declared > self.max_bytes:
                    too_large = declared is not None
                    response = problem_response(
                        413 if too_large else 400,
                        detail=self._message() if too_large else "Invalid Content-Length.",
                        slug="content-too-large" if too_large else "bad-request",
                        instance=scope["path"],
                    )
                    await response(scope, receive, send)
                    return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # An HTTPException, because body parsing turns any other error into a 400.
                    raise HTTPException(413, detail=self._message())
            return message

        await self.app(scope, counting_receive, send)
