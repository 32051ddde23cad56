"""Every link the API hands out is absolute on the public address (`MAGNET_PUBLIC_URL`).

Clients only ever reach the gateway (or a proxy in front of it), never a service's own
address, and a harvester or a calendar app may read a document with no base to resolve a
relative link against. Documents (JSON-LD, Atom, iCalendar, dashboards) build their links
with `public_link`. Headers are written as paths (`Location: /api/v1/...`, pagination's
`Link`) and `PublicLinksMiddleware`, which every app runs, puts them on the public
address; it does the same to a link on the address the request came in on, which is what
Starlette writes into its trailing-slash redirects: behind the gateway, a service's own.
"""

from __future__ import annotations

import re

from fastapi import Request
from starlette.datastructures import URL
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.settings import Settings

_LINK_TARGET = re.compile(r"<([^>]*)>")


def public_link(settings: Settings, path: str) -> str:
    """`path` (from `/`, with its query if any) on the public address."""
    return settings.public_base_url + path


def request_link(request: Request, path: str) -> str:
    """`public_link` with the settings of the app serving `request`."""
    settings: Settings = request.app.state.settings
    return public_link(settings, path)


class PublicLinksMiddleware:
    """Puts the targets of `Location` and `Link` headers on the public address."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self.base_url = base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_public(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._public_headers(scope, message["headers"])
            await send(message)

        await self.app(scope, receive, send_public)

    def _public_headers(
        self, scope: Scope, headers: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        if not any(name in (b"location", b"link") for name, _ in headers):
            return headers
        url = URL(scope=scope)
        origin = f"{url.scheme}://{url.netloc}"

        def public(target: str) -> str:
            if target.startswith("/") and not target.startswith("//"):
                return self.base_url + target
            if target == origin or target.startswith((origin + "/", origin + "?")):
                return self.base_url + target.removeprefix(origin)
            return target

        rewritten = []
        for name, value in headers:
            if name == b"location":
                value = public(value.decode("latin-1")).encode("latin-1")
            elif name == b"link":
                text = _LINK_TARGET.sub(
                    lambda m: f"<{public(m.group(1))}>", value.decode("latin-1")
                )
                value = text.encode("latin-1")
            rewritten.append((name, value))
        return rewritten
