"""The client generators the tests run, installed on first use at pinned versions.

npm tools come from `package-lock.json` files (`npm ci`), the Python generator from
`python-client.txt` into its own virtual environment (its pins differ from ours); both are
cached in gitignored folders and reinstalled only when the pins change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from cli.openapi import npm_install

HERE = Path(__file__).resolve().parent
PYTHON_TOOLS = HERE / ".venv"
PYTHON_PINS = HERE / "python-client.txt"


def python_tools() -> Path:
    """The `bin` folder of a virtual environment with openapi-python-client in it."""
    wanted = hashlib.sha256(PYTHON_PINS.read_bytes()).hexdigest()
    marker = PYTHON_TOOLS / ".magnet-installed"
    if not (marker.exists() and marker.read_text() == wanted):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PYTHON_TOOLS)], check=True)
        pip = [str(PYTHON_TOOLS / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--disable-pip-version-check", "-r", str(PYTHON_PINS)], check=True)
        marker.write_text(wanted)
    return PYTHON_TOOLS / "bin"


def node_tool(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run one of the npm tools pinned in `package.json` here."""
    npm_install(HERE)
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    return subprocess.run(
        [str(HERE / "node_modules" / ".bin" / name), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
    )
