"""Insights: what a Builder should fix, on demand (``/indsigt``, ``aarhusai insights``) and weekly (one
digest per Builder, on one replica).

Reads are scoped like ``/statistik``: a Builder or owner sees the specialists they may edit (their
department's), an administrator all of them, everyone else none. Question texts are masked before
they are embedded, grouped or shown; grouping is in-process (``bot.governance.themes``), so no
question goes to a model for it. A theme's question becomes a ``/test`` case through the same
evaluation service (and checks) as ``/test tilføj``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.domain import AppError, Outcome, Permission, Role
from bot.evals.cases import Assertion
from bot.governance import access, insights, stats
from bot.governance.insights import Figures, SpecialistThemes, Theme
from bot.llm.output import LinkPolicy, sanitise
from bot.messages import t
from bot.services.actor import Actor
from bot.services.base import Service, Stores, offloop
from bot.services.evaluation import EvaluationService
from bot.services.notifications import Button, Note, NotificationService
from bot.store.claims import job_due
from bot.store.models import JobRun, Message, RoleAssignment, Specialist
from bot.store.outbox import person_key

log = logging.getLogger(__name__)

DIGEST_JOB = "insights.digest"
DIGEST_EVERY_S = 7 * 24 * 3600.0
DIGEST_CHECK_S = 3600.0  # how often a replica asks whether this week's digest is due
DIGEST_THEMES = 3  # per specialist in the digest
DIGEST_TOPIC = "insights.digest"
NO_LINKS = LinkPolicy()


@dataclass(frozen=True)
class Report:
    """Everything ``aarhusai insights`` writes: the figures and the themes of the specialists shown."""

    name: str | None  # the specialist's name, or None for all the actor may see
    slugs: list[str]
    figures: Figures
    themes: list[SpecialistThemes]
    generated: datetime


class InsightsService(Service):
    def __init__(
        self, stores: Stores, notifications: NotificationService, evaluation: EvaluationService
    ) -> None:
        super().__init__(stores)
        self.notifications = notifications
        self.evaluation = evaluation

    # -- scope -----------------------------------------------------------------------------------------
    def visible(self, actor: Actor, ref: str | None = None) -> list[Specialist]:
        """The specialists ``actor`` may read insights of: ``ref`` alone (refused when not theirs), else
        every one they may edit (the general assistant: administrators only)."""
        roles = self.require(actor, Permission.STATS)
        if ref and ref.strip():
            spec = self.stores.specialists.require(ref.strip())
            if not access.can_edit(roles, spec):
                raise access.forbidden(Permission.STATS)
            return [spec]
        return [s for s in self.stores.specialists.catalogue() if access.can_edit(roles, s)]

    # -- reads -----------------------------------------------------------------------------------------
    def themes(
        self, actor: Actor, ref: str | None = None, now: datetime | None = None
    ) -> list[SpecialistThemes]:
        """Per visible specialist, its themes of the last two weeks (this week's count and last week's)."""
        return self._themes(self.visible(actor, ref), now or datetime.now(UTC))

    def _themes(self, specs: list[Specialist], now: datetime) -> list[SpecialistThemes]:
        if not specs:
            return []
        found = insights.items(self.stores.db, [s.slug for s in specs], now - 2 * insights.WEEK, now)
        embedder, result = self.stores.retriever.embedder, []
        for spec in specs:
            mine = [i for i in found if i.specialist == spec.slug]
            result.append(SpecialistThemes(spec.slug, spec.name, insights.themes_of(mine, embedder, now)))
        return sorted(result, key=lambda s: (-s.count, -s.before, s.name.casefold()))

    def theme(self, actor: Actor, message_id: int, now: datetime | None = None) -> tuple[Specialist, Theme]:
        """The theme a question (by its message id, as the card names it) belongs to, with its questions."""
        spec, _question = self._question(actor, message_id)
        [found] = self._themes([spec], now or datetime.now(UTC)) or [None]
        for theme in found.themes if found else []:
            if message_id in theme.message_ids:
                return spec, theme
        raise AppError(Outcome.NOT_FOUND, "insights_theme_gone")

    def _question(self, actor: Actor, message_id: int) -> tuple[Specialist, str]:
        """A stored question and its specialist, for an actor who may see that specialist's insights."""
        roles = self.require(actor, Permission.STATS)
        with self.stores.db.session() as s:
            row = s.exec(
                select(Message.specialist, Message.question).where(col(Message.id) == message_id)
            ).first()
        spec = self.stores.specialists.get(row[0]) if row else None
        if spec is None or not access.can_edit(roles, spec):  # another department's: as if it were not there
            raise AppError(Outcome.NOT_FOUND, "insights_theme_gone")
        return spec, row[1]  # type: ignore[index]

    def question(self, actor: Actor, message_id: int) -> tuple[Specialist, str]:
        """A theme's question, masked, for a form (a verified answer to it)."""
        spec, question = self._question(actor, message_id)
        return spec, " ".join(stats.masked(question).split())

    def test_from(self, actor: Actor, message_id: int) -> tuple[Specialist, int, str]:
        """A real question as a ``/test`` case of its specialist: masked, and it must be answered (the
        Builder adds what the answer must say with ``/test``). Returns the case's number and question."""
        spec, question = self._question(actor, message_id)
        shown = " ".join(stats.masked(question).split())
        spec, number = self.evaluation.add_case(actor, shown, [Assertion("not-refuses")], spec.slug)
        return spec, number, shown

    def figures(self, actor: Actor, ref: str | None = None, days: int = 30) -> Figures:
        specs = self.visible(actor, ref)
        return insights.figures(self.stores.db, [s.slug for s in specs], days)

    def report(self, actor: Actor, ref: str | None = None, days: int = 30) -> Report:
        now = datetime.now(UTC)
        specs = self.visible(actor, ref)
        slugs = [s.slug for s in specs]
        name = specs[0].name if ref and specs else None
        return Report(
            name, slugs, insights.figures(self.stores.db, slugs, days, now), self._themes(specs, now), now
        )

    # -- the weekly digest -----------------------------------------------------------------------------
    def digest(self, now: datetime | None = None) -> int:
        """Write this week's digest to every Builder whose department's specialists have themes: one
        outbox row per Builder (the sender posts it, within the send budgets). Returns the rows written."""
        now = now or datetime.now(UTC)
        with self.stores.db.session() as s:
            builders = sorted(
                set(
                    s.exec(
                        select(RoleAssignment.user_id).where(col(RoleAssignment.role) == Role.BUILDER)
                    ).all()
                )
            )
        if not builders:
            return 0
        specs = self.stores.specialists.catalogue()
        by_slug = {st.slug: st for st in self._themes(specs, now) if st.themes}
        week = f"{now.isocalendar().year}-W{now.isocalendar().week:02d}"
        locales = self.notifications.outbox.locales(builders)
        written = 0
        for builder in builders:
            roles = self.stores.roles.roles_of(builder)
            theirs = [by_slug[s.slug] for s in specs if s.slug in by_slug and access.can_edit(roles, s)]
            if not theirs:
                continue
            locale = locales.get(person_key(builder), self.settings.locale)
            note = Note(
                text=digest_text(theirs, locale),
                buttons=(Button("insights_open_button", "indsigt"),),
                topic=DIGEST_TOPIC,
                subject=week,
            )
            notified = self.notifications.notify([builder], note)
            written += len(notified.reachable) + len(notified.waiting)
        return written

    def digest_if_due(
        self, replica: str, every_s: float = DIGEST_EVERY_S, now: datetime | None = None
    ) -> int:
        """The digest on the one replica that claims this period (``job_due``); 0 elsewhere. The first
        time any replica looks, the weeks start counting (no digest the moment a new installation or
        a test server starts)."""
        if self._first_look(replica) or not job_due(self.stores.db, DIGEST_JOB, every_s, replica):
            return 0
        count = self.digest(now)
        self.stores.audit.record("system", DIGEST_JOB, DIGEST_TOPIC, notes=count)
        return count

    def _first_look(self, replica: str) -> bool:
        with self.stores.db.session() as s:
            if s.get(JobRun, DIGEST_JOB) is not None:
                return False
            s.add(JobRun(name=DIGEST_JOB, ran_at=datetime.now(UTC), replica=replica[:128]))
            try:
                s.commit()
            except IntegrityError:  # another replica looked first: its week has started
                s.rollback()
            return True

    async def digest_forever(self, replica: str, check_s: float = DIGEST_CHECK_S) -> None:
        """Inside every replica: asks each ``check_s`` whether the week's digest is due (one replica
        writes it)."""
        while True:
            try:
                await asyncio.to_thread(self.digest_if_due, replica)
            except Exception:
                log.exception("weekly insights digest failed; asking again in %s s", check_s)
            await asyncio.sleep(check_s)

    # the awaitable faces the doors use: each runs its blocking twin in a worker thread
    athemes = offloop(themes)
    atheme = offloop(theme)
    atest_from = offloop(test_from)
    aquestion = offloop(question)
    afigures = offloop(figures)


def change_text(change: int) -> str:
    return f"+{change}" if change > 0 else str(change) if change < 0 else "±0"


def digest_text(found: list[SpecialistThemes], locale: str) -> str:
    """The digest in ``locale``: per specialist, this week's count and its top themes (labels masked,
    made safe: no link, image or markup reaches the Builder)."""
    lines = [t("insights_digest_title", locale)]
    for st in found:
        lines.append(
            t(
                "insights_digest_specialist",
                locale,
                name=_safe(st.name, locale),
                count=st.count,
                change=change_text(st.count - st.before),
            )
        )
        for theme in st.themes[:DIGEST_THEMES]:
            lines.append(
                t(
                    "insights_digest_theme",
                    locale,
                    label=_safe(theme.label, locale),
                    count=theme.count,
                    change=change_text(theme.change),
                )
            )
    lines.append(t("insights_digest_more", locale))
    return "\n".join(lines)


def _safe(text: str, locale: str) -> str:
    return sanitise(text, NO_LINKS, locale)
