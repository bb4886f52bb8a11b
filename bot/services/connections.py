"""Connected sources: connect a specialist to where its documents live, sync it, list, disconnect.

A sync runs the connection's ``Connector`` and treats every fetched document exactly like an upload
(``SourcesService.prepare``/``store``: the isolated reader with its limits, the personal-data screening
and the specialist's classification, names and titles included; the URL is screened as well). A
document whose bytes hash as the stored copy is not read or embedded again. Each document's new version
replaces the old one in one transaction (a question during a sync sees either, never half), a ``Gone``
one is removed the same way, and the index is rebuilt once at the end. The connector's state (ETags, a
delta link) is stored only after every change is applied, so a crash resumes from the old state (the
content hashes make the repeat cheap). One replica syncs a connection at a time (a lease on its row).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, delete, func, select

from bot import metrics
from bot.connections import FACTORIES, KINDS
from bot.connections.types import Change, FetchedDocument, FetchFailed, Gone, Unchanged
from bot.domain import AppError, AuditAction, Outcome, Permission, safe_filename
from bot.errors import AarhusAIError
from bot.governance import content
from bot.hosts import HostAllowList, parse
from bot.llm.pii import Found
from bot.messages import Msg
from bot.rag.errors import IngestError
from bot.replica import replica_id
from bot.services.actor import Actor
from bot.services.base import Service, Stores, offloop
from bot.services.notifications import Note, NotificationService
from bot.services.sources import Refused, SourcesService
from bot.store.claims import job_due
from bot.store.models import Connection, Source, Specialist

log = logging.getLogger(__name__)

# who a scheduled sync acts as (audited under this id): it may edit what a Builder connected, like
# reviewed configuration, and nothing else
SCHEDULE = Actor("schedule:connections", "skills-sync")
DEFAULT_EVERY_S = 24 * 3600
MIN_EVERY_S = 15 * 60
LEASE_S = 3600.0  # a sync not finished within this is taken over (its replica died)
FAILURES_TOLD = 3  # consecutive failed syncs after which a Builder is told
MAX_REPORTED = 50  # refused/failed documents kept in a connection's report
SyncProgress = Callable[[str, dict[str, int]], Awaitable[None]]  # (document name, counts so far)
TRANSIENT = ("embedding_failed", "download_failed")  # refusals a later sync may not repeat
_EVERY = re.compile(r"^(\d{1,4})\s*(m|min|t|h|d|dag|dage)?$")


def parse_every(text: str) -> int:
    """``24t``/``24h``, ``30m``, ``2d`` → seconds (at least 15 minutes). Raises ``AppError``."""
    found = _EVERY.match(text.strip().lower())
    if not found:
        raise AppError(Outcome.INVALID, "connection_bad_every", value=text.strip()[:20])
    n, unit = int(found.group(1)), found.group(2) or "t"
    seconds = n * {"m": 60, "min": 60, "t": 3600, "h": 3600, "d": 86400, "dag": 86400, "dage": 86400}[unit]
    if seconds < MIN_EVERY_S:
        raise AppError(Outcome.INVALID, "connection_bad_every", value=text.strip()[:20])
    return seconds


def every_text(seconds: int) -> str:
    return (
        f"{seconds // 86400}d"
        if seconds % 86400 == 0
        else f"{seconds // 3600}t"
        if seconds % 3600 == 0
        else f"{seconds // 60}m"
    )


class SyncAborted(AarhusAIError):
    """A document failed for a reason a later sync may not repeat: stop, keep the old state."""


class ConnectorFailed(AarhusAIError):
    """The connector refused the whole sync with a reason of its own (an ``AppError``, e.g. Graph's
    ``graph_forbidden``): a failed sync, recorded and counted, never an error of the door's request."""

    def __init__(self, error: AppError) -> None:
        super().__init__(str(error))
        self.error = error


async def _guarded(changes: AsyncIterator[Change]) -> AsyncIterator[Change]:
    """The connector's changes; an ``AppError`` it raises becomes ``ConnectorFailed`` (one the service
    raises while applying them is not: it is the caller's). Closed here when the caller stops early,
    so the connector's HTTP sessions close at once."""
    try:
        async for change in changes:
            yield change
    except AppError as exc:
        raise ConnectorFailed(exc) from exc
    finally:
        aclose = getattr(changes, "aclose", None)
        if aclose is not None:
            await aclose()


