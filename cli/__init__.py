"""The `magnet` command: run the stack, a single service, migrations, seeds and accounts."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from contextlib import ExitStack
from enum import StrEnum
from typing import Annotated, NoReturn

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from cli import bench as benches
from cli import data
from cli.database import CommandError, database_url
from cli.up import run
from shared.auth import Role
from shared.embedded import EmbeddedPostgres, data_dir
from shared.migrate import migrate_all
from shared.observability import configure_logging
from shared.settings import Settings

app = typer.Typer(
    help="MAGNET platform: the city network's catalog, participation and transfer services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)


class ServiceName(StrEnum):
    GATEWAY = "gateway"
    CATALOG = "catalog"
    PARTICIPATION = "participation"
    TRANSFER = "transfer"
    WORKER = "worker"


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        field = ".".join(str(part) for part in first["loc"])
        _fail(f"invalid configuration: {field + ': ' if field else ''}{message}", code=2)


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@app.command()
def up(
    port: Annotated[
        int | None,
        typer.Option(
            help="The gateway's port. Default: MAGNET_GATEWAY_PORT, else 8000.", min=1, max=65535
        ),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="The address to listen on. Default: MAGNET_HOST.")
    ] = None,
) -> None:
    """Migrate, seed demo data and run the gateway and the three services until Ctrl-C."""

    # Only what was given on the command line overrides the environment.
    given = {"gateway_port": port, "host": host}
    settings = _settings(**{key: value for key, value in given.items() if value is not None})
    try:
        code = run(settings)
    except CommandError as exc:
        _fail(str(exc))
    raise typer.Exit(code)


@app.command()
def serve(
    name: Annotated[ServiceName, typer.Argument(help="Which service to run.")],
    port: Annotated[
        int | None, typer.Option(help="Default: the service's configured port.")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Default: MAGNET_HOST.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Processes serving the port. Default: MAGNET_WORKERS, else 1.", min=1),
    ] = None,
) -> None:
    """Run one service, or the worker that sends mail and webhooks (as containers do)."""

    settings = _settings(**({"workers": workers} if workers else {}))
    if settings.database_url is None:
        _fail("DATABASE_URL is not set (use `magnet up` for the embedded database)", code=2)
    # uvicorn's own lines too go out as JSON lines tagged with the service.
    configure_logging(settings.log_level, settings.log_json, service=name.value)
    gateway = name is ServiceName.GATEWAY
    with ExitStack() as stack:
        if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
            # Each worker writes its figures there; /metrics adds them up (any worker answers).
            metrics_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="magnet-metrics-"))
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        # Each worker is a process of its own: its own pool, its own gc.freeze() (lifespan).
        uvicorn.run(
            "cli.worker:create_app"
            if name is ServiceName.WORKER
            else f"services.{name.value}.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.service_port(name.value),
            workers=settings.workers,
            timeout_worker_healthcheck=settings.worker_healthcheck_seconds,
            log_config=None,
            log_level="warning",
            access_log=False,
            server_header=False,  # no need to tell the world which server answers
            # SIGTERM: stop accepting, let requests in flight finish for up to this long.
            timeout_graceful_shutdown=int(settings.shutdown_timeout_seconds),
            # Heads bounded in time and size (by import path: each worker builds its own).
            http=f"shared.http_server:{'Gateway' if gateway else 'Service'}HttpProtocol",
            # The gateway decides itself whose `X-Forwarded-For` to believe (`forwarded.py`).
            proxy_headers=not gateway,
        )


@app.command()
def migrate() -> None:
    """Apply every service's migrations (each service owns one schema)."""

    try:
        with database_url(_settings()) as url:
            migrate_all(url)
    except CommandError as exc:
        _fail(str(exc))
    err.print("migrations applied")


