"""Bulk and scripted work on specialists: create, publish, ingest, ask, index rebuild, skills, eval.

A door like Teams: each command builds an ``Actor`` (``cli:<os user>``, an administrator bound by the
same governance steps), calls one application service and prints the result.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot import logs
from bot.app import Services
from bot.clean_text import clean_text
from bot.cli._base import _fail, _services, _settings, app
from bot.commands import checklist
from bot.conversation.types import ConversationRef
from bot.dispatcher import render_file_outcome
from bot.domain import AnswerOutcome, AppError
from bot.errors import render_error
from bot.rag.loaders import KINDS
from bot.services import Actor, Question
from bot.services.sources import Refused

if TYPE_CHECKING:
    from bot.evals.cases import CaseFile

specialist_app = typer.Typer(help="Specialister.", no_args_is_help=True)
index_app = typer.Typer(help="Søgeindekser (genopbygges fra databasen).", no_args_is_help=True)
skills_app = typer.Typer(help="Specialister som kode (skills/<slug>/skill.yaml).", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluering.", no_args_is_help=True)
T = TypeVar("T")
app.add_typer(specialist_app, name="specialist")
app.add_typer(index_app, name="index")
app.add_typer(skills_app, name="skills")
app.add_typer(eval_app, name="eval")


def _open() -> Services:
    settings = _settings()
    logs.configure("WARNING")
    return _services(settings)


@contextmanager
def opened(command: str) -> Iterator[tuple[Services, Actor]]:
    """The services and the operator as actor; an ``AppError`` becomes one Danish line, exit 2."""
    services = _open()
    try:
        yield services, Actor.cli(locale=services.settings.locale)
    except AppError as exc:
        exc.values.setdefault("command", command)
        raise _fail(exc, services.settings.locale) from None
    finally:
        services.close()


@specialist_app.command("create")
def specialist_create(
    slug: str,
    name: Annotated[str, typer.Option("--name", help="Visningsnavn.")],
    description: Annotated[str, typer.Option(help="Kort beskrivelse.")] = "",
    department: Annotated[str, typer.Option(help="Afdeling (slug eller navn).")] = "",
    publish: Annotated[
        bool, typer.Option("--publish", help="Udgiv med det samme (kræver screening, eller --force).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Udgiv uden screening og godkendelse (kun med --reason).")
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="Begrundelsen for --force; skrives i revisionsloggen.")
    ] = None,
) -> None:
    """Opret en specialist som kladde. --publish kræver en screening (og godkendelse ved bred deling);
    en administrator kan tvinge udgivelsen med --force --reason TEKST, som revideres."""
    with opened("specialist create") as (services, actor):
        forced = services.app.publishing.force_reason(force, reason)  # refused before anything is made
        spec = services.app.specialists.create(
            actor, name, department, slug=slug, description=description, via="cli"
        )
        if publish:
            try:
                services.app.publishing.publish(actor, spec.slug, force_reason=forced, via="cli")
            except AppError as exc:
                why = render_error(exc, actor.locale)
                raise _fail(
                    f"{spec.slug} er oprettet som kladde, men ikke udgivet: {why} "
                    "(en administrator kan tvinge det med --force --reason TEKST)"
                ) from None
    typer.echo(f"Oprettet: {spec.slug} ({spec.name}){' – udgivet' if publish else ' – kladde'}")


@specialist_app.command("publish")
def specialist_publish(
    slug: str,
    force: Annotated[
        bool, typer.Option("--force", help="Uden screening og godkendelse (kræver --reason).")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Begrundelsen for --force (revisionsloggen).")] = None,
) -> None:
    """Udgiv en specialist: samme regler som /udgiv i Teams."""
    with opened("specialist publish") as (services, actor):
        forced = services.app.publishing.force_reason(force, reason)
        spec = services.app.publishing.publish(actor, slug, force_reason=forced, via="cli")
    typer.echo(f"Udgivet: {spec.slug} ({spec.sharing}, {spec.classification})")


@specialist_app.command("show")
def specialist_show(slug: str) -> None:
    """Vis specialistens tjekliste: beskrivelse, kilder, prompt, screening, deling, godkendelse, test og
    udgivelse, hver med det, der klarer trinnet (samme fakta som /status i Teams)."""
    with opened("specialist show") as (services, actor):
        found = services.app.specialists.checklist(actor, slug)
    typer.echo(checklist.text(found, actor.locale, markdown=False))


@specialist_app.command("experts")
def specialist_experts(
    slug: str,
    people: Annotated[
        list[str] | None, typer.Argument(help="UPN'er eller Entra-objekt-id'er; tom: fjern dem alle.")
    ] = None,
) -> None:
    """Sæt specialistens fagpersoner (som /indstil fagpersoner i Teams; en ekspertkanal navngives i
    selve kanalen)."""
    with opened("specialist experts") as (services, actor):
        spec, experts = services.app.handoffs.set_experts(actor, " ".join(people or []) or "ingen", ref=slug)
    typer.echo(f"Fagpersoner for {spec.name}: {experts.shown(actor.locale)}")


@specialist_app.command("verify")
def specialist_verify(
    slug: str,
    question: Annotated[str, typer.Option("--question", help="Spørgsmålet.")],
    answer: Annotated[str, typer.Option("--answer", help="Det verificerede svar.")],
    review: Annotated[
        str | None, typer.Option("--review", help="Revisionsdato ÅÅÅÅ-MM-DD (standard: om et halvt år).")
    ] = None,
) -> None:
    """Gem et verificeret svar i specialisten (som /verificer i Teams): vises først, når det passer."""
    from datetime import date

    with opened("specialist verify") as (services, actor):
        try:
            when = date.fromisoformat(review) if review else None
        except ValueError:
            raise _fail("--review skal være en dato som ÅÅÅÅ-MM-DD") from None
        saved = asyncio.run(services.app.verified.save_verified(actor, slug, question, answer, when))
    typer.echo(f"Verificeret svar gemt i {slug}; vises indtil {saved.review_at.date().isoformat()}")


@specialist_app.command("list")
def specialist_list() -> None:
    """Vis alle specialister."""
    with opened("specialist list") as (services, actor):
        for item in services.app.specialists.visible(actor):
            _spec, sources = (item.spec, [])
            if item.spec.kind == "sources":
                _spec, sources = services.app.sources.list(actor, item.spec.slug)
            typer.echo(f"{item.spec.slug}\t{item.spec.status}\t{len(sources)} kilder\t{item.spec.name}")


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
) -> None:
    """Indlæs filer (eller mapper) som kilder til en specialist, med fremdriftslinje. En fil, der
    afvises, stopper ikke resten; afslutningskoden er 1, hvis nogen blev afvist."""
    files = _files(paths)
    failed = 0
    with opened("ingest") as (services, actor):
        spec = services.app.sources.for_upload(actor, slug)

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

                    data = await asyncio.to_thread(path.read_bytes)
                    outcome = await services.app.sources.add(
                        actor, spec, path.name, data, progress, rebuild_index=False, via="cli"
                    )
                    failed += isinstance(outcome, Refused)
                    bar.console.print(render_file_outcome(outcome, actor.locale))
                    bar.remove_task(task)
                    bar.advance(overall)
            await asyncio.to_thread(services.app.sources.rebuild_index, actor, spec.slug)

        asyncio.run(run())
    if failed:
        raise typer.Exit(1)


@app.command()
def ask(
    slug: str,
    question: str,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Spørg som denne bruger (Entra object id).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv ét JSON-objekt.")] = False,
) -> None:
    """Stil en specialist et spørgsmål (samme vej som i Teams). Uden --as: som operatøren (administrator)."""
    with opened("ask") as (services, operator):
        actor = operator if as_user is None else Actor(as_user, locale=operator.locale)
        actor = Actor(
            actor.id,
            actor.kind,
            conversation=ConversationRef(id=f"cli-ask:{actor.id}:{slug}"),
            locale=actor.locale,
        )
        spec = services.app.specialists.find(actor, slug)
        reply = asyncio.run(services.app.answering.answer(Question(actor, spec, clean_text(question))))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "specialist": spec.slug,
                    "model": reply.model,
                    "answer": reply.text,
                    "no_answer": reply.outcome == AnswerOutcome.NO_ANSWER,
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
def index_rebuild(
    slug: Annotated[str | None, typer.Argument(help="Kun denne specialist.")] = None,
    reembed: Annotated[
        bool, typer.Option("--reembed", help="Beregn vektorer igen med den konfigurerede embedding-model.")
    ] = False,
) -> None:
    """Genopbyg søgeindekserne fra databasen (uden at læse kilderne igen). Med --reembed beregnes
    vektorerne igen for kilder, som en anden embedding-model har beregnet (serveren gør det også selv)."""
    with opened("index rebuild") as (services, actor):
        if reembed:

            async def progress(done: int, total: int) -> None:
                typer.echo(f"  {done}/{total} uddrag", err=True)

            done = asyncio.run(services.app.sources.reembed(actor, slug, progress))
            model = services.app.sources.embedder_id
            for spec, chunks in done:
                typer.echo(f"{spec.slug}: {chunks} uddrag beregnet igen med {model}")
            if not done:
                typer.echo(f"Alle kilder er allerede beregnet med {model}.")
        for spec, folder in services.app.sources.rebuild_index(actor, slug):
            typer.echo(f"{spec.slug}: {folder}")


@skills_app.command("sync")
def skills_sync(folder: Annotated[Path, typer.Argument(help="Mappe med skills.")] = Path("skills")) -> None:
    """Indlæs skills/<slug>/skill.yaml (idempotent: kun ændringer skrives, og hver ændring revideres
    som skills-sync med filen, den kom fra)."""
    from bot.skills import SkillError, find_skills, render_report, sync_skill

    skills = find_skills(folder)
    if not skills:
        raise _fail(f"ingen skill.yaml under {folder}")
    with opened("skills sync") as (services, _actor):

        async def run() -> None:
            for skill_dir in skills:
                report = await sync_skill(skill_dir, services.app)
                typer.echo(render_report(report))

        try:
            asyncio.run(run())
        except SkillError as exc:
            raise _fail(exc) from None


@skills_app.command("export")
def skills_export(slug: str, folder: Path) -> None:
    """Skriv en specialist ud som skill.yaml med kilder (atomisk: en mappe ad gangen)."""
    from bot.skills import export_skill

    with opened("skills export") as (services, actor):
        out = export_skill(actor, slug, folder, services.app)
    typer.echo(f"Skrevet: {out / 'skill.yaml'}")


@eval_app.command("retrieval")
def eval_retrieval(
    slug: str,
    cases: Path,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON.")] = False,
    embedders: Annotated[
        str,
        typer.Option(
            "--embedders",
            help="Andre lokale embeddere at sammenligne med, kommasepareret "
            "(fx all-MiniLM-L6-v2); kilderne indekseres igen i en midlertidig kopi.",
        ),
    ] = "",
) -> None:
    """Mål hit@1, hit@5 og MRR for dense, leksikalsk og hybrid søgning (og hybrid med reranking, når
    et reranking-endpoint er godkendt til specialistens data), evt. side om side med andre embeddere."""
    from bot.rag.evaluation import read_cases

    try:
        loaded = read_cases(cases)
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from None
    compare = tuple(name.strip() for name in embedders.split(",") if name.strip())
    with opened("eval retrieval") as (services, actor):
        report = asyncio.run(services.app.evaluation.retrieval(actor, slug, loaded, compare))
    if as_json:
        typer.echo(json.dumps({**asdict(report)}, ensure_ascii=False))
        return
    first = next(iter(report.embedders.values()))[0]
    typer.echo(f"{report.specialist}: {first.cases} spørgsmål med svar, {first.no_answer_cases} uden")
    if report.reranker is not None:
        typer.echo(f"reranking: {report.reranker}")
    typer.echo(f"{'søgning':<14} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}  'intet fundet' korrekt")
    for embedder, results in report.embedders.items():
        if len(report.embedders) > 1:
            typer.echo(f"-- {embedder}")
        for r in results:
            typer.echo(
                f"{r.mode:<14} {r.hit1:>6.3f} {r.hit5:>6.3f} {r.mrr:>6.3f}  "
                f"{r.no_answer_correct}/{r.no_answer_cases}"
                + (f" (afviste {r.false_no_answer} med svar)" if r.mode.startswith("hybrid") else "")
            )


def _with_answers_bar(start: Callable[[Callable[[int, int], None]], Awaitable[T]]) -> T:
    """Run an evaluation with a progress bar of answers done (``start`` gets the progress callback)."""

    async def run() -> T:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
        ) as bar:
            task = bar.add_task("svar", total=None)
            return await start(lambda done, total: bar.update(task, completed=done, total=total))

    return asyncio.run(run())


def _case_file(path: Path) -> CaseFile:
    """The case file, or one line saying where it is wrong."""
    from bot.evals.cases import CaseFileError, read_case_file

    try:
        return read_case_file(path)
    except CaseFileError as exc:
        raise _fail(exc) from None


@eval_app.command("run")
def eval_run(
    slug: str,
    cases: Annotated[Path, typer.Option("--cases", help="Testfil i promptfoos format (tests.yaml).")],
    out: Annotated[Path, typer.Option("--out", help="Mappe til results.json og report.html.")],
    models: Annotated[
        str, typer.Option("--models", help="Modeller, kommasepareret (standard: alle godkendte til data).")
    ] = "",
    judge: Annotated[str | None, typer.Option("--judge", help="Dommermodel til llm-rubric.")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=16, help="Svar ad gangen.")] = 4,
) -> None:
    """Kør en specialists testcases på en eller flere modeller side om side (samme vej som i Teams)."""
    from bot.evals.report import write

    case_file = _case_file(cases)
    chosen = tuple(m.strip() for m in models.split(",") if m.strip())
    with opened("eval run") as (services, actor):
        results = _with_answers_bar(
            lambda progress: services.app.evaluation.run(
                actor, slug, case_file, chosen, judge, concurrency, progress
            )
        )
    results_path, report_path = write(results, out)
    for model, summary in results["models"].items():  # type: ignore[attr-defined]
        typer.echo(
            f"{model}: {summary['passed']}/{summary['total']} bestået ({summary['pass_rate']:.0%}), "
            f"svartid p50 {summary['latency_p50_ms']:.0f} ms"
        )
    typer.echo(f"Skrevet: {results_path} og {report_path}")


@eval_app.command("export-promptfoo")
def eval_export_promptfoo(
    files: Annotated[list[Path], typer.Argument(help="Testfiler (tests.yaml); flere bliver til én config.")],
    specialist: Annotated[str, typer.Option("--specialist", help="Specialistens slug (modellen i /v1).")],
    out: Annotated[Path, typer.Option("--out", help="Config-filen, fx promptfooconfig.yaml.")] = Path(
        "promptfooconfig.yaml"
    ),
    url: Annotated[
        str, typer.Option("--url", help="Tjenestens adresse (uden /v1).")
    ] = "http://127.0.0.1:3978",
    key_env: Annotated[
        str, typer.Option("--key-env", help="Miljøvariablen med API-nøglen, som promptfoo læser.")
    ] = "AARHUSAI_API_KEY",
) -> None:
    """Skriv en promptfoo-config, der kører testfilerne mod /v1 med projektets egne tjek som JavaScript."""
    import re

    import yaml

    from bot.domain import SLUG_PATTERN
    from bot.evals.promptfoo import config

    if not re.fullmatch(SLUG_PATTERN, specialist):
        raise _fail(f"'{specialist}' er ikke en specialists slug")
    if not re.fullmatch(r"https?://[^\s{}]+", url):
        raise _fail(f"--url skal være en http(s)-adresse: {url}")
    if not re.fullmatch(r"[A-Z_][A-Z0-9_]{0,63}", key_env):
        raise _fail(f"--key-env skal være navnet på en miljøvariabel (A-Z, 0-9, _): {key_env}")
    written = config([(str(f), _case_file(f)) for f in files], specialist, url, key_env)
    header = (
        f"# Skrevet af `aarhusai eval export-promptfoo`. Kør: {key_env}=<nøgle> "
        f"npx promptfoo eval -c {out.name} --no-cache\n"
    )
    text = header + yaml.safe_dump(written, allow_unicode=True, sort_keys=False, width=110)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{out}: kan ikke skrives ({type(exc).__name__})") from None
    typer.echo(f"Skrevet: {out} ({len(written['tests'])} testcases mod {url}/v1, model {specialist})")


@eval_app.command("gate")
def eval_gate(
    candidate: Path,
    baseline: Annotated[Path, typer.Option("--baseline", help="results.json fra den godkendte udgave.")],
    max_drop: Annotated[float, typer.Option("--max-drop", min=0.0, max=1.0, help="Tilladt fald.")] = 0.0,
) -> None:
    """Udgivelsestesten: exit 1, hvis en model har mistet mere end --max-drop, eller en case der bestod nu
    fejler; ellers exit 0."""
    from bot.evals.report import gate

    try:
        now, before = (json.loads(p.read_text(encoding="utf-8")) for p in (candidate, baseline))
        problems = gate(now, before, max_drop)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _fail(f"resultaterne kan ikke læses: {type(exc).__name__}: {exc}") from None
    if problems:
        typer.echo(f"{len(problems)} regression(er):")
        for line in problems:
            typer.echo(f"- {line}")
        raise typer.Exit(1)
    shared = sorted(set(now["models"]) & set(before["models"]))
    typer.echo(f"Ingen regressioner ({', '.join(shared)}).")


@eval_app.command("catalogue")
def eval_catalogue(
    out: Annotated[
        Path, typer.Option("--out", help="Mappe til catalogue.html, catalogue.json og rapporten.")
    ],
    slug: Annotated[
        str, typer.Option("--slug", help="Benchmark-specialisten (skills sync først).")
    ] = "benchmark",
    cases: Annotated[Path, typer.Option("--cases", help="Benchmarkens testfil.")] = Path(
        "evals/benchmark/tests.yaml"
    ),
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=16, help="Svar ad gangen.")] = 4,
) -> None:
    """Kør den fælles danske benchmark på alle katalogets modeller og skriv modelkatalogets side."""
    from bot.evals.report import render_catalogue, write

    case_file = _case_file(cases)
    with opened("eval catalogue") as (services, actor):
        results, catalogue = _with_answers_bar(
            lambda progress: services.app.evaluation.catalogue(actor, slug, case_file, concurrency, progress)
        )
    write(results, out)
    (out / "catalogue.json").write_text(json.dumps(catalogue, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "catalogue.html").write_text(render_catalogue(catalogue), encoding="utf-8")
    for model, row in catalogue["models"].items():  # type: ignore[attr-defined]
        typer.echo(
            f"{model}: bestået {row['pass_rate']:.0%}, dansk {row['danish_share']:.0%}, "
            f"{row['words_mean']:.0f} ord, p50 {row['latency_p50_ms']:.0f} ms "
            f"(godkendt op til {row['max_classification'] or 'indlejret'})"
        )
    typer.echo(f"Skrevet: {out / 'catalogue.html'}")
