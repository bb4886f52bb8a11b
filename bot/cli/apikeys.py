"""API keys for case systems: ``aarhusai apikey create|list|revoke`` (the operator acts as administrator)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli._base import app
from bot.cli.specialists import opened

apikey_app = typer.Typer(help="API-nøgler til fagsystemer (/v1 og /mcp).", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")


@apikey_app.command("create")
def apikey_create(
    name: str,
    specialists: Annotated[str, typer.Option(help="De specialister (slugs), nøglen må bruge: a,b")],
    max_classification: Annotated[
        str, typer.Option(help="Nøglens loft: offentlig, intern, fortrolig eller personfølsom.")
    ] = "intern",
    expires: Annotated[str, typer.Option(help="Udløb i dage, fx 90d, eller 'never'.")] = "90d",
    rate: Annotated[
        int | None, typer.Option(min=1, max=100_000, help="Anmodninger pr. minut (standard: indstillingen).")
    ] = None,
) -> None:
    """Opret en API-nøgle. Nøglen vises én gang, som sidste linje; kun en hash gemmes."""
    with opened("apikey create") as (services, actor):
        created = services.app.integrations.create_key(
            actor, name, specialists.split(","), max_classification, expires, rate
        )
        locale = actor.locale
    key = created.key
    until = key.expires_at.date().isoformat() if key.expires_at else "aldrig"
    typer.echo(f"Oprettet: {key.name} (loft {key.max_classification}, udløber {until})")
    for note in created.notes:
        typer.echo(note.render(locale), err=True)
    typer.echo("Gem nøglen nu; den kan ikke vises igen:")
    typer.echo(created.secret)


@apikey_app.command("list")
def apikey_list() -> None:
    """Vis nøglerne (aldrig selve nøglen)."""
    with opened("apikey list") as (services, actor):
        keys = services.app.integrations.keys(actor)
    if not keys:
        typer.echo("Ingen API-nøgler.")
        return
    now = datetime.now(UTC)
    for k in keys:
        if k.revoked_at is not None:
            state = f"tilbagekaldt {k.revoked_at.date().isoformat()}"
        elif k.expires_at is not None and k.expires_at <= now:
            state = f"udløbet {k.expires_at.date().isoformat()}"
        else:
            state = f"aktiv til {k.expires_at.date().isoformat()}" if k.expires_at else "aktiv"
        used = k.last_used_at.date().isoformat() if k.last_used_at else "aldrig"
        typer.echo(
            f"{k.name}\t{k.prefix}…\t{state}\tloft {k.max_classification}\t{k.specialists}\tbrugt {used}"
        )


@apikey_app.command("revoke")
def apikey_revoke(name: str) -> None:
    """Tilbagekald en nøgle; den virker ikke mere fra næste anmodning."""
    with opened("apikey revoke") as (services, actor):
        changed = services.app.integrations.revoke(actor, name)
    typer.echo(f"Tilbagekaldt: {name}" if changed else f"{name} var allerede tilbagekaldt.")
