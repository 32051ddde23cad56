"""One title per problem type across the platform, and 400 for a body that is not JSON."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

import services.catalog.app
import services.gateway.app
import services.participation.app
import services.transfer.app  # noqa: F401 - every Problem subclass is defined
from shared.problems import PROBLEM_TITLES, Problem, problem_type

ROOT = Path(__file__).resolve().parent.parent
SLUG_LINE = re.compile(r"\bslug\s*=\s*(.+)$")
SLUG = re.compile(r'"([a-z]+(?:-[a-z]+)*)"')


def subclasses(cls: type[Problem]) -> list[type[Problem]]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *subclasses(direct))]


def test_every_slug_in_the_code_has_its_one_title() -> None:
    found: dict[str, str] = {}
    for folder in ("services", "shared", "cli"):
        for path in (ROOT / folder).rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                if match := SLUG_LINE.search(line):
                    for slug in SLUG.findall(match[1]):
                        found[slug] = f"{path.relative_to(ROOT)}: {line.strip()}"
    assert len(found) >= 15
    for slug, where in found.items():
        assert slug in PROBLEM_TITLES, where


def test_every_problem_class_answers_its_types_title() -> None:
    classes = subclasses(Problem)
    assert len(classes) >= 14
    for cls in classes:
        assert cls.default_title() == PROBLEM_TITLES[cls.slug], cls
        assert cls("x", title="Something else").title == PROBLEM_TITLES[cls.slug], cls


@pytest.mark.slow
class TestLiveAnswers:
    async def test_each_type_comes_with_one_title(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        json_headers = {**admin, "Content-Type": "application/json"}
        event = (await gateway.get("/api/v1/participation/events")).json()["items"][0]
        answers = [
            await gateway.get("/api/v1/nowhere"),
            await gateway.get("/api/v1/catalog/nowhere"),
            await gateway.put("/api/v1/transfer/cities"),
            await gateway.get("/api/v1/transfer/cities/atlantis"),
            await gateway.get("/api/v1/auth/me", headers={"Authorization": "Bearer nonsense"}),
            await gateway.get("/api/v1/auth/me"),
            await gateway.post("/api/v1/catalog/entries", json={"kind": "x"}, headers=admin),
            await gateway.post("/api/v1/participation/labs", json={}, headers=admin),
            await gateway.post("/api/v1/transfer/cities/varazdin/plans", json={}, headers=admin),
            await gateway.post("/api/v1/catalog/entries", content=b"{", headers=json_headers),
            await gateway.patch(
                f"/api/v1/participation/events/{event['id']}", json={}, headers=admin
            ),
            await gateway.patch(
                f"/api/v1/participation/events/{event['id']}",
                content=b"x",
                headers={**admin, "Content-Type": "text/plain", "If-Match": '"v1"'},
            ),
            await gateway.post("/api/v1/auth/token", data={"username": "a", "password": "b"}),
        ]
        titles: dict[str, set[str]] = {}
        for answer in answers:
            assert answer.headers["content-type"] == "application/problem+json", answer.text
            body = answer.json()
            titles.setdefault(body["type"], set()).add(body["title"])
        assert len(titles) >= 7
        for kind, seen in titles.items():
            slug = kind.removeprefix("urn:magnet:problem:")
            assert kind == problem_type(slug)
            assert seen == {PROBLEM_TITLES[slug]}, kind

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/catalog/entries",
            "/api/v1/participation/events",
            "/api/v1/participation/labs",
            "/api/v1/participation/bookings",
            "/api/v1/transfer/cities/varazdin/plans",
            "/api/v1/transfer/cities/varazdin/sync",
            "/api/v1/auth/users",
            "/api/v1/auth/api-keys",
        ],
    )
    async def test_a_post_whose_body_is_not_json_is_a_400(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], path: str
    ) -> None:
        headers = {**admin, "Content-Type": "application/json"}
        response = await gateway.post(path, content=b'{"title": ', headers=headers)

        assert response.status_code == 400, response.text
        assert response.json()["type"] == "urn:magnet:problem:bad-request"
