"""The public OpenAPI document built in this process, and the TypeScript SDK made from it.

The gateway merges the services' documents over HTTP at run time; here every app is built
in process (no database, no network), so the document is the same on every machine and the
committed SDK can be checked against it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from services.catalog.app import create_app as catalog
from services.gateway.app import create_app as gateway
from services.gateway.openapi import merge_documents
from services.participation.app import create_app as participation
from services.transfer.app import create_app as transfer
from shared.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SDK_DIR = ROOT / "clients" / "typescript"
# Where `./magnet up` answers; clients set their own base URL.
DEFAULT_SERVER = "http://localhost:8000"


def merged_document(settings: Settings, server: str = DEFAULT_SERVER) -> dict[str, Any]:
    services = {
        "catalog": catalog(settings).openapi(),
        "participation": participation(settings).openapi(),
        "transfer": transfer(settings).openapi(),
    }
    return merge_documents(gateway(settings).openapi(), services, server)


def document_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def npm_install(directory: Path) -> None:
    """`npm ci` once per `package-lock.json` (a marker in `node_modules` remembers it)."""
    lock = (directory / "package-lock.json").read_bytes()
    marker = directory / "node_modules" / ".magnet-installed"
    if marker.exists() and marker.read_bytes() == lock:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed (Node.js 20.19 or newer)")
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(command, cwd=directory, check=True, stdout=subprocess.DEVNULL)
    marker.write_bytes(lock)


def generate_sdk(document: dict[str, Any], output: Path, sdk_dir: Path = SDK_DIR) -> None:
    """Write the document and the SDK generated from it (`src/`) under `output`."""
    npm_install(sdk_dir)
    output.mkdir(parents=True, exist_ok=True)
    spec = output / "openapi.json"
    spec.write_text(document_text(document), encoding="utf-8")
    generated = output / "src"
    shutil.rmtree(generated, ignore_errors=True)
    subprocess.run(
        [
            str(sdk_dir / "node_modules" / ".bin" / "openapi-ts"),
            "--input",
            str(spec),
            "--output",
            str(generated),
            "--client",
            "@hey-api/client-fetch",
            "--no-log-file",
            "--silent",
        ],
        cwd=sdk_dir,
        check=True,
        stdout=subprocess.DEVNULL,
    )
