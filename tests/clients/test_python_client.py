"""openapi-python-client makes a client of `/openapi.json` without a warning, and that
client reads the real stack's answers into its models (not None)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.clients.tools import HERE, python_tools
from tests.stack import Stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def generated(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    tools = python_tools()
    work = tmp_path_factory.mktemp("python-client")
    spec = work / "openapi.json"
    spec.write_bytes(httpx.get(f"{stack.gateway_url}/openapi.json").content)
    result = subprocess.run(
        [
            str(tools / "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(work / "magnet_client"),
            "--meta",
            "none",
            "--config",
            str(HERE / "python-client.yaml"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"},
        cwd=work,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return work, result.stdout + result.stderr


def test_the_client_is_generated_without_warnings(generated: tuple[Path, str]) -> None:
    work, output = generated
    assert "Warning" not in output and "WARNING" not in output, output
    models = {path.stem for path in (work / "magnet_client" / "models").glob("*.py")}
    assert {"event", "city", "plan", "milestone", "indicator", "dashboard_event"} <= models


def test_the_client_parses_live_answers(stack: Stack, generated: tuple[Path, str]) -> None:
    work, _ = generated
    result = subprocess.run(
        [
            str(python_tools() / "python"),
            str(HERE / "python_client_check.py"),
            stack.gateway_url,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(work)},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "events": "EventPage",
        "event": "Event",
        "event_get": "Event",
        "entries": "EntryPage",
        "cities": "CityPage",
        "city": "City",
        "plans": "PlanPage",
        "plan": "Plan",
        "milestones": "MilestonePage",
        "milestone": "Milestone",
        "indicators": "IndicatorPage",
        "indicator": "Indicator",
    }
