"""Bulk and scripted work on specialists: create, ingest, ask, index rebuild, skills, evaluation."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot import logs
from bot.cli._base import _fail, _services, _settings, app
from bot.conversation.types import ConversationRef, Incoming, User
from bot.governance.screening import CLASSIFICATIONS
from bot.rag.errors import IngestError
from bot.rag.loaders import KINDS
from bot.specialists import SpecialistError

specialist_app = typer.Typer(help="Specialister.", no_args_is_help=True)
index_app = typer.Typer(help="Søgeindekser (genopbygges fra databasen).", no_args_is_help=True)
skills_app = typer.Typer(help="Specialister som kode (skills/<slug>/skill.yaml).", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluering.", no_args_is_help=True)
app.add_typer(specialist_app, name="specialist")
app.add_typer(index_app, name="index")
app.add_typer(skills_app, name="skills")
app.add_typer(eval_app, name="eval")

CLI_ACTOR = "cli"


def _open(extra_admin: str | None = None):  # type: ignore[no-untyped-def]
    settings = _settings()
    if extra_admin:
        settings = settings.model_copy(update={"admins": [*settings.admins, extra_admin]})
    logs.configure("WARNING")
    return _services(settings)


def _require(services, slug: str):  # type: ignore[no-untyped-def]
    try:
        return services.core.specialists.require(slug)
    except SpecialistError as exc:
        raise _fail(str(exc)) from None


@specialist_app.command("create")
def specialist_create(
    slug: str,
    name: Annotated[str, typer.Option("--name", help="Visningsnavn.")],
    description: Annotated[str, typer.Option(help="Kort beskrivelse.")] = "",
    department: Annotated[str | None, typer.Option(help="Afdeling.")] = None,
    publish: Annotated[bool, typer.Option("--publish", help="Udgiv for hele organisationen.")] = False,
    classification: Annotated[
        str,
        typer.Option(help="Dataklassifikation ved --publish: offentlig, intern, fortrolig, personfølsom."),
    ] = "intern",
) -> None:
    """Opret en specialist (en kladde, eller udgivet for alle med --publish)."""
    if classification not in CLASSIFICATIONS:
        raise _fail(f"ukendt klassifikation '{classification}' (brug: {', '.join(CLASSIFICATIONS)})")
    services = _open()
    try:
        spec = services.core.specialists.create(
            name, CLI_ACTOR, slug=slug, description=description, department=department
        )
        if publish:  # the operator on the server vouches for it; recorded in the audit log
            services.core.specialists.update(
                spec.id, status="published", sharing="organisation", classification=classification
            )
            services.core.audit.record(
                CLI_ACTOR,
                "specialist.published",
                spec.slug,
                sharing="organisation",
                classification=classification,
                via="cli",
            )
    except SpecialistError as exc:
        raise _fail(str(exc)) from None
    finally:
        services.close()
    typer.echo(f"Oprettet: {spec.slug} ({spec.name}){' – udgivet' if publish else ' – kladde'}")


@specialist_app.command("list")
def specialist_list() -> None:
    """Vis alle specialister."""
    services = _open()
    try:
        for spec in services.core.specialists.catalogue(include_drafts=True):
            sources = services.core.specialists.sources(spec.id)
            typer.echo(f"{spec.slug}\t{spec.status}\t{len(sources)} kilder\t{spec.name}")
    finally:
        services.close()


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in KINDS)
        elif path.is_file():
            out.append(path)
        else:
            raise _fail(f"{path} findes ikke")
    return out


@app.command()
def ingest(
    slug: str,
    paths: Annotated[list[Path], typer.Argument(help="Filer eller mapper.")],
    as_user: Annotated[str, typer.Option("--as", help="Registreres som den, der tilføjede.")] = CLI_ACTOR,
) -> None:
    """Indlæs filer (eller mapper) som kilder til en specialist, med fremdriftslinje."""
    services = _open()
    spec = _require(services, slug)
    files = _files(paths)
    failed = 0

    async def run() -> None:
        nonlocal failed
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as bar:
            overall = bar.add_task("filer", total=len(files))
            for path in files:
                task = bar.add_task(path.name, total=None)

                async def progress(done: int, total: int, task: int = task) -> None:
                    bar.update(task, completed=done, total=total)

                try:
                    data = await asyncio.to_thread(path.read_bytes)
                    result = await services.core.ingestor.ingest(
                        spec, path.name, data, as_user, progress, rebuild_index=False
                    )
                    bar.console.print(
                        f"✅ {result.source}: {result.chunks} uddrag"
                        f"{f', {result.pages} sider' if result.pages else ''}"
                        f"{' (erstattet)' if result.replaced else ''}"
                        f"{' – ' + '; '.join(result.warnings) if result.warnings else ''}"
                    )
                except IngestError as exc:
                    failed += 1
                    bar.console.print(f"❌ {exc.message()}")
                bar.remove_task(task)
                bar.advance(overall)
        fresh = services.core.specialists.by_id(spec.id)
        await asyncio.to_thread(services.core.retriever.rebuild, fresh)

    try:
        asyncio.run(run())
    finally:
        services.close()
    if failed:
        raise typer.Exit(1)


@app.command()
def ask(
    slug: str,
    question: str,
    as_user: Annotated[str, typer.Option("--as", help="Spørg som denne bruger.")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Skriv ét JSON-objekt.")] = False,
) -> None:
    """Stil en specialist et spørgsmål (samme vej som i Teams). Uden --as: som administrator."""
    services = _open(extra_admin=CLI_ACTOR if as_user == CLI_ACTOR else None)
    spec = _require(services, slug)
    incoming = Incoming(
        text=question,
        user=User(id=as_user, name=as_user, aad_object_id=as_user),
        conversation=ConversationRef(id=f"cli-ask:{as_user}:{slug}"),
        locale=services.settings.locale,
    )
    services.core.specialists.select(incoming.conversation.id, spec.id, as_user)
    try:
        reply = asyncio.run(services.core.handle(incoming))
    finally:
        services.close()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "specialist": spec.slug,
                    "model": reply.model,
                    "answer": reply.text,
                    "no_answer": reply.kind == "answer" and not reply.citations,
                    "citations": [
                        {"n": c.n, "source": c.source, "page": c.page, "text": c.text, "score": c.score}
                        for c in reply.citations
                    ],
                },
                ensure_ascii=False,
            )
        )
    else:
        typer.echo(reply.text)
    if reply.kind == "error":
        raise typer.Exit(1)


@index_app.command("rebuild")
def index_rebuild(slug: Annotated[str | None, typer.Argument(help="Kun denne specialist.")] = None) -> None:
    """Genopbyg søgeindekserne fra databasen (uden at læse kilderne igen)."""
    services = _open()
    try:
        specs = (
            [_require(services, slug)]
            if slug
            else [s for s in services.core.specialists.catalogue(include_drafts=True) if s.kind == "sources"]
        )
        for spec in specs:
            folder = services.core.retriever.rebuild(spec)
            typer.echo(f"{spec.slug}: {folder}")
    finally:
        services.close()


@skills_app.command("sync")
def skills_sync(folder: Annotated[Path, typer.Argument(help="Mappe med skills.")] = Path("skills")) -> None:
    """Indlæs skills/<slug>/skill.yaml (idempotent: kun ændringer skrives)."""
    from bot.skills import find_skills, sync_skill

    services = _open()
    skills = find_skills(folder)
    if not skills:
        services.close()
        raise _fail(f"ingen skill.yaml under {folder}")

    async def run() -> None:
        for skill_dir in skills:
            report = await sync_skill(
                skill_dir, services.core.specialists, services.core.ingestor, services.core.roles
            )
            parts = ["oprettet" if report.created else "findes"]
            if report.prompt_changed:
                parts.append("ny prompt-version")
            if report.settings_changed:
                parts.append("indstillinger: " + ", ".join(report.settings_changed))
            if report.sources_added:
                parts.append("kilder indlæst: " + ", ".join(report.sources_added))
            if report.sources_removed:
                parts.append("kilder fjernet: " + ", ".join(report.sources_removed))
            if report.sources_unchanged:
                parts.append(f"{len(report.sources_unchanged)} kilde(r) uændret")
            typer.echo(f"{report.slug}: " + "; ".join(parts))

    try:
        asyncio.run(run())
    except (SpecialistError, IngestError) as exc:
        raise _fail(exc.message() if isinstance(exc, IngestError) else str(exc)) from None
    finally:
        services.close()


@skills_app.command("export")
def skills_export(slug: str, folder: Path) -> None:
    """Skriv en specialist ud som skill.yaml med kilder."""
    from bot.skills import export_skill

    services = _open()
    try:
        out = export_skill(slug, folder, services.core.specialists)
    except SpecialistError as exc:
        raise _fail(str(exc)) from None
    finally:
        services.close()
    typer.echo(f"Skrevet: {out / 'skill.yaml'}")


@eval_app.command("retrieval")
def eval_retrieval(
    slug: str,
    cases: Path,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON.")] = False,
) -> None:
    """Mål hit@1, hit@5 og MRR for dense, leksikalsk og hybrid søgning."""
    from bot.rag.evaluation import evaluate, read_cases

    services = _open()
    spec = _require(services, slug)
    try:
        loaded = read_cases(cases)
    except (OSError, ValueError) as exc:
        services.close()
        raise _fail(str(exc)) from None
    try:
        results = [
            evaluate(services.core.retriever, spec, loaded, mode) for mode in ("dense", "lexical", "hybrid")
        ]
    finally:
        services.close()
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in results]))
        return
    typer.echo(f"{spec.slug}: {results[0].cases} spørgsmål med svar, {results[0].no_answer_cases} uden")
    typer.echo(f"{'søgning':<10} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}  {''}'intet fundet' korrekt")
    for r in results:
        typer.echo(
            f"{r.mode:<10} {r.hit1:>6.3f} {r.hit5:>6.3f} {r.mrr:>6.3f}  "
            f"{r.no_answer_correct}/{r.no_answer_cases}"
            + (f" (afviste {r.false_no_answer} med svar)" if r.mode == "hybrid" else "")
        )
