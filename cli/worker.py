"""`magnet serve worker`: sends what the services queued in their outboxes, and runs the
schedules (reminders, retention, pruning).

It sits above the services, like the CLI: it reads each service's outbox and lets that
service write its own mail (`services.participation.mails`, `services.gateway.mails` for
identity's mail to residents) or find its webhook endpoint
(`services.transfer.service.webhooks`). Several workers may run at once: rows are claimed
with `FOR UPDATE SKIP LOCKED` (see `shared.outbox`) and every schedule runs under a
transaction-scoped advisory lock and is idempotent.

Each outbox has a few delivery loops, one message per transaction each. They sleep until a
NOTIFY from a committing transaction wakes them, or until the poll interval passes, so a
lost connection or notification only delays a message. The process is a small ASGI app, so
`/healthz`, `/readyz` and `/metrics` work as for every service.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import structlog
from fastapi import FastAPI
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from services.gateway import mails as identity_mails
from services.gateway import residents
from services.gateway.tokens import token_key
from services.participation import mails
from services.participation.service import notices, registrations
from services.transfer.service import changes
from services.transfer.service import webhooks as transfer_webhooks
from shared.app import NotReady, create_service_app
from shared.auth import derive_key
from shared.db import Database, libpq_url
from shared.embedded import data_dir
from shared.idempotency import expire_keys
from shared.mail import Mailer, build_message, mailer_for
from shared.outbox import (
    CHANNEL,
    Kind,
    Message,
    Outcome,
    Result,
    backlog,
    claim,
    finish,
    prune_sent,
)
from shared.settings import Environment, Settings, get_settings
from shared.webhooks import deliver as deliver_webhook

OUTBOXES = ("participation", "transfer", "identity")
# What each service's mail renderer answers: a recipient and the mail's payload.
Mail = identity_mails.Mail | mails.Mail
IDEMPOTENCY_SCHEMAS = ("catalog", "participation", "transfer", "identity")
LOOPS_PER_OUTBOX = 2
SCHEDULE_EVERY_SECONDS = 60.0
METRICS_EVERY_SECONDS = 5.0
STOP_GRACE_SECONDS = 30.0
LISTENER_NAME = "magnet-worker-listener"  # in pg_stat_activity: ops can see it is back

QUEUE_DEPTH = Gauge("magnet_outbox_waiting", "Messages waiting to be sent", ["outbox", "kind"])
OLDEST_AGE = Gauge(
    "magnet_outbox_oldest_seconds", "Age of the oldest message waiting", ["outbox", "kind"]
)
DELIVERIES = Counter(
    "magnet_outbox_deliveries_total", "Delivery attempts by outcome", ["outbox", "kind", "outcome"]
)
DELIVERY_DELAY = Histogram(
    "magnet_outbox_delivery_delay_seconds",
    "From the message's transaction to its delivery",
    ["outbox", "kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400),
)

log = structlog.get_logger("magnet.worker")


def maildir_of(settings: Settings) -> Path:
    return data_dir(settings) / "mail"


class Worker:
    def __init__(self, settings: Settings, engine: AsyncEngine, mailer: Mailer) -> None:
        self.settings = settings
        self.engine = engine
        self.read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.lease = timedelta(seconds=settings.outbox_lease_seconds)
        self.mailer = mailer
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.webhook_timeout_seconds, connect=5.0),
            headers={"accept": "*/*"},
        )
        self.wakers = {
            schema: [asyncio.Event() for _ in range(LOOPS_PER_OUTBOX)] for schema in OUTBOXES
        }
        self.running = False
        self.stopping = asyncio.Event()

    # Delivery -------------------------------------------------------------------------

    async def _user_email(self, connection: AsyncConnection, user_id: str) -> str | None:
        email: str | None = await connection.scalar(
            text("SELECT email FROM identity.users WHERE id = CAST(:id AS uuid)"), {"id": user_id}
        )
        return email

    async def _identity_mail(self, message: Message) -> Mail | None:
        async with self.read_engine.connect() as connection:  # reads only: no transaction
            return await identity_mails.render(
                connection,
                message.topic,
                message.payload,
                app_url=self.settings.app_base_url,
                token_key=token_key(self.settings),
            )

    async def _participation_mail(self, message: Message) -> Mail | None:
        async with self.read_engine.connect() as connection:  # reads only: no transaction

            async def user_email(user_id: str) -> str | None:
                return await self._user_email(connection, user_id)

            return await mails.render(
                connection,
                message.topic,
                message.payload,
                base_url=self.settings.public_base_url,
                token_key=derive_key(self.settings, registrations.CANCEL_KEY_PURPOSE),
                user_email=user_email,
            )

    async def _mail(self, message: Message) -> Result:
        if message.schema == "identity":
            mail = await self._identity_mail(message)
        else:
            mail = await self._participation_mail(message)
        if mail is None:
            return Result(Outcome.FAILED, None, "nobody (left) to tell, or nothing to say")
        return await self.mailer.send(
            build_message(
                sender=self.settings.mail_from,
                recipient=mail.recipient,
                message_id=message.message_id,
                payload=mail.payload,
            )
        )

    async def _webhook(self, message: Message) -> Result:
        async with self.read_engine.connect() as connection:
            endpoint = await transfer_webhooks.endpoint_for_delivery(connection, message.target)
        if endpoint is None:
            return Result(Outcome.FAILED, None, "the endpoint is disabled or removed")
        return await deliver_webhook(
            self.http,
            url=endpoint.url,
            secret=endpoint.secret,
            message_id=message.message_id,
            payload=message.payload,
            allow_private=self.settings.environment in (Environment.LOCAL, Environment.TEST),
        )

    async def _deliver(self, message: Message) -> Result:
        try:
            if message.kind is Kind.MAIL:
                return await self._mail(message)
            return await self._webhook(message)
        except Exception as exc:  # a bug or a surprise: retry later, never lose the message
            log.exception("delivery failed", message=str(message.id))
            return Result(Outcome.RETRY, None, f"{type(exc).__name__}: {exc}")

    async def deliver_one(self, schema: str) -> bool:
        """Claim, deliver and record one due message of `schema`; False when none is due.

        Three steps, no transaction open while delivering (see `shared.outbox`)."""
        async with self.engine.connect() as connection, connection.begin():
            claimed = await claim(connection, schema, 1, self.lease)
        if not claimed:
            return False
        message = claimed[0]
        result = await self._deliver(message)
        async with self.engine.connect() as connection, connection.begin():
            if message.kind is Kind.WEBHOOK and result.status == 410:
                reason = "the receiver answered 410 Gone"
                await transfer_webhooks.disable(connection, message.target, reason)
            recorded = await finish(connection, message, result)
        DELIVERIES.labels(schema, message.kind.value, result.outcome.value).inc()
        if not recorded:
            log.warning("delivery outlived its lease", outbox=schema, message=str(message.id))
        elif result.outcome is Outcome.SENT:
            delay = time.time() - message.created_at.timestamp()
            DELIVERY_DELAY.labels(schema, message.kind.value).observe(delay)
        else:
            log.warning(
                "delivery not made",
                outbox=schema,
                message=str(message.id),
                outcome=result.outcome.value,
                error=result.error,
            )
        return True

    async def _pause(self, seconds: float, wake: asyncio.Event | None = None) -> None:
        """Sleep `seconds`, or less when woken or when the worker stops."""
        waits = [asyncio.ensure_future(self.stopping.wait())]
        if wake is not None:
            waits.append(asyncio.ensure_future(wake.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    async def _delivery_loop(self, schema: str, wake: asyncio.Event) -> None:
        while not self.stopping.is_set():
            wake.clear()
            try:
                delivered = await self.deliver_one(schema)
            except Exception as exc:  # the database is away: wait, then try again
                log.warning("outbox unavailable", outbox=schema, error=repr(exc)[:300])
                delivered = False
            if not delivered:
                await self._pause(self.settings.worker_poll_seconds, wake)

    def _wake(self, schema: str) -> None:
        for event in self.wakers.get(schema, []):
            event.set()

    async def _listen(self) -> None:
        """LISTEN for commits that wrote to an outbox; reconnect when the connection goes."""
        assert self.settings.database_url is not None
        while True:
            try:
                connection = await asyncpg.connect(
                    libpq_url(self.settings.database_url),
                    timeout=5,
                    server_settings={"application_name": LISTENER_NAME},
                )
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(self.settings.worker_poll_seconds)
                continue
            try:
                await connection.add_listener(
                    CHANNEL, lambda _conn, _pid, _channel, payload: self._wake(payload)
                )
                for schema in OUTBOXES:  # whatever was queued while nobody listened
                    self._wake(schema)
                while not connection.is_closed():
                    await asyncio.sleep(self.settings.worker_poll_seconds)
                    await connection.execute("SELECT 1")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    await connection.close(timeout=1)

    # Schedules ------------------------------------------------------------------------

    async def _scheduled(
        self, name: str, job: Callable[[AsyncSession], Awaitable[int]]
    ) -> int | None:
        """Run `job` in its own transaction unless another worker is running it now."""
        async with AsyncSession(self.engine) as session, session.begin():
            locked = await session.scalar(
                text("SELECT pg_try_advisory_xact_lock(hashtext(:name))"),
                {"name": f"magnet-schedule:{name}"},
            )
            if not locked:
                return None
            return await job(session)

    def schedules(self) -> dict[str, Callable[[AsyncSession], Awaitable[int]]]:
        retention = timedelta(days=self.settings.registration_retention_days)
        jobs: dict[str, Callable[[AsyncSession], Awaitable[int]]] = {
            "reminders": notices.queue_reminders,
            "registration-retention": lambda session: notices.erase_expired(session, retention),
            "change-feed-pruning": changes.prune,
            "unverified-residents": residents.forget_unverified,
        }
        for schema in IDEMPOTENCY_SCHEMAS:
            jobs[f"idempotency-expiry:{schema}"] = (
                lambda session, schema=schema: expire_keys(session, schema)  # type: ignore[misc]
            )
        for schema in OUTBOXES:
            jobs[f"outbox-pruning:{schema}"] = (
                lambda session, schema=schema: prune_sent(session, schema, retention)  # type: ignore[misc]
            )
        return jobs

    async def run_schedules(self) -> dict[str, int | None]:
        done: dict[str, int | None] = {}
        for name, job in self.schedules().items():
            try:
                done[name] = await self._scheduled(name, job)
            except Exception as exc:
                log.warning("schedule failed", schedule=name, error=repr(exc)[:300])
        return done

    async def _schedule_loop(self) -> None:
        while not self.stopping.is_set():
            await self.run_schedules()
            await self._pause(SCHEDULE_EVERY_SECONDS)

    async def _metrics_loop(self) -> None:
        while not self.stopping.is_set():
            with contextlib.suppress(Exception):
                async with self.engine.connect() as connection:
                    for schema in OUTBOXES:
                        waiting = await backlog(connection, schema)
                        for kind in Kind:
                            count, oldest = waiting.get(kind.value, (0, 0.0))
                            QUEUE_DEPTH.labels(schema, kind.value).set(count)
                            OLDEST_AGE.labels(schema, kind.value).set(oldest)
            await self._pause(METRICS_EVERY_SECONDS)

    @asynccontextmanager
    async def running_tasks(self) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._schedule_loop())]
        tasks.append(asyncio.create_task(self._metrics_loop()))
        for schema, events in self.wakers.items():
            tasks += [asyncio.create_task(self._delivery_loop(schema, wake)) for wake in events]
        self.running = True
        try:
            yield
        finally:
            self.running = False
            # Let each loop finish the delivery it is in (bounded by the delivery timeouts):
            # cancelling in the middle of a database call can leave its connection busy.
            self.stopping.set()
            tasks[0].cancel()  # the listener holds no pooled connection
            _, stuck = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            for task in stuck:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.http.aclose()


async def _worker_running(app: FastAPI) -> dict[str, str]:
    if not app.state.worker.running:
        raise NotReady({"worker": "stopped"})
    return {"worker": "running"}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database: Database = app.state.database
        mailer = mailer_for(settings.smtp_url, maildir_of(settings))
        worker = Worker(settings, database.engine, mailer)
        app.state.worker = worker
        log.info("worker started", mail=mailer.describe())
        async with worker.running_tasks():
            yield

    return create_service_app(
        name="worker",
        schema="public",
        title="MAGNET worker",
        routers=[],
        readiness_checks=[_worker_running],
        settings=settings,
        extra_lifespan=lifespan,
    )
