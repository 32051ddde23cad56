"""Plans, milestones and the access rules of partner cities."""

from __future__ import annotations

import uuid

import httpx

from shared.auth import Role
from shared.settings import Settings
from tests.transfer.conftest import KNOWN_PRACTICES, Headers

BASE = "/api/v1/transfer/cities"


def plan_body(challenge: str = "housing", **extra: object) -> dict[str, object]:
    return {
        "challenge": challenge,
        "title": {"en": f"Transfer of {challenge}"},
        "stages": {
            "understand": {"start": "2026-01-01", "end": "2026-03-31"},
            "adapt": {"start": "2026-04-01", "end": "2026-09-30"},
            "reuse": {"start": "2026-10-01", "end": "2027-06-30"},
        },
        **extra,
    }


async def create_plan(
    api: httpx.AsyncClient, city: str, headers: dict[str, str], **extra: object
) -> dict[str, object]:
    response = await api.post(f"{BASE}/{city}/plans", json=plan_body(**extra), headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


class TestPlans:
    async def test_a_partner_creates_its_citys_plan_with_linked_practices(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str], settings: Settings
    ) -> None:
        practices = [str(KNOWN_PRACTICES[0]), str(KNOWN_PRACTICES[1])]
        response = await api.post(
            f"{BASE}/{city}/plans", json=plan_body(practice_ids=practices), headers=partner
        )

        assert response.status_code == 201, response.text
        plan = response.json()
        assert plan["city"] == city
        assert plan["practice_ids"] == practices
        assert plan["stages"]["adapt"] == {"start": "2026-04-01", "end": "2026-09-30"}
        assert plan["version"] == 1
        assert response.headers["location"] == (
            f"{settings.public_base_url}{BASE}/{city}/plans/{plan['id']}"
        )
        assert plan["progress"] == {
            "milestones": {"total": 0, "done": 0, "progress": None},
            "indicators": {"measured": 0, "progress": None},
            "overall": None,
        }
        listed = await api.get(f"{BASE}/{city}/plans")
        assert [item["id"] for item in listed.json()["items"]] == [plan["id"]]

    async def test_one_plan_per_adopted_challenge(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        await create_plan(api, city, partner)

        again = await api.post(f"{BASE}/{city}/plans", json=plan_body(), headers=partner)
        not_adopted = await api.post(
            f"{BASE}/{city}/plans", json=plan_body("energy-communities"), headers=partner
        )

        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert not_adopted.status_code == 422
        assert not_adopted.json()["errors"][0]["loc"] == ["body", "challenge"]
        assert len((await api.get(f"{BASE}/{city}/plans")).json()["items"]) == 1

    async def test_stages_must_follow_understand_adapt_reuse(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        body = plan_body()
        body["stages"] = {
            "understand": {"start": "2026-05-01"},
            "adapt": {"start": "2026-01-01"},
        }
        response = await api.post(f"{BASE}/{city}/plans", json=body, headers=partner)
        assert response.status_code == 422

    async def test_an_unknown_practice_is_a_422_and_nothing_is_saved(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        unknown = str(uuid.uuid4())
        response = await api.post(
            f"{BASE}/{city}/plans",
            json=plan_body(practice_ids=[str(KNOWN_PRACTICES[0]), unknown]),
            headers=partner,
        )

        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"loc": ["body", "practice_ids", 1], "msg": f"unknown catalog entry {unknown}"}
        ]
        assert (await api.get(f"{BASE}/{city}/plans")).json()["items"] == []

    async def test_a_catalog_that_cannot_answer_is_a_503_and_nothing_is_saved(
        self, catalog_down: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        response = await catalog_down.post(
            f"{BASE}/{city}/plans",
            json=plan_body(practice_ids=[str(KNOWN_PRACTICES[0])]),
            headers=partner,
        )

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert (await catalog_down.get(f"{BASE}/{city}/plans")).json()["items"] == []

    async def test_a_change_needs_the_current_etag(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        plan = await create_plan(api, city, partner)
        url = f"{BASE}/{city}/plans/{plan['id']}"
        patch = {"title": {"hr": "Prijenos"}, "practice_ids": [str(KNOWN_PRACTICES[2])]}

        missing = await api.patch(url, json=patch, headers=partner)
        stale = await api.patch(url, json=patch, headers={**partner, "If-Match": '"v9"'})
        done = await api.patch(
            url,
            content=b'{"title": {"hr": "Prijenos"}, "practice_ids": ["%s"]}'
            % str(KNOWN_PRACTICES[2]).encode(),
            headers={
                **partner,
                "If-Match": '"v1"',
                "Content-Type": "application/merge-patch+json",
            },
        )

        assert missing.status_code == 428
        assert stale.status_code == 412
        assert stale.headers["etag"] == '"v1"'
        assert done.status_code == 200, done.text
        assert done.json()["title"] == {"en": "Transfer of housing", "hr": "Prijenos"}
        assert done.json()["version"] == 2
        assert done.headers["etag"] == '"v2"'
        not_modified = await api.get(url, headers={"If-None-Match": '"v2"'})
        assert not_modified.status_code == 304


class TestMilestonesAndProgress:
    async def test_plan_progress_rolls_up_from_milestones_and_indicators(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        plan = await create_plan(api, city, partner)
        milestones = f"{BASE}/{city}/plans/{plan['id']}/milestones"
        for status in ("done", "in_progress", "dropped", "planned"):
            response = await api.post(
                milestones,
                json={"title": {"en": status}, "due": "2026-06-01", "status": status},
                headers=partner,
            )
            assert response.status_code == 201, response.text
        indicator = await api.post(
            f"{BASE}/{city}/plans/{plan['id']}/indicators",
            json={
                "code": "H1",
                "title": {"en": "Homes renovated"},
                "unit": "homes",
                "baseline": {"value": 10, "date": "2025-12-31"},
                "target": {"value": 50, "date": "2027-12-31"},
                "periods": [{"start": "2026-01-01", "end": "2026-06-30", "actual": 20}],
            },
            headers=partner,
        )
        assert indicator.status_code == 201, indicator.text
        assert indicator.json()["progress"] == 0.25

        progress = (await api.get(f"{BASE}/{city}/plans/{plan['id']}")).json()["progress"]

        # 1 of 3 milestones not dropped is done; the indicator is at 25 %.
        assert progress == {
            "milestones": {"total": 3, "done": 1, "progress": 0.3333},
            "indicators": {"measured": 1, "progress": 0.25},
            "overall": 0.2917,
        }
        listed = (await api.get(milestones)).json()["items"]
        assert sorted(item["status"] for item in listed) == [
            "done",
            "dropped",
            "in_progress",
            "planned",
        ]
        assert len(listed) == 4

    async def test_a_milestone_status_outside_the_list_is_a_422(
        self, api: httpx.AsyncClient, city: str, partner: dict[str, str]
    ) -> None:
        plan = await create_plan(api, city, partner)
        response = await api.post(
            f"{BASE}/{city}/plans/{plan['id']}/milestones",
            json={"title": {"en": "x"}, "due": "2026-06-01", "status": "finished"},
            headers=partner,
        )
        assert response.status_code == 422


class TestAccess:
    async def test_reads_are_public(self, api: httpx.AsyncClient, city: str) -> None:
        assert (await api.get(f"{BASE}/{city}/plans")).status_code == 200

    async def test_writes_need_a_credential(self, api: httpx.AsyncClient, city: str) -> None:
        response = await api.post(f"{BASE}/{city}/plans", json=plan_body())
        assert response.status_code == 401

    async def test_coordinators_and_admins_write_every_city(
        self, api: httpx.AsyncClient, city: str, as_role: Headers
    ) -> None:
        await create_plan(api, city, as_role(Role.COORDINATOR))
        await create_plan(api, city, as_role(Role.ADMIN), challenge="city-vibe")

    async def test_an_editor_writes_no_city(
        self, api: httpx.AsyncClient, city: str, as_role: Headers
    ) -> None:
        response = await api.post(
            f"{BASE}/{city}/plans", json=plan_body(), headers=as_role(Role.EDITOR)
        )
        assert response.status_code == 403

    async def test_a_partner_of_another_city_gets_403_on_every_write_and_nothing_changes(
        self,
        api: httpx.AsyncClient,
        city: str,
        other_city: str,
        partner: dict[str, str],
        as_role: Headers,
    ) -> None:
        plan = await create_plan(api, city, partner)
        plan_id = plan["id"]
        milestone = (
            await api.post(
                f"{BASE}/{city}/plans/{plan_id}/milestones",
                json={"title": {"en": "m"}, "due": "2026-06-01"},
                headers=partner,
            )
        ).json()
        indicator = (
            await api.post(
                f"{BASE}/{city}/plans/{plan_id}/indicators",
                json={"code": "X", "title": {"en": "x"}, "unit": "u"},
                headers=partner,
            )
        ).json()
        report = (
            await api.post(
                f"{BASE}/{city}/plans/{plan_id}/reports",
                json={
                    "period_start": "2026-01-01",
                    "period_end": "2026-06-30",
                    "narrative": {"en": "n"},
                },
                headers=partner,
            )
        ).json()
        stranger = {**as_role(Role.PARTNER, other_city), "If-Match": '"v1"'}
        writes = [
            ("POST", f"{BASE}/{city}/plans", plan_body("city-vibe")),
            ("PATCH", f"{BASE}/{city}/plans/{plan_id}", {"title": {"en": "x"}}),
            ("DELETE", f"{BASE}/{city}/plans/{plan_id}", None),
            (
                "POST",
                f"{BASE}/{city}/plans/{plan_id}/milestones",
                {"title": {"en": "m"}, "due": "2026-01-01"},
            ),
            ("PATCH", f"{BASE}/{city}/milestones/{milestone['id']}", {"status": "done"}),
            ("DELETE", f"{BASE}/{city}/milestones/{milestone['id']}", None),
            (
                "POST",
                f"{BASE}/{city}/plans/{plan_id}/indicators",
                {"code": "Y", "title": {"en": "y"}, "unit": "u"},
            ),
            ("PATCH", f"{BASE}/{city}/indicators/{indicator['id']}", {"unit": "v"}),
            (
                "POST",
                f"{BASE}/{city}/indicators/{indicator['id']}/periods",
                {"start": "2026-01-01", "end": "2026-02-01"},
            ),
            ("DELETE", f"{BASE}/{city}/indicators/{indicator['id']}", None),
            (
                "POST",
                f"{BASE}/{city}/plans/{plan_id}/reports",
                {
                    "period_start": "2026-01-01",
                    "period_end": "2026-02-01",
                    "narrative": {"en": "n"},
                },
            ),
            ("PATCH", f"{BASE}/{city}/reports/{report['id']}", {"narrative": {"en": "x"}}),
            ("POST", f"{BASE}/{city}/reports/{report['id']}/submit", None),
            ("POST", f"{BASE}/{city}/reports/{report['id']}/corrections", {}),
            ("POST", f"{BASE}/{city}/sync", {"plans": [{"external_id": "p", **plan_body()}]}),
        ]
        before = (await api.get(f"{BASE}/{city}/plans/{plan_id}")).json()

        for method, url, body in writes:
            response = await api.request(method, url, json=body, headers=stranger)
            assert response.status_code == 403, (method, url, response.text)
            assert response.headers["content-type"] == "application/problem+json"

        assert (await api.get(f"{BASE}/{city}/plans/{plan_id}")).json() == before
        assert len((await api.get(f"{BASE}/{city}/plans")).json()["items"]) == 1
        assert (await api.get(f"{BASE}/{city}/milestones/{milestone['id']}")).json() == milestone
        assert (await api.get(f"{BASE}/{city}/indicators/{indicator['id']}")).json() == indicator
        draft = await api.get(f"{BASE}/{city}/reports/{report['id']}", headers=partner)
        assert draft.json() == report
