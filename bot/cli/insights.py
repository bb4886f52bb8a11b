"""``aarhusai insights [SLUG] --out DIR``: the insights report as files, scoped like ``/indsigt``
(the operator at the shell acts as administrator)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli import report as report_files
from bot.cli._base import app
from bot.cli.specialists import opened
from bot.messages import t


@app.command("insights")
def insights_command(
    specialist: Annotated[str | None, typer.Argument(help="Kun denne specialist (slug).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Mappen der skrives til.")] = Path("insights"),
    days: Annotated[int, typer.Option(help="Antal dage bagud for tallene.", min=1, max=366)] = 30,
) -> None:
    """Skriv report.html (selvstændig: figurer som SVG, henter intet) og insights.json: spørgsmål pr.
    dag, tilbagevendende brugere, besvaret / uden kilde / 👎, feedback efter begrundelse og temaer."""
    with opened("insights") as (services, actor):
        report = services.app.insights.report(actor, specialist, days)
        html_path, json_path = report_files.write(report, out, actor.locale)
    typer.echo(t("report_written", actor.locale, html=html_path, json=json_path))
