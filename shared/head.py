"""HEAD on every GET resource (RFC 9110 §9.1: general-purpose servers MUST support it).

FastAPI routes answer only the methods they declare, so a HEAD was a 405. This middleware
runs a HEAD as the GET it stands for and sends that answer's status and headers (the same
`Content-Length`, `ETag`, conditional 304) without the body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_EMPTY_BODY: Message = {"type": "http.response.body", "body": b""}


class HeadAsGetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_head(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not message.get("more_body", False):
                await send(_EMPTY_BODY)

        # A copy: the server checks the body it is sent against its own scope's method.
        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, send_head)
        finally:
            if "route" in as_get:  # for the metrics of the middlewares outside
                scope["route"] = as_get["route"]
