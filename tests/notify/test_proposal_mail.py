"""The author of a proposal hears its answer, through the outbox and the worker, by SMTP."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from cli.worker import Worker
from shared.auth import Role
from shared.settings import Settings
from tests.notify.test_mail import outbox_rows, parts
from tests.participation.proposal_helpers import API, new_lab, propose, resident, staff
from tests.receivers import MailServer, unique_email


class TestAnswerMail:
    async def test_the_author_gets_the_answer_in_their_language_with_an_absolute_link(
        self,
        participation: httpx.AsyncClient,
        settings: Settings,
        database_url: str,
        mail_server: MailServer,
        worker: Worker,
    ) -> None:
        address = unique_email("author")
        author = resident(settings, "Ana", email=address, language="sl")
        proposal = await propose(
            participation, await new_lab(database_url), author, "Klopi ob reki"
        )
        answered = await participation.post(
            f"{API}/proposals/{proposal['id']}/answer",
            json={
                "text": {"sl": "Klopi postavimo spomladi.", "en": "Benches come in spring."},
                "state": "accepted",
            },
            headers=staff(settings, Role.COORDINATOR),
        )
        assert answered.status_code == 200, answered.text

        [message] = await mail_server.wait_for(address)

        assert message["Subject"] == "Predlog sprejet: Klopi ob reki"
        assert message["Content-Language"] == "sl"
        [row] = await outbox_rows(database_url, f"proposal:{proposal['id']}")
        assert message["Message-ID"] == row["message_id"]
        text = parts(message)["text/plain"]
        assert "Vaš predlog »Klopi ob reki« je sprejet." in text
        assert "Klopi postavimo spomladi." in text
        link = re.search(r"https?://\S+", text)
        assert link is not None
        url = urlsplit(link.group(0))
        assert url.netloc == f"{settings.host}:{settings.gateway_port}"
        assert url.path == f"{API}/proposals/{proposal['id']}"

    async def test_an_author_without_a_verified_email_is_not_mailed(
        self, participation: httpx.AsyncClient, settings: Settings, database_url: str
    ) -> None:
        author = resident(settings, "Bor", email=None)
        proposal = await propose(participation, await new_lab(database_url), author)
        answered = await participation.post(
            f"{API}/proposals/{proposal['id']}/answer",
            json={"text": {"sl": "Ne."}, "state": "rejected"},
            headers=staff(settings, Role.COORDINATOR),
        )

        assert answered.status_code == 200
        assert await outbox_rows(database_url, f"proposal:{proposal['id']}") == []