@dataclass
class SyncReport:
    """What one sync of one connection did."""

    connection: str
    kind: str
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    refused: list[dict[str, str]] = field(default_factory=list)  # name, da, en
    failed: list[dict[str, str]] = field(default_factory=list)  # name, reason
    error: str | None = None
    seconds: float = 0.0
    stats: dict[str, int] = field(default_factory=dict)  # the connector's own (requests, downloads)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "refused": len(self.refused),
            "failed": len(self.failed),
        }

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failed

    def as_json(self) -> str:
        return json.dumps(
            {
                "counts": self.counts,
                "refused": self.refused[:MAX_REPORTED],
                "failed": self.failed[:MAX_REPORTED],
                "error": self.error,
                "seconds": round(self.seconds, 2),
                "stats": self.stats,
            },
            ensure_ascii=False,
        )


@dataclass(frozen=True)
class ConnectionView:
    """A connection as a door shows it: its row and its last report."""

    row: Connection
    report: dict[str, Any]
    documents: int


class ConnectionsService(Service):
    def __init__(self, stores: Stores, sources: SourcesService, notifications: NotificationService) -> None:
        super().__init__(stores)
        self.sources = sources
        self.notifications = notifications

    # -- connect, list, disconnect ------------------------------------------------------------------
    def connect(
        self,
        actor: Actor,
        ref: str | None,
        kind: str,
        target: str,
        *,
        every_s: int = DEFAULT_EVERY_S,
        max_pages: int | None = None,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        name: str | None = None,
    ) -> Connection:
        """Connect ``ref``'s specialist (Builders of its department) to ``target``; it syncs at once
        when the scheduler next looks (``next_sync_at`` now). Connecting the same target again changes
        its options. A Graph target (SharePoint, a channel) is read once first, so a folder that does
        not exist or that the app may not read is refused now, with its reason. Blocking (the CLI): the
        check runs on a loop of its own; async code awaits ``aconnect``."""
        spec, kind, target, connector = self._connectable(actor, ref, kind, target, max_pages)
        if connector is not None:
            asyncio.run(self._check(connector))
        return self._store(actor, spec, kind, target, every_s, max_pages, include, exclude, name)

    async def aconnect(
        self,
        actor: Actor,
        ref: str | None,
        kind: str,
        target: str,
        *,
        every_s: int = DEFAULT_EVERY_S,
        max_pages: int | None = None,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        name: str | None = None,
    ) -> Connection:
        """``connect`` for a door: the database off the loop, the target's check on it."""
        spec, kind, target, connector = await asyncio.to_thread(
            self._connectable, actor, ref, kind, target, max_pages
        )
        if connector is not None:
            await self._check(connector)
        return await asyncio.to_thread(
            self._store, actor, spec, kind, target, every_s, max_pages, include, exclude, name
        )

    def _connectable(
        self, actor: Actor, ref: str | None, kind: str, target: str, max_pages: int | None
    ) -> tuple[Specialist, str, str, Any]:
        """Who may connect what: the specialist (edit permission first, before any request is made),
        the kind, the target; and, for a kind that can test its target, the connector that will."""
        spec = self.target(actor, ref)
        kind = kind.strip().lower()
        if kind not in KINDS:
            raise AppError(Outcome.INVALID, "connection_bad_kind", kind=kind[:20])
        factory = FACTORIES.get(kind)
        if factory is None:
            raise AppError(Outcome.PRECONDITION, "connection_kind_unavailable", kind=kind)
        target = target.strip().strip("<>")
        if kind == "web":
            self._check_web_target(target)
        if max_pages is not None and not 1 <= max_pages <= 100_000:
            raise AppError(Outcome.INVALID, "connection_bad_max", value=max_pages)
        # built as a sync would build it: a refused address or host is refused here (its own reason)
        connector = factory(Connection(specialist_id=spec.id, kind=kind, target=target), self.settings)
        return spec, kind, target, connector if callable(getattr(connector, "check", None)) else None

    @staticmethod
    async def _check(connector: Any) -> None:
        await connector.check()

    def _store(
        self,
        actor: Actor,
        spec: Specialist,
        kind: str,
        target: str,
        every_s: int,
        max_pages: int | None,
        include: list[str] | None,
        exclude: list[str] | None,
        name: str | None,
    ) -> Connection:
        options = {"include": include or [], "exclude": exclude or [], "max_pages": max_pages or 500}
        with self.stores.db.transaction(), self.stores.db.session() as s:
            row = s.exec(
                select(Connection).where(Connection.specialist_id == spec.id, Connection.target == target)
            ).first()
            if row is None:
                taken = set(s.exec(select(Connection.name).where(Connection.specialist_id == spec.id)).all())
                row = Connection(
                    specialist_id=spec.id,  # type: ignore[arg-type]
                    kind=kind,
                    name=name or _unique(_name_for(kind, target), taken),
                    target=target,
                    created_by=actor.id,
                )
            row.options = json.dumps(options, ensure_ascii=False)
            row.every_s = every_s
            row.next_sync_at = datetime.now(UTC)
            s.add(row)
            s.commit()
            self.audit(
                actor,
                AuditAction.CONNECTION_ADDED,
                spec.slug,
                connection=row.name,
                kind=kind,
                target=target,
                every_s=every_s,
                max_pages=options["max_pages"],
            )
            s.refresh(row)
            s.expunge(row)
        return row

    def _check_web_target(self, target: str) -> None:
        allowed = HostAllowList.from_setting(self.settings.crawl_hosts)
        parsed = parse(target)
        if parsed is None or parsed.protocol not in ("http:", "https:"):
            raise AppError(Outcome.INVALID, "connection_bad_url", url=target[:200])
        if not (allowed.hosts or allowed.local_origins) or allowed.refusal(target) is not None:
            raise AppError(Outcome.FORBIDDEN, "connection_host_not_allowed", host=parsed.hostname or "–")

    def list(self, actor: Actor, ref: str | None = None) -> tuple[Specialist, list[ConnectionView]]:
        spec = self.target(actor, ref)
        with self.stores.db.session() as s:
            rows = s.exec(
                select(Connection).where(Connection.specialist_id == spec.id).order_by(col(Connection.name))
            ).all()
            counts = dict(
                s.exec(  # type: ignore[call-overload]
                    select(Source.connection_id, func.count())
                    .where(Source.specialist_id == spec.id, col(Source.connection_id).is_not(None))
                    .group_by(col(Source.connection_id))
                ).all()
            )
        return spec, [ConnectionView(r, json.loads(r.report or "{}"), counts.get(r.id, 0)) for r in rows]

    def disconnect(
        self, actor: Actor, name: str, ref: str | None = None
    ) -> tuple[Specialist, Connection, int]:
        """Remove a connection and the documents it brought (one transaction); returns how many."""
        spec = self.target(actor, ref)
        with self.stores.db.transaction(), self.stores.db.session() as s:
            row = self._named(s, spec, name)
            removed = s.exec(  # type: ignore[call-overload]
                delete(Source).where(col(Source.connection_id) == row.id)
            ).rowcount
            s.delete(row)
            fresh = s.get(Specialist, spec.id, with_for_update=True)
            assert fresh is not None
            fresh.content_version += 1
            s.add(fresh)
            s.commit()
            self.audit(
                actor, AuditAction.CONNECTION_REMOVED, spec.slug, connection=row.name, documents=removed
            )
        fresh = self.stores.specialists.by_id(spec.id)  # type: ignore[arg-type]
        self.stores.db.after_transaction(lambda: self.stores.retriever.rebuild(fresh))
        return fresh, row, int(removed or 0)

    @staticmethod
    def _named(s: Any, spec: Specialist, name: str) -> Connection:
        row = s.exec(
            select(Connection).where(
                Connection.specialist_id == spec.id, func.lower(Connection.name) == name.strip().lower()
            )
        ).first()
        if row is None:
            raise AppError(Outcome.NOT_FOUND, "connection_unknown", name=name.strip()[:64], spec=spec.name)
        return row

    # -- sync ---------------------------------------------------------------------------------------
    async def sync(
        self,
        actor: Actor,
        ref: str | None = None,
        name: str | None = None,
        progress: SyncProgress | None = None,
    ) -> list[SyncReport]:
        """Sync ``ref``'s connections (``name``: one of them) now and wait for the result."""
        spec = await asyncio.to_thread(self.target, actor, ref)
        rows = (await asyncio.to_thread(self.list, actor, spec.slug))[1]
        if name:
            rows = [v for v in rows if v.row.name.lower() == name.strip().lower()]
            if not rows:
                raise AppError(
                    Outcome.NOT_FOUND, "connection_unknown", name=name.strip()[:64], spec=spec.name
                )
        if not rows:
            raise AppError(Outcome.PRECONDITION, "connections_none", name=spec.name)
        reports = []
        for view in rows:
            reports.append(await self.sync_one(actor, view.row.id, progress))  # type: ignore[arg-type]
        return reports

    def _lease(self, connection_id: int) -> bool:
        """Take the connection's sync lease (one replica at a time; a dead one's lease runs out)."""
        now = datetime.now(UTC)
        with self.stores.db.session() as s:
            taken = s.exec(  # type: ignore[call-overload]
                update(Connection)
                .where(
                    col(Connection.id) == connection_id,
                    or_(col(Connection.syncing_until).is_(None), col(Connection.syncing_until) < now),
                )
                .values(syncing_until=now + timedelta(seconds=LEASE_S), syncing_by=replica_id()[:128])
            )
            s.commit()
            return bool(taken.rowcount)

    async def sync_one(
        self, actor: Actor, connection_id: int, progress: SyncProgress | None = None
    ) -> SyncReport:
        row = await asyncio.to_thread(self._row, connection_id)
        spec = await asyncio.to_thread(self.stores.specialists.by_id, row.specialist_id)
        await asyncio.to_thread(self.require, actor, Permission.EDIT, spec)
        report = SyncReport(row.name, row.kind)
        if not await asyncio.to_thread(self._lease, connection_id):
            raise AppError(Outcome.CONFLICT, "connection_busy", name=row.name)
        started = time.monotonic()
        state = json.loads(row.state or "{}")
        try:
            factory = FACTORIES.get(row.kind)
            if factory is None:
                raise AppError(Outcome.PRECONDITION, "connection_kind_unavailable", kind=row.kind)
            try:
                connector = factory(row, self.settings)
            except AppError as exc:  # settings changed since it was connected (a host, Graph's app)
                raise ConnectorFailed(exc) from exc
            try:
                await self._apply(actor, spec, row, _guarded(connector.changes(state)), report, progress)
            finally:
                report.stats = dict(getattr(connector, "stats", {}) or {})
        except ConnectorFailed as failed:  # refused by the source (no access, folder gone): its reason
            log.warning("sync of connection %s failed: %s", row.name, failed.error)
            report.error = Msg(failed.error.key, **failed.error.values).render("da")[:500]
        except AppError:
            await asyncio.to_thread(self._release, connection_id)
            raise
        except Exception as exc:  # the connector's failure: recorded, counted, told after a few
            log.warning("sync of connection %s failed: %s", row.name, exc, exc_info=True)
            report.error = f"{type(exc).__name__}: {exc}"[:500]
        report.seconds = time.monotonic() - started
        metrics.SYNC_SECONDS.labels(row.kind).observe(report.seconds)
        for outcome, n in report.counts.items():
            if n:
                metrics.SYNC_DOCUMENTS.labels(outcome).inc(n)
        await asyncio.to_thread(self._finish, actor, spec, row, state, report)
        return report

    def _row(self, connection_id: int) -> Connection:
        with self.stores.db.session() as s:
            row = s.get(Connection, connection_id)
        if row is None:
            raise AppError(Outcome.NOT_FOUND, "connection_unknown", name=str(connection_id), spec="–")
        return row

    def _release(self, connection_id: int) -> None:
        with self.stores.db.session() as s:
            s.exec(update(Connection).where(col(Connection.id) == connection_id).values(syncing_until=None))  # type: ignore[call-overload]
            s.commit()

    def _known(self, connection_id: int) -> dict[str, tuple[int, str, str | None]]:
        """The connection's stored documents: key → (source id, name, fetched hash)."""
        with self.stores.db.session() as s:
            rows = s.exec(
                select(Source.doc_key, Source.id, Source.name, Source.fetched_sha256).where(
                    Source.connection_id == connection_id
                )
            ).all()
        return {r[0]: (r[1], r[2], r[3]) for r in rows if r[0]}

    def _taken(self, spec: Specialist) -> dict[str, str | None]:
        """Every source name of ``spec`` (lowered) → the connected document key it belongs to."""
        with self.stores.db.session() as s:
            rows = s.exec(select(Source.name, Source.doc_key).where(Source.specialist_id == spec.id)).all()
        return {r[0].lower(): r[1] for r in rows}

    async def _apply(
        self,
        actor: Actor,
        spec: Specialist,
        row: Connection,
        changes: Any,
        report: SyncReport,
        progress: SyncProgress | None,
    ) -> None:
        known = await asyncio.to_thread(self._known, row.id)  # type: ignore[arg-type]
        taken = await asyncio.to_thread(self._taken, spec)
        async for change in changes:
            if isinstance(change, Unchanged):
                report.unchanged += 1
            elif isinstance(change, FetchFailed):
                report.failed.append({"name": change.key[:300], "reason": change.reason[:300]})
            elif isinstance(change, Gone):
                if change.key in known:
                    source_id, _name, _ = known.pop(change.key)
                    await asyncio.to_thread(self._remove, spec, source_id)
                    report.removed += 1
            elif isinstance(change, FetchedDocument):
                await self._document(actor, spec, row, change, known, taken, report)
            if progress is not None:
                await progress(getattr(change, "name", change.key), report.counts)

    async def _document(
        self,
        actor: Actor,
        spec: Specialist,
        row: Connection,
        doc: FetchedDocument,
        known: dict[str, tuple[int, str, str | None]],
        taken: dict[str, str | None],
        report: SyncReport,
    ) -> None:
        digest = hashlib.sha256(doc.content).hexdigest()
        before = known.get(doc.key)
        if before is not None and before[2] == digest:
            report.unchanged += 1  # the same bytes: nothing read or embedded again
            return
        name = before[1] if before is not None else _free_name(doc.name, doc.key, taken)
        refusal = self._screen_origin(spec, doc)
        prepared = refusal or await self.sources.prepare(actor, spec, name, doc.content)
        if isinstance(prepared, Refused | IngestError):
            error = prepared if isinstance(prepared, IngestError) else prepared.error
            if error.reason in TRANSIENT:  # not the document's fault: the sync fails, its state is kept
                raise SyncAborted(f"{content.scrub_name(name)}: {error.reason}")
            if isinstance(prepared, IngestError):
                await asyncio.to_thread(
                    self.audit, actor, AuditAction.SOURCE_REFUSED, spec.slug, source=name, reason=error.reason
                )
            why = Msg(f"ingest_{error.reason}", **error.values)
            report.refused.append(
                {"name": content.scrub_name(name), "da": why.render("da"), "en": why.render("en")}
            )
            if before is not None:  # the old copy no longer says what the source says: it goes
                known.pop(doc.key)
                await asyncio.to_thread(self._remove, spec, before[0])
                report.removed += 1
            return
        origin = {
            "connection_id": row.id,
            "doc_key": doc.key,
            "url": doc.url,
            "modified": doc.modified,
            "fetched_sha256": digest,
        }
        try:
            result = await asyncio.to_thread(
                self.sources.store,
                actor,
                spec,
                prepared,
                replaces=before[0] if before is not None else None,
                origin=origin,
                connection=row.name,
            )
        except IngestError as exc:
            why = Msg(f"ingest_{exc.reason}", **exc.values)
            report.refused.append(
                {"name": content.scrub_name(name), "da": why.render("da"), "en": why.render("en")}
            )
            return
        taken[result.source.lower()] = doc.key
        stored = await asyncio.to_thread(self._source_of, row.id, doc.key)  # type: ignore[arg-type]
        if stored is not None:
            known[doc.key] = stored
        if before is None:
            report.added += 1
        else:
            report.changed += 1

    def _screen_origin(self, spec: Specialist, doc: FetchedDocument) -> IngestError | None:
        """The URL and title are content too: one the specialist may not hold refuses the document."""
        kinds = content.found([doc.url, doc.title, doc.key])
        if content.outranks(content.policy(spec.classification, spec.source_cpr), kinds):
            return IngestError(
                content.scrub_name(doc.name), "personal_data", found=Found(kinds), name=spec.name
            )
        return None

    def _source_of(self, connection_id: int, key: str) -> tuple[int, str, str | None] | None:
        with self.stores.db.session() as s:
            found = s.exec(
                select(Source.id, Source.name, Source.fetched_sha256).where(
                    Source.connection_id == connection_id, Source.doc_key == key
                )
            ).first()
        return (found[0], found[1], found[2]) if found else None

    def _remove(self, spec: Specialist, source_id: int) -> None:
        """One document out, and the content version moved, in one transaction."""
        with self.stores.db.session() as s:
            s.exec(delete(Source).where(col(Source.id) == source_id))  # type: ignore[call-overload]
            fresh = s.get(Specialist, spec.id, with_for_update=True)
            assert fresh is not None
            fresh.content_version += 1
            s.add(fresh)
            s.commit()

    def _finish(
        self, actor: Actor, spec: Specialist, row: Connection, state: dict[str, Any], report: SyncReport
    ) -> None:
        """Store the state (only after a sync whose changes are all applied), the report, the next
        sync; audit it; tell a Builder when it has failed ``FAILURES_TOLD`` times in a row."""
        now = datetime.now(UTC)
        told = False
        with self.stores.db.transaction(), self.stores.db.session() as s:
            fresh = s.get(Connection, row.id, with_for_update=True)
            if fresh is None:  # disconnected meanwhile
                return
            fresh.report = report.as_json()
            fresh.last_sync_at = now
            fresh.syncing_until = None
            if report.error is None:
                fresh.state = json.dumps(state, ensure_ascii=False)
                fresh.failures = 0
                fresh.last_error = None
                fresh.next_sync_at = now + timedelta(seconds=fresh.every_s)
            else:
                fresh.failures += 1
                fresh.last_error = report.error[:500]
                retry = min(fresh.every_s, 900 * 2 ** min(fresh.failures - 1, 6))
                fresh.next_sync_at = now + timedelta(seconds=retry)
                if fresh.failures == FAILURES_TOLD:
                    told = True
                    self.notifications.notify(
                        self._builders(fresh, spec),
                        Note(
                            "notify_connection_failing",
                            {
                                "connection": fresh.name,
                                "name": spec.name,
                                "failures": fresh.failures,
                                "error": report.error[:200],
                            },
                            topic="connection.failing",
                            subject=spec.slug,
                        ),
                    )
            s.add(fresh)
            s.commit()
            self.audit(
                actor,
                AuditAction.CONNECTION_SYNCED,
                spec.slug,
                connection=fresh.name,
                **report.counts,
                error=report.error,
                seconds=round(report.seconds, 2),
                told=told,
            )
        if report.added or report.changed or report.removed:  # one new index for the whole sync
            self.stores.retriever.rebuild(self.stores.specialists.by_id(spec.id))  # type: ignore[arg-type]

    def _builders(self, row: Connection, spec: Specialist) -> list[str]:
        if ":" not in row.created_by and row.created_by not in ("system", "skills-sync"):
            return [row.created_by]
        owners = self.stores.roles.owners(spec.department_id) if spec.department_id else []
        return list(owners or self.settings.admins)

    # -- the schedule -------------------------------------------------------------------------------
    def due(self) -> list[int]:
        """Connections whose next sync is due and that no replica is syncing."""
        now = datetime.now(UTC)
        with self.stores.db.session() as s:
            return list(
                s.exec(
                    select(Connection.id)
                    .where(
                        col(Connection.next_sync_at) <= now,
                        or_(col(Connection.syncing_until).is_(None), col(Connection.syncing_until) < now),
                    )
                    .order_by(col(Connection.next_sync_at))
                ).all()
            )  # type: ignore[arg-type]

    async def run_due(self) -> list[SyncReport]:
        """Sync every due connection (a lease per connection keeps each to one replica)."""
        reports = []
        for connection_id in await asyncio.to_thread(self.due):
            try:
                reports.append(await self.sync_one(SCHEDULE, connection_id))
            except AppError as exc:
                log.info("scheduled sync of connection %s skipped: %s", connection_id, exc)
        return reports

    async def run_forever(self) -> None:
        """The schedule, in every serving process: each period one replica (``job_due``) syncs the
        connections that are due; a sync's own lease keeps a long one from running twice."""
        every = self.settings.sync_check_s
        while True:
            try:
                if await asyncio.to_thread(
                    job_due, self.stores.db, "connections.sync", every * 0.9, replica_id()
                ):
                    for report in await self.run_due():
                        log.info("synced %s: %s", report.connection, report.counts)
            except Exception:
                log.exception("scheduled syncs failed; trying again next period")
            await asyncio.sleep(every)

    alist = offloop(list)
    adisconnect = offloop(disconnect)


def _name_for(kind: str, target: str) -> str:
    parsed = parse(target) if kind != "channel" else None
    base = (parsed.hostname if parsed is not None else "") or kind
    return re.sub(r"[^a-z0-9-]+", "-", base.lower()).strip("-")[:48] or kind


def _unique(name: str, taken: set[str]) -> str:
    lowered = {t.lower() for t in taken}
    candidate, n = name, 2
    while candidate.lower() in lowered:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def _free_name(name: str, key: str, taken: dict[str, str | None]) -> str:
    """A source name for a new document that replaces no other source (an upload or another page of
    the same name): the page's own name, else with a short mark of its key."""
    safe = safe_filename(name)[0]
    if taken.get(safe.lower(), key) == key:
        return safe
    stem, dot, ext = safe.rpartition(".")
    if not dot:
        stem, ext = safe, ""
    marked = f"{stem[:180]}-{hashlib.sha1(key.encode()).hexdigest()[:6]}" + (f".{ext}" if ext else "")
    return marked
