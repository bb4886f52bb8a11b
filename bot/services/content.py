"""Re-evaluating what a specialist holds at every transition that can change what it may hold.

Screening changes, publishing, re-embedding, re-indexing, skills sync and export each call
``ContentGuard.enforce`` (a source is checked as it arrives, in ``bot.rag.ingest``, under the same
``bot.governance.content.policy``). Under ``refuse`` the transition is refused, naming the sources and
what they carry; under ``redact`` the values are removed from the stored text, names, titles and
headings (the original files are not kept) and the index is rebuilt. Every finding is audited.

The specialist's own name, description, prompt and test-case questions are content too: checked when
set (``check_fields``) and at every transition here. A Builder types them, so they are refused under
either setting, never rewritten behind their back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.domain import AppError, AuditAction, Outcome
from bot.governance import content
from bot.llm.pii import Found
from bot.messages import t
from bot.services import starters
from bot.services.actor import Actor
from bot.services.base import Service
from bot.store.models import Specialist


@dataclass(frozen=True)
class Enforced:
    spec: Specialist
    redacted: list[str] = field(default_factory=list)  # the sources' names as stored now


@dataclass(frozen=True)
class Fields:
    """A specialist's own fields as a message value, named in the reader's language."""

    names: tuple[str, ...]
    key: str = "content_fields"

    def render(self, locale: str = "da") -> str:
        return ", ".join(t(f"content_field_{n}", locale) for n in self.names)


class ContentGuard(Service):
    def own(self, spec: Specialist) -> dict[str, list[str]]:
        """Blocking: what ``spec`` holds besides its sources, per field (as stored now)."""
        prompt = self.stores.specialists.current_prompt(spec.id)  # type: ignore[arg-type]
        cases = self.stores.cases.list(spec.id)  # type: ignore[arg-type]
        return {
            "name": [spec.name],
            "description": [spec.description],
            "prompt": [prompt.text],
            "questions": [c.question for c in cases],
            "starters": starters.stored(spec),
        }

    def check_fields(
        self,
        actor: Actor,
        spec: Specialist,
        fields: Mapping[str, Iterable[str | None]],
        transition: str,
        /,
        **audit: object,
    ) -> None:
        """Blocking. Raise ``AppError`` (``content_fields_outrank``) if ``fields`` (a name, description,
        prompt or questions about to be stored, or as stored) hold what ``spec``'s classification may
        not. The refusal is audited (after a rollback, so it is kept) without the values."""
        policy = content.policy(spec.classification, spec.source_cpr)
        offending = content.outranking(policy, fields)
        if not offending:
            return
        total: dict[str, int] = {}
        for kinds in offending.values():
            total["cpr"] = total.get("cpr", 0) + kinds.get("cpr", 0)
        self.stores.db.after_transaction(
            lambda: self.audit(
                actor,
                AuditAction.SOURCE_PII_FOUND,
                spec.slug,
                fields=sorted(offending),
                kinds=total,
                action="refused",
                transition=transition,
                **audit,
            )
        )
        raise AppError(
            Outcome.PRECONDITION,
            "content_fields_outrank",
            name=content.scrub(spec.name),
            classification=spec.classification,
            fields=Fields(tuple(offending)),
            found=Found(total),
        )

    def enforce(self, actor: Actor, spec: Specialist, transition: str, /, **audit: object) -> Enforced:
        """Blocking. Raise ``AppError`` (``content_outranks``) if ``spec`` (as stored now) holds what its
        classification may not, under ``cpr_i_kilder`` ``refuse``; remove it under ``redact``.
        Inside a ``Database.transaction`` the refusal rolls the whole change back; its audit is
        written after the rollback, so it is kept."""
        fresh = self.stores.specialists.by_id(spec.id)  # type: ignore[arg-type]
        policy = content.policy(fresh.classification, fresh.source_cpr)
        if policy == "keep":
            return Enforced(fresh)
        self.check_fields(actor, fresh, self.own(fresh), transition, **audit)
        ingestor, db = self.stores.ingestor, self.stores.db
        offending = [(i, n, k) for i, n, k in ingestor.held(fresh) if content.outranks(policy, k)]
        if not offending:
            return Enforced(fresh)
        if policy == "refuse_cpr":
            for _id, name, kinds in offending:
                db.after_transaction(
                    lambda name=name, kinds=kinds: self.audit(
                        actor,
                        AuditAction.SOURCE_PII_FOUND,
                        fresh.slug,
                        source=content.scrub_name(name),
                        kinds=kinds,
                        action="refused",
                        transition=transition,
                        **audit,
                    )
                )
            total: dict[str, int] = {}
            for _id, _name, kinds in offending:
                total["cpr"] = total.get("cpr", 0) + kinds.get("cpr", 0)
            raise AppError(
                Outcome.PRECONDITION,
                "content_outranks",
                name=content.scrub(fresh.name),
                classification=fresh.classification,
                sources=", ".join(content.scrub_name(n) for _i, n, _k in offending),
                found=Found(total),
            )
        redacted = []
        for source_id, _name, kinds in offending:
            result = ingestor.redact(fresh, source_id, actor.id)
            redacted.append(result.source)
            self.audit(
                actor,
                AuditAction.SOURCE_PII_FOUND,
                fresh.slug,
                source=result.source,
                kinds=kinds,
                action="redacted",
                transition=transition,
                **audit,
            )
        fresh = self.stores.specialists.by_id(spec.id)  # type: ignore[arg-type]
        db.after_transaction(lambda: self.stores.retriever.rebuild(fresh))
        return Enforced(fresh, redacted)
