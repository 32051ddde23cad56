"""The `magnet` command as users run it: the whole stack up and down, and ops commands."""

from __future__ import annotations

import asyncio
import json
import mailbox
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from cli.data import seed_all
from cli.up import STACK as UP_STACK
from shared.migrate import migrate_all
from tests.conftest import TEST_SECRET, make_settings
from tests.ports import free_port
from tests.stack import stack_env

pytestmark = pytest.mark.slow
MAGNET = [sys.executable, "-m", "cli"]


@pytest.fixture
def embedded_data_dir() -> Iterator[Path]:
    """Outside pytest's private temp tree: as root the server runs as another user, and
    pytest keeps its temp root closed to others (another pytest run may close it again)."""
    path = Path(tempfile.mkdtemp(prefix="magnet-embedded-test-"))
    try:
        yield path / "data"
    finally:
        shutil.rmtree(path, ignore_errors=True)


def start_up(env: dict[str, str], gateway_port: int | None, log: Path) -> subprocess.Popen[bytes]:
    """`magnet up`, with `--port` unless None (then the environment says where)."""
    port = [] if gateway_port is None else ["--port", str(gateway_port)]
    # Output goes to a file: a pipe nobody reads while the stack runs could fill and block it.
    with log.open("wb") as output:
        return subprocess.Popen(
            [*MAGNET, "up", *port], env=env, stdout=output, stderr=subprocess.STDOUT
        )


