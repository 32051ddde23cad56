"""Where the CLI's database comes from, and the one-line errors when it cannot be reached."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

import asyncpg

from shared.db import libpq_url
from shared.embedded import EmbeddedPostgres, data_dir
from shared.settings import Settings


class CommandError(Exception):
    """A failure the user can fix, shown as one line without a traceback."""


def describe(url: str) -> str:
    parts = urlsplit(url)
    if parts.hostname:
        return f"{parts.hostname}:{parts.port or 5432}{parts.path}"
    socket_dir = dict(parse_qsl(parts.query)).get("host", "a local socket")
    return f"{socket_dir}{parts.path} (embedded PostgreSQL)"


async def _check(url: str) -> None:
    connection = await asyncpg.connect(libpq_url(url), timeout=5)
    await connection.close()


def check_reachable(url: str) -> None:
    try:
        asyncio.run(_check(url))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CommandError(f"cannot reach the database at {describe(url)}: {reason}") from exc


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """DATABASE_URL when set, else the embedded server, held for the block's duration."""
    if settings.database_url is not None:
        check_reachable(settings.database_url)
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(data_dir(settings))
    try:
        url = embedded.start()
    except Exception as exc:
        raise CommandError(f"cannot start the embedded PostgreSQL: {exc}") from exc
    try:
        yield url
    finally:
        embedded.stop()
