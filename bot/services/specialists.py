"""Specialists: the catalogue a user may see, choosing one, creating and editing, prompts, settings.

A specialist's name, slug, description and prompt are content it holds: each is checked against its
classification (``ContentGuard.check_fields``) as it is set, and its slug is never built from a CPR
number (``content.slug_for``)."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.conversation.types import ConversationRef
from bot.domain import (
    AppError,
    AuditAction,
    Classification,
    Outcome,
    Permission,
    Sharing,
    SpecialistKind,
    Status,
)
from bot.governance import access, content, screening
from bot.governance.roles import UserRoles
from bot.llm.pii import Found
from bot.services import starters
from bot.services.actor import Actor
from bot.services.base import NO_MODEL, Service, Stores, offloop
from bot.services.content import ContentGuard
from bot.services.notifications import Button, Note, NotificationService, Notified
from bot.specialists.store import DEFAULT_PROMPT
from bot.store.models import PromptVersion, Specialist
from bot.tunables import ALIASES, allowed_keys_text, parse_setting


@dataclass(frozen=True)
class Listed:
    spec: Specialist
    in_use: bool


@dataclass(frozen=True)
class Used:
    spec: Specialist
    scope: Literal["conversation", "thread", "channel"]
    starters: tuple[str, ...] = ()  # its prompt starters, offered as it is chosen


@dataclass(frozen=True)
class Starters:
    spec: Specialist
    starters: list[str]
    changed: bool = False


@dataclass(frozen=True)
class SettingChanged:
    spec: Specialist
    key: str
    field: str
    value: Any
    shown: Any  # the value as the user named it (``skjul``, where ``redact`` is stored)
    reindex: bool  # chunking changed: it applies to new sources until /genindekser splits the old ones


@dataclass(frozen=True)
class ModelChoice:
    id: str
    name: str  # as people read it (the catalogue's ``name``, else its id)
    may_see: bool  # is cleared for the specialist's data (its classification)


@dataclass(frozen=True)
class SettingsView:
    spec: Specialist
    prompt: PromptVersion
    models: list[ModelChoice]  # the catalogue's, in its order; empty: no language model at all
    allowed: str  # the settings a Builder may change, with their ranges, in the actor's language


@dataclass
class Saved:
    spec: Specialist
    changes: dict[str, Any] = field(default_factory=dict)
    prompt_version: int | None = None


ApprovalState = Literal["not_needed", "approved", "requested", "missing"]
TestsState = Literal["none", "not_testable", "not_run", "stale", "failing", "passed"]


@dataclass(frozen=True)
class Checklist:
    """Where a specialist stands on its way to publishing: one fact per step, each door renders it."""

    spec: Specialist
    described: bool
    sources: int
    refused: tuple[str, ...]  # files refused since and not added later
    prompt_version: int
    prompt_default: bool  # still the prompt every new specialist gets
    screened: bool
    sharing: Sharing
    approval: ApprovalState
    approved_by: str | None
    owners: tuple[str, ...]  # who approves (the department's owners; none: an administrator)
    tests: TestsState
    tests_passed: int
    tests_total: int
    tests_model: str  # the last run's model, or the one a run would use
    published: bool

    @property
    def missing(self) -> int:
        """Steps still open before the specialist is published as it is now."""
        open_steps = [
            not self.described,
            not self.sources,
            not self.screened,
            self.approval in ("requested", "missing"),
            self.tests in ("not_testable", "not_run", "stale", "failing"),
            not self.published,
        ]
        return sum(open_steps)


@dataclass(frozen=True)
class ApprovalRequested:
    spec: Specialist
    owners: tuple[str, ...]
    notified: Notified = field(default_factory=lambda: Notified((), ()))  # messaged now; waiting to write


@dataclass(frozen=True)
class PendingApproval:
    spec: Specialist
    requested_by: str
    requested_at: datetime


OWN_FIELDS = ("name", "description")  # settings that are content (the prompt has its own door)
# The settings card's fields, in the order it checks them (chunk_size before the overlap it bounds).
FORM_KEYS = (
    "navn",
    "beskrivelse",
    "temperatur",
    "top_k",
    "chunk_size",
    "chunk_overlap",
    "cpr_i_kilder",
    "model",
)


def open_request(stores: Stores, spec: Specialist) -> tuple[str, datetime] | None:
    """Who asked for the specialist's approval and when: the latest request not made stale by a later
    approval or change of sharing."""
    actions = (
        AuditAction.APPROVAL_REQUESTED,
        AuditAction.SPECIALIST_APPROVED,
        AuditAction.SHARING_CHANGED,
    )
    events = stores.audit.for_target(spec.slug, actions, since=spec.created_at)
    last = events[-1] if events else None
    if last is None or last.action != AuditAction.APPROVAL_REQUESTED:
        return None
    return last.actor, last.at


class SpecialistsService(Service):
    def __init__(self, stores: Stores, notifications: NotificationService | None = None) -> None:
        super().__init__(stores)
        self.content = ContentGuard(stores)
        self.notifications = notifications or NotificationService(stores)

    # -- for everyone -------------------------------------------------------------------------------
    def selected(self, conversation_id: str) -> Specialist:
        return self.stores.specialists.selected(conversation_id)

    def usable(self, actor: Actor, spec: Specialist) -> None:
        """Raise unless ``actor`` may use ``spec`` where they are writing."""
        if not access.can_use(self.roles(actor), spec, actor.conversation_id):
            key = "draft_only_builders" if spec.status != Status.PUBLISHED else "not_shared_with_you"
            raise AppError(Outcome.FORBIDDEN, key, name=spec.name)

    def lookup(self, actor: Actor, slug: str) -> Specialist | None:
        """For Builders and skills-sync: the specialist with ``slug``, or None (nothing is checked on
        it yet; every change goes through a method that checks ``edit``)."""
        self.require(actor, Permission.BUILD)
        return self.stores.specialists.get(slug)

    def find(self, actor: Actor, ref: str) -> Specialist:
        """The specialist ``ref`` names, if ``actor`` may use it."""
        spec = self.stores.specialists.require(ref)
        self.usable(actor, spec)
        return spec

    def builds(self, actor: Actor) -> bool:
        """Whether ``actor`` may build specialists (``/hjælp`` shows the builders' commands then)."""
        return self.roles(actor).builds

    def administers(self, actor: Actor) -> bool:
        """Whether ``actor`` hands out roles (an administrator or a department's owner): ``/hjælp`` shows
        the administrators' commands then."""
        roles = self.roles(actor)
        return roles.is_admin or bool(roles.owner_of)

    def visible(self, actor: Actor) -> list[Listed]:
        roles = self.roles(actor)
        current = self.stores.specialists.selected(actor.conversation_id)
        return [
            Listed(s, s.id == current.id)
            for s in self.stores.specialists.catalogue()
            if access.can_use(roles, s, actor.conversation_id)
        ]

    def use(self, actor: Actor, ref: str) -> Used:
        """Choose the specialist answering in this conversation (in a channel: this thread). A whole
        channel's default is ``ChannelsService.set_specialist``, which only some may set."""
        if not ref.strip():
            raise AppError(Outcome.INVALID, "use_which")
        spec = self.stores.specialists.require(ref)
        self.usable(actor, spec)
        conv = actor.conversation or ConversationRef(id=actor.conversation_id)
        scope = "thread" if conv.type == "channel" else "conversation"
        self.stores.specialists.select(conv.id, spec.id, actor.id)  # type: ignore[arg-type]
        return Used(spec, scope, tuple(starters.offered(spec, actor.locale)))  # type: ignore[arg-type]

    def offered_starters(self, conversation_id: str, locale: str) -> Starters:
        """The prompt starters of the specialist answering in a conversation (the welcome's examples):
        what anyone there is offered when they write, so no actor is checked."""
        spec = self.stores.specialists.selected(conversation_id)
        return Starters(spec, starters.offered(spec, locale))

    # -- prompt starters --------------------------------------------------------------------------------
    def starters(self, actor: Actor, ref: str | None = None) -> Starters:
        """The prompt starters of the specialist ``actor`` edits (``ref``: another they may edit)."""
        spec = self.target(actor, ref)
        return Starters(spec, starters.stored(spec))

    def set_starters(self, actor: Actor, items: list[str], ref: str | None = None, **audit: Any) -> Starters:
        """Replace the prompt starters (an empty list removes them): checked as questions, and as content
        against the specialist's classification; audited. Unchanged starters write nothing (skills sync
        run twice)."""
        spec = self.target(actor, ref)
        if spec.kind == SpecialistKind.GENERAL:
            raise AppError(Outcome.INVALID, "general_has_no_sources")
        wanted = starters.clean(items)
        if wanted == starters.stored(spec):
            return Starters(spec, wanted)
        self.content.check_fields(actor, spec, {"starters": wanted}, "starters", **audit)
        spec = self.stores.specialists.update(spec.id, starters="\n".join(wanted))  # type: ignore[arg-type]
        self.audit(actor, AuditAction.SETTING_CHANGED, spec.slug, key="starters", value=wanted, **audit)
        return Starters(spec, wanted, changed=True)

    # -- building -----------------------------------------------------------------------------------
    def atomic(self) -> AbstractContextManager[None]:
        """Several changes as one (skills sync): every service call inside joins one database
        transaction, committed at the end or, if anything raises, rolled back whole."""
        return self.stores.db.transaction()

    def create(
        self,
        actor: Actor,
        name: str,
        department_ref: str = "",
        *,
        slug: str | None = None,
        description: str = "",
        prompt: str | None = None,
        settings: dict[str, Any] | None = None,
        **audit: Any,
    ) -> Specialist:
        """A new draft in the actor's department (with several, they must name one)."""
        roles = self.require(actor, Permission.BUILD)
        department_id = self._department_for_new(roles, department_ref.strip())
        department = self.stores.roles.department_by_id(department_id)
        if slug and content.slug_holds_cpr(slug):
            raise AppError(Outcome.INVALID, "slug_holds_cpr", found=Found(content.found([slug])))
        slug = slug or content.slug_for(name)
        planned = Specialist(slug=slug or "-", name=" ".join(name.split()), **(settings or {}))
        self.content.check_fields(
            actor,
            planned,
            {"name": [name], "description": [description], "prompt": [prompt]},
            "create",
            **audit,
        )
        spec = self.stores.specialists.create(
            name,
            actor.id,
            slug=slug,
            description=description,
            department=department.name if department else None,
            department_id=department_id,
            prompt=prompt,
            settings=settings,
        )
        if actor.kind == "user":
            self.stores.specialists.set_editing(actor.id, spec.id)  # type: ignore[arg-type]
        self.audit(actor, AuditAction.SPECIALIST_CREATED, spec.slug, department_id=department_id, **audit)
        return spec

    def _department_for_new(self, roles: UserRoles, ref: str) -> int | None:
        if ref:
            department = self.stores.roles.department(ref)
            if not (roles.edits_in(department.id) or roles.is_system):
                raise AppError(Outcome.FORBIDDEN, "not_builder_in", department=department.name)
            return department.id
        mine = sorted(roles.builder_of | roles.owner_of)
        if len(mine) == 1:
            return mine[0]
        if not mine:
            return None  # an administrator's specialist without a department
        names = ", ".join(d.slug for d in self.stores.roles.departments() if d.id in mine)
        raise AppError(Outcome.INVALID, "several_departments", names=names)

    def edit(self, actor: Actor, ref: str) -> Specialist:
        self.require(actor, Permission.BUILD)
        spec = self.stores.specialists.require(ref)
        if spec.kind == SpecialistKind.GENERAL:
            raise AppError(Outcome.INVALID, "general_has_no_sources")
        self.require(actor, Permission.EDIT, spec)
        self.stores.specialists.set_editing(actor.id, spec.id)  # type: ignore[arg-type]
        return spec

    # -- prompts ------------------------------------------------------------------------------------
    def prompt(self, actor: Actor, ref: str | None = None) -> tuple[Specialist, PromptVersion]:
        spec = self.target(actor, ref)
        return spec, self.stores.specialists.current_prompt(spec.id)  # type: ignore[arg-type]

    def prompt_history(self, actor: Actor, ref: str | None = None) -> tuple[Specialist, list[PromptVersion]]:
        spec = self.target(actor, ref)
        return spec, self.stores.specialists.prompt_history(spec.id)  # type: ignore[arg-type]

    def set_prompt(
        self, actor: Actor, text: str, ref: str | None = None, note: str | None = None, **audit: Any
    ) -> tuple[Specialist, PromptVersion]:
        spec = self.target(actor, ref)
        self.content.check_fields(actor, spec, {"prompt": [text]}, "prompt", **audit)
        saved = self.stores.specialists.set_prompt(spec.id, text, actor.id, note)  # type: ignore[arg-type]
        self.audit(actor, AuditAction.PROMPT_CHANGED, spec.slug, version=saved.version, **audit)
        return spec, saved

    def sync_prompt(self, actor: Actor, text: str, ref: str, note: str, **audit: Any) -> bool:
        """Skills sync: a new prompt version only when the text changed (whitespace at the ends
        aside), so a sync run twice writes nothing. True when a version was written."""
        _spec, current = self.prompt(actor, ref)
        if current.text.strip() == text.strip():
            return False
        self.set_prompt(actor, text.strip(), ref, note, **audit)
        return True

    def restore_prompt(self, actor: Actor, number: int, ref: str | None = None) -> PromptVersion:
        spec = self.target(actor, ref)
        old = [p.text for p in self.stores.specialists.prompt_history(spec.id) if p.version == number]  # type: ignore[arg-type]
        self.content.check_fields(actor, spec, {"prompt": old}, "prompt")
        restored = self.stores.specialists.restore_prompt(spec.id, number, actor.id)  # type: ignore[arg-type]
        self.audit(
            actor, AuditAction.PROMPT_RESTORED, spec.slug, version=restored.version, from_version=number
        )
        return restored

    def edited(self, actor: Actor) -> Specialist:
        """The specialist ``actor`` is editing (``/rediger``), where they may still edit it."""
        return self.target(actor, None)

    # -- settings -----------------------------------------------------------------------------------
    def settings_view(self, actor: Actor, ref: str | None = None) -> SettingsView:
        spec = self.target(actor, ref)
        prompt = self.stores.specialists.current_prompt(spec.id)  # type: ignore[arg-type]
        return SettingsView(spec, prompt, self._models(spec), allowed_keys_text(actor.locale))

    def _models(self, spec: Specialist) -> list[ModelChoice]:
        router = self.stores.router
        return [
            ModelChoice(id, name, bool(router.is_cleared(id, spec.classification)))
            for id, name in router.model_names().items()
        ]

    def _parse(
        self, actor: Actor, spec: Specialist, key: str, value: str, chunks: tuple[int, int] | None = None
    ) -> tuple[str, Any]:
        """``parse_setting`` and the rule it cannot know: a specialist's model must be cleared for its
        data (the router would otherwise quietly answer with another one). ``chunks``: the chunk size
        and overlap to check against, when a form changes them together."""
        models = self._models(spec)
        if not models and ALIASES.get(key.casefold(), key.casefold()) == "model":
            raise AppError(Outcome.PRECONDITION, "setting_model_none")
        size, overlap = chunks or (spec.chunk_size, spec.chunk_overlap)
        field_name, parsed = parse_setting(key, value, [m.id for m in models], size, overlap, actor.locale)
        if field_name == "model_id" and not any(m.id == parsed and m.may_see for m in models):
            cleared = ", ".join(f"{m.name} ({m.id})" for m in models if m.may_see) or "–"
            raise AppError(
                Outcome.INVALID,
                "setting_model_not_cleared",
                model=parsed,
                classification=Classification(spec.classification),
                cleared=cleared,
            )
        return field_name, parsed

    def configure(self, actor: Actor, key: str, value: str, ref: str | None = None) -> SettingChanged:
        spec = self.target(actor, ref)
        field_name, parsed = self._parse(actor, spec, key, value)
        if field_name == "status":
            raise AppError(Outcome.INVALID, "status_via_publish")
        if field_name in OWN_FIELDS:
            self.content.check_fields(actor, spec, {field_name: [str(parsed)]}, "setting")
        spec = self.stores.specialists.update(spec.id, **{field_name: parsed})  # type: ignore[arg-type]
        self.audit(actor, AuditAction.SETTING_CHANGED, spec.slug, key=field_name, value=parsed)
        shown = value.strip() if field_name == "source_cpr" else parsed
        return SettingChanged(spec, key, field_name, parsed, shown, field_name.startswith("chunk_"))

    def update_settings(
        self, actor: Actor, changes: dict[str, Any], ref: str | None = None, **audit: Any
    ) -> Saved:
        """Several validated fields at once (skills sync, the settings card); audited as one change."""
        spec = self.target(actor, ref)
        changed = {k: v for k, v in changes.items() if getattr(spec, k) != v}
        own = {k: [str(v)] for k, v in changed.items() if k in OWN_FIELDS and v}
        self.content.check_fields(actor, spec, own, "setting", **audit)
        if changed:
            spec = self.stores.specialists.update(spec.id, **changed)  # type: ignore[arg-type]
            self.audit(actor, AuditAction.SETTING_CHANGED, spec.slug, **changed, **audit)
        return Saved(spec, changed)

    def save_settings_form(self, actor: Actor, form: dict[str, object]) -> Saved:
        """The Builder settings card: every field goes through the same validation as /indstil."""
        spec = self.card_target(actor, form)
        changes: dict[str, object] = {}
        errors: list[AppError] = []
        chunks = {"chunk_size": spec.chunk_size, "chunk_overlap": spec.chunk_overlap}  # checked as changed
        for key in FORM_KEYS:
            raw = str(form.get(key) or "").strip()
            if not raw or (key == "model" and raw == (spec.model_id or "")):
                continue
            try:
                field_name, value = self._parse(
                    actor, spec, key, raw, (chunks["chunk_size"], chunks["chunk_overlap"])
                )
            except AppError as exc:
                errors.append(exc)
                continue
            if getattr(spec, field_name) != value:
                changes[field_name] = value
                if field_name in chunks:
                    chunks[field_name] = value
        if errors:
            raise AppError(Outcome.INVALID, "nothing_saved", errors=errors)
        saved = Saved(spec)
        if changes:
            saved = self.update_settings(actor, changes)
        prompt_text = str(form.get("prompt") or "").strip()
        current = self.stores.specialists.current_prompt(spec.id)  # type: ignore[arg-type]
        if prompt_text and prompt_text != current.text.strip():
            saved.prompt_version = self.set_prompt(actor, prompt_text)[1].version
        if not saved.changes and saved.prompt_version is None:
            raise AppError(Outcome.UNCHANGED, "no_changes")
        return saved

    # -- the checklist --------------------------------------------------------------------------
    def checklist(self, actor: Actor, ref: str | None = None) -> Checklist:
        """Every step between a new draft and a published, tested specialist, as it stands now."""
        spec = self.target(actor, ref)
        stores = self.stores
        sources = stores.specialists.sources(spec.id)  # type: ignore[arg-type]
        prompt = stores.specialists.current_prompt(spec.id)  # type: ignore[arg-type]
        sharing = Sharing(spec.sharing)
        owners = tuple(stores.roles.owners(spec.department_id)) if spec.department_id else ()
        tests, passed, total, model = self._tests_state(spec)
        return Checklist(
            spec=spec,
            described=bool(spec.description.strip()),
            sources=len(sources),
            refused=self._refused_sources(spec, {s.name for s in sources}),
            prompt_version=prompt.version,
            prompt_default=prompt.text.strip() == DEFAULT_PROMPT.format(name=spec.name).strip(),
            screened=screening.of(stores.db, spec.id) is not None,
            sharing=sharing,
            approval=self._approval_state(spec),
            approved_by=spec.approved_by,
            owners=owners,
            tests=tests,
            tests_passed=passed,
            tests_total=total,
            tests_model=model,
            published=spec.status == Status.PUBLISHED,
        )

    def _tests_state(self, spec: Specialist) -> tuple[TestsState, int, int, str]:
        """The same question publishing asks: a passing run of the cases as they are now, on a model
        cleared for the specialist (the passages alone test no answer)."""
        cases = self.stores.cases.list(spec.id)  # type: ignore[arg-type]
        model = self.case_model(spec)
        run = self.stores.cases.latest_run(spec.id)  # type: ignore[arg-type]
        passed, total = (run.passed, run.total) if run else (0, len(cases))
        shown = run.model if run else model
        if not cases:
            return "none", 0, 0, model
        if model == NO_MODEL:
            return "not_testable", passed, total, model
        if run is None:
            return "not_run", 0, len(cases), model
        if run.fingerprint != self.stores.cases.fingerprint(spec, model):
            return "stale", passed, total, shown
        return ("passed" if passed == total else "failing"), passed, total, shown

    def _refused_sources(self, spec: Specialist, stored: set[str]) -> tuple[str, ...]:
        """Files refused (the audit log holds why) that were not added or replaced afterwards."""
        actions = (AuditAction.SOURCE_REFUSED, AuditAction.SOURCE_ADDED)
        refused: dict[str, None] = {}
        for event in self.stores.audit.for_target(spec.slug, actions, since=spec.created_at):
            name = str(json.loads(event.details).get("source") or "")
            if event.action == AuditAction.SOURCE_REFUSED:
                refused[name] = None
            else:
                refused.pop(name, None)
        return tuple(n for n in refused if n and n not in stored)

    def _approval_state(self, spec: Specialist) -> ApprovalState:
        if not Sharing(spec.sharing).wide:
            return "not_needed"
        if spec.approved_at is not None:
            return "approved"
        return "requested" if self._open_request(spec) is not None else "missing"

    def _open_request(self, spec: Specialist) -> tuple[str, datetime] | None:
        return open_request(self.stores, spec)

    def request_approval(self, actor: Actor, ref: str | None = None) -> ApprovalRequested:
        """Ask the department's owners (none: the administrators) to approve the specialist's wide
        sharing: recorded (audit), shown in their ``/status``, and sent to their personal chat with the
        bot, all in one transaction. Someone who has not written to the bot yet gets it once they do."""
        spec = self.target(actor, ref)
        sharing = Sharing(spec.sharing)
        if not sharing.wide:
            raise AppError(Outcome.PRECONDITION, "approval_not_needed", name=spec.name, sharing=sharing)
        if spec.approved_at is not None:
            raise AppError(Outcome.UNCHANGED, "approval_already", name=spec.name, by=spec.approved_by)
        if screening.of(self.stores.db, spec.id) is None:
            raise AppError(Outcome.PRECONDITION, "approve_unscreened", name=spec.name)
        owners = tuple(self.stores.roles.owners(spec.department_id)) if spec.department_id else ()
        mine = {actor.id, *actor.aliases}
        recipients = [r for r in (owners or self.settings.admins) if r not in mine]
        note = Note(
            "notify_approval_requested",
            {"builder": actor.shown, "name": spec.name, "sharing": sharing.value, "slug": spec.slug},
            buttons=(Button("checklist_approve_button", "godkend", spec.slug),),
            topic="approval.requested",
            subject=spec.slug,
        )
        with self.stores.db.transaction():
            self.audit(
                actor,
                AuditAction.APPROVAL_REQUESTED,
                spec.slug,
                sharing=sharing,
                department_id=spec.department_id,
                owners=list(owners),
            )
            notified = self.notifications.notify(recipients, note)
        return ApprovalRequested(spec, owners, notified)

    def pending_approvals(self, actor: Actor) -> list[PendingApproval]:
        """Requests waiting for ``actor``: specialists of the departments they own (all, for an
        administrator) whose wide sharing is asked to be approved and is not yet."""
        roles = self.roles(actor)
        if not (roles.owner_of or roles.is_admin):
            return []
        targets = {e.target for e in self.stores.audit.events(action=AuditAction.APPROVAL_REQUESTED)}
        pending = []
        for slug in sorted(targets):
            spec = self.stores.specialists.get(slug)
            if spec is None or spec.slug != slug or not roles.owns(spec.department_id):
                continue
            if spec.approved_at is not None or not Sharing(spec.sharing).wide:
                continue
            request = self._open_request(spec)
            if request is not None:
                pending.append(PendingApproval(spec, *request))
        return pending

    # the awaitable faces the doors use: each runs its blocking twin in a worker thread
    abuilds = offloop(builds)
    aadministers = offloop(administers)
    avisible = offloop(visible)
    ause = offloop(use)
    aoffered_starters = offloop(offered_starters)
    astarters = offloop(starters)
    aset_starters = offloop(set_starters)
    acreate = offloop(create)
    aedit = offloop(edit)
    aedited = offloop(edited)
    aprompt = offloop(prompt)
    aprompt_history = offloop(prompt_history)
    aset_prompt = offloop(set_prompt)
    arestore_prompt = offloop(restore_prompt)
    asettings_view = offloop(settings_view)
    aconfigure = offloop(configure)
    asave_settings_form = offloop(save_settings_form)
    achecklist = offloop(checklist)
    arequest_approval = offloop(request_approval)
    apending_approvals = offloop(pending_approvals)
