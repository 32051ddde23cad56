"""Mail: one way to build a message from an outbox payload and hand it to a mail server.

A payload is what a service wrote to its outbox: `subject`, `text`, `html`, `language` and
optionally `ics` (an iCalendar attachment). The recipient is the outbox row's target and
the `Message-ID` its id, fixed when the row was written, so a message sent twice (at least
once delivery) is recognisably the same message.

`MAGNET_SMTP_URL` (`smtp://` with STARTTLS when offered, `smtps://` for implicit TLS,
`user:password@` for AUTH) sends; without it, mail lands in a local Maildir, which is what
`magnet up` uses so a newcomer can read what the platform sends.
"""

from __future__ import annotations

import asyncio
import html
import mailbox
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from shared.outbox import Outcome, Result

SMTP_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Quote:
    text: str


# A mail's body, top to bottom: a paragraph, lines kept together, a quotation, or a link.
Block = str | Sequence[str] | Quote | Link


def compose(
    *, subject: str, language: str, greeting: str, blocks: Sequence[Block], signature: str
) -> dict[str, str]:
    """An outbox payload (plain text and HTML alike) of `blocks` between greeting and
    signature; every service's mails read the same way."""
    text: list[str] = []
    markup: list[str] = []
    for block in [greeting, *blocks, signature]:
        if isinstance(block, Link):
            text.append(f"{block.label}: {block.url}")
            url = html.escape(block.url, quote=True)
            markup.append(f'<p><a href="{url}">{html.escape(block.label)}</a></p>')
        elif isinstance(block, Quote):
            text.append(block.text)
            markup.append(f"<blockquote>{html.escape(block.text)}</blockquote>")
        elif isinstance(block, str):
            text.append(block)
            markup.append(f"<p>{html.escape(block)}</p>")
        elif block:
            text.append("\n".join(block))
            markup.extend(f"<p>{html.escape(line)}</p>" for line in block if line)
    body = "".join(markup)
    return {
        "subject": subject,
        "text": "\n\n".join(text) + "\n",
        "html": f'<!doctype html><html lang="{language}"><body>{body}</body></html>',
        "language": language,
    }


def build_message(
    *, sender: str, recipient: str, message_id: str, payload: dict[str, Any]
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = payload["subject"]
    message["Message-ID"] = message_id
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(payload["text"])
    message.add_alternative(payload["html"], subtype="html")
    if ics := payload.get("ics"):
        message.add_attachment(
            ics.encode(),
            maintype="text",
            subtype="calendar",
            filename=payload.get("ics_name", "event.ics"),
            params={"method": "PUBLISH"},
        )
    # After the parts: making a multipart moves the Content-* headers into its first part.
    message["Content-Language"] = payload.get("language", "en")
    return message


class Mailer(Protocol):
    def describe(self) -> str: ...

    async def send(self, message: EmailMessage) -> Result: ...


class SmtpMailer:
    def __init__(self, url: str, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        self.hostname = parts.hostname or "localhost"
        self.implicit_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def describe(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{self.hostname}:{self.port}"

    async def send(self, message: EmailMessage) -> Result:
        try:
            response = await aiosmtplib.send(
                message,
                hostname=self.hostname,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.implicit_tls,
                start_tls=None if not self.implicit_tls else False,
                timeout=self.timeout,
                tls_context=ssl.create_default_context(),
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            permanent = all(error.code >= 500 for error in exc.recipients)
            outcome = Outcome.FAILED if permanent else Outcome.RETRY
            return Result(outcome, exc.recipients[0].code, str(exc))
        except aiosmtplib.SMTPResponseException as exc:
            outcome = Outcome.FAILED if exc.code >= 500 else Outcome.RETRY
            return Result(outcome, exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return Result(Outcome.RETRY, None, f"{type(exc).__name__}: {exc}")
        return Result(Outcome.SENT, 250, response[1][:200])


class MaildirMailer:
    """Delivers into a Maildir (readable by mutt, Thunderbird, `ls`): the local default."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"the Maildir {self.path}"

    async def send(self, message: EmailMessage) -> Result:
        def deliver() -> None:
            # The Maildir's own creation makes only its last directory; with a server database
            # nothing else has made the data directory above it.
            self.path.parent.mkdir(parents=True, exist_ok=True)
            mailbox.Maildir(self.path, create=True).add(message)

        try:
            await asyncio.to_thread(deliver)
        except OSError as exc:
            return Result(Outcome.RETRY, None, f"{type(exc).__name__}: {exc}")
        return Result(Outcome.SENT)


def mailer_for(smtp_url: str | None, maildir: Path) -> Mailer:
    return SmtpMailer(smtp_url) if smtp_url else MaildirMailer(maildir)
