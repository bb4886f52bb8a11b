"""Test cases, case runs and model-catalogue runs in the database (the store below ``EvaluationService``)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import col, delete, select

from bot.store import Database
from bot.store.models import CaseRun, CatalogueRun, PromptVersion, Specialist, SpecialistCase

MAX_CASES = 200  # per specialist


class CaseStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self, specialist_id: int) -> list[SpecialistCase]:
        with self.db.session() as s:
            rows = s.exec(
                select(SpecialistCase)
                .where(SpecialistCase.specialist_id == specialist_id)
                .order_by(col(SpecialistCase.id))
            ).all()
        return list(rows)

    def add(
        self, specialist_id: int, question: str, asserts: list[dict[str, Any]], by: str
    ) -> SpecialistCase:
        case = SpecialistCase(
            specialist_id=specialist_id,
            question=question,
            asserts=json.dumps(asserts, ensure_ascii=False),
            created_by=by,
        )
        with self.db.session() as s:
            s.add(case)
            s.commit()
            s.refresh(case)
        return case

    def remove(self, case_id: int) -> None:
        with self.db.session() as s:
            s.exec(delete(SpecialistCase).where(col(SpecialistCase.id) == case_id))  # type: ignore[call-overload]
            s.commit()

    def replace_all(self, specialist_id: int, cases: list[tuple[str, list[dict[str, Any]]]], by: str) -> None:
        """One transaction: the specialist's cases become ``cases`` (skills sync)."""
        with self.db.session() as s:
            s.exec(delete(SpecialistCase).where(col(SpecialistCase.specialist_id) == specialist_id))  # type: ignore[call-overload]
            for question, asserts in cases:
                s.add(
                    SpecialistCase(
                        specialist_id=specialist_id,
                        question=question,
                        asserts=json.dumps(asserts, ensure_ascii=False),
                        created_by=by,
                    )
                )
            s.commit()

    def fingerprint(self, spec: Specialist, model: str) -> str:
        """What a run tested: the cases, the prompt version, the sources' content version and the model.
        Any change makes an earlier run stale."""
        with self.db.session() as s:
            prompt = s.exec(
                select(PromptVersion.version)
                .where(PromptVersion.specialist_id == spec.id)
                .order_by(col(PromptVersion.version).desc())
            ).first()
            fresh = s.get(Specialist, spec.id)
        cases = [(c.question, c.asserts) for c in self.list(spec.id)]  # type: ignore[arg-type]
        content = fresh.content_version if fresh else spec.content_version
        payload = json.dumps([cases, prompt, content, model], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    def record_run(
        self, spec: Specialist, fingerprint: str, model: str, passed: int, total: int, by: str
    ) -> CaseRun:
        """``fingerprint``: what was tested, taken before the run (``fingerprint``)."""
        run = CaseRun(
            specialist_id=spec.id,  # type: ignore[arg-type]
            fingerprint=fingerprint,
            model=model[:200],
            passed=passed,
            total=total,
            run_by=by,
        )
        with self.db.session() as s:
            s.add(run)
            s.commit()
            s.refresh(run)
        return run

    def latest_run(self, specialist_id: int) -> CaseRun | None:
        with self.db.session() as s:
            return s.exec(
                select(CaseRun).where(CaseRun.specialist_id == specialist_id).order_by(col(CaseRun.id).desc())
            ).first()

    def record_catalogue(self, summary: dict[str, Any], by: str) -> CatalogueRun:
        row = CatalogueRun(summary=json.dumps(summary, ensure_ascii=False), run_by=by)
        with self.db.session() as s:
            s.add(row)
            s.commit()
            s.refresh(row)
        return row

    def latest_catalogue(self) -> CatalogueRun | None:
        with self.db.session() as s:
            return s.exec(select(CatalogueRun).order_by(col(CatalogueRun.id).desc())).first()
