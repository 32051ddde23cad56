"""Services check credentials themselves: a request that skips the gateway gains nothing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter

from shared.app import create_service_app
from shared.auth import Principal, Role, issue_token, require_roles, verify_token
from shared.observability import new_traceparent
from shared.problems import Unauthorized
from shared.settings import Settings
from tests.conftest import asgi_client, make_settings


@pytest.fixture(scope="module")
async def guarded(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    router = APIRouter()

    @router.post("/entries", dependencies=[require_roles(Role.EDITOR)])
    async def create_entry() -> dict[str, str]:
        return {"created": "yes"}

    app = create_service_app(
        name="guarded", schema="catalog", title="guarded", routers=[router], settings=settings
    )
    async with asgi_client(app) as client:
        yield client


def bearer(settings: Settings, role: Role, city: str | None = None) -> dict[str, str]:
    token = issue_token(Principal(subject="someone", role=role, city=city), settings)
    return {"Authorization": f"Bearer {token}"}


class TestRoleChecksInAService:
    async def test_no_credentials_is_401(self, guarded: httpx.AsyncClient) -> None:
        response = await guarded.post("/entries")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    async def test_a_malformed_authorization_header_is_401(
        self, guarded: httpx.AsyncClient
    ) -> None:
        response = await guarded.post("/entries", headers={"Authorization": "Basic dXNlcg=="})
        assert response.status_code == 401

    async def test_a_token_from_another_secret_is_401(
        self, guarded: httpx.AsyncClient, database_url: str
    ) -> None:
        other = make_settings(database_url, secret_key="another-secret-of-at-least-32-characters")
        response = await guarded.post("/entries", headers=bearer(other, Role.ADMIN))
        assert response.status_code == 401

    @pytest.mark.parametrize(
        ("role", "city", "status"),
        [
            (Role.EDITOR, None, 200),
            (Role.ADMIN, None, 200),
            (Role.COORDINATOR, None, 403),
            (Role.PARTNER, "kosice", 403),
        ],
    )
    async def test_roles(
        self,
        guarded: httpx.AsyncClient,
        settings: Settings,
        role: Role,
        city: str | None,
        status: int,
    ) -> None:
        response = await guarded.post("/entries", headers=bearer(settings, role, city))
        assert response.status_code == status


class TestVerifiedTokensAreRemembered:
    """A token is verified once; what may change while it is remembered is checked again."""

    def test_a_remembered_token_is_refused_once_it_expires(
        self, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        token = issue_token(Principal(subject="someone", role=Role.EDITOR), settings, 60)
        assert verify_token(token, settings).subject == "someone"
        assert verify_token(token, settings).subject == "someone"  # remembered

        later = time.time() + 61
        monkeypatch.setattr(time, "time", lambda: later)
        with pytest.raises(Unauthorized, match="expired"):
            verify_token(token, settings)

    def test_a_remembered_token_is_refused_once_its_secret_is_retired(
        self, settings: Settings, database_url: str
    ) -> None:
        old_secret = "an-old-secret-of-at-least-32-characters"
        rotating = make_settings(
            database_url,
            secret_key="a-new-secret-of-at-least-32-characters!",
            previous_secret_keys=[old_secret],
        )
        token = issue_token(
            Principal(subject="someone", role=Role.EDITOR),
            make_settings(database_url, secret_key=old_secret),
        )
        assert verify_token(token, rotating).subject == "someone"  # during the rotation

        retired = make_settings(database_url, secret_key=rotating.secret_key.get_secret_value())
        with pytest.raises(Unauthorized, match="unknown key"):
            verify_token(token, retired)

    def test_a_refused_token_stays_refused(self, settings: Settings) -> None:
        token = issue_token(Principal(subject="someone", role=Role.EDITOR), settings)
        tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        for _ in range(2):
            with pytest.raises(Unauthorized):
                verify_token(tampered, settings)
        assert verify_token(token, settings).subject == "someone"


class TestPartnerScope:
    def test_a_partner_writes_only_its_own_city(self) -> None:
        partner = Principal(subject="p", role=Role.PARTNER, city="kosice")
        assert partner.may_write_city("kosice")
        assert not partner.may_write_city("nardo")
        assert Principal(subject="c", role=Role.COORDINATOR).may_write_city("nardo")
        assert not Principal(subject="e", role=Role.EDITOR).may_write_city("nardo")


class TestTraceContext:
    def test_a_caller_trace_is_continued_with_a_new_span(self) -> None:
        incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        outgoing = new_traceparent(incoming)
        assert outgoing.startswith("00-0af7651916cd43dd8448eb211c80319c-")
        assert outgoing != incoming

    def test_a_malformed_trace_starts_a_new_one(self) -> None:
        outgoing = new_traceparent("garbage")
        assert len(outgoing.split("-")) == 4
        assert "garbage" not in outgoing
