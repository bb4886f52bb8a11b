"""Specialists as code: ``skills/<slug>/skill.yaml`` + source files, synced into the database and back.

Sync is a door like Teams: it acts as ``skills-sync`` through the application services, so every
change is checked and audited (with the file it came from). A skill file may carry a screening, but
approval for department- or organisation-wide sharing comes only from ``approved_by:`` naming someone
who really holds approval rights (the department's owner, or an administrator); without it the
specialist stays a draft and the sync says why. Sync is idempotent: the prompt gets a new version
only when its text changed, a source is read again only when its bytes changed (by SHA-256).
``tests.yaml`` beside ``skill.yaml`` holds the specialist's test cases (promptfoo's shape); a skill
that asks to be published with test cases is published only when they pass in the sync.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain import SLUG_PATTERN, AppError, Classification, Sharing, Status, safe_filename
from bot.errors import ConfigError, render_error
from bot.evals.cases import CaseFileError, read_case_file
from bot.governance import screening
from bot.rag.errors import IngestError
from bot.services import SKILLS_SYNC, Actor, Application
from bot.services import starters as starter_rules
from bot.services.connections import every_text, parse_every
from bot.services.handoffs import Experts
from bot.services.sources import Prepared, Refused
from bot.store.models import Connection, Specialist
from bot.tunables import RANGES, SOURCE_CPR_VALUES

SKILL_FILE = "skill.yaml"
TESTS_FILE = "tests.yaml"  # the specialist's test cases, in promptfoo's shape (bot.evals.cases)


class SkillError(ConfigError):
    """A skill folder cannot be synced; ``str()`` is one Danish line naming the file."""


def _range(field: str) -> dict[str, float | None]:
    low, high = RANGES[field]  # the same ranges /indstil enforces
    return {"ge": low, "le": high}


class SkillSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(0.2, **_range("temperature"))  # type: ignore[arg-type]
    top_k: int = Field(5, **_range("top_k"))  # type: ignore[arg-type]
    chunk_size: int = Field(800, **_range("chunk_size"))  # type: ignore[arg-type]
    chunk_overlap: int = Field(120, **_range("chunk_overlap"))  # type: ignore[arg-type]
    model: str | None = None
    cpr_i_kilder: str = Field("afvis", pattern="^(afvis|skjul)$")  # as /indstil cpr_i_kilder


class SkillScreening(BaseModel):
    """The screening, reviewed with the code; required to publish."""

    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(min_length=1)
    data: list[str] = Field(min_length=1)
    sources: str = Field(pattern="^(offentlige|interne)$")
    legal_basis: str = Field(min_length=1)
    dpia: bool = False
    responsible: str = Field(min_length=1)

    def answers(self) -> screening.ScreeningAnswers:
        return screening.ScreeningAnswers(
            self.purpose,
            screening.categories(self.data),
            self.sources == "offentlige",
            self.legal_basis,
            self.dpia,
            self.responsible,
        )


class SkillConnection(BaseModel):
    """A place the specialist's documents live, synced on a schedule (``/forbind``)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["web", "sharepoint", "channel"] = "web"
    url: str = Field(min_length=1)
    name: str | None = None
    every: str = "24t"
    max_pages: int | None = Field(None, ge=1, le=100_000)
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)


class SkillFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1)
    description: str = ""
    department: str | None = None
    prompt: str = Field(min_length=1)
    status: Status = Status.PUBLISHED
    settings: SkillSettings = Field(default_factory=SkillSettings)
    sharing: Sharing = Sharing.ORGANISATION
    screening: SkillScreening | None = None
    approved_by: str | None = Field(
        None, description="Who approved wide sharing (checked: the department's owner or an administrator)."
    )
    sources: list[str] = Field(default_factory=list)
    fagpersoner: list[str] | None = Field(
        None,
        description="The experts employees' questions go to (Entra object ids or UPNs); left out: unchanged. "
        "An expert channel is named in Teams (/indstil fagpersoner kanal).",
    )
    connections: list[SkillConnection] = Field(default_factory=list)
    starters: list[str] = Field(
        default_factory=list, description="Prompt starters: questions offered when the specialist is chosen."
    )


