"""The `magnet` command: run the stack, a single service, migrations, seeds and accounts."""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum
from pathlib import Path
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
from shared.embedded import EmbeddedPostgres
from shared.migrate import migrate_all
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
    port: Annotated[int, typer.Option(help="The gateway's port.", min=1, max=65535)] = 8000,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
) -> None:
    """Migrate, seed demo data and run the gateway and the three services until Ctrl-C."""

    settings = _settings(gateway_port=port, host=host)
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
) -> None:
    """Run one service, or the worker that sends mail and webhooks (as containers do)."""

    settings = _settings()
    if settings.database_url is None:
        _fail("DATABASE_URL is not set (use `magnet up` for the embedded database)", code=2)
    app = (
        "cli.worker:create_app" if name is ServiceName.WORKER else f"services.{name}.app:create_app"
    )
    uvicorn.run(
        app,
        factory=True,
        host=host or settings.host,
        port=port or settings.service_port(name.value),
        log_level="warning",
        access_log=False,
        server_header=False,  # no need to tell the world which server answers
        timeout_graceful_shutdown=5,
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
def seed() -> None:
    """Load the demo data (idempotent: a second run changes nothing)."""

    settings = _settings()
    try:
        with database_url(settings) as url:
            changed = asyncio.run(data.seed_all(url, settings))
    except CommandError as exc:
        _fail(str(exc))
    err.print(", ".join(f"{name}: {count} rows changed" for name, count in changed.items()))


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
    embedded = EmbeddedPostgres(Path(settings.data_dir) if settings.data_dir else None)
    err.print("stopped the embedded PostgreSQL" if embedded.force_stop() else "nothing to stop")


class BenchName(StrEnum):
    BASELINE = "baseline"
    GATEWAY = "gateway"
    CATALOG_SEARCH = "catalog_search"
    SYNC = "sync"
    BOOKING_CONTENTION = "booking_contention"
    LOAD = "load"
    NOTIFY = "notify"


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
