"""Governance from the command line: departments, roles (to bootstrap), audit export, statistics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli._base import _fail, app
from bot.cli.specialists import CLI_ACTOR, _open
from bot.governance import stats
from bot.governance.roles import ROLE_ALIASES, ROLE_NAMES, GovernanceError

department_app = typer.Typer(help="Afdelinger.", no_args_is_help=True)
role_app = typer.Typer(help="Roller.", no_args_is_help=True)
audit_app = typer.Typer(help="Revisionsloggen.", no_args_is_help=True)
app.add_typer(department_app, name="department")
app.add_typer(role_app, name="role")
app.add_typer(audit_app, name="audit")


@department_app.command("create")
def department_create(name: str) -> None:
    """Opret en afdeling (fx en magistratsafdeling)."""
    services = _open()
    try:
        department = services.core.roles.create_department(name)
        services.core.audit.record(CLI_ACTOR, "department.created", department.slug, name=department.name)
    except GovernanceError as exc:
        raise _fail(str(exc)) from None
    finally:
        services.close()
    typer.echo(f"Oprettet: {department.slug} ({department.name})")


@role_app.command("assign")
def role_assign(user: str, role: str, department: str) -> None:
    """Giv en bruger (Entra object id) rollen builder, ejer eller medlem i en afdeling."""
    services = _open()
    try:
        key = ROLE_ALIASES.get(role.casefold())
        if key is None:
            raise GovernanceError(f"ukendt rolle '{role}' (builder, ejer, medlem)")
        dept = services.core.roles.department(department)
        services.core.roles.assign(user, key, dept.id, CLI_ACTOR)  # type: ignore[arg-type]
        services.core.audit.record(CLI_ACTOR, "role.assigned", user, role=key, department=dept.slug)
    except GovernanceError as exc:
        raise _fail(str(exc)) from None
    finally:
        services.close()
    typer.echo(f"{user}: {ROLE_NAMES[key]} i {dept.name}")


@audit_app.command("export")
def audit_export(
    since: Annotated[str | None, typer.Option(help="Fra og med denne dato (ÅÅÅÅ-MM-DD).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl eller csv.")] = "jsonl",
) -> None:
    """Skriv revisionsloggen ud (jsonl eller csv)."""
    if fmt not in ("jsonl", "csv"):
        raise _fail("--format skal være jsonl eller csv")
    try:
        start = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
    except ValueError:
        raise _fail(f"--since skal være en dato som 2026-11-01, ikke '{since}'") from None
    services = _open()
    try:
        for line in services.core.audit.export(start, fmt):
            typer.echo(line)
    finally:
        services.close()


@app.command("stats")
def stats_command(
    specialist: Annotated[str | None, typer.Option(help="Kun denne specialist.")] = None,
    days: Annotated[int, typer.Option(help="Antal dage bagud.")] = 30,
) -> None:
    """Brugsstatistik: spørgsmål, brugere, tilbagevendende brugere, fund, feedback."""
    services = _open()
    try:
        typer.echo(
            stats.render(stats.usage(services.db, specialist, days), specialist or "alle specialister")
        )
    finally:
        services.close()
