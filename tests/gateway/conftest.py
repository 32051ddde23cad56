"""Gateways in this process in front of the real services, some of them replaced by a
closed port (a service that is down) or a server that accepts and never answers (slow)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest

from services.gateway.app import create_app
from shared.settings import SERVICE_NAMES
from tests.conftest import asgi_client, make_settings
from tests.ports import free_port
from tests.stack import Stack

GatewayFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
async def silent_url() -> AsyncIterator[str]:
    """A server that accepts connections and never answers."""
    port = free_port()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # until the gateway lets go of the connection
        except (asyncio.CancelledError, ConnectionError):
            pass  # the loop closes at the end of the run
        finally:
            writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", port)
    yield f"http://127.0.0.1:{port}"
    server.close()


@pytest.fixture
def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def gateway_app(stack: Stack, database_url: str) -> GatewayFactory:
    """`gateway_app(catalog_url=..., **settings)`: an in-process gateway in front of the
    stack's services, with any of them replaced."""

    @asynccontextmanager
    async def build(**overrides: object) -> AsyncIterator[httpx.AsyncClient]:
        urls = {f"{name}_url": stack.url(name) for name in SERVICE_NAMES}
        settings = make_settings(database_url, **{**urls, **overrides})
        async with asgi_client(create_app(settings)) as client:
            yield client

    return build