@dataclass
class SyncReport:
    slug: str
    created: bool = False
    prompt_changed: bool = False
    settings_changed: list[str] = field(default_factory=list)
    sources_added: list[str] = field(default_factory=list)
    sources_unchanged: list[str] = field(default_factory=list)
    sources_removed: list[str] = field(default_factory=list)
    sources_refused: list[str] = field(default_factory=list)
    tests_synced: int = 0
    connections: list[str] = field(default_factory=list)  # connected or changed
    connections_removed: list[str] = field(default_factory=list)
    not_published: str | None = None  # why a skill that asks to be published is still a draft


def find_skills(root: Path) -> list[Path]:
    if (root / SKILL_FILE).is_file():
        return [root]
    return sorted(p.parent for p in root.glob(f"*/{SKILL_FILE}"))


def read_skill(folder: Path) -> SkillFile:
    path = folder / SKILL_FILE
    try:
        skill = SkillFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except yaml.YAMLError as exc:
        raise SkillError(f"{path} er ikke gyldig YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SkillError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    root = folder.resolve()
    for rel in skill.sources:
        source = (folder / rel).resolve()
        if not source.is_relative_to(root):
            raise SkillError(f"{path}: kilden {rel} ligger uden for skill-mappen")
        if not source.is_file():
            raise SkillError(f"{path}: kilden {rel} findes ikke")
    if skill.sharing == Sharing.TEAM:
        raise SkillError(f"{path}: sharing team sættes med /del team i kanalen, ikke i en skill-fil")
    if skill.status == Status.PUBLISHED and skill.screening is None:
        raise SkillError(f"{path}: status published kræver en screening-blok (formål, data, kilder, ...)")
    if skill.status == Status.PUBLISHED and not skill.description.strip():
        raise SkillError(f"{path}: status published kræver en description (den, medarbejderne vælger ud fra)")
    try:
        starter_rules.clean(skill.starters)  # the rules /startere applies, before anything is read
    except AppError as exc:
        raise SkillError(f"{path}: starters: {render_error(exc)}") from None
    if skill.screening is not None:
        try:
            skill.screening.answers()
        except AppError as exc:
            raise SkillError(f"{path}: screening: {render_error(exc)}") from None
    return skill


async def sync_skill(folder: Path, app: Application, actor: Actor = SKILLS_SYNC) -> SyncReport:
    skill = await asyncio.to_thread(read_skill, folder)
    try:
        return await _sync(folder, skill, app, actor)
    except AppError as exc:
        raise SkillError(f"{folder / SKILL_FILE}: {render_error(exc, actor.locale)}") from None


async def _sync(folder: Path, skill: SkillFile, app: Application, actor: Actor) -> SyncReport:
    """Read and check everything that can be refused first (sources are read, scanned and embedded
    for the specialist as it will be), then apply the whole new version in one transaction: a
    refusal anywhere leaves the specialist exactly as it was."""
    origin = {"file": str(folder / SKILL_FILE)}
    report = SyncReport(skill.slug)
    run = asyncio.to_thread
    spec = await run(app.specialists.lookup, actor, skill.slug)
    answers = skill.screening.answers() if skill.screening is not None else None
    planned: dict[str, Any] = {
        "slug": skill.slug,
        "name": skill.name,
        "classification": answers.classification
        if answers
        else (spec.classification if spec else Classification.PERSONFOELSOM),
        "source_cpr": SOURCE_CPR_VALUES[skill.settings.cpr_i_kilder],
        "chunk_size": skill.settings.chunk_size,
        "chunk_overlap": skill.settings.chunk_overlap,
    }
    rechunk = spec is not None and (spec.chunk_size, spec.chunk_overlap) != (
        skill.settings.chunk_size,
        skill.settings.chunk_overlap,
    )
    prepared, removed = await _prepare_sources(folder, skill, app, actor, spec, planned, report, rechunk)
    tests = folder / TESTS_FILE
    case_file = None
    if await run(tests.is_file):
        try:
            case_file = await run(read_case_file, tests)
        except CaseFileError as exc:
            raise SkillError(str(exc)) from None
    try:
        with app.specialists.atomic():
            spec = await _apply(skill, app, actor, spec, answers, report, origin)
            for path, ready in prepared:
                await run(app.sources.store, actor, spec, ready, file=str(path))
                report.sources_added.append(ready.name)
            for name in removed:
                await run(app.sources.remove, actor, name, skill.slug, **origin)
                report.sources_removed.append(name)
            if case_file is not None:
                report.tests_synced = await run(
                    app.evaluation.replace_cases, actor, case_file, skill.slug, file=str(tests)
                )
            # what it holds, old sources included, against its classification as it will be
            await run(app.sources.enforce, actor, skill.slug, "skills-sync", **origin)
            cases_to_run = await _sync_status(skill, app, actor, report, origin, run_cases=False)
    except IngestError as exc:  # a file refused when stored (its specialist changed meanwhile)
        raise SkillError(render_error(exc, actor.locale)) from None
    if report.sources_added or report.sources_removed:
        await run(app.sources.rebuild_index, actor, skill.slug)
    await _sync_connections(skill, app, actor, report)
    if cases_to_run:  # run against the committed, indexed version; it stays a draft unless they pass
        await _sync_status(skill, app, actor, report, origin, run_cases=True)
    return report


async def _sync_connections(skill: SkillFile, app: Application, actor: Actor, report: SyncReport) -> None:
    """The file's connections, as it lists them: new or changed ones (re)connected, others removed.
    The first sync of a new one runs on the schedule, not in the skills sync."""
    if not skill.connections and not (await app.connections.alist(actor, skill.slug))[1]:
        return
    wanted = set()
    for c in skill.connections:
        row = await app.connections.aconnect(
            actor,
            skill.slug,
            c.kind,
            c.url,
            every_s=parse_every(c.every),
            max_pages=c.max_pages,
            include=c.include,
            exclude=c.exclude,
            name=c.name,
        )
        wanted.add(row.id)
        report.connections.append(row.name)
    for view in (await app.connections.alist(actor, skill.slug))[1]:
        if view.row.id not in wanted:
            await app.connections.adisconnect(actor, view.row.name, skill.slug)
            report.connections_removed.append(view.row.name)


async def _apply(
    skill: SkillFile,
    app: Application,
    actor: Actor,
    spec: Specialist | None,
    answers: screening.ScreeningAnswers | None,
    report: SyncReport,
    origin: dict[str, str],
) -> Specialist:
    """The specialist's new definition: department, settings, screening, sharing and prompt."""
    run = asyncio.to_thread
    department = (
        await run(app.roles.ensure_department, actor, skill.department, **origin)
        if skill.department
        else None
    )
    if spec is None:
        spec = await run(
            app.specialists.create,
            actor,
            skill.name,
            department.slug if department else "",
            slug=skill.slug,
            description=skill.description,
            prompt=skill.prompt.strip(),
            **origin,
        )
        report.created = True
    slug = spec.slug
    wanted = {
        "name": skill.name,
        "description": skill.description,
        "temperature": skill.settings.temperature,
        "top_k": skill.settings.top_k,
        "chunk_size": skill.settings.chunk_size,
        "chunk_overlap": skill.settings.chunk_overlap,
        "model_id": skill.settings.model,
        "source_cpr": SOURCE_CPR_VALUES[skill.settings.cpr_i_kilder],
        "department": department.name if department else None,
        "department_id": department.id if department else None,
    }
    saved = await run(app.specialists.update_settings, actor, wanted, slug, **origin)
    report.settings_changed += sorted(saved.changes)
    # a new screening only when the answers changed; what it holds is checked when the transaction ends
    if answers is not None and await run(app.publishing.sync_screening, actor, answers, slug, **origin):
        report.settings_changed.append("screening")
    shared = await run(app.publishing.share, actor, skill.sharing, slug, **origin)
    if shared.changed:
        report.settings_changed.append("sharing")
    report.prompt_changed = await run(
        app.specialists.sync_prompt, actor, skill.prompt, slug, "fra skills sync", **origin
    )
    if skill.fagpersoner is not None and await run(app.handoffs.sync_experts, actor, slug, skill.fagpersoner):
        report.settings_changed.append("fagpersoner")
    if (await run(app.specialists.set_starters, actor, skill.starters, slug, **origin)).changed:
        report.settings_changed.append("starters")
    return spec


async def _prepare_sources(
    folder: Path,
    skill: SkillFile,
    app: Application,
    actor: Actor,
    spec: Specialist | None,
    planned: dict[str, Any],
    report: SyncReport,
    rechunk: bool,
) -> tuple[list[tuple[Path, Prepared]], list[str]]:
    """The sources to store (read, scanned and embedded for the specialist as it will be) and the
    names to remove; nothing is written. A refused file refuses the whole sync."""
    run = asyncio.to_thread
    paths = {safe_filename(p.name)[0]: p for p in (folder / rel for rel in skill.sources)}
    files = {name: await run(path.read_bytes) for name, path in paths.items()}
    plan = await run(app.sources.reconcile, actor, spec, files, rechunk)  # what to read, keep, remove
    report.sources_unchanged += plan.unchanged
    out: list[tuple[Path, Prepared]] = []
    for name in plan.read:
        outcome = await app.sources.prepare(actor, spec, name, files[name], **planned)
        if isinstance(outcome, Refused):
            raise SkillError(render_error(outcome.error, actor.locale))
        out.append((paths[name], outcome))
    return out, plan.removed


async def _sync_status(
    skill: SkillFile,
    app: Application,
    actor: Actor,
    report: SyncReport,
    origin: dict[str, str],
    run_cases: bool,
) -> bool:
    """Publish, unpublish or leave as it is, as the file says. Returns True when publishing waits
    for the test cases (``run_cases`` False: inside the transaction, where they cannot run)."""
    run = asyncio.to_thread
    spec = await run(app.specialists.lookup, actor, skill.slug)
    assert spec is not None
    if skill.status == Status.DRAFT:
        if spec.status == Status.PUBLISHED:
            await run(app.publishing.unpublish, actor, skill.slug, **origin)
            report.settings_changed.append("status")
        return False
    if spec.status == Status.PUBLISHED:
        return False
    if skill.sharing.wide and spec.approved_at is None:
        if not skill.approved_by:
            report.not_published = "afventer godkendelse: angiv approved_by (afdelingens faglige systemejer)"
            return False
        try:
            await run(app.publishing.approve_on_behalf, actor, spec, skill.approved_by, **origin)
        except AppError as exc:
            report.not_published = render_error(exc, actor.locale)
            return False
    _spec, cases = await run(app.evaluation.cases, actor, skill.slug)
    if cases:  # a skill with test cases is published only when they pass, here and now
        if not run_cases:
            return True
        try:
            outcome = await app.evaluation.run_own(actor, skill.slug)
        except AppError as exc:  # no cleared model: the cases cannot run, so nothing is published
            report.not_published = render_error(exc, actor.locale)
            return False
        if outcome.passed < outcome.total:
            cases = "testcase" if outcome.total == 1 else "testcases"
            report.not_published = f"{outcome.passed} af {outcome.total} {cases} bestod ({outcome.model})"
            return False
    await run(app.publishing.publish, actor, skill.slug, **origin)
    report.settings_changed.append("status")
    return False


def render_report(report: SyncReport) -> str:
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
        n = len(report.sources_unchanged)
        parts.append(f"{n} {'kilde' if n == 1 else 'kilder'} uændret")
    if report.tests_synced:
        cases = "testcase" if report.tests_synced == 1 else "testcases"
        parts.append(f"{report.tests_synced} {cases} fra {TESTS_FILE}")
    if report.not_published:
        parts.append(f"ikke udgivet: {report.not_published}")
    return f"{report.slug}: " + "; ".join(parts)


def export_skill(actor: Actor, slug: str, target: Path, app: Application) -> Path:
    """Write ``target/<slug>/skill.yaml`` and the stored source files next to it. The folder is
    built beside its final place and swapped in whole, so a failure never leaves a partial export.
    What the specialist holds is re-evaluated first: nothing leaves that its classification may not
    hold (refused with ``AppError``, or removed under ``cpr_i_kilder skjul``)."""
    app.sources.enforce(actor, slug, "export")
    spec, prompt = app.specialists.prompt(actor, slug)
    _spec, row = app.publishing.screening(actor, slug)
    _spec, connected = app.connections.list(actor, slug)
    held = app.sources.list(actor, slug)[1]
    brought = {src.name for src in held if src.connection_id is not None}  # exported as its connection
    files = [(name, data) for name, data in app.sources.files(actor, slug) if name not in brought]
    folder = target / spec.slug
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.slug}.", dir=target))
    try:
        (staging / "kilder").mkdir()
        sources = []
        for name, data in sorted(files):
            safe = safe_filename(name)[0]
            (staging / "kilder" / safe).write_bytes(data)
            sources.append(f"kilder/{safe}")
        screened = None
        if row is not None:
            screened = SkillScreening(
                purpose=row.purpose,
                data=row.data_categories.split(","),
                sources="offentlige" if row.public_sources else "interne",
                legal_basis=row.legal_basis,
                dpia=row.dpia_needed,
                responsible=row.responsible,
            )
        skill = SkillFile(
            slug=spec.slug,
            name=spec.name,
            description=spec.description,
            department=spec.department,
            prompt=prompt.text,
            status=Status(spec.status),
            settings=SkillSettings(
                temperature=spec.temperature,
                top_k=spec.top_k,
                chunk_size=spec.chunk_size,
                chunk_overlap=spec.chunk_overlap,
                model=spec.model_id,
                cpr_i_kilder="skjul" if spec.source_cpr == "redact" else "afvis",
            ),
            sources=sources,
            connections=[_exported(view.row) for view in connected],
            sharing=Sharing(spec.sharing) if spec.sharing != Sharing.TEAM else Sharing.PERSONAL,
            screening=screened,
            approved_by=spec.approved_by,
            fagpersoner=[pid for _name, pid in Experts.parse(spec.experts).people] or None,
            starters=starter_rules.stored(spec),
        )
        data = skill.model_dump(mode="json")
        if data.get("fagpersoner") is None:
            data.pop("fagpersoner", None)
        (staging / SKILL_FILE).write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8"
        )
        _spec, cases = app.evaluation.cases(actor, slug)
        if cases:  # the list promptfoo loads as `tests: file://tests.yaml`; `aarhusai eval run` reads it too
            tests = [{"vars": {"question": c.question}, "assert": json.loads(c.asserts)} for c in cases]
            (staging / TESTS_FILE).write_text(
                f"# {spec.name}: testcases\n"
                + yaml.safe_dump(tests, allow_unicode=True, sort_keys=False, width=100),
                encoding="utf-8",
            )
        if folder.exists():  # swap: the old export stays whole until the new one is in place
            old = Path(tempfile.mkdtemp(prefix=f".{spec.slug}.old.", dir=target))
            os.replace(folder, old / spec.slug)
            try:
                os.replace(staging, folder)
            except BaseException:
                os.replace(old / spec.slug, folder)
                raise
            finally:
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _exported(row: Connection) -> SkillConnection:
    options = json.loads(row.options or "{}")
    return SkillConnection(
        kind=row.kind,  # type: ignore[arg-type]
        url=row.target,
        name=row.name,
        every=every_text(row.every_s),
        max_pages=options.get("max_pages"),
        include=options.get("include") or [],
        exclude=options.get("exclude") or [],
    )
