"""A specialist's sources: add (upload, CLI, skills), list, remove, reindex, rebuild the index.

Every source added from any door is checked, stored in one transaction, indexed and audited here.
What may be stored is ``bot.governance.content.policy`` of the specialist's classification; what is
already stored is re-evaluated (``ContentGuard``) before it is re-indexed or embedded again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.domain import AppError, AuditAction, Outcome, Permission, SpecialistKind
from bot.governance import content
from bot.rag.errors import IngestError
from bot.rag.ingest import IngestResult, PiiPolicy, Prepared, Progress
from bot.services.actor import Actor
from bot.services.base import Service, Stores, offloop
from bot.services.content import ContentGuard, Enforced
from bot.store.models import Source, Specialist


@dataclass(frozen=True)
class Added:
    spec: Specialist
    result: IngestResult


@dataclass(frozen=True)
class Refused:
    spec: Specialist
    error: IngestError


FileOutcome = Added | Refused
__all__ = ["Added", "FileOutcome", "Prepared", "Refused", "Reindexed", "Removed", "SourcesService"]
Fetch = Callable[[int], Awaitable[bytes]]


@dataclass(frozen=True)
class Removed:
    spec: Specialist
    source: Source


@dataclass(frozen=True)
class Reindexed:
    spec: Specialist
    results: list[IngestResult]

    @property
    def chunks(self) -> int:
        return sum(r.chunks for r in self.results)


@dataclass(frozen=True)
class SourceSync:
    """What syncing a folder of files (skills-as-code) does to a specialist's sources."""

    read: list[str]  # new, changed (by SHA-256) or to be split again: prepare and store these
    unchanged: list[str]
    removed: list[str]  # stored, but no longer in the folder


