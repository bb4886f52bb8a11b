"""``aarhusai source connect|sync|list``: a specialist's connected sources from the shell (scripts and
checks rely on exactly these); the same service as ``/forbind``, ``/synkroniser``, ``/forbindelser``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bot.cli._base import app
from bot.cli.specialists import opened
from bot.commands.connections import render_connection, render_report
from bot.services.connections import parse_every

source_app = typer.Typer(
    help="Forbundne kilder (intranet, SharePoint), synkroniseret løbende.", no_args_is_help=True
)
app.add_typer(source_app, name="source")


@source_app.command("connect")
def source_connect(
    slug: str,
    kind: Annotated[
        str,
        typer.Argument(help="web, sharepoint (bibliotekets adresse) eller channel (<gruppe-id>/<kanal-id>)."),
    ],
    url: str,
    every: Annotated[str, typer.Option("--every", help="Interval, fx 24h, 6h, 2d.")] = "24h",
    max_pages: Annotated[int | None, typer.Option("--max-pages", help="Højst så mange sider.")] = None,
) -> None:
    """Forbind en specialist til et sted, dens dokumenter ligger (synkroniseres efter planen)."""
    with opened("source connect") as (services, actor):
        row = services.app.connections.connect(
            actor, slug, kind, url, every_s=parse_every(every), max_pages=max_pages
        )
        typer.echo(f"{row.name}\t{row.kind}\t{row.target}")


@source_app.command("sync")
def source_sync(slug: str) -> None:
    """Synkroniser specialistens forbindelser nu og vent; afslutningskoden er 1, hvis et dokument
    ikke kunne hentes eller synkroniseringen fejlede."""
    with opened("source sync") as (services, actor):

        async def run() -> list:  # type: ignore[type-arg]
            with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()) as bar:
                task = bar.add_task("synkroniserer", total=None)

                async def progress(name: str, counts: dict[str, int]) -> None:
                    done = sum(counts.values())
                    bar.update(task, description=f"{done} dokumenter · {name[-60:]}")

                return await services.app.connections.sync(actor, slug, progress=progress)

        reports = asyncio.run(run())
        for report in reports:
            typer.echo("\n".join(render_report(report, actor.locale)))
    if any(not r.ok for r in reports):
        raise typer.Exit(1)


@source_app.command("list")
def source_list(slug: str) -> None:
    """Specialistens forbindelser: sidste og næste synkronisering, optællinger, afviste dokumenter."""
    with opened("source list") as (services, actor):
        _spec, views = services.app.connections.list(actor, slug)
        for view in views:
            typer.echo("\n".join(render_connection(view, actor.locale)))
