"""Layers point one way: `shared/` is the ground floor, the services stand on it, and what
composes them all (`cli/`) stands above the services."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("catalog", "participation", "transfer", "gateway")


def imported_modules(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path} imports {name}"
        for path, names in imported_modules(ROOT / folder).items()
        for name in sorted(names)
        if name.split(".")[0] in forbidden
    ]


def test_shared_imports_neither_services_nor_the_cli() -> None:
    assert offenders("shared", ("services", "cli")) == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service_and_not_the_cli(service: str) -> None:
    others = [f"services.{name}" for name in SERVICES if name != service]
    found = [
        f"{path} imports {name}"
        for path, names in imported_modules(ROOT / "services" / service).items()
        for name in sorted(names)
        if name.split(".")[0] == "cli" or any(name.startswith(other) for other in others)
    ]
    assert found == []
