"""The publication workflow, who sees what, and the revision history of every change."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.catalog.conftest import EntryFactory, Headers, transition

ENTRIES = "/api/v1/catalog/entries"


class TestTransitions:
    async def test_draft_to_review_to_published_to_archived(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry()
        statuses = []
        for to in ("in_review", "draft", "in_review", "published", "archived"):
            response = await transition(catalog, editor, entry["id"], to)
            assert response.status_code == 200, response.text
            statuses.append(response.json()["status"])
        assert statuses == ["in_review", "draft", "in_review", "published", "archived"]
        final = response.json()
        assert final["version"] == 6
        assert final["published_at"] is not None
        assert response.headers["etag"] == '"v6"'

    async def test_publishing_sets_published_at(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry("published")
        assert entry["status"] == "published"
        assert entry["published_at"] is not None
        assert entry["published_at"] >= entry["created_at"]

    @pytest.mark.parametrize(
        ("start", "to"),
        [
            ("draft", "published"),
            ("draft", "archived"),
            ("draft", "draft"),
            ("in_review", "archived"),
            ("published", "draft"),
            ("published", "in_review"),
            ("archived", "published"),
            ("archived", "draft"),
        ],
    )
    async def test_illegal_moves_are_409_and_change_nothing(
        self,
        catalog: httpx.AsyncClient,
        editor: Headers,
        make_entry: EntryFactory,
        start: str,
        to: str,
    ) -> None:
        entry = await make_entry(start)

        response = await transition(catalog, editor, entry["id"], to)

        assert response.status_code == 409
        problem = response.json()
        assert problem["current_status"] == start
        assert to not in problem["allowed"]
        assert (await catalog.get(f"{ENTRIES}/{entry['id']}", headers=editor)).json() == entry

    async def test_an_unknown_status_is_422(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry()
        response = await transition(catalog, editor, entry["id"], "deleted")
        assert response.status_code == 422

    async def test_a_stale_if_match_is_412(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry("in_review")
        response = await catalog.post(
            f"{ENTRIES}/{entry['id']}/transitions",
            json={"to": "published"},
            headers={**editor, "If-Match": '"v1"'},
        )
        assert response.status_code == 412

    async def test_concurrent_publications_publish_once(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry("in_review")
        responses = await asyncio.gather(
            *(transition(catalog, editor, entry["id"], "published") for _ in range(5))
        )
        assert sorted(response.status_code for response in responses) == [200] + [409] * 4

    async def test_only_editors_and_admins_move_entries(
        self,
        catalog: httpx.AsyncClient,
        coordinator: Headers,
        make_entry: EntryFactory,
    ) -> None:
        entry = await make_entry()
        anonymous = await catalog.post(
            f"{ENTRIES}/{entry['id']}/transitions", json={"to": "in_review"}
        )
        assert anonymous.status_code == 401
        assert (await transition(catalog, coordinator, entry["id"], "in_review")).status_code == 403


class TestVisibility:
    @pytest.mark.parametrize("status", ["draft", "in_review", "archived"])
    async def test_unpublished_entries_are_404_to_the_public_and_partners(
        self,
        catalog: httpx.AsyncClient,
        partner: Headers,
        make_entry: EntryFactory,
        status: str,
    ) -> None:
        entry = await make_entry(status)
        for headers in ({}, partner):
            for ref in (entry["id"], entry["slug"]):
                response = await catalog.get(f"{ENTRIES}/{ref}", headers=headers)
                assert response.status_code == 404
                assert response.headers["content-type"] == "application/problem+json"
        listed = await catalog.get(ENTRIES, params={"q": entry["title"]["en"]})
        assert listed.json()["items"] == []

    async def test_staff_read_every_status(
        self,
        catalog: httpx.AsyncClient,
        editor: Headers,
        coordinator: Headers,
        admin_headers: Headers,
        make_entry: EntryFactory,
    ) -> None:
        entry = await make_entry("draft")
        for headers in (editor, coordinator, admin_headers):
            response = await catalog.get(f"{ENTRIES}/{entry['id']}", headers=headers)
            assert response.status_code == 200
            assert response.json()["status"] == "draft"

    async def test_published_entries_are_public(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry("published")
        response = await catalog.get(f"{ENTRIES}/{entry['id']}")
        assert response.status_code == 200
        assert response.json()["id"] == entry["id"]

    async def test_asking_for_drafts_without_credentials_finds_nothing(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry("draft")
        params = {"status": "draft", "q": entry["title"]["en"]}
        public = await catalog.get(ENTRIES, params=params)
        staff = await catalog.get(ENTRIES, params=params, headers=editor)
        assert public.json()["items"] == []
        assert [item["id"] for item in staff.json()["items"]] == [entry["id"]]


class TestRevisions:
    async def test_every_change_is_kept_with_who_when_and_what(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry()
        path = f"{ENTRIES}/{entry['id']}"
        await catalog.patch(
            path, json={"summary": {"en": "Changed"}}, headers={**editor, "If-Match": '"v1"'}
        )
        await transition(catalog, editor, entry["id"], "in_review")

        response = await catalog.get(f"{path}/revisions", headers=editor)

        assert response.status_code == 200
        revisions = response.json()["items"]
        assert [(r["version"], r["action"]) for r in revisions] == [
            (1, "created"),
            (2, "updated"),
            (3, "transitioned"),
        ]
        assert revisions[0]["changes"]["title"] == {"from": None, "to": entry["title"]}
        assert revisions[1]["changes"] == {
            "summary": {"from": {"en": "A short summary."}, "to": {"en": "Changed"}}
        }
        assert revisions[2]["changes"] == {"status": {"from": "draft", "to": "in_review"}}
        assert all(r["actor"].startswith("user:editor-") for r in revisions)
        assert all(r["actor_role"] == "editor" for r in revisions)
        assert all(r["created_at"] for r in revisions)

    async def test_revisions_are_paginated(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry("published")
        first = await catalog.get(
            f"{ENTRIES}/{entry['slug']}/revisions", params={"limit": 2}, headers=editor
        )
        rest = await catalog.get(
            f"{ENTRIES}/{entry['slug']}/revisions",
            params={"limit": 2, "cursor": first.json()["next_cursor"]},
            headers=editor,
        )
        versions = [r["version"] for r in first.json()["items"] + rest.json()["items"]]
        assert versions == [1, 2, 3]
        assert 'rel="next"' in first.headers["link"]

    async def test_revisions_are_for_editors_and_admins(
        self,
        catalog: httpx.AsyncClient,
        coordinator: Headers,
        make_entry: EntryFactory,
    ) -> None:
        entry = await make_entry("published")
        path = f"{ENTRIES}/{entry['id']}/revisions"
        assert (await catalog.get(path)).status_code == 401
        assert (await catalog.get(path, headers=coordinator)).status_code == 403
