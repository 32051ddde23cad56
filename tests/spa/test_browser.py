"""The reference SPA (`examples/spa`) in Debian's chromium, against the real stack.

The SPA is built with the stack's gateway URL, served from a static server of its own origin
(CORS allows exactly that origin), and driven by `journey.mjs` through playwright-core, which
drives the machine's chromium and downloads no browser. Each page's screenshot is kept in
`tests/spa/artifacts/` (gitignored).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cli.data import seed_all
from cli.openapi import npm_install
from shared.migrate import migrate_all
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET, make_settings
from tests.stack import start_stack

pytestmark = pytest.mark.slow
HERE = Path(__file__).resolve().parent
SPA = HERE.parents[1] / "examples" / "spa"
ARTIFACTS = HERE / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spa-dist")


@pytest.fixture(scope="module")
def spa_origin(dist: Path) -> Iterator[str]:
    """A static server for the built SPA, started before the build so its origin is known."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=dist))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, f"{name} is needed (Node.js 20)"
    return path


def build(api_url: str, dist: Path) -> None:
    npm_install(SPA)
    env = {**os.environ, "VITE_API_URL": api_url}
    result = subprocess.run(
        [tool("npm"), "run", "build", "--", "--outDir", str(dist), "--emptyOutDir"],
        cwd=SPA,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def journey(spa_url: str, date: dt.date) -> dict[str, object]:
    npm_install(HERE)
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    result = subprocess.run(
        [tool("node"), str(HERE / "journey.mjs"), spa_url, str(ARTIFACTS), date.isoformat()],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    shown: dict[str, object] = json.loads(result.stdout)
    return shown


def next_wednesday() -> dt.date:
    today = dt.date.today()
    return today + dt.timedelta(days=(2 - today.weekday()) % 7 or 7)


def test_a_visitor_searches_registers_cancels_and_browses(
    fresh_database: str, spa_origin: str, dist: Path
) -> None:
    assert CHROMIUM.exists(), "install Debian's chromium (./magnet test does, as root)"
    # The demo data as a newcomer meets it, not events other tests filled meanwhile.
    migrate_all(fresh_database)
    asyncio.run(seed_all(fresh_database, make_settings(fresh_database)))
    day = next_wednesday()
    with start_stack(
        fresh_database,
        secret_key=TEST_SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        cors_origins=spa_origin,
    ) as stack:
        build(stack.gateway_url, dist)
        shown = journey(f"{spa_origin}/", day)
    where = f"screenshots of each page: {ARTIFACTS}"
    assert "error" not in shown, f"{shown['error']}\n{shown.get('failures')}\n{where}"
    assert shown["failures"] == [], where  # no script error, no request the browser refused
    pages = {step: str(text) for step, text in shown.items()}
    assert "Results:" in pages["catalog-en"] and "Results: 0" not in pages["catalog-en"], where
    assert "Challenge" in pages["catalog-en"] and "housing (" in pages["catalog-en"], where
    assert "Zadetki:" in pages["catalog-sl"] and "Zadetki: 0" not in pages["catalog-sl"], where
    assert "· story" in pages["catalog-facet"] and "· method" not in pages["catalog-facet"], where
    assert "Izziv" in pages["catalog-sl"], where
    assert "Izziv:" in pages["entry"], where
    assert "Stanje: potrjena" in pages["event"], where
    seats = re.compile(r"Prostih mest: (\d+) / \d+")
    before = seats.search(pages["seats-before"])
    after = seats.search(pages["event"])
    assert before and after and int(after[1]) == int(before[1]) - 1, where
    assert len(pages["token"]) >= 20 and pages["token"] in pages["event"], where
    assert "Ana Novak <ana.novak@example.org>" in pages["manage-read"], where
    assert "Stanje: potrjena" in pages["manage-read"], where
    assert "Stanje: odjavljena" in pages["manage-cancelled"], where
    assert "Prosto" in pages["availability"] and day.isoformat() in pages["availability"], where
    assert "Varaždin (HR)" in pages["dashboard"] and "Načrti" in pages["dashboard"], where
    screenshots = sorted(path.stem for path in ARTIFACTS.glob("*.png"))
    assert screenshots == sorted(set(pages) - {"token", "failures", "seats-before"}), where
