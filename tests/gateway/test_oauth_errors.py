"""The token endpoint's refusals name RFC 6749's `error` beside the problem fields."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = pytest.mark.slow
TOKEN = "/api/v1/auth/token"


async def refused(gateway: httpx.AsyncClient, status: int, **form: str) -> dict[str, object]:
    response = await gateway.post(TOKEN, data=form)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert {"type", "title", "status", "detail", "error", "error_description"} <= set(body)
    return body


async def test_wrong_credentials_are_an_invalid_grant(gateway: httpx.AsyncClient) -> None:
    body = await refused(gateway, 401, username=ADMIN_EMAIL, password="not-the-password")
    assert body["error"] == "invalid_grant"
    assert body["type"] == "urn:magnet:problem:unauthorized"


async def test_a_missing_field_is_an_invalid_request(gateway: httpx.AsyncClient) -> None:
    body = await refused(gateway, 422, username=ADMIN_EMAIL)
    assert body["error"] == "invalid_request"
    assert body["errors"] == [
        {"loc": ["body", "password"], "msg": "Field required", "type": "missing"}
    ]


async def test_another_grant_is_an_unsupported_grant_type(gateway: httpx.AsyncClient) -> None:
    body = await refused(
        gateway, 422, grant_type="client_credentials", username=ADMIN_EMAIL, password="x"
    )
    assert body["error"] == "unsupported_grant_type"


async def test_client_authentication_is_an_invalid_client(gateway: httpx.AsyncClient) -> None:
    body = await refused(
        gateway, 401, username=ADMIN_EMAIL, password=ADMIN_PASSWORD, client_secret="s3cret"
    )
    assert body["error"] == "invalid_client"


async def test_the_password_grant_still_answers_a_token(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        TOKEN, data={"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
