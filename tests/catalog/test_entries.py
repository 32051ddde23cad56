"""Entries: create, read, change and delete, with versions, ETags and idempotent creation."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from shared.auth import Role
from shared.settings import Settings
from tests.catalog.conftest import EntryFactory, Headers, bearer, entry_body, unique

ENTRIES = "/api/v1/catalog/entries"


class TestCreate:
    async def test_an_editor_creates_a_draft_with_a_slug_from_the_title(
        self, catalog: httpx.AsyncClient, editor: Headers, settings: Settings
    ) -> None:
        tag = unique()
        body = entry_body(title={"sl": f"Življenje v Košicah {tag}", "en": f"Life {tag}"})

        response = await catalog.post(ENTRIES, json=body, headers=editor)

        assert response.status_code == 201, response.text
        entry = response.json()
        assert entry["slug"] == f"life-{tag}"
        assert entry["status"] == "draft"
        assert entry["version"] == 1
        assert entry["published_at"] is None
        assert entry["title"] == body["title"]
        assert entry["innovation_blocks"] == ["participation"]
        assert entry["cities"] == ["celje"]
        assert uuid.UUID(entry["id"])
        assert response.headers["etag"] == '"v1"'
        assert (
            response.headers["location"] == f"{settings.public_base_url}{ENTRIES}/{entry['slug']}"
        )

    async def test_a_slug_is_unaccented_and_numbered_when_taken(
        self, catalog: httpx.AsyncClient, editor: Headers
    ) -> None:
        tag = unique()
        body = entry_body(title={"sl": f"Življenje ob Savinji – Đurđa {tag}"})

        first = await catalog.post(ENTRIES, json=body, headers=editor)
        second = await catalog.post(ENTRIES, json=body, headers=editor)

        assert first.json()["slug"] == f"zivljenje-ob-savinji-durda-{tag}"
        assert second.json()["slug"] == f"zivljenje-ob-savinji-durda-{tag}-2"

    async def test_concurrent_creates_with_one_title_get_distinct_slugs(
        self, catalog: httpx.AsyncClient, editor: Headers
    ) -> None:
        body = entry_body(title={"en": f"Same title {unique()}"})

        responses = await asyncio.gather(
            *(catalog.post(ENTRIES, json=body, headers=editor) for _ in range(5))
        )

        assert [response.status_code for response in responses] == [201] * 5
        assert len({response.json()["slug"] for response in responses}) == 5

    async def test_an_explicit_slug_that_is_taken_is_a_409(
        self, catalog: httpx.AsyncClient, editor: Headers
    ) -> None:
        slug = f"explicit-{unique()}"
        assert (await catalog.post(ENTRIES, json=entry_body(slug=slug), headers=editor)).is_success

        again = await catalog.post(ENTRIES, json=entry_body(slug=slug), headers=editor)

        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert again.json()["conflicting_slug"] == slug

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("innovation_blocks", ["participation", "teleportation"]),
            ("challenges", ["flying-cars"]),
        ],
    )
    async def test_unknown_taxonomy_codes_are_a_422_naming_them(
        self, catalog: httpx.AsyncClient, editor: Headers, field: str, value: list[str]
    ) -> None:
        response = await catalog.post(ENTRIES, json=entry_body(**{field: value}), headers=editor)

        assert response.status_code == 422
        errors = response.json()["errors"]
        assert [error["loc"] for error in errors] == [["body", field, len(value) - 1]]
        assert value[-1] in errors[0]["msg"]

    @pytest.mark.parametrize(
        "overrides",
        [
            {"kind": "recipe"},
            {"title": {}},
            {"title": {"de": "Deutsch"}},
            {"title": {"en": "   "}},
            {"slug": "Not A Slug"},
            {"slug": "0b8a3c4e-0000-4000-8000-000000000000"},
            {"cities": ["Celje!"]},
            {"status": "published"},
        ],
    )
    async def test_invalid_bodies_are_422_and_create_nothing(
        self, catalog: httpx.AsyncClient, editor: Headers, overrides: dict[str, object]
    ) -> None:
        response = await catalog.post(ENTRIES, json=entry_body(**overrides), headers=editor)
        assert response.status_code == 422, response.text
        assert response.json()["errors"]

    async def test_a_database_trigger_also_refuses_unknown_codes(self, database_url: str) -> None:
        import asyncpg

        from shared.db import libpq_url

        connection = await asyncpg.connect(libpq_url(database_url))
        try:
            with pytest.raises(asyncpg.ForeignKeyViolationError):
                await connection.execute(
                    "INSERT INTO catalog.entries (id, slug, kind, title, challenges, created_by,"
                    " updated_by) VALUES ($1, $2, 'tool', '{\"en\": \"x\"}', '{nope}', 't', 't')",
                    uuid.uuid4(),
                    unique("trigger-"),
                )
        finally:
            await connection.close()


class TestWhoMayWrite:
    async def test_without_credentials_a_write_is_401(self, catalog: httpx.AsyncClient) -> None:
        response = await catalog.post(ENTRIES, json=entry_body())
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PARTNER])
    async def test_other_roles_are_403(
        self, catalog: httpx.AsyncClient, settings: Settings, role: Role
    ) -> None:
        headers = bearer(settings, role, city="kosice" if role is Role.PARTNER else None)
        response = await catalog.post(ENTRIES, json=entry_body(), headers=headers)
        assert response.status_code == 403

    async def test_an_admin_may_write(
        self, catalog: httpx.AsyncClient, admin_headers: Headers
    ) -> None:
        response = await catalog.post(ENTRIES, json=entry_body(), headers=admin_headers)
        assert response.status_code == 201

    async def test_a_coordinator_cannot_patch_or_delete(
        self, catalog: httpx.AsyncClient, coordinator: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry()
        headers = {**coordinator, "If-Match": '"v1"'}
        patch = await catalog.patch(f"{ENTRIES}/{entry['id']}", json={}, headers=headers)
        delete = await catalog.delete(f"{ENTRIES}/{entry['id']}", headers=headers)
        assert (patch.status_code, delete.status_code) == (403, 403)


class TestRead:
    async def test_by_id_and_by_slug_with_an_etag(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry()
        by_id = await catalog.get(f"{ENTRIES}/{entry['id']}", headers=editor)
        by_slug = await catalog.get(f"{ENTRIES}/{entry['slug']}", headers=editor)

        assert by_id.status_code == by_slug.status_code == 200
        assert by_id.json() == by_slug.json() == entry
        assert by_id.json()["body"] == {"en": "The body of the entry."}
        assert by_id.headers["etag"] == '"v1"'

    async def test_if_none_match_gives_304(
        self, catalog: httpx.AsyncClient, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry("published")
        etag = f'"v{entry["version"]}"'
        response = await catalog.get(f"{ENTRIES}/{entry['slug']}", headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert response.headers["etag"] == etag

    async def test_an_unknown_entry_is_a_404_problem(self, catalog: httpx.AsyncClient) -> None:
        for ref in (str(uuid.uuid4()), "no-such-entry"):
            response = await catalog.get(f"{ENTRIES}/{ref}")
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"


class TestMergePatch:
    async def test_a_merge_patch_changes_only_what_it_names(
        self, catalog: httpx.AsyncClient, editor: Headers
    ) -> None:
        body = entry_body(title={"en": f"Patched {unique()}", "sl": "Popravljeno"})
        entry = (await catalog.post(ENTRIES, json=body, headers=editor)).json()

        response = await catalog.patch(
            f"{ENTRIES}/{entry['id']}",
            content=b'{"title": {"sl": null, "it": "Corretto"}, "cities": ["celje", "nardo"]}',
            headers={**editor, "If-Match": '"v1"', "Content-Type": "application/merge-patch+json"},
        )

        assert response.status_code == 200, response.text
        patched = response.json()
        assert patched["title"] == {"en": body["title"]["en"], "it": "Corretto"}
        assert patched["cities"] == ["celje", "nardo"]
        assert patched["summary"] == entry["summary"]
        assert patched["version"] == 2
        assert response.headers["etag"] == '"v2"'

    async def test_without_if_match_is_428_and_stale_is_412_with_the_current_etag(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry()
        path = f"{ENTRIES}/{entry['id']}"
        change = {"summary": {"en": "New"}}
        missing = await catalog.patch(path, json=change, headers=editor)
        assert missing.status_code == 428
        current = await catalog.patch(path, json=change, headers={**editor, "If-Match": '"v1"'})
        assert current.status_code == 200

        stale = await catalog.patch(path, json=change, headers={**editor, "If-Match": '"v1"'})

        assert stale.status_code == 412
        assert stale.headers["etag"] == '"v2"'

    async def test_concurrent_patches_with_one_etag_let_exactly_one_win(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry()
        responses = await asyncio.gather(
            *(
                catalog.patch(
                    f"{ENTRIES}/{entry['id']}",
                    json={"summary": {"en": f"writer {index}"}},
                    headers={**editor, "If-Match": '"v1"'},
                )
                for index in range(6)
            )
        )
        assert sorted(response.status_code for response in responses) == [200] + [412] * 5

    @pytest.mark.parametrize(
        ("patch", "status"),
        [
            ({"title": None}, 422),
            ({"title": {"en": None}}, 422),
            ({"kind": "novel"}, 422),
            ({"challenges": ["nope"]}, 422),
            ({"status": "published"}, 422),
            ({"version": 9}, 422),
            ({"colour": "blue"}, 422),
            (["not", "an", "object"], 422),
        ],
    )
    async def test_invalid_patches_change_nothing(
        self,
        catalog: httpx.AsyncClient,
        editor: Headers,
        make_entry: EntryFactory,
        patch: object,
        status: int,
    ) -> None:
        entry = await make_entry()
        path = f"{ENTRIES}/{entry['id']}"
        response = await catalog.patch(path, json=patch, headers={**editor, "If-Match": '"v1"'})
        assert response.status_code == status, response.text
        assert (await catalog.get(path, headers=editor)).json() == entry

    async def test_a_slug_taken_by_another_entry_is_a_409(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        first, second = await make_entry(), await make_entry()
        response = await catalog.patch(
            f"{ENTRIES}/{second['id']}",
            json={"slug": first["slug"]},
            headers={**editor, "If-Match": '"v1"'},
        )
        assert response.status_code == 409
        assert (await catalog.get(f"{ENTRIES}/{second['id']}", headers=editor)).json() == second

    async def test_other_media_types_are_415_and_bad_json_400(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry()
        path = f"{ENTRIES}/{entry['id']}"
        headers = {**editor, "If-Match": '"v1"'}
        text = await catalog.patch(
            path, content=b"x", headers={**headers, "Content-Type": "text/plain"}
        )
        broken = await catalog.patch(
            path, content=b"{", headers={**headers, "Content-Type": "application/json"}
        )
        assert (text.status_code, broken.status_code) == (415, 400)

    async def test_an_empty_patch_changes_nothing(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry()
        response = await catalog.patch(
            f"{ENTRIES}/{entry['id']}", json={}, headers={**editor, "If-Match": '"v1"'}
        )
        assert response.status_code == 200
        assert response.json()["version"] == 1


class TestDelete:
    async def test_delete_needs_if_match_and_then_the_entry_is_gone(
        self, catalog: httpx.AsyncClient, editor: Headers, make_entry: EntryFactory
    ) -> None:
        entry = await make_entry()
        path = f"{ENTRIES}/{entry['slug']}"
        assert (await catalog.delete(path, headers=editor)).status_code == 428
        stale = await catalog.delete(path, headers={**editor, "If-Match": '"v7"'})
        assert stale.status_code == 412

        deleted = await catalog.delete(path, headers={**editor, "If-Match": '"v1"'})

        assert deleted.status_code == 204
        assert (await catalog.get(path, headers=editor)).status_code == 404


class TestIdempotentCreate:
    async def test_a_retry_returns_the_first_answer_and_creates_one_entry(
        self, catalog: httpx.AsyncClient, editor: Headers
    ) -> None:
        body = entry_body()
        headers = {**editor, "Idempotency-Key": str(uuid.uuid4())}

        first = await catalog.post(ENTRIES, json=body, headers=headers)
        retry = await catalog.post(ENTRIES, json=body, headers=headers)
        other = await catalog.post(ENTRIES, json=entry_body(), headers=headers)

        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json()
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.headers["location"] == first.headers["location"]
        assert other.status_code == 422
        listed = await catalog.get(ENTRIES, params={"q": body["title"]["en"]}, headers=editor)
        assert [item["id"] for item in listed.json()["items"]] == [first.json()["id"]]
