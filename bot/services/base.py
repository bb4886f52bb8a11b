"""What every application service shares: the stores below it, the permission gate and the audit."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from bot.config import Settings
from bot.domain import AppError, AuditAction, Classification, Outcome, Permission
from bot.governance import access
from bot.governance.apikeys import ApiKeyStore, ApiScope
from bot.governance.audit import AuditLog
from bot.governance.roles import RoleStore, UserRoles
from bot.llm import ModelRouter
from bot.rag.ingest import Ingestor
from bot.rag.retrieval import Retriever
from bot.services.actor import Actor
from bot.specialists import SpecialistStore
from bot.specialists.cases import CaseStore
from bot.store import Database
from bot.store.conversations import ConversationStore
from bot.store.models import Specialist


@dataclass
class Stores:
    """The layer below the services: persistence, retrieval, ingestion and the model router."""

    settings: Settings
    db: Database
    specialists: SpecialistStore
    roles: RoleStore
    audit: AuditLog
    conversations: ConversationStore
    router: ModelRouter
    retriever: Retriever
    ingestor: Ingestor
    apikeys: ApiKeyStore
    cases: CaseStore


NO_MODEL = "ingen-model"  # the embedded default: cited passages, no generated text
NO_CEILING = Classification.OFFENTLIG  # an API actor built without its key's scope reaches nothing named


S = TypeVar("S", bound="Service")
P = ParamSpec("P")
R = TypeVar("R")


def offloop(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
    """The awaitable face of a blocking service method (``alist = offloop(list)``): its body runs in a
    worker thread, one hop per operation, so the event loop never waits on the database. The service
    decides which work leaves the loop; a door only awaits (no ``asyncio.to_thread`` of its own), and
    the CLI, skills sync and tests may still call the blocking method."""

    @functools.wraps(method)
    async def off_the_loop(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.to_thread(method, self, *args, **kwargs)

    return off_the_loop


class Service:
    """Base of the application services. Methods are blocking unless ``async``; each blocking one a
    door needs has an ``a``-prefixed awaitable twin made with ``offloop`` (``alist`` for ``list``)."""

    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self.settings = stores.settings

    def roles(self, actor: Actor) -> UserRoles:
        if actor.kind == "skills-sync":
            return UserRoles(actor.id, is_system=True)
        if actor.kind == "api":  # never an administrator, whatever the admin list says
            return UserRoles(actor.id, scope=actor.scope or ApiScope(actor.id, frozenset(), NO_CEILING))
        return self.stores.roles.roles_of(actor.id, actor.kind == "cli", actor.aliases)

    def case_model(self, spec: Specialist) -> str:
        """The model a specialist's own test cases run on: the first of its route (``NO_MODEL``, the
        embedded default, when the catalogue is empty or clears none for its data)."""
        router = self.stores.router
        if not router.has_models:
            return NO_MODEL
        candidates = router.plan(spec.classification, spec.model_id).candidates
        return candidates[0].id if candidates else NO_MODEL

    def audit(self, actor: Actor, event: AuditAction, target: str = "", /, **details: Any) -> None:
        self.stores.audit.record(actor.id, event, target, **details)

    def require(self, actor: Actor, permission: Permission, spec: Specialist | None = None) -> UserRoles:
        roles = self.roles(actor)
        access.require(roles, permission, spec)
        return roles

    def target(self, actor: Actor, ref: str | None, permission: Permission = Permission.EDIT) -> Specialist:
        """The specialist an operation is about: ``ref`` (a slug or name), else the one ``actor`` is
        editing (``/rediger``). Checks ``permission`` on it."""
        roles = self.roles(actor)
        access.require(roles, permission)
        if ref is not None:
            spec = self.stores.specialists.require(ref)
        else:
            found = self.stores.specialists.editing(actor.id)
            if found is None:
                raise AppError(Outcome.PRECONDITION, "no_edit_target")
            spec = found
        access.require(roles, permission, spec)
        return spec

    def card_target(self, actor: Actor, form: dict[str, object]) -> Specialist:
        """The specialist a submitted Builder card is about: the one being edited, and the card must
        have been made for it (an old card from before ``/rediger`` of another one changes nothing)."""
        spec = self.target(actor, None)
        if form.get("slug") and form.get("slug") != spec.slug:
            raise AppError(Outcome.CONFLICT, "card_other_specialist", name=spec.name)
        return spec
