"""After an answer: thumbs up/down, the full text of a cited passage, forgetting a user, statistics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from bot.conversation.types import Citation
from bot.domain import AppError, AuditAction, Outcome, Permission
from bot.governance import access, retention, stats
from bot.llm.output import LinkPolicy, sanitise
from bot.services.actor import Actor
from bot.services.base import Service, offloop
from bot.services.handoffs import REASONS


class FeedbackService(Service):
    def vote(
        self,
        actor: Actor,
        reply_to_id: str | None,
        reaction: str,
        text: str,
        reason: str | None = None,
        asked_person: bool = False,
    ) -> bool:
        """Store a thumbs up/down (from the bot's own form: with a reason, the comment in ``text``, and
        whether a person was asked); False (and nothing stored) when the answer is unknown."""
        if reaction not in ("like", "dislike"):
            return False
        reason = reason if reason in REASONS else None
        found = self.stores.conversations.add_feedback(
            actor.conversation_id, reply_to_id, actor.id, reaction, text, reason, asked_person
        )
        return found is not None

    def attach_reply_id(self, message_id: int | None, activity_id: str | None) -> None:
        """Remember Teams' id of the message that carried an answer, so votes on it find it."""
        if message_id is not None and activity_id:
            self.stores.conversations.set_reply_id(message_id, activity_id)

    def cited(self, actor: Actor, number: str) -> Citation:
        """``/kilde n``: a passage of the latest cited answer where ``actor`` is writing."""
        citations = self.stores.conversations.last_cited(actor.conversation_id)
        if not citations:
            raise AppError(Outcome.PRECONDITION, "no_citations_yet")
        try:
            n = int(number.strip().strip("[]"))
            found = next(c for c in citations if c.n == n)
        except (ValueError, StopIteration):
            raise AppError(
                Outcome.INVALID, "citation_which", numbers=", ".join(str(c.n) for c in citations)
            ) from None
        # the passage is shown as written in its source: made safe like any answer (stored citations
        # of older answers included)
        policy = LinkPolicy(self.settings.link_hosts)
        return replace(
            found,
            source=sanitise(found.source, policy, actor.locale),
            text=sanitise(found.text, policy, actor.locale),
            heading=sanitise(found.heading, policy, actor.locale) if found.heading else None,
        )

    def forget(self, actor: Actor) -> int:
        count = retention.forget_user(self.stores.db, actor.id)
        self.audit(actor, AuditAction.USER_FORGOTTEN, actor.id, messages=count)
        return count

    def welcome_once(self, conversation_id: str) -> bool:
        return self.stores.conversations.welcome_once(conversation_id)

    # the awaitable faces the doors use: each runs its blocking twin in a worker thread
    acited = offloop(cited)
    aforget = offloop(forget)
    avote = offloop(vote)
    awelcome_once = offloop(welcome_once)
    aattach_reply_id = offloop(attach_reply_id)


class StatsService(Service):
    """Reads are scoped like writes: a Builder or owner sees the specialists they may edit (their
    department's), an administrator all of them, everyone else none; question texts come masked."""

    def usage(self, actor: Actor, ref: str | None = None, days: int = 30) -> tuple[str | None, stats.Usage]:
        """(the specialist's name, or None for all the actor may see) and its usage over ``days``."""
        roles = self.require(actor, Permission.STATS)
        if ref and ref.strip():
            spec = self.stores.specialists.require(ref)
            if not access.can_edit(roles, spec):
                raise access.forbidden(Permission.STATS)
            return spec.name, stats.usage(self.stores.db, [spec.slug], days)
        if roles.is_admin:
            return None, stats.usage(self.stores.db, None, days)
        visible = [s.slug for s in self.stores.specialists.catalogue() if access.can_edit(roles, s)]
        return None, stats.usage(self.stores.db, visible, days)

    def audit_export(self, actor: Actor, since: datetime | None, fmt: str) -> Iterator[str]:
        self.require(actor, Permission.ADMIN)
        return self.stores.audit.export(since, fmt)

    # the awaitable faces the doors use: each runs its blocking twin in a worker thread
    ausage = offloop(usage)
