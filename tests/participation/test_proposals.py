"""Residents' proposals in labs: writing, editing, the state machine, answers, revisions."""

from __future__ import annotations

import httpx

from shared.auth import Role
from shared.settings import Settings
from tests.participation.proposal_helpers import API, new_lab, propose, resident, staff


class TestProposing:
    async def test_a_resident_proposes_in_a_phase_of_the_lab(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        author = resident(settings, "Ana Kos")
        response = await participation.post(
            f"{API}/labs/{lab}/proposals",
            json={
                "title": {"sl": "Klopi v parku", "en": "Benches in the park"},
                "body": {"sl": "Več klopi ob Savinji."},
                "phase": "co-create",
            },
            headers=author,
        )

        assert response.status_code == 201, response.text
        proposal = response.json()
        assert response.headers["Location"].endswith(f"{API}/proposals/{proposal['id']}")
        assert response.headers["ETag"] == '"v1"'
        assert proposal["state"] == "published"
        assert proposal["phase"] == "co-create"
        assert proposal["author_name"] == "Ana Kos"
        assert proposal["mine"] is True
        assert proposal["supports"] == 0
        assert proposal["moderation"] is None
        public = (await participation.get(f"{API}/proposals/{proposal['id']}")).json()
        assert public["mine"] is False
        assert public["title"] == {"sl": "Klopi v parku", "en": "Benches in the park"}

    async def test_a_phase_the_lab_does_not_have_is_refused(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        response = await participation.post(
            f"{API}/labs/{lab}/proposals",
            json={"title": {"sl": "X"}, "body": {"sl": "Y"}, "phase": "no-such-phase"},
            headers=resident(settings),
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "phase"]
        listed = (await participation.get(f"{API}/labs/{lab}/proposals")).json()
        assert listed["items"] == []

    async def test_only_residents_propose(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        body = {"title": {"sl": "X"}, "body": {"sl": "Y"}}
        for role in (Role.EDITOR, Role.PARTNER, Role.COORDINATOR, Role.ADMIN):
            response = await participation.post(
                f"{API}/labs/{lab}/proposals", json=body, headers=staff(settings, role)
            )
            assert response.status_code == 403, role
        anonymous = await participation.post(f"{API}/labs/{lab}/proposals", json=body)
        assert anonymous.status_code == 401


class TestEditing:
    async def test_the_author_edits_with_if_match_and_a_revision_is_kept(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        author = resident(settings)
        proposal = await propose(participation, await new_lab(database_url), author)
        url = f"{API}/proposals/{proposal['id']}"

        missing = await participation.patch(url, json={"title": {"sl": "Nov"}}, headers=author)
        stale = await participation.patch(
            url, json={"title": {"sl": "Nov"}}, headers={**author, "If-Match": '"v9"'}
        )
        other = await participation.patch(
            url, json={"title": {"sl": "Nov"}}, headers={**resident(settings), "If-Match": '"v1"'}
        )
        edited = await participation.patch(
            url, json={"title": {"sl": "Nov naslov"}}, headers={**author, "If-Match": '"v1"'}
        )

        assert (missing.status_code, stale.status_code, other.status_code) == (428, 412, 403)
        assert edited.status_code == 200, edited.text
        assert edited.headers["ETag"] == '"v2"'
        assert edited.json()["title"] == {"sl": "Nov naslov"}
        revisions = await participation.get(f"{url}/revisions", headers=author)
        actions = [(r["action"], r["version"]) for r in revisions.json()["items"]]
        assert actions == [("created", 1), ("updated", 2)]
        assert revisions.json()["items"][1]["changes"]["title"] == {
            "from": {"sl": "Skupnostni vrt"},
            "to": {"sl": "Nov naslov"},
        }
        assert (
            await participation.get(f"{url}/revisions", headers=resident(settings))
        ).status_code == 403


class TestStateMachine:
    async def test_answers_move_it_and_an_accepted_one_becomes_a_lab_outcome(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        author = resident(settings)
        proposal = await propose(participation, lab, author)
        url = f"{API}/proposals/{proposal['id']}"
        coordinator = staff(settings, Role.COORDINATOR)
        answer = {"text": {"sl": "Uresničimo spomladi."}, "state": "accepted", "lab_outcome": True}

        lab_before = await participation.get(f"{API}/labs/{lab}")
        by_resident = await participation.post(f"{url}/answer", json=answer, headers=author)
        evaluating = await participation.post(
            f"{url}/transitions", json={"to": "evaluating"}, headers=coordinator
        )
        accepted = await participation.post(f"{url}/answer", json=answer, headers=coordinator)
        again = await participation.post(f"{url}/answer", json=answer, headers=coordinator)
        withdraw = await participation.post(
            f"{url}/transitions", json={"to": "withdrawn"}, headers=author
        )
        edit = await participation.patch(
            url, json={"body": {"sl": "x"}}, headers={**author, "If-Match": '"v3"'}
        )

        assert by_resident.status_code == 403
        assert evaluating.status_code == 200 and evaluating.json()["state"] == "evaluating"
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["state"] == "accepted"
        assert accepted.json()["answer"]["text"] == {"sl": "Uresničimo spomladi."}
        assert accepted.json()["lab_outcome"] is True
        assert (again.status_code, withdraw.status_code, edit.status_code) == (409, 409, 409)
        lab_after = await participation.get(
            f"{API}/labs/{lab}", headers={"If-None-Match": lab_before.headers["ETag"]}
        )
        assert lab_after.status_code == 200
        assert lab_before.json()["outcome_proposals"] == []
        assert lab_after.json()["outcome_proposals"] == [proposal["id"]]

    async def test_the_author_withdraws_others_cannot_and_illegal_moves_are_409(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        author = resident(settings)
        proposal = await propose(participation, await new_lab(database_url), author)
        url = f"{API}/proposals/{proposal['id']}/transitions"
        coordinator = staff(settings, Role.COORDINATOR)

        by_other = await participation.post(
            url, json={"to": "withdrawn"}, headers=resident(settings)
        )
        to_accepted = await participation.post(url, json={"to": "accepted"}, headers=coordinator)
        by_author = await participation.post(url, json={"to": "withdrawn"}, headers=author)
        back = await participation.post(url, json={"to": "evaluating"}, headers=coordinator)
        editor = await participation.post(
            url, json={"to": "evaluating"}, headers=staff(settings, Role.EDITOR)
        )

        assert by_other.status_code == 403
        assert to_accepted.status_code == 409
        assert by_author.status_code == 200 and by_author.json()["state"] == "withdrawn"
        assert back.status_code == 409
        assert editor.status_code == 403

    async def test_lab_outcome_needs_an_accepted_answer(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        proposal = await propose(participation, await new_lab(database_url), resident(settings))
        response = await participation.post(
            f"{API}/proposals/{proposal['id']}/answer",
            json={"text": {"en": "No."}, "state": "rejected", "lab_outcome": True},
            headers=staff(settings, Role.COORDINATOR),
        )

        assert response.status_code == 422
        after = (await participation.get(f"{API}/proposals/{proposal['id']}")).json()
        assert after["state"] == "published" and after["answer"] is None
