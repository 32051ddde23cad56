"""Identity at the gateway: tokens, roles, users and partner cities' API keys."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pytest

from shared.auth import Principal, Role, derive_key, issue_token, verify_token
from shared.problems import Unauthorized
from shared.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.slow


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(gateway: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await gateway.post("/api/v1/auth/token", data={"username": email, "password": password})


async def new_user(
    gateway: httpx.AsyncClient, admin: dict[str, str], role: str, city: str | None = None
) -> tuple[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@magnet-celje.si"
    password = "a-long-enough-password"
    response = await gateway.post(
        "/api/v1/auth/users",
        json={"email": email, "password": password, "role": role, "city": city},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return email, password


class TestToken:
    async def test_the_first_admin_from_the_environment_can_log_in(
        self, gateway: httpx.AsyncClient
    ) -> None:
        response = await login(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)

        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 3600
        me = await gateway.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
        assert me.json()["role"] == "admin"

    async def test_bad_credentials_are_a_401_that_does_not_say_which_part_was_wrong(
        self, gateway: httpx.AsyncClient
    ) -> None:
        wrong_password = await login(gateway, ADMIN_EMAIL, "not-the-password")
        no_such_user = await login(gateway, "nobody@magnet-celje.si", "not-the-password")

        assert wrong_password.status_code == no_such_user.status_code == 401
        assert wrong_password.json()["detail"] == no_such_user.json()["detail"]
        assert wrong_password.headers["content-type"] == "application/problem+json"

    async def test_a_missing_form_field_is_a_422_problem(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.post("/api/v1/auth/token", data={"username": ADMIN_EMAIL})
        assert response.status_code == 422


class TestTokenVerification:
    def test_a_token_round_trips_with_its_principal(self, settings: Settings) -> None:
        principal = Principal(subject="u1", role=Role.PARTNER, city="kosice")
        assert verify_token(issue_token(principal, settings), settings) == principal

    def test_an_expired_token_is_refused(self, settings: Settings) -> None:
        token = issue_token(Principal(subject="u1", role=Role.ADMIN), settings, ttl_seconds=1)
        time.sleep(1.1)
        with pytest.raises(Unauthorized, match="expired"):
            verify_token(token, settings)

    def test_a_token_signed_with_another_key_is_refused(self, settings: Settings) -> None:
        forged = jwt.encode(
            {
                "sub": "u1",
                "role": "admin",
                "iat": 0,
                "exp": 2**40,
                "iss": "magnet",
                "aud": "magnet-api",
            },
            b"another-key-of-sufficient-length-000",
            algorithm="HS256",
            headers={"kid": "whatever"},
        )
        with pytest.raises(Unauthorized):
            verify_token(forged, settings)

    def test_an_unsigned_token_is_refused(self, settings: Settings) -> None:
        unsigned = jwt.encode({"sub": "u1", "role": "admin"}, key=None, algorithm="none")
        with pytest.raises(Unauthorized):
            verify_token(unsigned, settings)

    def test_purposes_get_different_keys(self, settings: Settings) -> None:
        assert derive_key(settings, "jwt") != derive_key(settings, "cursor")


class TestUsers:
    async def test_an_admin_creates_users_who_can_log_in_with_their_role(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        email, password = await new_user(gateway, admin, "partner", city="varazdin")

        token = (await login(gateway, email, password)).json()["access_token"]
        me = (await gateway.get("/api/v1/auth/me", headers=bearer(token))).json()

        assert me["role"] == "partner"
        assert me["city"] == "varazdin"

    async def test_without_credentials_is_401_and_with_another_role_is_403(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        email, password = await new_user(gateway, admin, "editor")
        editor = bearer((await login(gateway, email, password)).json()["access_token"])
        body = {"email": "x@magnet-celje.si", "password": "long-enough-pass", "role": "admin"}

        anonymous = await gateway.post("/api/v1/auth/users", json=body)
        forbidden = await gateway.post("/api/v1/auth/users", json=body, headers=editor)
        garbage = await gateway.post("/api/v1/auth/users", json=body, headers=bearer("not-a-token"))

        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        assert forbidden.status_code == 403
        assert garbage.status_code == 401
        assert (await login(gateway, "x@magnet-celje.si", "long-enough-pass")).status_code == 401

    async def test_a_duplicate_email_is_a_409(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        email, _ = await new_user(gateway, admin, "coordinator")
        again = await gateway.post(
            "/api/v1/auth/users",
            json={"email": email.upper(), "password": "another-password", "role": "editor"},
            headers=admin,
        )
        assert again.status_code == 409

    @pytest.mark.parametrize(
        ("body", "status"),
        [
            ({"role": "partner"}, 422),  # a partner needs a city
            ({"role": "editor", "city": "kosice"}, 422),  # only partners have one
            ({"role": "partner", "city": "atlantis"}, 422),  # an unknown city
            ({"role": "superuser"}, 422),
            ({"role": "editor", "password": "short"}, 422),
        ],
    )
    async def test_invalid_users_are_refused(
        self, gateway: httpx.AsyncClient, admin: dict[str, str], body: dict[str, str], status: int
    ) -> None:
        email = f"bad-{uuid.uuid4().hex[:8]}@magnet-celje.si"
        payload = {"email": email, "password": "long-enough-pass", **body}

        response = await gateway.post("/api/v1/auth/users", json=payload, headers=admin)

        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert (await login(gateway, email, "long-enough-pass")).status_code == 401


class TestApiKeys:
    async def test_a_key_acts_for_its_city_until_it_is_revoked(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        created = await gateway.post(
            "/api/v1/auth/api-keys", json={"city": "kosice", "name": "Košice ERP"}, headers=admin
        )
        assert created.status_code == 201
        key = created.json()["key"]
        key_id = created.json()["id"]

        me = await gateway.get("/api/v1/auth/me", headers=bearer(key))
        assert me.json() == {
            "subject": key_id,
            "role": "partner",
            "city": "kosice",
            "kind": "api_key",
            "email": None,
            "name": None,
            "language": None,
        }
        listed = await gateway.get("/api/v1/auth/api-keys", headers=admin)
        assert key not in listed.text
        assert key_id in listed.text

        etag = (await gateway.get(f"/api/v1/auth/api-keys/{key_id}", headers=admin)).headers["etag"]
        revoked = await gateway.delete(
            f"/api/v1/auth/api-keys/{key_id}", headers={**admin, "If-Match": etag}
        )
        assert revoked.status_code == 204

        refused = await gateway.get("/api/v1/auth/me", headers=bearer(key))
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"

    async def test_revoking_needs_the_current_etag(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        created = await gateway.post(
            "/api/v1/auth/api-keys", json={"city": "nardo", "name": "Nardò"}, headers=admin
        )
        key_id = created.json()["id"]
        url = f"/api/v1/auth/api-keys/{key_id}"

        missing = await gateway.delete(url, headers=admin)
        stale = await gateway.delete(url, headers={**admin, "If-Match": '"v7"'})

        assert missing.status_code == 428
        assert stale.status_code == 412
        assert stale.headers["etag"] == '"v1"'
        still_works = await gateway.get("/api/v1/auth/me", headers=bearer(created.json()["key"]))
        assert still_works.status_code == 200

    async def test_a_key_for_an_unknown_city_is_refused(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await gateway.post(
            "/api/v1/auth/api-keys", json={"city": "atlantis", "name": "x"}, headers=admin
        )
        assert response.status_code == 422

    async def test_a_made_up_key_is_a_401(self, gateway: httpx.AsyncClient) -> None:
        response = await gateway.get("/api/v1/auth/me", headers=bearer("mgk_0000_forged"))
        assert response.status_code == 401