class SourcesService(Service):
    def __init__(self, stores: Stores) -> None:
        super().__init__(stores)
        self.content = ContentGuard(stores)

    def for_upload(self, actor: Actor, ref: str | None = None) -> Specialist:
        """The specialist files from ``actor`` go to (checked before anything is downloaded)."""
        if not self.roles(actor).builds:
            raise AppError(Outcome.FORBIDDEN, "uploads_builders_only")
        if ref is None and self.stores.specialists.editing(actor.id) is None:
            raise AppError(Outcome.PRECONDITION, "uploads_no_target")
        return self.target(actor, ref)

    def list(self, actor: Actor, ref: str | None = None) -> tuple[Specialist, list[Source]]:
        spec = self.target(actor, ref)
        return spec, self.stores.specialists.sources(spec.id)  # type: ignore[arg-type]

    async def add(
        self,
        actor: Actor,
        spec: Specialist,
        name: str,
        data: bytes | Fetch,
        progress: Progress | None = None,
        *,
        rebuild_index: bool = True,
        **audit: object,
    ) -> FileOutcome:
        """Add (or replace) one source of ``spec`` (from ``for_upload``/``target``). A refused file
        is a ``Refused`` outcome naming why; nothing of it is stored. Personal data found in a source
        is always audited; CPR numbers for a specialist screened as seeing none are refused or removed."""
        spec = await asyncio.to_thread(self._recheck, actor, spec)
        policy = self._pii_policy(spec)
        try:
            if not isinstance(data, bytes):
                data = await data(self.settings.max_upload_bytes)
            result = await self.stores.ingestor.ingest(
                spec, name, data, actor.id, progress, rebuild_index=rebuild_index, pii=policy
            )
        except IngestError as exc:
            await self._refused(actor, spec, exc, **audit)
            return Refused(spec, exc)
        await asyncio.to_thread(self._audit_added, actor, spec, result, policy, **audit)
        return Added(spec, result)

    async def _refused(self, actor: Actor, spec: Specialist, exc: IngestError, **audit: object) -> None:
        if exc.reason == "personal_data":
            kinds = exc.values["found"].kinds  # type: ignore[attr-defined]
            found = {"kinds": kinds, "action": "refused"}
            await self._audit(actor, AuditAction.SOURCE_PII_FOUND, spec, exc.filename, **found, **audit)
        await self._audit(actor, AuditAction.SOURCE_REFUSED, spec, exc.filename, reason=exc.reason, **audit)

    def _audit_added(
        self, actor: Actor, spec: Specialist, result: IngestResult, policy: PiiPolicy, **audit: object
    ) -> None:
        if result.pii:
            action = "redacted" if policy == "redact_cpr" and result.pii.get("cpr") else "kept"
            self.audit(
                actor,
                AuditAction.SOURCE_PII_FOUND,
                spec.slug,
                source=result.source,
                kinds=result.pii,
                action=action,
                **audit,
            )
        self.audit(
            actor,
            AuditAction.SOURCE_ADDED,
            spec.slug,
            source=result.source,
            chunks=result.chunks,
            replaced=result.replaced,
            **audit,
        )

    async def _audit(
        self, actor: Actor, event: AuditAction, spec: Specialist, source: str, /, **details: object
    ) -> None:
        await asyncio.to_thread(self.audit, actor, event, spec.slug, source=source, **details)

    @staticmethod
    def _pii_policy(spec: Specialist) -> PiiPolicy:
        """A specialist screened as seeing no personal data gets no CPR numbers from its sources."""
        return content.policy(spec.classification, spec.source_cpr)

    def _recheck(self, actor: Actor, spec: Specialist) -> Specialist:
        """``spec`` as it is now (its classification may have changed since the upload began)."""
        fresh = self.stores.specialists.by_id(spec.id)  # type: ignore[arg-type]
        self.require(actor, Permission.EDIT, fresh)
        return fresh

    # -- skills sync: read everything first, store in one transaction --------------------------------
    def reconcile(
        self, actor: Actor, spec: Specialist | None, files: dict[str, bytes], rechunk: bool
    ) -> SourceSync:
        """Which of ``files`` (stored name → bytes) are read again and which stored sources go: a file
        is read again only when its bytes changed or ``rechunk`` (the chunk sizes changed); ``spec``
        None: a specialist not created yet, so everything is new."""
        held = self.list(actor, spec.slug)[1] if spec else []
        stored = {s.name: s.sha256 for s in held if s.connection_id is None}  # not a connection's
        unchanged = [
            name
            for name, data in files.items()
            if not rechunk and stored.get(name) == hashlib.sha256(data).hexdigest()
        ]
        return SourceSync(
            read=[name for name in files if name not in unchanged],
            unchanged=unchanged,
            removed=sorted(set(stored) - set(files)),
        )

    async def prepare(
        self, actor: Actor, spec: Specialist | None, filename: str, data: bytes, /, **planned: Any
    ) -> Prepared | Refused:
        """Read, scan and embed a file for ``spec`` as it will be after a change (``planned`` fields:
        classification, source_cpr, chunk sizes; ``spec`` None: one not created yet). Nothing is
        stored; a refusal is audited and returned."""
        if spec is None:
            await asyncio.to_thread(self.require, actor, Permission.BUILD)
            future = Specialist(**planned)
        else:
            spec = await asyncio.to_thread(self._recheck, actor, spec)
            future = Specialist(**{**spec.model_dump(), **planned})
        try:
            return await self.stores.ingestor.prepare(future, filename, data, pii=self._pii_policy(future))
        except IngestError as exc:
            await self._refused(actor, future, exc)
            return Refused(future, exc)

    def store(
        self,
        actor: Actor,
        spec: Specialist,
        prepared: Prepared,
        *,
        replaces: int | None = None,
        origin: dict[str, Any] | None = None,
        **audit: object,
    ) -> IngestResult:
        """Blocking: store a prepared source (``prepare``) and audit it; the index is rebuilt by the
        caller (``rebuild_index``) once everything is stored. ``replaces`` and ``origin``: a connected
        document's earlier version and its identity (``Ingestor.store``). Raises ``IngestError``."""
        spec = self._recheck(actor, spec)
        replaced = self.stores.ingestor.store(spec, prepared, actor.id, replaces, origin)
        result = self.stores.ingestor.result(prepared, replaced)
        self._audit_added(actor, spec, result, self._pii_policy(spec), **audit)
        return result

    def enforce(
        self, actor: Actor, ref: str | None = None, transition: str = "check", /, **audit: object
    ) -> Enforced:
        """Blocking: re-evaluate what the specialist holds against its classification (see
        ``ContentGuard.enforce``)."""
        spec = self.target(actor, ref)
        return self.content.enforce(actor, spec, transition, **audit)

    def files(self, actor: Actor, ref: str | None = None) -> list[tuple[str, bytes]]:
        """The stored original bytes of every source (skills export, reindex)."""
        spec = self.target(actor, ref)
        return self.stores.specialists.source_files(spec.id)  # type: ignore[arg-type]

    def remove(self, actor: Actor, name: str, ref: str | None = None, **audit: object) -> Removed:
        spec = self.target(actor, ref)
        source = self.stores.specialists.remove_source(spec.id, name)  # type: ignore[arg-type]
        self.audit(actor, AuditAction.SOURCE_REMOVED, spec.slug, source=source.name, **audit)
        fresh = self.stores.specialists.by_id(spec.id)  # type: ignore[arg-type]
        self.stores.db.after_transaction(lambda: self.stores.retriever.rebuild(fresh))
        return Removed(fresh, source)

    async def reindex(
        self, actor: Actor, ref: str | None = None, progress: Progress | None = None
    ) -> Reindexed:
        spec = await asyncio.to_thread(self.target, actor, ref)
        spec = (await asyncio.to_thread(self.content.enforce, actor, spec, "reindex")).spec
        results = await self.stores.ingestor.reindex(spec, progress, pii=self._pii_policy(spec))
        await asyncio.to_thread(
            self.audit,
            actor,
            AuditAction.SPECIALIST_REINDEXED,
            spec.slug,
            sources=len(results),
            chunks=sum(r.chunks for r in results),
        )
        return Reindexed(spec, results)

    @property
    def embedder_id(self) -> str:
        """The embedding model this process embeds with (what ``reembed`` brings sources over to)."""
        return self.stores.retriever.embedder.id

    async def reembed(
        self, actor: Actor, ref: str | None = None, progress: Progress | None = None
    ) -> list[tuple[Specialist, int]]:
        """Bring specialists (``ref``: one, else every one that needs it) over to this process's
        embedding model; audited per specialist. The service does this by itself at start-up."""
        if actor.kind != "system":
            await asyncio.to_thread(self.require, actor, Permission.ADMIN if ref is None else Permission.EDIT)
        specs = (
            [await asyncio.to_thread(self.target, actor, ref)]
            if ref is not None
            else [
                s
                for s in await asyncio.to_thread(self.stores.specialists.catalogue)
                if s.kind == SpecialistKind.SOURCES
            ]
        )
        out = []
        for spec in specs:
            if not await asyncio.to_thread(self.stores.retriever.needs_reembed, spec):
                continue
            try:  # nothing is embedded (perhaps remotely) that its classification may not hold
                spec = (await asyncio.to_thread(self.content.enforce, actor, spec, "reembed")).spec
            except AppError:
                if ref is not None:
                    raise
                continue  # the refusal is audited; the others are still brought over
            chunks = await self.stores.ingestor.reembed(spec, progress)
            await asyncio.to_thread(
                self.audit,
                actor,
                AuditAction.SPECIALIST_REINDEXED,
                spec.slug,
                embedding_model=self.stores.retriever.embedder_for(spec).id,
                chunks=chunks,
            )
            out.append((spec, chunks))
        return out

    def rebuild_index(self, actor: Actor, ref: str | None = None) -> list[tuple[Specialist, str]]:
        """Rebuild search indexes from the database (``ref``: one specialist, else all of them)."""
        self.require(actor, Permission.ADMIN if ref is None else Permission.EDIT)
        specs = (
            [self.target(actor, ref)]
            if ref is not None
            else [s for s in self.stores.specialists.catalogue() if s.kind == SpecialistKind.SOURCES]
        )
        out = []
        for spec in specs:
            fresh = self.stores.specialists.by_id(spec.id)  # type: ignore[arg-type]
            out.append((fresh, self.stores.retriever.rebuild(fresh)))
        return out

    # the awaitable faces the doors use: each runs its blocking twin in a worker thread
    afor_upload = offloop(for_upload)
    alist = offloop(list)
    aremove = offloop(remove)
