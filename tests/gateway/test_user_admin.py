"""The user admin API (API.md §2): list, read, change and delete users, and the promise that
a disabled, deleted or changed user's tokens are refused at once, at the gateway and by the
services themselves."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.stack import Stack
from tests.test_identity import bearer, login, new_user

pytestmark = pytest.mark.slow
USERS = "/api/v1/auth/users"
ENTRIES = "/api/v1/catalog/entries"


async def user_id_of(gateway: httpx.AsyncClient, token: str) -> str:
    me = await gateway.get("/api/v1/auth/me", headers=bearer(token))
    assert me.status_code == 200, me.text
    subject: str = me.json()["subject"]
    return subject


async def editor_token(gateway: httpx.AsyncClient, admin: dict[str, str]) -> tuple[str, str, str]:
    """A new editor's email, password and token."""
    email, password = await new_user(gateway, admin, "editor")
    response = await login(gateway, email, password)
    assert response.status_code == 200, response.text
    return email, password, response.json()["access_token"]


async def may_write_entries(gateway: httpx.AsyncClient, token: str) -> int:
    """422 for an editor whose token is accepted (the empty body is invalid), 401 if refused."""
    return (await gateway.post(ENTRIES, json={}, headers=bearer(token))).status_code


class TestReadingUsers:
    async def test_users_are_listed_page_by_page_without_password_hashes(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        for _ in range(3):
            await new_user(gateway, admin, "coordinator")

        seen: list[str] = []
        url: str | None = f"{USERS}?limit=2"
        while url is not None:
            response = await gateway.get(url, headers=admin)
            assert response.status_code == 200, response.text
            assert "password" not in response.text
            body = response.json()
            assert len(body["items"]) <= 2
            seen.extend(user["email"] for user in body["items"])
            url = f"{USERS}?limit=2&cursor={body['next_cursor']}" if body["next_cursor"] else None

        assert ADMIN_EMAIL in seen
        assert len(seen) == len(set(seen)) >= 4

    async def test_one_user_with_its_etag_and_304(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        _, _, token = await editor_token(gateway, admin)
        user_id = await user_id_of(gateway, token)

        response = await gateway.get(f"{USERS}/{user_id}", headers=admin)
        unchanged = await gateway.get(
            f"{USERS}/{user_id}", headers={**admin, "If-None-Match": response.headers["etag"]}
        )
        missing = await gateway.get(f"{USERS}/{uuid.uuid4()}", headers=admin)
        by_the_editor = await gateway.get(f"{USERS}/{user_id}", headers=bearer(token))

        assert response.status_code == 200
        assert response.json()["role"] == "editor"
        assert response.json()["disabled"] is False
        assert response.headers["etag"] == '"v1"'
        assert unchanged.status_code == 304
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert by_the_editor.status_code == 403


class TestDisablingAndDeleting:
    async def test_a_disabled_users_token_is_refused_at_once_and_stays_refused(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        email, password, token = await editor_token(gateway, admin)
        user_id = await user_id_of(gateway, token)
        assert await may_write_entries(gateway, token) == 422

        disabled = await gateway.patch(
            f"{USERS}/{user_id}", json={"disabled": True}, headers={**admin, "If-Match": '"v1"'}
        )

        assert disabled.status_code == 200, disabled.text
        assert disabled.json()["disabled"] is True
        assert disabled.headers["etag"] == '"v2"'
        assert await may_write_entries(gateway, token) == 401
        refused = await gateway.get("/api/v1/auth/me", headers=bearer(token))
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert (await login(gateway, email, password)).status_code == 401

        enabled = await gateway.patch(
            f"{USERS}/{user_id}", json={"disabled": False}, headers={**admin, "If-Match": '"v2"'}
        )
        assert enabled.status_code == 200
        assert await may_write_entries(gateway, token) == 401  # the old token stays dead
        fresh = (await login(gateway, email, password)).json()["access_token"]
        assert await may_write_entries(gateway, fresh) == 422

    async def test_a_deleted_users_token_is_refused_at_once(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        email, password, token = await editor_token(gateway, admin)
        user_id = await user_id_of(gateway, token)

        without_etag = await gateway.delete(f"{USERS}/{user_id}", headers=admin)
        stale = await gateway.delete(f"{USERS}/{user_id}", headers={**admin, "If-Match": '"v9"'})
        assert without_etag.status_code == 428
        assert stale.status_code == 412
        assert await may_write_entries(gateway, token) == 422

        deleted = await gateway.delete(f"{USERS}/{user_id}", headers={**admin, "If-Match": '"v1"'})

        assert deleted.status_code == 204
        assert await may_write_entries(gateway, token) == 401
        assert (await gateway.get(f"{USERS}/{user_id}", headers=admin)).status_code == 404
        assert (await login(gateway, email, password)).status_code == 401

    async def test_a_role_change_refuses_the_old_token_and_a_new_login_has_the_new_role(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        email, password, token = await editor_token(gateway, admin)
        user_id = await user_id_of(gateway, token)

        changed = await gateway.patch(
            f"{USERS}/{user_id}",
            json={"role": "partner", "city": "kosice"},
            headers={**admin, "If-Match": '"v1"', "Content-Type": "application/merge-patch+json"},
        )

        assert changed.status_code == 200, changed.text
        assert (changed.json()["role"], changed.json()["city"]) == ("partner", "kosice")
        assert (await gateway.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401
        fresh = (await login(gateway, email, password)).json()["access_token"]
        me = (await gateway.get("/api/v1/auth/me", headers=bearer(fresh))).json()
        assert (me["role"], me["city"]) == ("partner", "kosice")
        assert await may_write_entries(gateway, fresh) == 403

    @pytest.mark.parametrize(
        ("patch", "status"),
        [
            ({"role": "partner"}, 422),  # a partner needs a city
            ({"city": "kosice"}, 422),  # only partners have one
            ({"role": "partner", "city": "atlantis"}, 422),  # an unknown city
            ({"role": None}, 422),
            ({"disabled": "maybe"}, 422),
        ],
    )
    async def test_invalid_changes_are_refused_and_change_nothing(
        self,
        gateway: httpx.AsyncClient,
        admin: dict[str, str],
        patch: dict[str, object],
        status: int,
    ) -> None:
        _, _, token = await editor_token(gateway, admin)
        user_id = await user_id_of(gateway, token)

        response = await gateway.patch(
            f"{USERS}/{user_id}", json=patch, headers={**admin, "If-Match": '"v1"'}
        )

        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert (await gateway.get(f"{USERS}/{user_id}", headers=admin)).json()["version"] == 1
        assert await may_write_entries(gateway, token) == 422

    async def test_an_admin_cannot_lock_themselves_out(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], admin_token: str
    ) -> None:
        admin_id = await user_id_of(gateway, admin_token)
        current = await gateway.get(f"{USERS}/{admin_id}", headers=admin)
        if_match = {**admin, "If-Match": current.headers["etag"]}

        disabled = await gateway.patch(
            f"{USERS}/{admin_id}", json={"disabled": True}, headers=if_match
        )
        deleted = await gateway.delete(f"{USERS}/{admin_id}", headers=if_match)

        assert disabled.status_code == 409
        assert deleted.status_code == 409
        assert (await login(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 200


class TestServicesVerifyTokensThemselves:
    async def test_a_client_token_sent_to_a_service_directly_is_refused(
        self, gateway: httpx.AsyncClient, stack: Stack, admin: dict[str, str]
    ) -> None:
        """Only the gateway, which checks the account, may turn a client token into one a
        service accepts; so a disabled user cannot go around it."""
        _, _, token = await editor_token(gateway, admin)

        async with httpx.AsyncClient(base_url=stack.url("catalog"), timeout=10) as catalog:
            direct = await catalog.post(ENTRIES, json={}, headers=bearer(token))

        assert direct.status_code == 401
        assert direct.headers["content-type"] == "application/problem+json"
        assert await may_write_entries(gateway, token) == 422
