"""Verified answers: a question and an answer a person vouched for, kept as a source of the specialist.

It is stored like any source (the same ingestion: chunking, the content policy on personal data,
embedding, the index), so it is found for a paraphrased question as any passage is; retrieval ranks it
first when it matches and cites it as "Verificeret af <navn>, <dato>". After its review date (six
months unless told) it is no longer served, and the Builder's ``/status`` lists it for review.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import col, select

from bot.domain import AppError, AuditAction, Outcome
from bot.governance import content, stats
from bot.rag.ingest import PiiPolicy
from bot.services.actor import Actor
from bot.services.base import Service, Stores, offloop
from bot.services.handoffs import HandoffService
from bot.store.models import Specialist, VerifiedAnswer

REVIEW_AFTER = timedelta(days=182)  # about six months
PREFIX = "verificeret-"


@dataclass(frozen=True)
class Overdue:
    question: str
    author: str
    review_at: date


class VerifiedService(Service):
    def __init__(self, stores: Stores, handoffs: HandoffService) -> None:
        super().__init__(stores)
        self.handoffs = handoffs

    async def save_verified(
        self,
        actor: Actor,
        specialist_ref: str,
        question: str,
        answer: str,
        review_date: date | None = None,
        *,
        handoff_id: int | None = None,
    ) -> VerifiedAnswer:
        """Keep ``answer`` to ``question`` as a verified source of the specialist: by one of its experts
        or Builders. The same question verified again replaces the earlier answer."""
        spec = await asyncio.to_thread(self._allowed, actor, specialist_ref)
        if handoff_id is not None:
            # an employee's own words (their CPR number, their case): the verified source is served to
            # everyone who asks alike, so what it quotes of them is masked, cleared specialist or not
            question = await asyncio.to_thread(stats.masked, question)
        question, answer = " ".join(question.split())[:1000], answer.strip()[:4000]
        if not question or not answer:
            raise AppError(Outcome.INVALID, "verified_empty")
        today = datetime.now(UTC)
        review = review_date or (today + REVIEW_AFTER).date()
        if review <= today.date():
            raise AppError(Outcome.INVALID, "verified_review_past")
        name = f"{PREFIX}{hashlib.sha256(question.casefold().encode()).hexdigest()[:12]}.md"
        body = f"# {question}\n\n{answer}\n".encode()
        policy: PiiPolicy = content.policy(spec.classification, spec.source_cpr)
        # the same ingestion as any source: the content policy may refuse it (IngestError, worded)
        await self.stores.ingestor.ingest(spec, name, body, actor.id, pii=policy)
        return await asyncio.to_thread(
            self._store, actor, spec, name, question, answer, today, review, handoff_id
        )

    def _allowed(self, actor: Actor, ref: str) -> Specialist:
        spec = self.stores.specialists.require(ref)
        if not self.handoffs.may_answer(actor, spec):
            raise AppError(Outcome.FORBIDDEN, "verified_not_allowed", name=spec.name)
        return spec

    def _store(
        self,
        actor: Actor,
        spec: Specialist,
        name: str,
        question: str,
        answer: str,
        today: datetime,
        review: date,
        handoff_id: int | None,
    ) -> VerifiedAnswer:
        row = VerifiedAnswer(
            specialist_id=spec.id,  # type: ignore[arg-type]
            source_name=name,
            question=question,
            answer=answer,
            author_id=actor.id,
            author_name=actor.shown,
            handoff_id=handoff_id,
            verified_at=today,
            review_at=datetime.combine(review, time.min, tzinfo=UTC),
        )
        with self.stores.db.session() as s:
            old = s.exec(
                select(VerifiedAnswer).where(
                    VerifiedAnswer.specialist_id == spec.id, VerifiedAnswer.source_name == name
                )
            ).first()
            if old is not None:
                s.delete(old)
                s.flush()
            s.add(row)
            s.commit()
            s.refresh(row)
        self.audit(
            actor,
            AuditAction.VERIFIED_SAVED,
            spec.slug,
            source=name,
            review=review.isoformat(),
            handoff=handoff_id,
        )
        return row

    def overdue(self, spec: Specialist) -> list[Overdue]:
        """Verified answers of ``spec`` past their review date: not served, to be checked again."""
        now = datetime.now(UTC)
        with self.stores.db.session() as s:
            rows = s.exec(
                select(VerifiedAnswer)
                .where(VerifiedAnswer.specialist_id == spec.id, col(VerifiedAnswer.review_at) <= now)
                .order_by(col(VerifiedAnswer.review_at))
            ).all()
        return [Overdue(r.question, r.author_name, r.review_at.date()) for r in rows]

    aoverdue = offloop(overdue)
