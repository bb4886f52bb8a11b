"""Governance from the command line: departments, roles (to bootstrap), audit export, statistics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli._base import _fail, app
from bot.cli.specialists import opened
from bot.commands.answers import render_usage, with_figures
from bot.messages import t

department_app = typer.Typer(help="Afdelinger.", no_args_is_help=True)
role_app = typer.Typer(help="Roller.", no_args_is_help=True)
audit_app = typer.Typer(help="Revisionsloggen.", no_args_is_help=True)
app.add_typer(department_app, name="department")
app.add_typer(role_app, name="role")
app.add_typer(audit_app, name="audit")


@department_app.command("create")
def department_create(name: str) -> None:
    """Opret en afdeling (fx en magistratsafdeling)."""
    with opened("department create") as (services, actor):
        department = services.app.roles.create_department(actor, name)
    typer.echo(f"Oprettet: {department.slug} ({department.name})")


@role_app.command("assign")
def role_assign(user: str, role: str, department: str) -> None:
    """Giv en bruger (Entra object id eller UPN) rollen builder, ejer eller medlem i en afdeling."""
    with opened("role assign") as (services, actor):
        change = services.app.roles.change(actor, True, user, role, department)
        locale = actor.locale
    typer.echo(f"{change.user}: {t('role_in', locale, role=change.role, department=change.department.name)}")


@role_app.command("remove")
def role_remove(user: str, role: str, department: str) -> None:
    """Fjern en brugers rolle i en afdeling."""
    with opened("role remove") as (services, actor):
        change = services.app.roles.change(actor, False, user, role, department)
        key = "role_removed" if change.changed else "role_had_not"
        typer.echo(t(key, actor.locale, user=user, role=change.role, department=change.department.name))


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
    with opened("audit export") as (services, actor):
        for line in services.app.stats.audit_export(actor, start, fmt):
            typer.echo(line)


@app.command("stats")
def stats_command(
    specialist: Annotated[str | None, typer.Option(help="Kun denne specialist.")] = None,
    days: Annotated[int, typer.Option(help="Antal dage bagud.")] = 30,
) -> None:
    """Brugsstatistik: spørgsmål, brugere, tilbagevendende brugere, fund, feedback."""
    with opened("stats") as (services, actor):
        name, usage = services.app.stats.usage(actor, specialist, days)
        text = render_usage(usage, name or t("all_specialists", actor.locale), actor.locale)
        figures = services.app.insights.figures(actor, specialist, days)
        typer.echo(with_figures(text, figures, actor.locale))
