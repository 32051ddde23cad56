"""Comments in threads, reports that hide, coordinators who hide and restore."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from shared.auth import Role
from shared.settings import Settings
from tests.participation.proposal_helpers import API, Headers, new_lab, propose, resident, staff


async def comment(
    client: httpx.AsyncClient, proposal: dict[str, Any], author: Headers, text: str, **fields: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/proposals/{proposal['id']}/comments", json={"body": text, **fields}, headers=author
    )


class TestComments:
    async def test_a_thread_with_answers_on_the_same_proposal_only(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        proposal = await propose(participation, lab, resident(settings))
        elsewhere = await propose(participation, lab, resident(settings))
        ana, bor = resident(settings, "Ana"), resident(settings, "Bor")

        first = await comment(participation, proposal, ana, "Dobra ideja.")
        reply = await comment(
            participation, proposal, bor, "Se strinjam.", parent_id=first.json()["id"]
        )
        astray = await comment(
            participation, elsewhere, bor, "Napačna nit.", parent_id=first.json()["id"]
        )
        staffed = await comment(participation, proposal, staff(settings, Role.EDITOR), "Ne.")
        listed = (await participation.get(f"{API}/proposals/{proposal['id']}/comments")).json()

        assert first.status_code == 201, first.text
        assert first.headers["Location"].endswith(f"{API}/comments/{first.json()['id']}")
        assert reply.status_code == 201 and reply.json()["parent_id"] == first.json()["id"]
        assert astray.status_code == 422
        assert staffed.status_code == 403
        assert [(c["body"], c["author_name"], c["parent_id"]) for c in listed["items"]] == [
            ("Dobra ideja.", "Ana", None),
            ("Se strinjam.", "Bor", first.json()["id"]),
        ]

    async def test_the_author_edits_and_deletes_and_the_thread_keeps_its_place(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        proposal = await propose(participation, await new_lab(database_url), resident(settings))
        ana = resident(settings, "Ana")
        first = (await comment(participation, proposal, ana, "Prvi.")).json()
        await comment(
            participation, proposal, resident(settings), "Odgovor.", parent_id=first["id"]
        )
        url = f"{API}/comments/{first['id']}"

        by_other = await participation.patch(
            url, json={"body": "Tuje."}, headers={**resident(settings), "If-Match": '"v1"'}
        )
        unconditional = await participation.patch(url, json={"body": "Brez."}, headers=ana)
        edited = await participation.patch(
            url, json={"body": "Popravljen."}, headers={**ana, "If-Match": '"v1"'}
        )
        deleted = await participation.delete(url, headers={**ana, "If-Match": '"v2"'})
        edit_deleted = await participation.patch(
            url, json={"body": "Spet."}, headers={**ana, "If-Match": '"v3"'}
        )
        thread = (await participation.get(f"{API}/proposals/{proposal['id']}/comments")).json()

        assert (by_other.status_code, unconditional.status_code) == (403, 428)
        assert edited.status_code == 200 and edited.json()["body"] == "Popravljen."
        assert edited.headers["ETag"] == '"v2"'
        assert deleted.status_code == 204
        assert edit_deleted.status_code == 409
        placeholder, answer = thread["items"]
        assert placeholder["deleted"] is True and placeholder["body"] is None
        assert answer["parent_id"] == first["id"] and answer["body"] == "Odgovor."


class TestReportsAndModeration:
    async def test_enough_reports_hide_a_proposal_its_author_sees_why_a_coordinator_restores(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        lab = await new_lab(database_url)
        author = resident(settings)
        proposal = await propose(participation, lab, author, "Sporni predlog")
        url = f"{API}/proposals/{proposal['id']}"
        reporters = [resident(settings), staff(settings, Role.EDITOR), resident(settings)]
        assert settings.reports_to_hide == 3

        first = await participation.post(
            f"{url}/reports", json={"reason": "žaljivo"}, headers=reporters[0]
        )
        repeat = await participation.post(
            f"{url}/reports", json={"reason": "spet"}, headers=reporters[0]
        )
        anonymous = await participation.post(f"{url}/reports", json={"reason": "x"})
        still_shown = await participation.get(url)
        for reporter in reporters[1:]:
            assert (
                await participation.post(f"{url}/reports", json={"reason": "r"}, headers=reporter)
            ).status_code == 201

        assert first.status_code == 201 and first.json()["reason"] == "žaljivo"
        assert (repeat.status_code, anonymous.status_code, still_shown.status_code) == (
            409,
            401,
            200,
        )
        assert (await participation.get(url)).status_code == 404
        assert (await participation.get(url, headers=resident(settings))).status_code == 404
        listed = (await participation.get(f"{API}/labs/{lab}/proposals")).json()["items"]
        assert listed == []
        own = (await participation.get(url, headers=author)).json()
        assert own["state"] == "hidden"
        assert own["title"] == {"sl": "Sporni predlog"}
        assert own["moderation"]["hidden"] is True
        assert "Reported by 3 people" in own["moderation"]["reason"]
        revisions = (await participation.get(f"{url}/revisions", headers=author)).json()["items"]
        assert (revisions[-1]["action"], revisions[-1]["actor"]) == ("hidden", "moderation:reports")
        assert revisions[-1]["changes"]["state"] == {"from": "published", "to": "hidden"}

        coordinator = staff(settings, Role.COORDINATOR)
        by_resident = await participation.post(f"{url}/restore", headers=author)
        restored = await participation.post(f"{url}/restore", headers=coordinator)
        assert by_resident.status_code == 403
        assert restored.status_code == 200 and restored.json()["state"] == "published"
        assert restored.json()["moderation"] is None
        # The reports so far were reviewed: one more report does not hide it again.
        await participation.post(f"{url}/reports", json={"reason": "r"}, headers=resident(settings))
        assert (await participation.get(url)).status_code == 200

    async def test_reports_arriving_at_once_hide_it_exactly_once(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        author = resident(settings)
        proposal = await propose(participation, await new_lab(database_url), author)
        url = f"{API}/proposals/{proposal['id']}"

        answers = await asyncio.gather(
            *(
                participation.post(
                    f"{url}/reports", json={"reason": f"r{n}"}, headers=resident(settings)
                )
                for n in range(6)
            )
        )

        # The third report hides it; to the next reporters it no longer exists.
        assert sorted(answer.status_code for answer in answers) == [201] * 3 + [404] * 3
        revisions = (await participation.get(f"{url}/revisions", headers=author)).json()["items"]
        assert [r["action"] for r in revisions] == ["created", "hidden"]
        assert (await participation.get(url)).status_code == 404

    async def test_coordinators_hide_with_a_reason_and_restore_to_the_state_before(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        author = resident(settings)
        proposal = await propose(participation, await new_lab(database_url), author)
        url = f"{API}/proposals/{proposal['id']}"
        coordinator = staff(settings, Role.COORDINATOR)
        await participation.post(
            f"{url}/transitions", json={"to": "evaluating"}, headers=coordinator
        )

        by_author = await participation.post(f"{url}/hide", json={"reason": "x"}, headers=author)
        hidden = await participation.post(
            f"{url}/hide", json={"reason": "Osebni podatki."}, headers=coordinator
        )
        twice = await participation.post(f"{url}/hide", json={"reason": "x"}, headers=coordinator)
        supported = await participation.post(f"{url}/supports", headers=resident(settings))
        seen_by_author = (await participation.get(url, headers=author)).json()
        restored = await participation.post(f"{url}/restore", headers=coordinator)

        assert by_author.status_code == 403
        assert hidden.status_code == 200 and hidden.json()["state"] == "hidden"
        assert twice.status_code == 409
        assert supported.status_code == 404
        assert seen_by_author["moderation"] == {"hidden": True, "reason": "Osebni podatki."}
        assert restored.json()["state"] == "evaluating"

    async def test_a_reported_comment_shows_a_placeholder_to_the_public(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        proposal = await propose(participation, await new_lab(database_url), resident(settings))
        author = resident(settings, "Ana")
        posted = (await comment(participation, proposal, author, "Neprimerno besedilo.")).json()
        url = f"{API}/comments/{posted['id']}"
        for _ in range(3):
            assert (
                await participation.post(
                    f"{url}/reports", json={"reason": "r"}, headers=resident(settings)
                )
            ).status_code == 201
        thread_url = f"{API}/proposals/{proposal['id']}/comments"

        public = (await participation.get(thread_url)).json()["items"][0]
        own = (await participation.get(thread_url, headers=author)).json()["items"][0]
        coordinator = staff(settings, Role.COORDINATOR)
        restored = await participation.post(f"{url}/restore", headers=coordinator)
        rehidden = await participation.post(
            f"{url}/hide", json={"reason": "Žaljivo."}, headers=coordinator
        )

        assert public["body"] is None and public["moderation"] == {"hidden": True, "reason": None}
        assert own["body"] == "Neprimerno besedilo."
        assert (
            own["moderation"]["hidden"] is True and "Reported by 3" in own["moderation"]["reason"]
        )
        assert restored.status_code == 200 and restored.json()["body"] == "Neprimerno besedilo."
        assert rehidden.status_code == 200 and rehidden.json()["moderation"]["reason"] == "Žaljivo."
