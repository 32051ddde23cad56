"""Residents' accounts at the gateway: sign-up with a mailed link (real SMTP through the real
worker), verification, login, password reset, export and deletion, and their limits.

Participation's side of export and deletion (`/api/v1/participation/me/contributions`) is
played by a real HTTP server standing in at participation's address; the rest is the real
gateway code in front of the real database.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from aiohttp import web

from cli.worker import Worker
from services.gateway.mail_texts import TEXTS
from services.gateway.mails import compose
from shared.auth import Role, verify_token
from shared.db import libpq_url
from shared.i18n import LANGUAGES
from shared.settings import Settings
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.gateway.conftest import GatewayFactory
from tests.ports import free_port
from tests.receivers import MailServer, unique_email

pytestmark = pytest.mark.slow

AUTH = "/api/v1/auth"
PASSWORD = "a-long-enough-password"
CONTRIBUTIONS = "/api/v1/participation/me/contributions"


# A participation service standing in for the real one ------------------------------------


@dataclass
class Call:
    method: str
    path: str
    authorization: str | None


@dataclass
class ParticipationStandIn:
    port: int
    calls: list[Call] = field(default_factory=list)
    contributions: dict[str, Any] = field(
        default_factory=lambda: {"proposals": [], "comments": [], "supports": []}
    )
    delete_status: int = 204

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append(Call(request.method, request.path, request.headers.get("authorization")))
        if request.path == CONTRIBUTIONS and request.method == "DELETE":
            return web.Response(status=self.delete_status)
        return web.json_response(self.contributions)


@pytest.fixture
async def participation_stand_in() -> AsyncIterator[ParticipationStandIn]:
    stand_in = ParticipationStandIn(port=free_port())
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", stand_in.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", stand_in.port).start()
    try:
        yield stand_in
    finally:
        await runner.cleanup()


# Helpers ----------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sign_up(
    gateway: httpx.AsyncClient,
    email: str,
    *,
    password: str = PASSWORD,
    name: str = "Ana Novak",
    language: str = "sl",
) -> httpx.Response:
    return await gateway.post(
        f"{AUTH}/residents",
        json={"email": email, "name": name, "password": password, "language": language},
    )


async def login(gateway: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await gateway.post(f"{AUTH}/token", data={"username": email, "password": password})


async def token_of(gateway: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    response = await login(gateway, email, password)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


def link_in(message: EmailMessage) -> str:
    found = re.search(r"https?://\S+", text_of(message))
    assert found is not None, text_of(message)
    return found.group(0)


def token_in(message: EmailMessage) -> str:
    return parse_qs(urlsplit(link_in(message)).query)["token"][0]


async def verified_resident(
    gateway: httpx.AsyncClient, mail_server: MailServer, label: str, language: str = "sl"
) -> str:
    email = unique_email(label)
    assert (await sign_up(gateway, email, language=language)).status_code == 202
    [mail] = await mail_server.wait_for(email)
    verified = await gateway.post(f"{AUTH}/residents/verify", json={"token": token_in(mail)})
    assert verified.status_code == 204, verified.text
    return email


async def sql(database_url: str, query: str, *args: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(libpq_url(database_url))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def account_rows(database_url: str, email: str) -> list[asyncpg.Record]:
    return await sql(
        database_url, "SELECT * FROM identity.users WHERE lower(email) = lower($1)", email
    )


# Sign-up and verification -----------------------------------------------------------------


class TestSignUp:
    async def test_sign_up_mail_verify_log_in_and_me(
        self,
        gateway_app: GatewayFactory,
        participation_stand_in: ParticipationStandIn,
        mail_server: MailServer,
        worker: Worker,
        settings: Settings,
    ) -> None:
        email = unique_email("resident")
        async with gateway_app(participation_url=participation_stand_in.url) as gateway:
            signed_up = await sign_up(gateway, email, name="Ana Novak", language="sl")
            assert signed_up.status_code == 202, signed_up.text
            too_early = await login(gateway, email)
            assert too_early.status_code == 401
            assert "not verified" in too_early.json()["detail"]

            [mail] = await mail_server.wait_for(email)
            assert mail["Subject"] == "Potrdite svoj e-naslov"
            assert mail["Content-Language"] == "sl"
            assert text_of(mail).startswith("Pozdravljeni Ana Novak,")
            link = urlsplit(link_in(mail))
            assert f"{link.scheme}://{link.netloc}" == settings.public_base_url  # absolute
            assert link.path == "/verify"  # the app's page, which POSTs the token

            verified = await gateway.post(
                f"{AUTH}/residents/verify", json={"token": token_in(mail)}
            )
            assert verified.status_code == 204, verified.text
            token = await token_of(gateway, email)
            me = await gateway.get(f"{AUTH}/me", headers=bearer(token))
            assert me.status_code == 200, me.text
            assert me.json() == {
                "subject": me.json()["subject"],
                "role": "resident",
                "city": None,
                "kind": "user",
                "email": email,
                "name": "Ana Novak",
                "language": "sl",
            }
            assert me.headers["etag"] == '"v1"'

            # What participation sees: the resident's name, verified email and language.
            await gateway.get("/api/v1/participation/labs", headers=bearer(token))
            forwarded = participation_stand_in.calls[-1].authorization
            assert forwarded is not None
            principal = verify_token(forwarded.removeprefix("Bearer "), settings)
            assert principal.role is Role.RESIDENT
            assert (principal.name, principal.email, principal.language) == (
                "Ana Novak",
                email,
                "sl",
            )
            assert principal.subject == me.json()["subject"]

    async def test_a_link_works_once_and_not_after_it_expired(
        self,
        gateway_app: GatewayFactory,
        mail_server: MailServer,
        worker: Worker,
        database_url: str,
    ) -> None:
        first, second = unique_email("once"), unique_email("expired")
        async with gateway_app() as gateway:
            for email in (first, second):
                assert (await sign_up(gateway, email)).status_code == 202
            [first_mail] = await mail_server.wait_for(first)
            [second_mail] = await mail_server.wait_for(second)
            used = {"token": token_in(first_mail)}
            assert (await gateway.post(f"{AUTH}/residents/verify", json=used)).status_code == 204

            again = await gateway.post(f"{AUTH}/residents/verify", json=used)
            assert again.status_code == 400
            assert again.headers["content-type"] == "application/problem+json"
            assert "not valid" in again.json()["detail"]

            [account] = await account_rows(database_url, second)
            await sql(
                database_url,
                "UPDATE identity.account_tokens SET created_at = now() - interval '49 hours', "
                "expires_at = now() - interval '1 hour' WHERE user_id = $1",
                account["id"],
            )
            expired = await gateway.post(
                f"{AUTH}/residents/verify", json={"token": token_in(second_mail)}
            )
            assert expired.status_code == 400
            forged = await gateway.post(f"{AUTH}/residents/verify", json={"token": "x" * 43})
            assert forged.status_code == 400
            assert (await login(gateway, second)).status_code == 401
            assert (await account_rows(database_url, second))[0]["verified_at"] is None

    async def test_a_link_clicked_many_times_at_once_verifies_once(
        self, gateway_app: GatewayFactory, mail_server: MailServer, worker: Worker
    ) -> None:
        email = unique_email("at-once")
        async with gateway_app() as gateway:
            assert (await sign_up(gateway, email)).status_code == 202
            [mail] = await mail_server.wait_for(email)
            body = {"token": token_in(mail)}
            answers = await asyncio.gather(
                *(gateway.post(f"{AUTH}/residents/verify", json=body) for _ in range(6))
            )
            logged_in = await login(gateway, email)
        assert sorted(answer.status_code for answer in answers) == [204, 400, 400, 400, 400, 400]
        assert logged_in.status_code == 200

    async def test_signing_up_again_with_a_known_address_answers_the_same_and_creates_nothing(
        self,
        gateway_app: GatewayFactory,
        mail_server: MailServer,
        worker: Worker,
        database_url: str,
    ) -> None:
        async with gateway_app() as gateway:
            email = await verified_resident(gateway, mail_server, "known", language="en")
            fresh = await sign_up(gateway, unique_email("fresh"))
            again = await sign_up(
                gateway, email.upper(), password="another-long-password", language="it"
            )
            staff = await sign_up(gateway, ADMIN_EMAIL, password="another-long-password")

            assert fresh.status_code == again.status_code == staff.status_code == 202
            assert fresh.json() == again.json() == staff.json()
            assert len(await account_rows(database_url, email)) == 1
            told = (await mail_server.wait_for(email, 2))[1]
            assert told["Subject"] == "Hai già un account"  # in the language just asked for
            assert urlsplit(link_in(told)).path == "/password-reset"
            assert "token" not in link_in(told)
            assert (await login(gateway, email)).status_code == 200  # the password is unchanged
            assert (await login(gateway, email, "another-long-password")).status_code == 401
            assert (await login(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)).status_code == 200
        staff_mail = await sql(
            database_url,
            "SELECT count(*) AS n FROM identity.outbox o JOIN identity.users u "
            "ON o.target = 'user:' || u.id::text WHERE lower(u.email) = lower($1)",
            ADMIN_EMAIL,
        )
        assert staff_mail[0]["n"] == 0  # staff accounts are an admin's to manage

    async def test_a_second_sign_up_before_verifying_voids_the_first_link(
        self, gateway_app: GatewayFactory, mail_server: MailServer, worker: Worker
    ) -> None:
        email = unique_email("twice")
        async with gateway_app() as gateway:
            assert (await sign_up(gateway, email, language="hr")).status_code == 202
            [first] = await mail_server.wait_for(email)
            second_password = "the-second-password"
            assert (await sign_up(gateway, email, password=second_password)).status_code == 202
            second = (await mail_server.wait_for(email, 2))[1]

            stale = await gateway.post(f"{AUTH}/residents/verify", json={"token": token_in(first)})
            assert stale.status_code == 400
            fresh = await gateway.post(f"{AUTH}/residents/verify", json={"token": token_in(second)})
            assert fresh.status_code == 204
            assert first["Subject"] == "Potvrdite svoju adresu e-pošte"
            assert (await login(gateway, email)).status_code == 401
            assert (await login(gateway, email, second_password)).status_code == 200

    async def test_an_unverified_account_cannot_log_in_and_tells_nobody_it_exists(
        self, gateway_app: GatewayFactory, worker: Worker
    ) -> None:
        email = unique_email("unverified")
        async with gateway_app() as gateway:
            assert (await sign_up(gateway, email)).status_code == 202
            wrong_password = await login(gateway, email, "not-the-password")
            nobody = await login(gateway, unique_email("nobody"), "not-the-password")
            right_password = await login(gateway, email)

        assert wrong_password.status_code == nobody.status_code == right_password.status_code
        assert wrong_password.status_code == 401
        assert wrong_password.json()["detail"] == nobody.json()["detail"]
        # Only whoever knows the password learns why.
        assert "not verified" in right_password.json()["detail"]

    @pytest.mark.parametrize(
        "body",
        [
            {"email": "not-an-address", "name": "Ana", "password": PASSWORD, "language": "sl"},
            {"email": "a@example.org", "name": "  ", "password": PASSWORD, "language": "sl"},
            {"email": "a@example.org", "name": "Ana", "password": "short", "language": "sl"},
            {"email": "a@example.org", "name": "Ana", "password": PASSWORD, "language": "de"},
        ],
    )
    async def test_invalid_sign_ups_are_422_problems(
        self, gateway_app: GatewayFactory, body: dict[str, str], database_url: str
    ) -> None:
        async with gateway_app() as gateway:
            response = await gateway.post(f"{AUTH}/residents", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert await account_rows(database_url, "a@example.org") == []


# Password reset ---------------------------------------------------------------------------


class TestPasswordReset:
    async def test_the_answer_never_tells_whether_an_account_exists(
        self,
        gateway_app: GatewayFactory,
        mail_server: MailServer,
        worker: Worker,
        database_url: str,
    ) -> None:
        async with gateway_app() as gateway:
            verified = await verified_resident(gateway, mail_server, "reset-known", "sk")
            unverified = unique_email("reset-unverified")
            assert (await sign_up(gateway, unverified)).status_code == 202
            unknown = unique_email("reset-unknown")
            answers = [
                await gateway.post(f"{AUTH}/password-reset", json={"email": email})
                for email in (unknown, unverified, ADMIN_EMAIL, verified)
            ]

        assert {answer.status_code for answer in answers} == {202}
        assert len({answer.text for answer in answers}) == 1
        reset = (await mail_server.wait_for(verified, 2))[1]
        assert reset["Subject"] == "Nové heslo pre MAGNET Celje"
        assert urlsplit(link_in(reset)).path == "/password-reset"
        queued = await sql(
            database_url,
            "SELECT u.email FROM identity.outbox o JOIN identity.users u "
            "ON o.target = 'user:' || u.id::text WHERE o.topic = 'resident.password-reset' "
            "AND lower(u.email) = ANY($1::text[])",
            [unknown, unverified, ADMIN_EMAIL.lower(), verified],
        )
        assert [row["email"] for row in queued] == [verified]

    async def test_a_new_password_refuses_every_earlier_token_and_link(
        self, gateway_app: GatewayFactory, mail_server: MailServer, worker: Worker
    ) -> None:
        async with gateway_app() as gateway:
            email = await verified_resident(gateway, mail_server, "reset", "it")
            old_token = await token_of(gateway, email)
            for _ in range(2):
                asked = await gateway.post(f"{AUTH}/password-reset", json={"email": email})
                assert asked.status_code == 202
            first_link, second_link = (await mail_server.wait_for(email, 3))[1:]
            new_password = "a-brand-new-password"

            too_short = await gateway.post(
                f"{AUTH}/password-reset/confirm",
                json={"token": token_in(first_link), "password": "short"},
            )
            assert too_short.status_code == 422
            confirmed = await gateway.post(
                f"{AUTH}/password-reset/confirm",
                json={"token": token_in(first_link), "password": new_password},
            )
            assert confirmed.status_code == 204, confirmed.text

            refused = await gateway.get(f"{AUTH}/me", headers=bearer(old_token))
            assert refused.status_code == 401
            for link in (first_link, second_link):  # used, and void with it
                again = await gateway.post(
                    f"{AUTH}/password-reset/confirm",
                    json={"token": token_in(link), "password": "yet-another-password"},
                )
                assert again.status_code == 400
            assert (await login(gateway, email)).status_code == 401
            fresh = await token_of(gateway, email, new_password)
            me = await gateway.get(f"{AUTH}/me", headers=bearer(fresh))
            assert me.json()["email"] == email


# Export and deletion ----------------------------------------------------------------------


class TestOwnData:
    async def test_export_holds_the_account_and_the_contributions_participation_keeps(
        self,
        gateway_app: GatewayFactory,
        participation_stand_in: ParticipationStandIn,
        mail_server: MailServer,
        worker: Worker,
        admin: dict[str, str],
        settings: Settings,
    ) -> None:
        participation_stand_in.contributions = {
            "proposals": [{"id": str(uuid.uuid4()), "title": {"sl": "Klopi ob Savinji"}}],
            "comments": [{"id": str(uuid.uuid4()), "body": "Se strinjam."}],
            "supports": [],
        }
        async with gateway_app(participation_url=participation_stand_in.url) as gateway:
            email = await verified_resident(gateway, mail_server, "export", "en")
            token = await token_of(gateway, email)
            exported = await gateway.get(f"{AUTH}/me/export", headers=bearer(token))
            staff = await gateway.get(f"{AUTH}/me/export", headers=admin)
            anonymous = await gateway.get(f"{AUTH}/me/export")

        assert exported.status_code == 200, exported.text
        body = exported.json()
        assert body["account"]["email"] == email
        assert body["account"]["language"] == "en"
        assert body["account"]["verified_at"] is not None
        assert "password_hash" not in exported.text
        assert body["contributions"] == participation_stand_in.contributions
        [call] = [c for c in participation_stand_in.calls if c.path == CONTRIBUTIONS]
        assert call.method == "GET"
        assert call.authorization is not None
        asked_as = verify_token(call.authorization.removeprefix("Bearer "), settings)
        assert asked_as.subject == body["account"]["id"]
        assert staff.status_code == 403
        assert anonymous.status_code == 401

    async def test_deleting_asks_participation_first_then_deletes_the_account(
        self,
        gateway_app: GatewayFactory,
        participation_stand_in: ParticipationStandIn,
        mail_server: MailServer,
        worker: Worker,
        database_url: str,
        settings: Settings,
    ) -> None:
        async with gateway_app(participation_url=participation_stand_in.url) as gateway:
            email = await verified_resident(gateway, mail_server, "delete")
            token = await token_of(gateway, email)
            me = await gateway.get(f"{AUTH}/me", headers=bearer(token))
            missing = await gateway.delete(f"{AUTH}/me", headers=bearer(token))
            stale = await gateway.delete(
                f"{AUTH}/me", headers={**bearer(token), "If-Match": '"v99"'}
            )
            assert (missing.status_code, stale.status_code) == (428, 412)
            assert participation_stand_in.calls == []  # nothing asked before the checks

            deleted = await gateway.delete(
                f"{AUTH}/me", headers={**bearer(token), "If-Match": me.headers["etag"]}
            )
            assert deleted.status_code == 204, deleted.text
            [call] = participation_stand_in.calls
            assert (call.method, call.path) == ("DELETE", CONTRIBUTIONS)
            assert call.authorization is not None
            asked_as = verify_token(call.authorization.removeprefix("Bearer "), settings)
            assert asked_as.subject == me.json()["subject"]
            assert await account_rows(database_url, email) == []
            assert (await gateway.get(f"{AUTH}/me", headers=bearer(token))).status_code == 401
            assert (await login(gateway, email)).status_code == 401
            left = await sql(
                database_url,
                "SELECT count(*) AS n FROM identity.outbox WHERE target = $1",
                f"user:{me.json()['subject']}",
            )
            assert left[0]["n"] == 0

    async def test_an_admin_deleting_a_resident_has_participation_anonymise_them_first(
        self,
        gateway_app: GatewayFactory,
        participation_stand_in: ParticipationStandIn,
        mail_server: MailServer,
        worker: Worker,
        admin: dict[str, str],
        database_url: str,
        settings: Settings,
    ) -> None:
        async with gateway_app(participation_url=participation_stand_in.url) as gateway:
            email = await verified_resident(gateway, mail_server, "deleted-by-admin")
            [account] = await account_rows(database_url, email)
            url = f"{AUTH}/users/{account['id']}"
            read = await gateway.get(url, headers=admin)
            assert read.json()["role"] == "resident"
            assert read.json()["name"] == "Ana Novak"
            participation_stand_in.delete_status = 500
            refused = await gateway.delete(url, headers={**admin, "If-Match": read.headers["etag"]})
            assert refused.status_code == 503
            assert len(await account_rows(database_url, email)) == 1

            participation_stand_in.delete_status = 204
            deleted = await gateway.delete(url, headers={**admin, "If-Match": read.headers["etag"]})
            assert deleted.status_code == 204, deleted.text

        calls = [call for call in participation_stand_in.calls if call.method == "DELETE"]
        assert [call.path for call in calls] == [CONTRIBUTIONS, CONTRIBUTIONS]
        assert calls[-1].authorization is not None
        acting_for = verify_token(calls[-1].authorization.removeprefix("Bearer "), settings)
        assert (acting_for.subject, acting_for.role) == (str(account["id"]), Role.RESIDENT)
        assert await account_rows(database_url, email) == []

    @pytest.mark.parametrize("participation", ["down", "refusing"])
    async def test_when_participation_cannot_anonymise_nothing_is_deleted(
        self,
        gateway_app: GatewayFactory,
        participation_stand_in: ParticipationStandIn,
        closed_url: str,
        mail_server: MailServer,
        worker: Worker,
        database_url: str,
        participation: str,
    ) -> None:
        participation_stand_in.delete_status = 500
        url = closed_url if participation == "down" else participation_stand_in.url
        async with gateway_app() as signing_up:
            email = await verified_resident(signing_up, mail_server, f"kept-{participation}")
        async with gateway_app(participation_url=url) as gateway:
            token = await token_of(gateway, email)
            me = await gateway.get(f"{AUTH}/me", headers=bearer(token))
            refused = await gateway.delete(
                f"{AUTH}/me", headers={**bearer(token), "If-Match": me.headers["etag"]}
            )

            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            assert "nothing was deleted" in refused.json()["detail"]
            assert "127.0.0.1" not in refused.text
            assert len(await account_rows(database_url, email)) == 1
            assert (await gateway.get(f"{AUTH}/me", headers=bearer(token))).status_code == 200


class TestForgetting:
    async def test_sign_ups_never_verified_are_forgotten_a_week_later(
        self,
        gateway_app: GatewayFactory,
        mail_server: MailServer,
        worker: Worker,
        database_url: str,
    ) -> None:
        stale, recent = unique_email("stale"), unique_email("recent")
        async with gateway_app() as gateway:
            for email in (stale, recent):
                assert (await sign_up(gateway, email)).status_code == 202
            verified = await verified_resident(gateway, mail_server, "old-but-verified")
        for email in (stale, verified):
            [account] = await account_rows(database_url, email)
            await sql(
                database_url,
                "UPDATE identity.users SET created_at = now() - interval '8 days' WHERE id = $1",
                account["id"],
            )
            await sql(
                database_url,
                "UPDATE identity.account_tokens SET created_at = now() - interval '8 days', "
                "expires_at = now() - interval '6 days' WHERE user_id = $1",
                account["id"],
            )

        done = await worker.run_schedules()

        assert done["unverified-residents"] is not None and done["unverified-residents"] >= 1
        assert await account_rows(database_url, stale) == []
        assert len(await account_rows(database_url, recent)) == 1
        assert len(await account_rows(database_url, verified)) == 1
        spent = await sql(
            database_url,
            "SELECT count(*) AS n FROM identity.account_tokens t JOIN identity.users u "
            "ON u.id = t.user_id WHERE u.email = $1",
            verified,
        )
        assert spent[0]["n"] == 0


# Staff and residents keep apart --------------------------------------------------------------


class TestRoles:
    async def test_admins_cannot_make_residents_nor_turn_users_into_residents(
        self, gateway: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        email = unique_email("made-by-admin")
        created = await gateway.post(
            f"{AUTH}/users",
            json={"email": email, "password": PASSWORD, "role": "resident"},
            headers=admin,
        )
        assert created.status_code == 422
        assert "sign up" in json.dumps(created.json())

        editor = await gateway.post(
            f"{AUTH}/users",
            json={"email": email, "password": PASSWORD, "role": "editor"},
            headers=admin,
        )
        assert editor.status_code == 201
        user_id = editor.json()["id"]
        changed = await gateway.patch(
            f"{AUTH}/users/{user_id}",
            json={"role": "resident"},
            headers={**admin, "If-Match": '"v1"'},
        )
        assert changed.status_code == 422
        assert (await gateway.get(f"{AUTH}/users/{user_id}", headers=admin)).json()["role"] == (
            "editor"
        )


# Limits --------------------------------------------------------------------------------------


class TestLimits:
    async def test_sign_ups_and_resets_are_limited_per_email_and_per_address(
        self, gateway_app: GatewayFactory, worker: Worker
    ) -> None:
        email = unique_email("limited")
        async with gateway_app(
            resident_requests_per_email_per_hour=2, resident_requests_per_address_per_hour=4
        ) as gateway:
            same_email = [await sign_up(gateway, email) for _ in range(3)]
            resets = [
                (await gateway.post(f"{AUTH}/password-reset", json={"email": email})).status_code
                for _ in range(3)
            ]
            other_emails = [
                (await sign_up(gateway, unique_email("other"))).status_code for _ in range(3)
            ]

        assert [answer.status_code for answer in same_email] == [202, 202, 429]
        limited = same_email[-1]
        assert limited.headers["content-type"] == "application/problem+json"
        assert int(limited.headers["retry-after"]) >= 1
        assert resets == [202, 202, 429]  # counted apart from sign-ups
        # The address has 3 sign-ups counted (the refused one too): one more, then no more.
        assert other_emails == [202, 429, 429]

    async def test_the_limits_are_shared_by_gateways_through_redis(
        self, gateway_app: GatewayFactory, worker: Worker
    ) -> None:
        email = unique_email("shared-limit")
        shared = {
            "redis_url": "redis://127.0.0.1:6379/0",
            "rate_limit_key_prefix": f"residents-test-{uuid.uuid4().hex[:8]}",
            "resident_requests_per_email_per_hour": 2,
        }
        async with gateway_app(**shared) as first, gateway_app(**shared) as second:
            answers = [
                (await sign_up(first, email)).status_code,
                (await sign_up(second, email)).status_code,
                (await sign_up(first, email)).status_code,
                (await sign_up(second, email)).status_code,
            ]
        assert answers == [202, 202, 429, 429]


# Mail texts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("topic", sorted(TEXTS))
def test_every_mail_is_written_in_every_language(topic: str, language: str) -> None:
    mail = compose(topic, language, "Ana", "https://app.example/verify?token=abc&x=<1>")
    assert mail["language"] == language
    assert mail["subject"]
    assert "https://app.example/verify?token=abc&x=<1>" in mail["text"]
    assert 'href="https://app.example/verify?token=abc&amp;x=&lt;1&gt;"' in mail["html"]
    others = {TEXTS[topic][other][0] for other in LANGUAGES if other != language}
    assert mail["subject"] not in others, "a language was left untranslated"
