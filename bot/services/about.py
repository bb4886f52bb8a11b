"""The facts behind "Om specialisten": what a specialist is for, who owns it, what it knows, what data
it may see, which model answers for it and where that runs, and when it was last screened.

The municipality must be able to show its users this (transparency duty for AI systems). One service
produces the facts; Teams (``/om``, the button on answers and in ``/specialister``), ``/v1/models`` and
MCP render them. The texts are a Builder's (name, purpose): each door makes them safe as it shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from bot.domain import AppError, Classification, Outcome, SpecialistKind, Status
from bot.governance import access, screening
from bot.services.actor import Actor
from bot.services.base import NO_MODEL, Service, offloop
from bot.store.models import Department, Message, Source, Specialist


@dataclass(frozen=True)
class About:
    """One specialist's facts, as every door shows them (texts unescaped: the door makes them safe)."""

    slug: str
    name: str
    kind: str  # sources or general
    status: str  # draft or published
    purpose: str  # the screening's purpose, else the description
    owner: str | None  # who owns it: their display name where the bot has met them, else their id
    responsible: str | None  # who the screening names as responsible
    department: str | None
    sources: int
    newest_source: datetime | None
    classification: Classification
    model_id: str | None  # the model that answers now (None: no model; passages only)
    model_name: str | None  # as the catalogue names it
    model_location: str | None  # where it runs, as the catalogue says
    screened_at: datetime | None  # the last risk screening (None: not screened)


class AboutService(Service):
    def about(self, actor: Actor, ref: str | None = None) -> About:
        """The facts of ``ref`` (a slug or name), else of the specialist answering where ``actor``
        writes; only of a specialist the actor may use."""
        store = self.stores.specialists
        if ref and ref.strip():
            spec = store.require(ref.strip())
            if not access.can_use(self.roles(actor), spec, actor.conversation_id):
                key = "draft_only_builders" if spec.status != Status.PUBLISHED else "not_shared_with_you"
                raise AppError(Outcome.FORBIDDEN, key, name=spec.name)
        else:
            spec = store.selected(actor.conversation_id)
        return self.facts(spec)

    def facts(self, spec: Specialist) -> About:
        """The facts of ``spec``; the caller has checked that its actor may see it."""
        db = self.stores.db
        with db.session() as s:
            count, newest = s.exec(
                select(func.count(col(Source.id)), func.max(Source.created_at)).where(
                    Source.specialist_id == spec.id
                )
            ).one()
            department = s.get(Department, spec.department_id) if spec.department_id else None
            owner_name = (
                s.exec(
                    select(Message.user_name)
                    .where(Message.user_id == spec.owner, col(Message.user_name).is_not(None))
                    .order_by(col(Message.id).desc())
                    .limit(1)
                ).first()
                if spec.owner
                else None
            )
        screened = screening.of(db, spec.id)
        model_id = self.case_model(spec)
        shown = self.stores.router.shown_model(model_id) if model_id != NO_MODEL else None
        purpose = (screened.purpose if screened else "") or spec.description
        return About(
            slug=spec.slug,
            name=spec.name,
            kind=spec.kind,
            status=spec.status,
            purpose=" ".join(purpose.split()),
            owner=(owner_name or spec.owner) if spec.kind != SpecialistKind.GENERAL else None,
            responsible=screened.responsible if screened else None,
            department=department.name if department else None,
            sources=int(count or 0),
            newest_source=newest,
            classification=Classification(spec.classification),
            model_id=model_id if shown else None,
            model_name=shown[0] if shown else None,
            model_location=shown[1] if shown else None,
            screened_at=screened.completed_at if screened else None,
        )

    aabout = offloop(about)
    afacts = offloop(facts)
