"""Debian's PgBouncer in transaction mode in front of the test server, for the PgBouncer tier.

`MAGNET_TEST_PGBOUNCER=1 pytest …` (what `./magnet test` runs as its second pass) starts one
for the session; every service the tests run (in process or as `magnet serve`) then reaches
the database through it with `MAGNET_DB_PGBOUNCER=true`, while the tests' own checks of the
database connect straight to the server, as an operator's `psql` would.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.ports import free_port

ENABLED = os.environ.get("MAGNET_TEST_PGBOUNCER", "") not in ("", "0", "false")
_running: dict[str, int] = {}  # "port" while one runs


def served_url(url: str) -> str:
    """The URL the services use: through the bouncer while one runs, else `url` itself."""
    port = _running.get("port")
    return url if port is None else bouncer_url(url, port)


def bouncer_url(url: str, port: int) -> str:
    """`url`'s database and user, through the bouncer on `port`."""
    parts = urlsplit(url)
    user = parts.username or "postgres"
    return urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{port}"))


def through_pgbouncer() -> bool:
    return "port" in _running


def _config(directory: Path, server_url: str, port: int, pool_size: int) -> Path:
    server = urlsplit(server_url)
    user = server.username or "postgres"
    (directory / "users.txt").write_text(f'"{user}" ""\n')
    config = directory / "pgbouncer.ini"
    config.write_text(
        "\n".join(
            [
                "[databases]",
                f"* = host={server.hostname or '127.0.0.1'} port={server.port or 5432}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {directory / 'users.txt'}",
                "pool_mode = transaction",
                f"default_pool_size = {pool_size}",
                "max_client_conn = 1000",
                "query_wait_timeout = 60",
                "",
            ]
        )
    )
    for path in (directory, *directory.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return config


def _binary() -> str:
    return shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def installed() -> bool:
    return Path(_binary()).exists()


@contextmanager
def pgbouncer(server_url: str, *, pool_size: int = 20, tier: bool = True) -> Iterator[int]:
    """A PgBouncer in transaction mode on a free port; its port."""
    binary = _binary()
    if not installed():
        raise RuntimeError("pgbouncer is not installed (apt-get install -y pgbouncer)")
    directory = Path(tempfile.mkdtemp(prefix="magnet-pgbouncer-"))
    port = free_port()
    config = _config(directory, server_url, port, pool_size)
    # PgBouncer refuses to run as root; as root it switches to PostgreSQL's user.
    switch = ["-u", _unprivileged_user()] if os.geteuid() == 0 else []
    with (directory / "pgbouncer.log").open("wb") as log:
        process = subprocess.Popen([binary, *switch, str(config)], stdout=log, stderr=log)
    try:
        _wait_listening(port, process, directory / "pgbouncer.log")
        if tier:
            _running["port"] = port
        yield port
    finally:
        if tier:
            _running.pop("port", None)
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("no unprivileged user to run pgbouncer as")


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {log.read_text(errors='replace')[-2000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError("pgbouncer did not listen in time")
