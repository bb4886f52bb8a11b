"""Specialists in the database: create, find, prompt versions, settings, selection, sources.

Persistence only: permissions, governance steps and audit events belong to ``bot.services``, the only
callers outside tests. Blocking (SQLAlchemy sessions): async callers go through ``asyncio.to_thread``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from bot.domain import GENERAL_SLUG, SLUG_RE, AppError, Outcome, channel_of, slugify
from bot.store import Database
from bot.store.models import (
    Chunk,
    EditSelection,
    PromptVersion,
    Selection,
    Source,
    SourceFile,
    Specialist,
    utcnow,
)

DEFAULT_PROMPT = (
    "Du er specialisten «{name}» i Aarhus Kommune. Du hjælper medarbejdere med svar, der bygger på "
    "de kilder, specialisten har fået. Svar på dansk, kort og præcist, og henvis til kilderne."
)


class SpecialistStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- lookup -----------------------------------------------------------------------------------
    def get(self, ref: str) -> Specialist | None:
        ref = ref.strip().strip("«»\"'")
        with self.db.session() as s:
            found = s.exec(select(Specialist).where(Specialist.slug == ref.lower())).first()
            if found is None:
                found = s.exec(select(Specialist).where(func.lower(Specialist.name) == ref.lower())).first()
            if found is None and slugify(ref):
                found = s.exec(select(Specialist).where(Specialist.slug == slugify(ref))).first()
            return found

    def require(self, ref: str) -> Specialist:
        found = self.get(ref) if ref.strip() else None
        if found is None:
            raise AppError(Outcome.NOT_FOUND, "specialist_unknown", ref=ref.strip())
        return found

    def by_id(self, specialist_id: int) -> Specialist:
        with self.db.session() as s:
            found = s.get(Specialist, specialist_id)
        if found is None:
            raise AppError(Outcome.NOT_FOUND, "specialist_gone")
        return found

    def general(self) -> Specialist:
        return self.require(GENERAL_SLUG)

    def catalogue(self) -> list[Specialist]:
        """Every specialist, the general assistant first; who may see which is ``access.can_use``'s call."""
        with self.db.session() as s:
            query = select(Specialist).order_by(col(Specialist.kind), col(Specialist.name))
            return list(s.exec(query).all())

    # -- create and change ------------------------------------------------------------------------
    def create(
        self,
        name: str,
        actor: str,
        *,
        slug: str | None = None,
        description: str = "",
        department: str | None = None,
        department_id: int | None = None,
        prompt: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Specialist:
        name = " ".join(name.split())
        if not name:
            raise AppError(Outcome.INVALID, "specialist_needs_name")
        slug = slug or slugify(name)
        if not SLUG_RE.match(slug):
            raise AppError(Outcome.INVALID, "slug_invalid", slug=slug)
        spec = Specialist(
            slug=slug,
            name=name[:200],
            description=description,
            department=department,
            department_id=department_id,
            owner=actor,
            **(settings or {}),
        )
        with self.db.session() as s:
            s.add(spec)
            try:
                s.flush()
            except IntegrityError:
                raise AppError(Outcome.CONFLICT, "slug_exists", slug=slug) from None
            assert spec.id is not None
            s.add(
                PromptVersion(
                    specialist_id=spec.id,
                    version=1,
                    author=actor,
                    text=prompt or DEFAULT_PROMPT.format(name=name),
                )
            )
            s.commit()
            s.refresh(spec)
        return spec

    def update(self, specialist_id: int, **fields: Any) -> Specialist:
        with self.db.session() as s:
            spec = s.get(Specialist, specialist_id)
            if spec is None:
                raise AppError(Outcome.NOT_FOUND, "specialist_gone")
            for key, value in fields.items():
                setattr(spec, key, value)
            spec.updated_at = utcnow()
            s.add(spec)
            s.commit()
            s.refresh(spec)
            return spec

    # -- prompts ----------------------------------------------------------------------------------
    def current_prompt(self, specialist_id: int) -> PromptVersion:
        with self.db.session() as s:
            found = s.exec(
                select(PromptVersion)
                .where(PromptVersion.specialist_id == specialist_id)
                .order_by(col(PromptVersion.version).desc())
            ).first()
        if found is None:
            raise AppError(Outcome.NOT_FOUND, "prompt_missing")
        return found

    def set_prompt(
        self, specialist_id: int, text: str, author: str, note: str | None = None
    ) -> PromptVersion:
        text = text.strip()
        if not text:
            raise AppError(Outcome.INVALID, "prompt_empty")
        with self.db.session() as s:
            return self._add_prompt(s, specialist_id, text, author, note)

    def _add_prompt(
        self, s: Session, specialist_id: int, text: str, author: str, note: str | None
    ) -> PromptVersion:
        for _attempt in range(3):  # two Builders saving at once: the loser retries with the next number
            latest = s.exec(
                select(func.max(PromptVersion.version)).where(PromptVersion.specialist_id == specialist_id)
            ).one()
            version = PromptVersion(
                specialist_id=specialist_id, version=(latest or 0) + 1, text=text, author=author, note=note
            )
            s.add(version)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                continue
            s.refresh(version)
            return version
        raise AppError(Outcome.CONFLICT, "prompt_conflict")

    def prompt_history(self, specialist_id: int) -> list[PromptVersion]:
        with self.db.session() as s:
            return list(
                s.exec(
                    select(PromptVersion)
                    .where(PromptVersion.specialist_id == specialist_id)
                    .order_by(col(PromptVersion.version))
                ).all()
            )

    def restore_prompt(self, specialist_id: int, version: int, author: str) -> PromptVersion:
        with self.db.session() as s:
            old = s.exec(
                select(PromptVersion).where(
                    PromptVersion.specialist_id == specialist_id, PromptVersion.version == version
                )
            ).first()
            if old is None:
                raise AppError(Outcome.NOT_FOUND, "prompt_version_unknown", version=version)
            return self._add_prompt(s, specialist_id, old.text, author, f"gendannet fra version {version}")

    # -- which specialist answers where -----------------------------------------------------------
    def select(self, conversation_id: str, specialist_id: int, actor: str) -> None:
        with self.db.session() as s:
            row = s.get(Selection, conversation_id) or Selection(
                conversation_id=conversation_id, specialist_id=specialist_id, set_by=actor
            )
            row.specialist_id, row.set_by, row.set_at = specialist_id, actor, utcnow()
            s.add(row)
            s.commit()

    def selected(self, conversation_id: str) -> Specialist:
        """The conversation's (or thread's) choice, else its channel's default, else the assistant."""
        with self.db.session() as s:
            for key in (conversation_id, channel_of(conversation_id)):
                row = s.get(Selection, key) if key else None
                if row is not None:
                    spec = s.get(Specialist, row.specialist_id)
                    if spec is not None:
                        return spec
        return self.general()

    def set_editing(self, user_id: str, specialist_id: int) -> None:
        with self.db.session() as s:
            row = s.get(EditSelection, user_id) or EditSelection(user_id=user_id, specialist_id=specialist_id)
            row.specialist_id = specialist_id
            s.add(row)
            s.commit()

    def editing(self, user_id: str) -> Specialist | None:
        with self.db.session() as s:
            row = s.get(EditSelection, user_id)
            return s.get(Specialist, row.specialist_id) if row else None

    # -- sources ----------------------------------------------------------------------------------
    def sources(self, specialist_id: int) -> list[Source]:
        with self.db.session() as s:
            return list(
                s.exec(
                    select(Source).where(Source.specialist_id == specialist_id).order_by(col(Source.name))
                ).all()
            )

    def passage(self, chunk_id: int) -> tuple[Chunk, str, Specialist] | None:
        """One stored passage with its source's name and its specialist (None: no such passage)."""
        with self.db.session() as s:
            row = s.exec(
                select(Chunk, Source.name, Specialist)
                .join(Source, col(Source.id) == Chunk.source_id)
                .join(Specialist, col(Specialist.id) == Chunk.specialist_id)
                .where(Chunk.id == chunk_id)
            ).first()
        return (row[0], row[1], row[2]) if row else None

    def source_files(self, specialist_id: int) -> list[tuple[str, bytes]]:
        with self.db.session() as s:
            rows = s.exec(
                select(Source.name, SourceFile.data)
                .join(SourceFile, col(SourceFile.source_id) == Source.id)
                .where(Source.specialist_id == specialist_id)
            ).all()
        return [(r[0], r[1]) for r in rows]

    def remove_source(self, specialist_id: int, name: str) -> Source:
        with self.db.session() as s:
            source = s.exec(
                select(Source).where(
                    Source.specialist_id == specialist_id, func.lower(Source.name) == name.strip().lower()
                )
            ).first()
            if source is None:
                raise AppError(Outcome.NOT_FOUND, "source_unknown", name=name.strip())
            s.exec(delete(Source).where(col(Source.id) == source.id))  # chunks follow (ON DELETE CASCADE)
            spec = s.get(Specialist, specialist_id)
            assert spec is not None
            spec.content_version += 1
            s.add(spec)
            s.commit()
            return source
