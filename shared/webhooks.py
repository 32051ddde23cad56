"""Webhook deliveries as Standard Webhooks v1 specifies them, and the targets we refuse.

A delivery is a POST of the payload as JSON with three headers: `webhook-id` (the outbox
message id, the same on every retry), `webhook-timestamp` (seconds, of this attempt) and
`webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` keyed by the
base64-decoded part of the `whsec_` secret). 2xx is delivered; 410 Gone means the receiver
wants no more (the endpoint is disabled); other answers and network errors are retried.

Outside the local and test environments a target must resolve only to public addresses,
checked when the endpoint is registered and again at every delivery (DNS may change).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from shared.outbox import Outcome, Result

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
USER_AGENT = "MAGNET-Webhooks/1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def refused_target(url: str, *, allow_private: bool) -> str | None:
    """Why `url` may not receive deliveries, or None when it may."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "the URL must be http:// or https:// with a host"
    if parts.username or parts.password:
        return "the URL must not carry credentials"
    if allow_private:
        return None
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, parts.port or 443, type=socket.SOCK_STREAM
        )
    except OSError:
        return f"the host {parts.hostname} does not resolve"
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or not all(_public(address) for address in addresses):
        return "the host resolves to a private, loopback or reserved address"
    return None


async def deliver(
    client: httpx.AsyncClient,
    *,
    url: str,
    secret: str,
    message_id: str,
    payload: dict[str, Any],
    allow_private: bool,
) -> Result:
    if reason := await refused_target(url, allow_private=allow_private):
        return Result(Outcome.FAILED, None, f"refused target: {reason}")
    body = encode(payload)
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }
    try:
        # Redirects are not followed: a redirect could lead to an address we refuse.
        response = await client.post(url, content=body, headers=headers, follow_redirects=False)
    except httpx.HTTPError as exc:
        return Result(Outcome.RETRY, None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return Result(Outcome.SENT, response.status_code)
    if response.status_code == 410:
        return Result(Outcome.FAILED, 410, "the receiver answered 410 Gone")
    return Result(Outcome.RETRY, response.status_code, f"HTTP {response.status_code}")
