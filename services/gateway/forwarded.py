"""Who the client is: the peer, unless the peer is a proxy the gateway was told to trust.

`X-Forwarded-For` is believed only from `MAGNET_TRUSTED_PROXIES` (CIDRs; none by default):
from anyone else it is a claim the client makes about itself, and believing it would let a
client pick the address that rate limits and login limits count. Behind trusted proxies
the client is the nearest address in the chain that is not one of them. The chain the
services receive holds what the trusted proxies said plus the peer (`scope["forwarded_for"]`);
without trusted proxies, the peer alone. Uvicorn's own forwarded-header handling is off for
the gateway (`magnet serve`), so this is the only place that decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.types import ASGIApp, Receive, Scope, Send

Network = IPv4Network | IPv6Network


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


class ForwardedForMiddleware:
    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    def _is_trusted(self, text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or client is None:
            await self.app(scope, receive, send)
            return
        peer = client[0]
        claimed = b", ".join(v for k, v in scope["headers"] if k == b"x-forwarded-for")
        if claimed and self._is_trusted(peer):
            chain = [hop.strip() for hop in claimed.decode("latin-1").split(",") if hop.strip()]
            # The nearest hop that is not a trusted proxy; all trusted → the farthest one.
            nearest = next((hop for hop in reversed(chain) if not self._is_trusted(hop)), None)
            found = _address(nearest or chain[0]) if chain else None
            if found is not None:
                scope = {
                    **scope,
                    "client": (str(found), 0),
                    "forwarded_for": f"{', '.join(chain)}, {peer}".encode("latin-1"),
                }
        await self.app(scope, receive, send)
