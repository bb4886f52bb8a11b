"""Specialists as code: ``skills/<slug>/skill.yaml`` + source files, synced into the database and back.

Sync is idempotent: the prompt gets a new version only when its text changed, and a source is read
again only when its bytes changed (by SHA-256), so re-running it on an unchanged folder does nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import select

from bot.governance import screening
from bot.governance.roles import GovernanceError, RoleService
from bot.rag.ingest import Ingestor
from bot.specialists import SpecialistError, SpecialistService
from bot.specialists.service import SLUG_RE
from bot.store.models import Screening, Source, SourceFile, utcnow

SKILL_FILE = "skill.yaml"
SKILLS_ACTOR = "skills-sync"


class SkillSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(0.2, ge=0, le=2)
    top_k: int = Field(5, ge=1, le=20)
    chunk_size: int = Field(800, ge=200, le=4000)
    chunk_overlap: int = Field(120, ge=0, le=1000)
    model: str | None = None


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


class SkillFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=SLUG_RE.pattern)
    name: str = Field(min_length=1)
    description: str = ""
    department: str | None = None
    prompt: str = Field(min_length=1)
    status: str = Field("published", pattern="^(draft|published)$")
    settings: SkillSettings = Field(default_factory=SkillSettings)
    sharing: str = Field("organisation", pattern="^(personal|department|organisation)$")
    screening: SkillScreening | None = None
    sources: list[str] = Field(default_factory=list)


@dataclass
class SyncReport:
    slug: str
    created: bool = False
    prompt_changed: bool = False
    settings_changed: list[str] = field(default_factory=list)
    sources_added: list[str] = field(default_factory=list)
    sources_unchanged: list[str] = field(default_factory=list)
    sources_removed: list[str] = field(default_factory=list)


def find_skills(root: Path) -> list[Path]:
    if (root / SKILL_FILE).is_file():
        return [root]
    return sorted(p.parent for p in root.glob(f"*/{SKILL_FILE}"))


def read_skill(folder: Path) -> SkillFile:
    path = folder / SKILL_FILE
    try:
        skill = SkillFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except yaml.YAMLError as exc:
        raise SpecialistError(f"{path} er ikke gyldig YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SpecialistError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    for rel in skill.sources:
        if not (folder / rel).is_file():
            raise SpecialistError(f"{path}: kilden {rel} findes ikke")
    if skill.status == "published" and skill.screening is None:
        raise SpecialistError(
            f"{path}: status published kræver en screening-blok (formål, data, kilder, ...)"
        )
    if skill.screening is not None:
        try:
            skill.screening.answers()
        except GovernanceError as exc:
            raise SpecialistError(f"{path}: screening: {exc}") from None
    return skill


async def sync_skill(
    folder: Path, service: SpecialistService, ingestor: Ingestor, roles: RoleService
) -> SyncReport:
    skill = await asyncio.to_thread(read_skill, folder)
    report = SyncReport(skill.slug)
    department = (
        await asyncio.to_thread(roles.ensure_department, skill.department) if skill.department else None
    )
    answers = skill.screening.answers() if skill.screening else None
    wanted = {
        "name": skill.name,
        "description": skill.description,
        "department": skill.department,
        "status": skill.status,
        "temperature": skill.settings.temperature,
        "top_k": skill.settings.top_k,
        "chunk_size": skill.settings.chunk_size,
        "chunk_overlap": skill.settings.chunk_overlap,
        "model_id": skill.settings.model,
        "department_id": department.id if department else None,
        "sharing": skill.sharing,
    }
    if answers is not None:
        wanted["classification"] = answers.classification
    spec = await asyncio.to_thread(service.get, skill.slug)
    if spec is None:
        spec = await asyncio.to_thread(
            service.create, skill.name, SKILLS_ACTOR, slug=skill.slug, prompt=skill.prompt.strip()
        )
        report.created = True
    if answers is not None and await asyncio.to_thread(_screening_differs, service, spec.id, answers):
        spec = await asyncio.to_thread(screening.save, service.db, service, spec, answers, SKILLS_ACTOR)
        report.settings_changed.append("screening")
    changed = {k: v for k, v in wanted.items() if getattr(spec, k) != v}
    if skill.status == "published" and spec.approved_at is None:  # the code review is the approval
        changed.update(approved_by=f"{SKILLS_ACTOR} (kodegennemgang)", approved_at=utcnow())
    if changed:
        spec = await asyncio.to_thread(service.update, spec.id, **changed)  # type: ignore[arg-type]
        report.settings_changed += sorted(k for k in changed if k not in ("approved_by", "approved_at"))
    current = await asyncio.to_thread(service.current_prompt, spec.id)  # type: ignore[arg-type]
    if current.text.strip() != skill.prompt.strip():
        await asyncio.to_thread(
            service.set_prompt,
            spec.id,
            skill.prompt.strip(),
            SKILLS_ACTOR,  # type: ignore[arg-type]
            "fra skills sync",
        )
        report.prompt_changed = True
    existing = {s.name: s for s in await asyncio.to_thread(service.sources, spec.id)}  # type: ignore[arg-type]
    names = set()
    for rel in skill.sources:
        path = folder / rel
        data = await asyncio.to_thread(path.read_bytes)
        names.add(path.name)
        old = existing.get(path.name)
        if (
            old is not None
            and old.sha256 == hashlib.sha256(data).hexdigest()
            and not changed.keys() & {"chunk_size", "chunk_overlap"}
        ):
            report.sources_unchanged.append(path.name)
            continue
        await ingestor.ingest(spec, path.name, data, SKILLS_ACTOR)
        report.sources_added.append(path.name)
    for name in sorted(set(existing) - names):
        await asyncio.to_thread(service.remove_source, spec.id, name)  # type: ignore[arg-type]
        report.sources_removed.append(name)
    if report.sources_removed:
        await asyncio.to_thread(ingestor.retriever.rebuild, await asyncio.to_thread(service.by_id, spec.id))  # type: ignore[arg-type]
    return report


def _screening_differs(
    service: SpecialistService, specialist_id: int | None, answers: screening.ScreeningAnswers
) -> bool:
    with service.db.session() as s:
        row = s.get(Screening, specialist_id)
    if row is None:
        return True
    return (
        row.purpose,
        row.data_categories,
        row.public_sources,
        row.legal_basis,
        row.dpia_needed,
        row.responsible,
    ) != (
        answers.purpose,
        ",".join(answers.categories),
        answers.public_sources,
        answers.legal_basis,
        answers.dpia_needed,
        answers.responsible,
    )


def export_skill(slug: str, target: Path, service: SpecialistService) -> Path:
    """Write ``target/<slug>/skill.yaml`` and the stored source files next to it."""
    spec = service.require(slug)
    folder = target / spec.slug
    (folder / "kilder").mkdir(parents=True, exist_ok=True)
    prompt = service.current_prompt(spec.id)  # type: ignore[arg-type]
    sources = []
    with service.db.session() as s:
        rows = s.exec(
            select(Source.name, SourceFile.data)
            .join(SourceFile, SourceFile.source_id == Source.id)
            .where(Source.specialist_id == spec.id)
        ).all()
        row = s.get(Screening, spec.id)
    for name, data in sorted(rows):
        (folder / "kilder" / name).write_bytes(data)
        sources.append(f"kilder/{name}")
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
        status=spec.status,
        settings=SkillSettings(
            temperature=spec.temperature,
            top_k=spec.top_k,
            chunk_size=spec.chunk_size,
            chunk_overlap=spec.chunk_overlap,
            model=spec.model_id,
        ),
        sources=sources,
        sharing=spec.sharing if spec.sharing != "team" else "personal",
        screening=screened,
    )
    (folder / SKILL_FILE).write_text(
        yaml.safe_dump(skill.model_dump(), allow_unicode=True, sort_keys=False, width=100), encoding="utf-8"
    )
    return folder
