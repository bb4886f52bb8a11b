"""The ``aarhusai`` app and the service commands: ``serve``, ``chat``, ``db upgrade``."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot import __version__, logs
from bot.config import Settings, SettingsError, load_settings
from bot.errors import AarhusAIError, render_error

app = typer.Typer(
    name="aarhusai",
    help="AarhusAI for Teams: kommunale specialister i Microsoft Teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Databasen: migreringer.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _fail(problem: str | AarhusAIError, locale: str = "da") -> typer.Exit:
    """``problem`` on stderr as one line (an error in ``locale``, through ``render_error``); exit 2."""
    message = problem if isinstance(problem, str) else render_error(problem, locale)
    typer.secho(f"Fejl: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(2)


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise _fail(exc) from None


def _services(settings: Settings):  # type: ignore[no-untyped-def]
    """Build the services and make sure the schema is current (upgrading the embedded default)."""
    from bot.app import build_services
    from bot.llm.catalogue import CatalogueError
    from bot.store import migrate

    try:
        services = build_services(settings)
    except CatalogueError as exc:
        raise _fail(exc) from None
    try:
        if settings.uses_embedded_database:
            migrate.upgrade(services.db)
        elif migrate.current_revision(services.db) != migrate.head_revision(services.db):
            raise _fail("databasen er ikke opdateret til denne version; kør først: aarhusai db upgrade")
    except SQLAlchemyError as exc:
        raise _fail(f"kan ikke bruge databasen ({type(exc).__name__}): {_first_line(exc)}") from None
    return services


def _first_line(exc: BaseException) -> str:
    text = str(exc.args[0] if exc.args else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aarhusai {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Vis versionen.")
    ] = False,
) -> None:
    """AarhusAI for Teams."""


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (standard: AARHUSAI_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(help="Port; 0 vælger en ledig port (standard: AARHUSAI_PORT).")
    ] = None,
    workers: Annotated[
        str | None,
        typer.Option(
            help="Processer på samme port, hver en fuld replika; auto: én pr. kerne (AARHUSAI_WORKERS)."
        ),
    ] = None,
) -> None:
    """Start botten: /api/messages for Teams, /v1 og /mcp, /healthz, /readyz og /metrics."""
    settings = _settings(host=host, port=port, workers=workers)
    try:
        settings.check_bind(settings.host)
    except SettingsError as exc:
        raise _fail(exc) from None
    n = settings.worker_count
    logs.configure(settings.log_level, settings.log_format)
    services = _services(settings)

    def ready(bound: int) -> None:
        mode = (
            "lokal tilstand (ingen Teams-godkendelse)"
            if settings.local_mode
            else "Teams-godkendelse slået til"
        )
        many = f", {n} processer" if n > 1 else ""
        typer.echo(
            f"AarhusAI lytter på http://{settings.host}:{bound}/api/messages — {mode}{many}", err=False
        )
        sys.stdout.flush()

    try:
        if n == 1:
            from bot.server import serve_forever

            asyncio.run(serve_forever(services, settings.host, settings.port, on_ready=ready))
            return
        from bot.app import build_services
        from bot.workers import Supervisor, bind

        services.close()  # the workers open their own connections after the fork
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        raise _fail(f"kan ikke lytte på {settings.host}:{settings.port}: {exc.strerror or exc}") from None
    status = Supervisor(n, settings.host, sock, lambda: build_services(settings)).run(ready)
    if status:
        raise _fail("processerne kunne ikke starte; se loggen ovenfor")


@app.command()
def chat(
    as_user: Annotated[str, typer.Option("--as", help="Skriv som denne bruger.")] = "medarbejder",
) -> None:
    """Tal med botten i terminalen (samme Teams-handler, kørt lokalt). Læser én besked pr. linje
    fra standard input, når det ikke er en terminal."""
    from bot.teams.local import LocalTeamsChat

    settings = _settings()
    logs.configure("WARNING")
    services = _services(settings)
    session = LocalTeamsChat(services.teams, as_user, settings.locale)
    interactive = sys.stdin.isatty()

    async def talk() -> None:
        if interactive:
            typer.echo(
                f"AarhusAI {__version__} — du skriver som '{as_user}'. /hjælp viser kommandoerne; "
                "Ctrl-D afslutter."
            )
        while True:
            try:
                if interactive:
                    line = await asyncio.to_thread(input, f"{as_user}> ")
                else:
                    line = await asyncio.to_thread(sys.stdin.readline)
            except EOFError:
                break
            if not interactive and line == "":
                break
            line = line.rstrip("\n")
            if not interactive and not line.strip():
                continue
            for reply in await session.send(line):
                typer.echo(f"AarhusAI> {reply}" if interactive else reply)
            if not interactive:
                typer.echo("")
        if interactive:
            typer.echo("")

    async def run() -> None:
        try:
            await talk()
        finally:  # the turns' shared connector session is closed on the loop it was opened on
            if services.teams.sessions is not None:
                await services.teams.sessions.close()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        typer.echo("")
    finally:
        services.close()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrér databasen til den nyeste version."""
    from bot.store import Database, migrate

    settings = _settings()
    logs.configure("WARNING")
    db = Database(settings.effective_database_url)
    try:
        before = migrate.current_revision(db)
        migrate.upgrade(db)
        after = migrate.current_revision(db)
    except SQLAlchemyError as exc:
        raise _fail(f"kan ikke migrere databasen ({type(exc).__name__}): {_first_line(exc)}") from None
    finally:
        db.dispose()
    typer.echo(f"Databasen er på version {after}" + ("" if before == after else f" (var {before or 'tom'})"))