def wait_for_gateway(
    process: subprocess.Popen[bytes],
    port: int,
    log: Path,
    timeout: float = 90,
    host: str = "127.0.0.1",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"magnet up exited with {process.returncode}:\n{log.read_text()}")
        try:
            ready = httpx.get(f"http://{host}:{port}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            ready = False
        # Up as a person sees it: the gateway answers and `magnet up` has said so.
        if ready and "MAGNET is up" in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the stack did not become ready")


def descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def assert_all_gone(processes: list[psutil.Process], timeout: float = 10) -> None:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    assert not alive, f"still running: {[p.cmdline() for p in alive]}"


def up_env(database_url: str | None, data_dir: Path | None = None) -> tuple[dict[str, str], int]:
    # A free port for every process `magnet up` starts, the worker included.
    ports = {name: free_port() for name in UP_STACK}
    env = stack_env(database_url, ports, secret_key=TEST_SECRET)
    env["MAGNET_LOG_JSON"] = "false"
    if data_dir is not None:
        env["MAGNET_DATA_DIR"] = str(data_dir)
    return env, ports["gateway"]


class TestMagnetUp:
    def test_brings_the_stack_up_and_stops_it_cleanly_on_sigterm(
        self, fresh_database: str, tmp_path: Path
    ) -> None:
        env, port = up_env(fresh_database)
        log = tmp_path / "up.log"
        process = start_up(env, port, log)
        wait_for_gateway(process, port, log)
        children = descendants(process.pid)

        cities = httpx.get(f"http://127.0.0.1:{port}/api/v1/transfer/cities", timeout=5)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        output = log.read_text()

        assert cities.status_code == 200
        assert {c["code"] for c in cities.json()["items"]} == {"varazdin", "kosice", "nardo"}
        assert len(children) >= len(UP_STACK)
        assert process.returncode == 0, output
        assert "Stopped." in output
        assert_all_gone(children)

    def test_mail_lands_in_the_maildir_it_names_on_a_server_database(
        self, fresh_database: str, tmp_path: Path
    ) -> None:
        # No SMTP server, a server database: nothing but the Maildir makes the data directory.
        data_dir = tmp_path / "not-made-yet"
        env, port = up_env(fresh_database, data_dir=data_dir)
        log = tmp_path / "up.log"
        process = start_up(env, port, log)
        try:
            wait_for_gateway(process, port, log)
            maildir = data_dir / "mail"
            assert f"the Maildir {maildir}" in log.read_text()
            api = f"http://127.0.0.1:{port}/api/v1/participation"
            events = httpx.get(f"{api}/events", params={"limit": 100}, timeout=10).json()
            address = "maildir.reader@example.org"
            person = {"name": "Ana Novak", "email": address, "consent": True}
            for event in events["items"]:  # the first demo event still taking registrations
                registered = httpx.post(
                    f"{api}/events/{event['id']}/registrations", json=person, timeout=10
                )
                if registered.status_code != 409:
                    break
            assert registered.status_code == 201, registered.text
            deadline = time.monotonic() + 30
            while not (maildir / "new").is_dir() or not list((maildir / "new").iterdir()):
                assert time.monotonic() < deadline, f"no mail in {maildir}:\n{log.read_text()}"
                time.sleep(0.2)
            [message] = mailbox.Maildir(maildir, create=False)
            assert message["To"] == address
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

    def test_runs_on_the_embedded_database_and_stops_it_too(
        self, tmp_path: Path, embedded_data_dir: Path
    ) -> None:
        env, port = up_env(None, data_dir=embedded_data_dir)
        env["MAGNET_LOG_JSON"] = "true"  # the start-up table as one record, read below
        log = tmp_path / "up.log"
        process = start_up(env, port, log)
        wait_for_gateway(process, port, log)
        postgres = [
            p
            for p in psutil.process_iter(["cmdline"])
            if str(embedded_data_dir) in " ".join(p.info["cmdline"] or [])
        ]

        hubs = httpx.get(f"http://127.0.0.1:{port}/api/v1/participation/hubs", timeout=5)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        output = log.read_text()

        up = next(r for r in map(json.loads, output.splitlines()) if r["event"] == "MAGNET is up")
        assert up["database"] == f"embedded PostgreSQL, data in {embedded_data_dir / 'pgdata'}"
        assert (embedded_data_dir / "pgdata" / "PG_VERSION").is_file()
        assert hubs.status_code == 200
        assert len(hubs.json()["items"]) == 2
        assert postgres, "an embedded PostgreSQL ran from the data directory"
        assert process.returncode == 0, output
        assert_all_gone(postgres)

    def test_a_killed_supervisor_takes_its_services_with_it(
        self, fresh_database: str, tmp_path: Path
    ) -> None:
        env, port = up_env(fresh_database)
        log = tmp_path / "up.log"
        process = start_up(env, port, log)
        wait_for_gateway(process, port, log)
        children = descendants(process.pid)

        process.kill()
        process.wait(timeout=10)

        assert_all_gone(children)

    def test_the_environment_says_where_without_options(
        self, fresh_database: str, tmp_path: Path
    ) -> None:
        env, port = up_env(fresh_database)  # MAGNET_GATEWAY_PORT is set to a free port
        env["MAGNET_HOST"] = "127.0.0.2"  # another loopback address: where it listens tells
        log = tmp_path / "up.log"
        process = start_up(env, None, log)
        try:
            wait_for_gateway(process, port, log, host="127.0.0.2")
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            cities = httpx.get(f"http://127.0.0.2:{port}/api/v1/transfer/cities", timeout=5)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

        assert cities.status_code == 200
        assert f"http://127.0.0.2:{port}/docs" in log.read_text()

    def test_a_killed_service_is_started_again_and_the_others_keep_serving(
        self, fresh_database: str, tmp_path: Path
    ) -> None:
        env, port = up_env(fresh_database)
        log = tmp_path / "up.log"
        process = start_up(env, port, log)
        try:
            wait_for_gateway(process, port, log)
            before = {" ".join(p.cmdline()): p.pid for p in psutil.Process(process.pid).children()}
            catalog = next(pid for cmd, pid in before.items() if "serve catalog" in cmd)
            os.kill(catalog, signal.SIGKILL)
            replaced = wait_until_replaced(process.pid, "serve catalog", catalog)
            stories = wait_for_200(f"http://127.0.0.1:{port}/api/v1/catalog/entries")
            after = {" ".join(p.cmdline()): p.pid for p in psutil.Process(process.pid).children()}
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        output = log.read_text()

        assert replaced != catalog
        assert stories.status_code == 200
        assert {cmd: pid for cmd, pid in after.items() if "catalog" not in cmd} == {
            cmd: pid for cmd, pid in before.items() if "catalog" not in cmd
        }
        assert "the catalog exited with code -9" in output
        assert "catalog started again" in output
        assert process.returncode == 0, output

    def test_a_port_in_use_is_a_one_line_error(self, fresh_database: str) -> None:
        env, port = up_env(fresh_database)
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", port))
            taken.listen()
            result = subprocess.run(
                [*MAGNET, "up", "--port", str(port)],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
        assert result.returncode == 1
        assert f"port {port}" in result.stderr
        assert "in use" in result.stderr
        assert "Traceback" not in result.stderr


def wait_until_replaced(supervisor: int, command: str, old: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in psutil.Process(supervisor).children():
            if child.pid == old:
                continue  # killed, and a zombie until the supervisor reaps it
            try:
                if command in " ".join(child.cmdline()):
                    return child.pid
            except psutil.Error:  # a child that ended meanwhile
                continue
        time.sleep(0.2)
    raise AssertionError(f"{command} was not started again")


def wait_for_200(url: str, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(url, timeout=5)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


class TestOpsCommands:
    def run(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*MAGNET, *args], env=env, capture_output=True, text=True, timeout=60)

    def test_a_bad_database_url_is_a_one_line_error(self) -> None:
        env = {**os.environ, "DATABASE_URL": "mysql://root@localhost/db"}
        result = self.run("migrate", env=env)
        assert result.returncode == 2
        assert "DATABASE_URL: must be a postgresql:// URL" in result.stderr
        assert result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr

    def test_an_unreachable_database_is_a_one_line_error(self) -> None:
        env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/x"}
        result = self.run("migrate", env=env)
        assert result.returncode == 1
        assert "cannot reach the database at 127.0.0.1" in result.stderr
        assert "Traceback" not in result.stderr

    def test_the_default_secret_is_refused_in_production(self, database_url: str) -> None:
        env = {**os.environ, "DATABASE_URL": database_url, "MAGNET_ENVIRONMENT": "production"}
        env.pop("MAGNET_SECRET_KEY", None)
        result = self.run("migrate", env=env)
        assert result.returncode == 2
        assert "MAGNET_SECRET_KEY" in result.stderr

    def test_create_user_and_api_key(self, database_url: str) -> None:
        env = {**os.environ, "DATABASE_URL": database_url, "MAGNET_SECRET_KEY": TEST_SECRET}
        email = f"cli-{uuid.uuid4().hex[:8]}@magnet-celje.si"

        user = self.run(
            "create-user",
            "--email",
            email,
            "--role",
            "partner",
            "--city",
            "kosice",
            "--password",
            "a-long-enough-password",
            env=env,
        )
        unknown_city = self.run(
            "create-user",
            "--email",
            f"x{email}",
            "--role",
            "partner",
            "--city",
            "atlantis",
            "--password",
            "a-long-enough-password",
            env=env,
        )
        key = self.run("create-api-key", "--city", "nardo", "--name", "Nardò ERP", env=env)

        assert user.returncode == 0, user.stderr
        assert email in user.stderr
        assert unknown_city.returncode == 1
        assert "atlantis" in unknown_city.stderr
        assert key.returncode == 0, key.stderr
        assert key.stdout.startswith("mgk_")


class TestMigrationsAndSeeds:
    def test_seeding_again_changes_nothing(self, database_url: str) -> None:
        report = asyncio.run(seed_all(database_url, make_settings(database_url)))
        assert report.added == {"catalog": 0, "participation": 0, "transfer": 0, "identity": 0}

    def test_migrating_again_is_a_no_op(self, database_url: str) -> None:
        migrate_all(database_url)
