"""Specialists: the catalogue a user may see, choosing one, creating and editing, prompts, settings.

A specialist's name, slug, description and prompt are content it holds: each is checked against its
classification (``ContentGuard.check_fields``) as it is set, and its slug is never built from a CPR
number (``content.slug_for``)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.conversation.types import ConversationRef
from bot.domain import AppError, AuditAction, Outcome, Permission, SpecialistKind, Status, channel_of
from bot.governance import access, content
from bot.governance.roles import UserRoles
from bot.llm.pii import Found
from bot.services.actor import Actor
from bot.services.base import Service, Stores, offloop
from bot.services.content import ContentGuard
from bot.store.models import PromptVersion, Specialist
from bot.tunables import allowed_keys_text, parse_setting


@dataclass(frozen=True)
class Listed:
    spec: Specialist
    in_use: bool


@dataclass(frozen=True)
class Used:
    spec: Specialist
    scope: Literal["conversation", "thread", "channel"]


@dataclass(frozen=True)
class SettingChanged:
    spec: Specialist
    key: str
    field: str
    value: Any
    shown: Any  # the value as the user named it (``skjul``, where ``redact`` is stored)
    reindex: bool  # chunking changed: it applies to new sources until /genindekser splits the old ones


@dataclass(frozen=True)
class SettingsView:
    spec: Specialist
    prompt: PromptVersion
    models: list[str]
    allowed: str  # the settings a Builder may change, with their ranges, in the actor's language


@dataclass
class Saved:
    spec: Specialist
    changes: dict[str, Any] = field(default_factory=dict)
    prompt_version: int | None = None


OWN_FIELDS = ("name", "description")  # settings that are content (the prompt has its own door)


class SpecialistsService(Service):
    def __init__(self, stores: Stores) -> None:
        super().__init__(stores)
        self.content = ContentGuard(stores)

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

    def visible(self, actor: Actor) -> list[Listed]:
        roles = self.roles(actor)
        current = self.stores.specialists.selected(actor.conversation_id)
        return [
            Listed(s, s.id == current.id)
            for s in self.stores.specialists.catalogue()
            if access.can_use(roles, s, actor.conversation_id)
        ]

    def use(self, actor: Actor, ref: str, channel_wide: bool = False) -> Used:
        if not ref.strip():
            raise AppError(Outcome.INVALID, "use_which")
        spec = self.stores.specialists.require(ref)
        self.usable(actor, spec)
        conv = actor.conversation or ConversationRef(id=actor.conversation_id)
        target, scope = conv.id, "conversation"
        if conv.type == "channel":
            if channel_wide:
                target, scope = channel_of(conv.id) or conv.id, "channel"
            else:
                scope = "thread"
        self.stores.specialists.select(target, spec.id, actor.id)  # type: ignore[arg-type]
        return Used(spec, scope)  # type: ignore[arg-type]

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

    # -- settings -----------------------------------------------------------------------------------
    def settings_view(self, actor: Actor, ref: str | None = None) -> SettingsView:
        spec = self.target(actor, ref)
        prompt = self.stores.specialists.current_prompt(spec.id)  # type: ignore[arg-type]
        return SettingsView(spec, prompt, self.stores.router.model_ids, allowed_keys_text(actor.locale))

    def configure(self, actor: Actor, key: str, value: str, ref: str | None = None) -> SettingChanged:
        spec = self.target(actor, ref)
        field_name, parsed = parse_setting(
            key, value, self.stores.router.model_ids, spec.chunk_size, spec.chunk_overlap, actor.locale
        )
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
        spec = self.target(actor, None)
        if form.get("slug") and form.get("slug") != spec.slug:
            raise AppError(Outcome.CONFLICT, "card_other_specialist")
        changes: dict[str, object] = {}
        errors: list[AppError] = []
        for key in ("temperatur", "top_k", "model"):
            raw = str(form.get(key) or "").strip()
            if not raw or (key == "model" and raw == (spec.model_id or "")):
                continue
            try:
                field_name, value = parse_setting(
                    key, raw, self.stores.router.model_ids, spec.chunk_size, spec.chunk_overlap, actor.locale
                )
            except AppError as exc:
                errors.append(exc)
                continue
            if getattr(spec, field_name) != value:
                changes[field_name] = value
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

    # the awaitable faces the doors use: each runs its blocking twin in a worker thread
    abuilds = offloop(builds)
    avisible = offloop(visible)
    ause = offloop(use)
    acreate = offloop(create)
    aedit = offloop(edit)
    aprompt = offloop(prompt)
    aprompt_history = offloop(prompt_history)
    aset_prompt = offloop(set_prompt)
    arestore_prompt = offloop(restore_prompt)
    asettings_view = offloop(settings_view)
    aconfigure = offloop(configure)
    asave_settings_form = offloop(save_settings_form)
