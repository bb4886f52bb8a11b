"""Screening, sharing, approval, publishing: screen → share → approve (for wide sharing) → publish.

These rules hold for every door: Teams commands, the CLI, skills-as-code and the API. The only way
round them is an administrator's ``force`` with a reason, which is audited with that reason. Neither a
screening nor publishing ever leaves a specialist holding what its classification may not
(``ContentGuard``); ``force`` does not skip that.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bot.domain import AppError, AuditAction, Outcome, Permission, Sharing, Status, channel_of
from bot.governance import access, screening
from bot.messages import Msg
from bot.services.actor import Actor
from bot.services.base import NO_MODEL, Service, Stores, offloop
from bot.services.content import ContentGuard
from bot.services.describing import Describer
from bot.services.notifications import Button, Note, NotificationService
from bot.services.specialists import open_request
from bot.store.models import Screening, Specialist, utcnow


@dataclass(frozen=True)
class Screened:
    spec: Specialist
    answers: screening.ScreeningAnswers


@dataclass(frozen=True)
class Shared:
    spec: Specialist
    sharing: Sharing
    needs_approval: bool
    changed: bool = True


class PublishingService(Service):
    def __init__(self, stores: Stores, notifications: NotificationService | None = None) -> None:
        super().__init__(stores)
        self.content = ContentGuard(stores)
        self.notifications = notifications or NotificationService(stores)
        self.describer = Describer(stores)

    def screening(self, actor: Actor, ref: str | None = None) -> tuple[Specialist, Screening | None]:
        spec = self.target(actor, ref)
        return spec, screening.of(self.stores.db, spec.id)

    def screen(
        self,
        actor: Actor,
        answers: screening.ScreeningAnswers | str,
        ref: str | None = None,
        **audit: object,
    ) -> Screened:
        """Store the screening; it sets the classification, and takes the specialist back to draft
        until it is approved (where needed) and published again. What the specialist already holds is
        re-evaluated against the new classification in the same transaction (at its end, when the
        caller holds a larger one: skills sync): refused, nothing changes; redacted, it is stored
        without what the classification may not hold."""
        spec = self.target(actor, ref)
        if isinstance(answers, str):
            answers = screening.parse(answers)
        db = self.stores.db
        with db.transaction():
            spec = screening.save(db, self.stores.specialists, spec, answers, actor.id)
            self.audit(
                actor,
                AuditAction.SCREENING_COMPLETED,
                spec.slug,
                classification=spec.classification,
                data=answers.categories,
                dpia=answers.dpia_needed,
                **audit,
            )
            screened = spec
            db.before_commit(lambda: self.content.enforce(actor, screened, "screening", **audit))
        return Screened(spec, answers)

    def sync_screening(
        self, actor: Actor, answers: screening.ScreeningAnswers, ref: str, **audit: object
    ) -> bool:
        """Skills sync: screen again only when the answers differ from the stored screening (a new
        screening takes the specialist back to draft). True when it was stored."""
        _spec, row = self.screening(actor, ref)
        if not screening.differs(row, answers):
            return False
        self.screen(actor, answers, ref, **audit)
        return True

    def screen_form(self, actor: Actor, form: dict[str, object]) -> Screened:
        """The screening card: its fields through the same checks, the same save and audit as the text."""
        spec = self.card_target(actor, form)
        return self.screen(actor, screening.from_form(form), spec.slug, via="card")

    def share_form(self, actor: Actor, form: dict[str, object]) -> Shared:
        """The sharing card: the level chosen there, as ``/del <level>``."""
        spec = self.card_target(actor, form)
        return self.share(actor, str(form.get("deling") or ""), spec.slug, via="card")

    def share(self, actor: Actor, level: Sharing | str, ref: str | None = None, **audit: object) -> Shared:
        spec = self.target(actor, ref)
        parsed = level if isinstance(level, Sharing) else Sharing.parse(level)
        if parsed is None:
            raise AppError(Outcome.INVALID, "share_usage")
        shared_with = None
        if parsed == Sharing.TEAM:
            conv = actor.conversation
            if conv is None or conv.type == "personal":
                raise AppError(Outcome.PRECONDITION, "share_team_here")
            shared_with = channel_of(conv.id) or conv.id
        if parsed == Sharing.DEPARTMENT and spec.department_id is None:
            raise AppError(Outcome.PRECONDITION, "share_no_department")
        widened = parsed.wide and spec.sharing != parsed
        fields: dict[str, object] = {"sharing": parsed, "shared_with": shared_with}
        if widened:  # a wider audience needs the owner's approval again
            fields.update(approved_by=None, approved_at=None)
            if spec.status == Status.PUBLISHED:
                fields["status"] = Status.DRAFT
        if all(getattr(spec, k) == v for k, v in fields.items()):
            return Shared(spec, parsed, False, changed=False)
        spec = self.stores.specialists.update(spec.id, **fields)  # type: ignore[arg-type]
        self.audit(
            actor, AuditAction.SHARING_CHANGED, spec.slug, sharing=parsed, shared_with=shared_with, **audit
        )
        return Shared(spec, parsed, widened)

    def approve(self, actor: Actor, ref: str) -> Specialist:
        self.require(actor, Permission.APPROVE)
        spec = self.stores.specialists.require(ref)
        self.require(actor, Permission.APPROVE, spec)
        return self._approve(actor, spec, actor.id)

    def approve_on_behalf(self, actor: Actor, spec: Specialist, approver: str, **audit: object) -> Specialist:
        """Skills-as-code: the file names who approved; that person must really hold approval rights
        for the specialist (its department's owner, or an administrator). The file alone never is."""
        roles = self.stores.roles.roles_of(approver)
        if not access.can_approve(roles, spec):
            raise AppError(Outcome.FORBIDDEN, "approver_not_entitled", approver=approver, name=spec.name)
        return self._approve(actor, spec, approver, **audit)

    def _approve(self, actor: Actor, spec: Specialist, approver: str, **audit: object) -> Specialist:
        """Approve, and tell whoever asked for it (so they can publish), in one transaction."""
        if screening.of(self.stores.db, spec.id) is None:
            raise AppError(Outcome.PRECONDITION, "approve_unscreened", name=spec.name)
        request = open_request(self.stores, spec)
        with self.stores.db.transaction():
            spec = self.stores.specialists.update(
                spec.id,  # type: ignore[arg-type]
                approved_by=approver,
                approved_at=utcnow(),
            )
            self.audit(
                actor,
                AuditAction.SPECIALIST_APPROVED,
                spec.slug,
                sharing=spec.sharing,
                classification=spec.classification,
                approved_by=approver,
                **audit,
            )
            asker = request[0] if request else None
            if asker and asker not in {approver, actor.id, *actor.aliases}:
                shown = actor.shown if approver == actor.id else approver
                note = Note(
                    "notify_approved",
                    {"approver": shown, "name": spec.name, "sharing": spec.sharing, "slug": spec.slug},
                    buttons=(Button("notify_open_button", "rediger", spec.slug),),
                    topic="approval.granted",
                    subject=spec.slug,
                )
                self.notifications.notify([asker], note)
        return spec

    @staticmethod
    def force_reason(force: bool, reason: str | None) -> str | None:
        """What ``publish`` gets as ``force_reason`` from a door's "force" switch and its reason: None
        when not forced; forcing without a reason is refused (``force_needs_reason``), so a door can
        ask before it changes anything (``specialist create --publish --force``)."""
        if not force:
            return None
        if not (reason and reason.strip()):
            raise AppError(Outcome.INVALID, "force_needs_reason")
        return reason.strip()

    def publish(
        self,
        actor: Actor,
        ref: str | None = None,
        *,
        force_reason: str | None = None,
        tests_override: str | None = None,
        **audit: object,
    ) -> Specialist:
        """Needs a screening, approval where the sharing is department- or organisation-wide, a
        description (what employees choose by), and, when the specialist has test cases, a passing run
        of them as they are now. ``force_reason`` (administrators only) skips screening, approval and
        the description; ``tests_override`` (the Builder's reason)
        skips the test cases; each is audited with its reason. Nothing is published that holds what
        its classification may not (refused, or removed first under ``cpr_i_kilder skjul``)."""
        spec = self.target(actor, ref)
        spec = self.content.enforce(actor, spec, "publish", **audit).spec
        if force_reason is not None:
            if not self.roles(actor).is_admin:
                raise access.forbidden(Permission.ADMIN)
            if not force_reason.strip():
                raise AppError(Outcome.INVALID, "force_needs_reason")
        else:
            self.check_publishable(spec)
            if not spec.description.strip():
                raise self.undescribed(spec, self.describer.heuristic(spec, actor.locale))
        if tests_override is not None:
            if not tests_override.strip():
                raise AppError(Outcome.INVALID, "tests_override_needs_reason")
        else:
            self.check_cases(spec)
        spec = self.stores.specialists.update(spec.id, status=Status.PUBLISHED)  # type: ignore[arg-type]
        details: dict[str, object] = {"sharing": spec.sharing, "classification": spec.classification}
        if force_reason is not None:
            details.update(forced=True, reason=force_reason.strip())
        if tests_override is not None:
            details.update(tests_overridden=True, tests_reason=tests_override.strip())
        self.audit(actor, AuditAction.SPECIALIST_PUBLISHED, spec.slug, **details, **audit)
        return spec

    def check_publishable(self, spec: Specialist) -> None:
        if screening.of(self.stores.db, spec.id) is None:
            raise AppError(Outcome.PRECONDITION, "publish_unscreened", name=spec.name, usage=screening.USAGE)
        if Sharing(spec.sharing).wide and spec.approved_at is None:
            raise AppError(
                Outcome.PRECONDITION,
                "publish_unapproved",
                name=spec.name,
                sharing=spec.sharing,
                slug=spec.slug,
            )

    @staticmethod
    def undescribed(spec: Specialist, suggestion: str) -> AppError:
        """The refusal of a specialist without a description, with a suggested one where there is."""
        shown = Msg("description_suggestion", text=suggestion) if suggestion else ""
        return AppError(Outcome.PRECONDITION, "publish_no_description", name=spec.name, suggestion=shown)

    async def apublish(self, actor: Actor, ref: str | None = None, **options: Any) -> Specialist:
        """``publish`` off the event loop; refused for want of a description, the suggestion is written
        by a model cleared for the specialist's data where there is one (``Describer``)."""
        try:
            return await asyncio.to_thread(self.publish, actor, ref, **options)
        except AppError as exc:
            if exc.key != "publish_no_description":
                raise
            spec = await asyncio.to_thread(self.target, actor, ref)
            raise self.undescribed(spec, await self.describer.suggest(actor, spec)) from None

    def check_cases(self, spec: Specialist) -> None:
        """A specialist with test cases is published only after they passed, as they are now."""
        cases = self.stores.cases.list(spec.id)  # type: ignore[arg-type]
        if not cases:
            return
        model = self.case_model(spec)
        if model == NO_MODEL:  # no model cleared for its data: the cases cannot have passed
            raise AppError(Outcome.PRECONDITION, "publish_tests_untestable", name=spec.name, count=len(cases))
        run = self.stores.cases.latest_run(spec.id)  # type: ignore[arg-type]
        current = self.stores.cases.fingerprint(spec, model)
        version = self.stores.specialists.current_prompt(spec.id).version  # type: ignore[arg-type]
        if run is None or run.fingerprint != current:
            raise AppError(
                Outcome.PRECONDITION,
                "publish_tests_not_run",
                name=spec.name,
                count=len(cases),
                model=model,
                version=version,
            )
        if run.passed < run.total:
            raise AppError(
                Outcome.PRECONDITION,
                "publish_tests_failing",
                name=spec.name,
                passed=run.passed,
                count=run.total,
                model=model,
                version=version,
            )

    def unpublish(self, actor: Actor, ref: str | None = None, **audit: object) -> Specialist:
        spec = self.target(actor, ref)
        if spec.status == Status.DRAFT:
            return spec
        spec = self.stores.specialists.update(spec.id, status=Status.DRAFT)  # type: ignore[arg-type]
        self.audit(actor, AuditAction.SPECIALIST_UNPUBLISHED, spec.slug, **audit)
        return spec

    # the awaitable faces the doors use: each runs its blocking twin in a worker thread
    ascreening = offloop(screening)
    ascreen = offloop(screen)
    ashare = offloop(share)
    ascreen_form = offloop(screen_form)
    ashare_form = offloop(share_form)
    aunpublish = offloop(unpublish)
    aapprove = offloop(approve)