@app.command()
def seed(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be added; change nothing.")
    ] = False,
) -> None:
    """Add the demo rows this database never had; rows already there are never changed."""

    settings = _settings()
    try:
        with database_url(settings) as url:
            err.print(
                "Adding only demo rows this database never had; rows already there, edited or "
                "deleted by people, are never changed, restored or deleted."
                + (" (dry run: nothing is written)" if dry_run else "")
            )
            report = asyncio.run(data.seed_all(url, settings, dry_run=dry_run))
    except CommandError as exc:
        _fail(str(exc))
    err.print(report.describe(dry_run=dry_run), highlight=False)


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="The user's email (their login).")],
    role: Annotated[Role, typer.Option(help="admin, editor, coordinator or partner.")],
    city: Annotated[str | None, typer.Option(help="The partner's city (partners only).")] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="MAGNET_NEW_PASSWORD",
            help="At least 12 characters; prompted for when not given.",
        ),
    ] = "",
) -> None:
    """Create a user with a role."""

    try:
        with database_url(_settings()) as url:
            user = asyncio.run(data.create_user(url, email, password, role.value, city))
    except CommandError as exc:
        _fail(str(exc))
    err.print(f"created {user.role.value} {user.email} ({user.id})")


@app.command("create-api-key")
def create_api_key(
    city: Annotated[str, typer.Option(help="The partner city the key writes for.")],
    name: Annotated[str, typer.Option(help="What system uses the key.")] = "partner system",
) -> None:
    """Create an API key for a partner city's system; the key is printed once."""

    settings = _settings()
    try:
        with database_url(settings) as url:
            created = asyncio.run(data.create_api_key(url, settings, city, name))
    except CommandError as exc:
        _fail(str(exc))
    err.print(f"API key {created.id} for {created.city} (shown once, store it now):")
    sys.stdout.write(created.key + "\n")


@app.command()
def down() -> None:
    """Stop an embedded PostgreSQL left running by a run that was killed."""
    settings = _settings()
    embedded = EmbeddedPostgres(data_dir(settings))
    err.print("stopped the embedded PostgreSQL" if embedded.force_stop() else "nothing to stop")


@app.command("openapi")
def openapi_command() -> None:
    """Print the public OpenAPI document (built in this process; no service needs to run)."""
    from cli.openapi import document_text, merged_document

    sys.stdout.write(document_text(merged_document(_settings())))


@app.command()
def sdk() -> None:
    """Regenerate the TypeScript SDK in clients/typescript from the OpenAPI document."""
    from cli.openapi import SDK_DIR, generate_sdk, merged_document

    if not SDK_DIR.is_dir():
        _fail(f"no SDK here ({SDK_DIR} is missing; run from a checkout)")
    generate_sdk(merged_document(_settings()), SDK_DIR)
    err.print(f"regenerated the SDK in {SDK_DIR}")


class BenchName(StrEnum):
    BASELINE = "baseline"
    GATEWAY = "gateway"
    CATALOG_SEARCH = "catalog_search"
    SYNC = "sync"
    BOOKING_CONTENTION = "booking_contention"
    LOAD = "load"
    NOTIFY = "notify"
    PARTICIPATION = "participation"
    PARTICIPATION_GROWTH = "participation_growth"


@app.command("bench")
def bench_command(
    only: Annotated[
        list[BenchName] | None, typer.Option("--only", help="Run only this bench (repeatable).")
    ] = None,
    quick: Annotated[
        bool, typer.Option(help="Even shorter runs: a smoke test of the benches.")
    ] = False,
) -> None:
    """Run the benches (short runs) and print one summary table; never fails on a missed goal."""

    if not benches.BENCH_DIR.is_dir():
        _fail(f"no benches here ({benches.BENCH_DIR} is missing; run from a checkout)")
    wanted = {name.value for name in only or BenchName}
    rows: list[benches.Row] = []
    for bench in benches.BENCHES:
        if bench.name in wanted:
            rows += benches.run(bench, quick, lambda line: err.print(line, highlight=False))
    mode = "quick runs" if quick else "short runs"
    table = Table(title=f"bench summary ({mode}: informative, never a gate)")
    for column in ("bench", "figure", "value", "goal", ""):
        table.add_column(column)
    for row in rows:
        style = {"PASS": "green", "MISS": "red"}.get(row.verdict, "")
        verdict = f"[{style}]{row.verdict}[/]" if style else ""
        table.add_row(row.bench, row.figure, row.value, row.goal, verdict)
    Console(width=None if sys.stdout.isatty() else 120).print(table)


def main() -> None:
    app()
