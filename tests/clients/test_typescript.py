"""TypeScript clients of the merged document: Redocly's recommended rules, openapi-typescript
types compiled with `tsc --strict` for an SPA's calls, and the committed SDK up to date."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cli.openapi import SDK_DIR, document_text, generate_sdk, merged_document
from shared.settings import Settings
from tests.clients.tools import HERE, node_tool

pytestmark = pytest.mark.slow
TSC_STRICT = (
    "--strict",
    "--noEmit",
    "--target",
    "es2022",
    "--module",
    "esnext",
    "--moduleResolution",
    "bundler",
    "--lib",
    "es2022,dom,dom.iterable",
)


@pytest.fixture(scope="module")
def spec(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "openapi.json"
    path.write_text(document_text(merged_document(settings)), encoding="utf-8")
    return path


def test_redocly_recommended_rules_find_no_error(spec: Path) -> None:
    result = node_tool(
        "redocly", "lint", "--extends=recommended", "--format=json", str(spec), cwd=spec.parent
    )
    report: dict[str, Any] = json.loads(result.stdout)
    errors = [problem for problem in report["problems"] if problem["severity"] == "error"]
    assert report["totals"]["errors"] == 0, errors
    assert result.returncode == 0, result.stderr


def test_openapi_typescript_types_compile_for_an_spas_calls(spec: Path) -> None:
    work = spec.parent
    generated = node_tool("openapi-typescript", str(spec), "-o", str(work / "openapi.ts"), cwd=work)
    assert generated.returncode == 0, generated.stderr
    shutil.copy(HERE / "spa.ts", work / "spa.ts")

    compiled = node_tool("tsc", *TSC_STRICT, "spa.ts", "openapi.ts", cwd=work)

    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


def differences(left: Path, right: Path) -> list[str]:
    found: list[str] = []

    def walk(comparison: filecmp.dircmp[str], prefix: str) -> None:
        found.extend(f"{prefix}{name}" for name in comparison.left_only + comparison.right_only)
        found.extend(f"{prefix}{name}" for name in comparison.diff_files)
        for name, sub in comparison.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(left, right), "")
    return found


def test_the_committed_sdk_is_generated_from_the_current_document(
    settings: Settings, tmp_path: Path
) -> None:
    generate_sdk(merged_document(settings), tmp_path)

    assert filecmp.cmp(tmp_path / "openapi.json", SDK_DIR / "openapi.json", shallow=False), (
        "clients/typescript/openapi.json is stale: run `./magnet sdk` and commit"
    )
    assert differences(tmp_path / "src", SDK_DIR / "src") == [], (
        "clients/typescript/src is stale: run `./magnet sdk` and commit"
    )


def test_the_sdk_and_its_example_compile_strictly() -> None:
    compiled = node_tool("tsc", "-p", str(SDK_DIR / "tsconfig.json"), cwd=SDK_DIR)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
