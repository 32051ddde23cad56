"""A resident's whole journey, as they live it, through the gateway of the real stack.

Sign up, receive the mail (a real SMTP server, through the real worker), verify, sign in,
propose an idea in the Housing lab, get 20 supports from 20 other residents at once,
discuss it, get reported and restored, and hear the coordinator's answer by mail.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET
from tests.notify.test_worker_processes import worker_process
from tests.receivers import MailServer, unique_email
from tests.stack import Stack, start_stack

pytestmark = pytest.mark.slow

AUTH = "/api/v1/auth"
P = "/api/v1/participation"
PASSWORD = "a-long-enough-password"
SUPPORTERS = 20
REPORTS_TO_HIDE = 3
APP_URL = "https://sodeluj.example"  # the web app the mailed links open


@pytest.fixture(scope="module")
def journey_stack(database_url: str, mail_server: MailServer) -> Iterator[Stack]:
    settings = {
        "secret_key": TEST_SECRET,
        "admin_email": ADMIN_EMAIL,
        "admin_password": ADMIN_PASSWORD,
        "smtp_url": mail_server.url,
        "reports_to_hide": str(REPORTS_TO_HIDE),
    }
    with (
        start_stack(database_url, app_url=APP_URL, **settings) as stack,
        worker_process(database_url, mail_server, app_url=APP_URL),
    ):
        yield stack


@pytest.fixture
async def gateway(journey_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=journey_stack.gateway_url, timeout=60) as client:
        yield client


async def patiently(send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """Send, and send again while the answer is 429 or 503 with a Retry-After, as the
    generated clients' retry policy does: one hub's neighbours share an address."""
    for _ in range(20):
        response = await send()
        if response.status_code not in (429, 503) or "retry-after" not in response.headers:
            return response
        await asyncio.sleep(float(response.headers["retry-after"]))
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    text: str = body.get_content()
    return text


def token_in(message: EmailMessage) -> str:
    link = re.search(r"https://sodeluj\.example/\S+", plain_text(message))
    assert link is not None, plain_text(message)
    return parse_qs(urlsplit(link.group(0)).query)["token"][0]


async def become_resident(
    gateway: httpx.AsyncClient, mail_server: MailServer, name: str, language: str = "sl"
) -> tuple[str, str]:
    """Sign up, verify with the mailed token, sign in: (email, access token)."""
    email = unique_email("resident")
    body = {"email": email, "name": name, "password": PASSWORD, "language": language}
    signed_up = await patiently(lambda: gateway.post(f"{AUTH}/residents", json=body))
    assert signed_up.status_code == 202, signed_up.text
    (mail,) = await mail_server.wait_for(email)
    verified = await gateway.post(f"{AUTH}/residents/verify", json={"token": token_in(mail)})
    assert verified.status_code == 204, verified.text
    credentials = {"username": email, "password": PASSWORD}
    login = await patiently(lambda: gateway.post(f"{AUTH}/token", data=credentials))
    assert login.status_code == 200, login.text
    token: str = login.json()["access_token"]
    return email, token


async def staff_token(gateway: httpx.AsyncClient, role: str) -> str:
    login = await gateway.post(
        f"{AUTH}/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    admin = bearer(login.json()["access_token"])
    email = unique_email(role)
    created = await gateway.post(
        f"{AUTH}/users", json={"email": email, "password": PASSWORD, "role": role}, headers=admin
    )
    assert created.status_code == 201, created.text
    login = await gateway.post(f"{AUTH}/token", data={"username": email, "password": PASSWORD})
    token: str = login.json()["access_token"]
    return token


async def housing_lab(gateway: httpx.AsyncClient) -> dict[str, Any]:
    labs = await gateway.get(f"{P}/labs", params={"challenge": "housing"})
    assert labs.status_code == 200, labs.text
    (lab, *_) = labs.json()["items"]
    assert lab["challenge"] == "housing"
    return lab  # type: ignore[no-any-return]


async def test_a_resident_proposes_is_supported_discussed_moderated_and_answered(
    gateway: httpx.AsyncClient, mail_server: MailServer
) -> None:
    # Sign up, the mail, verification and the first sign-in.
    email, token = await become_resident(gateway, mail_server, "Maja iz Gaberja")
    me = await gateway.get(f"{AUTH}/me", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "resident"

    # An idea in the Housing lab.
    lab = await housing_lab(gateway)
    idea = {
        "title": {"sl": "Skupna pralnica v bloku"},
        "body": {"sl": "Prazen prostor v kleti bi lahko postal skupna pralnica za vse stanovalce."},
    }
    created = await gateway.post(
        f"{P}/labs/{lab['id']}/proposals", json=idea, headers=bearer(token)
    )
    assert created.status_code == 201, created.text
    proposal = created.json()
    assert created.headers["location"].endswith(f"/proposals/{proposal['id']}")
    assert proposal["author_name"] == "Maja iz Gaberja"
    assert proposal["state"] == "published"
    url = f"{P}/proposals/{proposal['id']}"
    listed = await gateway.get(f"{P}/labs/{lab['id']}/proposals", params={"sort": "recent"})
    assert proposal["id"] in [item["id"] for item in listed.json()["items"]]

    # Twenty other residents support it at once: exactly twenty; a second support is a 409.
    arriving = asyncio.Semaphore(4)  # neighbours signing up a few at a time

    async def neighbour(n: int) -> tuple[str, str]:
        async with arriving:
            return await become_resident(gateway, mail_server, f"Sosed {n}")

    supporters = await asyncio.gather(*(neighbour(n) for n in range(SUPPORTERS)))
    supported = await asyncio.gather(
        *(gateway.post(f"{url}/supports", headers=bearer(t)) for _, t in supporters)
    )
    assert [response.status_code for response in supported] == [201] * SUPPORTERS
    assert (await gateway.get(url)).json()["supports"] == SUPPORTERS
    again = await gateway.post(f"{url}/supports", headers=bearer(supporters[0][1]))
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    assert (await gateway.get(url)).json()["supports"] == SUPPORTERS

    # A discussion: a neighbour asks, the author answers in the thread.
    question = await gateway.post(
        f"{url}/comments",
        json={"body": "Kdo bi skrbel za ključe?"},
        headers=bearer(supporters[1][1]),
    )
    assert question.status_code == 201, question.text
    reply = await gateway.post(
        f"{url}/comments",
        json={"body": "Hišni svet, po urniku.", "parent_id": question.json()["id"]},
        headers=bearer(token),
    )
    assert reply.status_code == 201, reply.text
    thread = (await gateway.get(f"{url}/comments")).json()["items"]
    assert {(c["id"], c["parent_id"]) for c in thread} >= {
        (question.json()["id"], None),
        (reply.json()["id"], question.json()["id"]),
    }

    # Reported by three residents: hidden from the public, its author sees why.
    reports = await asyncio.gather(
        *(
            gateway.post(f"{url}/reports", json={"reason": "Oglas"}, headers=bearer(t))
            for _, t in supporters[2 : 2 + REPORTS_TO_HIDE]
        )
    )
    assert [response.status_code for response in reports] == [201] * REPORTS_TO_HIDE
    public = await gateway.get(url)
    assert public.status_code == 404, public.text
    listed = await gateway.get(f"{P}/labs/{lab['id']}/proposals")
    assert proposal["id"] not in [item["id"] for item in listed.json()["items"]]
    own = await gateway.get(url, headers=bearer(token))
    assert own.status_code == 200, own.text
    assert own.json()["moderation"]["hidden"] is True
    assert own.json()["moderation"]["reason"]

    # A coordinator reviews and restores it, then answers: the author hears by mail.
    coordinator = bearer(await staff_token(gateway, "coordinator"))
    restored = await gateway.post(f"{url}/restore", headers=coordinator)
    assert restored.status_code == 200, restored.text
    public = await gateway.get(url)
    assert public.status_code == 200, public.text
    assert public.json()["supports"] == SUPPORTERS
    assert public.json()["moderation"] is None
    answer = {"text": {"sl": "Hvala! Predlog bomo preučili s hišnimi sveti."}, "state": "accepted"}
    answered = await gateway.post(f"{url}/answer", json=answer, headers=coordinator)
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "accepted"
    mails = await mail_server.wait_for(email, count=2)  # the verification, then the answer
    answer_mail = mails[-1]
    assert "Hvala! Predlog bomo preučili s hišnimi sveti." in plain_text(answer_mail)
    assert "Skupna pralnica v bloku" in answer_mail["Subject"]
    assert f"/api/v1/participation/proposals/{proposal['id']}" in plain_text(answer_mail)

    # Answered: the author can no longer edit it.
    current = await gateway.get(url, headers=bearer(token))
    edit = await gateway.patch(
        url,
        json={"title": {"sl": "Drugačen naslov"}},
        headers={**bearer(token), "If-Match": current.headers["etag"]},
    )
    assert edit.status_code in (403, 409), edit.text
