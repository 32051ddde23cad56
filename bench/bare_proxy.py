"""The floor for the gateway bench: a Python proxy that does nothing but forward.

A plain ASGI app on the gateway's own upstream client (`services.gateway.http1.Pool`),
without request ids, metrics, edge headers, limits, CORS, key exchange, breaker or
retries. What it costs per request is what any Python proxy on uvicorn pays here before
doing any of the gateway's work. Not for use: it drops hop-by-hop headers and that is all.

    BARE_PROXY_UPSTREAM=http://127.0.0.1:8003 uvicorn bench.bare_proxy:app --no-access-log
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from starlette.types import Receive, Scope, Send

from services.gateway.http1 import Pool

_HOP_BY_HOP = {b"host", b"connection", b"keep-alive", b"transfer-encoding", b"te", b"upgrade"}
_upstream = urlsplit(os.environ.get("BARE_PROXY_UPSTREAM", "http://127.0.0.1:8003"))
_pool: Pool | None = None


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    global _pool
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if _pool is None:
        host, port = _upstream.hostname or "127.0.0.1", _upstream.port or 80
        _pool = Pool(host, port, limit=256, connect_timeout=1.0)
    target = scope["raw_path"].decode("latin-1")
    if scope["query_string"]:
        target += "?" + scope["query_string"].decode("latin-1")
    headers = [(k, v) for k, v in scope["headers"] if k not in _HOP_BY_HOP]
    answer = await _pool.request(scope["method"], target, headers, read_timeout=5.0)
    body = await answer.read()
    out = [(k, v) for k, v in answer.headers if k not in _HOP_BY_HOP]
    await send({"type": "http.response.start", "status": answer.status, "headers": out})
    await send({"type": "http.response.body", "body": body})
