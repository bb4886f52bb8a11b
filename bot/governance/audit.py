"""The append-only audit log: every administrative, Builder and policy event, with actor and time.

No code path may change or remove a row: the ORM refuses it here, and the database refuses it with
triggers (migration 0004), so even a hand-written UPDATE fails. Details never hold message text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlmodel import col, select

from bot.errors import SecurityError
from bot.store import Database
from bot.store.models import AuditEvent


class AuditTampering(SecurityError):
    """Raised on any attempt to update or delete an audit row."""


@event.listens_for(Session, "before_flush")
def _no_changes_to_audit_rows(session: Session, _ctx: object, _instances: object) -> None:
    if any(isinstance(o, AuditEvent) for o in (*session.dirty, *session.deleted)):
        raise AuditTampering("audit_events is append-only")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes_to_audit_rows(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(m.class_ is AuditEvent for m in state.all_mappers):
        raise AuditTampering("audit_events is append-only")


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, actor: str, action: str, target: str = "", /, **details: Any) -> None:
        with self.db.session() as s:
            s.add(
                AuditEvent(
                    actor=actor,
                    action=action,
                    target=target[:512],
                    details=json.dumps(details, ensure_ascii=False, default=str),
                )
            )
            s.commit()

    def events(self, since: datetime | None = None, action: str | None = None) -> list[AuditEvent]:
        with self.db.session() as s:
            query = select(AuditEvent).order_by(col(AuditEvent.id))
            if since is not None:
                query = query.where(AuditEvent.at >= since)
            if action is not None:
                query = query.where(AuditEvent.action == action)
            return list(s.exec(query).all())

    def for_target(
        self, target: str, actions: Iterable[str], since: datetime | None = None
    ) -> list[AuditEvent]:
        """``target``'s events of ``actions``, oldest first (a specialist's checklist reads its history)."""
        with self.db.session() as s:
            query = (
                select(AuditEvent)
                .where(AuditEvent.target == target, col(AuditEvent.action).in_(list(actions)))
                .order_by(col(AuditEvent.id))
            )
            if since is not None:
                query = query.where(AuditEvent.at >= since)
            return list(s.exec(query).all())

    def export(self, since: datetime | None, fmt: str) -> Iterator[str]:
        """Lines of JSONL, or CSV with a header."""
        rows = self.events(since)
        if fmt == "jsonl":
            for r in rows:
                yield json.dumps(
                    {
                        "id": r.id,
                        "at": r.at.isoformat(),
                        "actor": r.actor,
                        "action": r.action,
                        "target": r.target,
                        "details": json.loads(r.details),
                    },
                    ensure_ascii=False,
                )
            return
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "at", "actor", "action", "target", "details"])
        for r in rows:
            writer.writerow([r.id, r.at.isoformat(), r.actor, r.action, r.target, r.details])
        yield from buffer.getvalue().splitlines()
