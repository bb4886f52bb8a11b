"""Notifications that are never lost: where each person can be reached, and the outbox.

A notification is a row written in the same transaction as the change that causes it (a crash loses
both or neither). A replica claims due rows with one conditional update (``claimed_until`` in the past
or unset), so several replicas send each row once; a row whose recipient has no personal chat with
the bot yet is not due, it waits until they write. A failed send is tried again after a pause, and
given up on after a number of attempts: the row stays, with its last error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from bot.conversation.types import Reach
from bot.store import Database
from bot.store.models import Notification, PersonReach


def person_key(person: str) -> str:
    """How a person's id is stored and matched: a UPN without regard to case (role assignments and the
    admin list hold UPNs casefolded), any other id as it is."""
    person = person.strip()[:256]
    return person.casefold() if "@" in person else person


def reach_rows(reach: Reach, now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per distinct id of the person (a statement may touch a key once)."""
    now = now or datetime.now(UTC)
    people = dict.fromkeys(person_key(p) for p in reach.people if p and p.strip())
    return [
        {
            "person": person,
            "conversation_id": reach.conversation_id[:512],
            "service_url": reach.service_url[:512],
            "tenant_id": (reach.tenant_id or None) and reach.tenant_id[:64],
            "bot_id": (reach.bot_id or None) and reach.bot_id[:256],
            "locale": reach.locale[:8],
            "updated_at": now,
        }
        for person in people
    ]


UPDATED = ("conversation_id", "service_url", "tenant_id", "bot_id", "locale", "updated_at")


def remember(db: Database, reach: Reach) -> None:
    """Store (or move) the person's personal chat: one upsert statement."""
    rows = reach_rows(reach)
    if not rows:
        return
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(PersonReach).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["person"], set_={name: statement.excluded[name] for name in UPDATED}
    )
    with db.statement() as connection:
        connection.execute(statement)


@dataclass(frozen=True)
class Due:
    """A claimed notification and where its recipient is reached."""

    id: int
    recipient: str
    topic: str
    key: str
    values: dict[str, Any]
    text: str
    buttons: list[dict[str, Any]]
    attempts: int  # this one included
    conversation_id: str
    service_url: str
    tenant_id: str | None
    bot_id: str | None
    locale: str
    card: dict[str, Any] | None = None  # a ready Adaptive Card description (``bot.teams.cards``)


class OutboxStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, rows: Iterable[Notification]) -> None:
        """Write the rows; inside ``Database.transaction`` they commit (or not) with the change."""
        with self.db.session() as s:
            s.add_all(list(rows))
            s.commit()

    def unsent(self, people: Sequence[str], topic: str, subject: str) -> set[str]:
        """Those of ``people`` who already have a row about ``topic``/``subject`` that is not sent yet
        (nor given up on): a second one would only repeat it."""
        query = select(col(Notification.recipient)).where(
            col(Notification.recipient).in_(set(people)),
            col(Notification.topic) == topic,
            col(Notification.subject) == subject,
            col(Notification.sent_at).is_(None),
            col(Notification.failed_at).is_(None),
        )
        with self.db.session() as s:
            return set(s.execute(query).scalars())

    def locales(self, people: Sequence[str]) -> dict[str, str]:
        """The language each of ``people`` last wrote in, for those who can be reached."""
        keys = {person_key(p) for p in people}
        with self.db.session() as s:
            query = select(col(PersonReach.person), col(PersonReach.locale)).where(
                col(PersonReach.person).in_(keys)
            )
            return {person: locale for person, locale in s.execute(query)}

    def claim(self, replica: str, limit: int, lease_s: float) -> list[Due]:
        """Up to ``limit`` due notifications of reachable recipients, claimed for ``lease_s`` by this
        replica (another replica skips them; after the lease, as after a crash, they are due again):
        one statement."""
        now = datetime.now(UTC)
        n, r = Notification, PersonReach
        due = and_(
            col(n.sent_at).is_(None),
            col(n.failed_at).is_(None),
            or_(col(n.claimed_until).is_(None), col(n.claimed_until) < now),
        )
        ids = (
            select(col(n.id))
            .join(r, col(r.person) == col(n.recipient))
            .where(due)
            .order_by(col(n.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=n)  # type: ignore[arg-type]
        )
        statement = (
            update(n)
            .where(col(n.id).in_(ids.scalar_subquery()), due)
            .values(
                claimed_until=now + timedelta(seconds=lease_s),
                claimed_by=replica[:128],
                attempts=col(n.attempts) + 1,
            )
            .returning(
                col(n.id),
                col(n.recipient),
                col(n.topic),
                col(n.key),
                col(n.values),
                col(n.text),
                col(n.buttons),
                col(n.attempts),
                col(n.card),
            )
        )
        with self.db.statement() as connection:
            claimed = connection.execute(statement).all()
            if not claimed:  # the usual answer of a poll: one statement
                return []
            columns = (r.conversation_id, r.service_url, r.tenant_id, r.bot_id, r.locale)
            reaches = connection.execute(
                select(col(r.person), *(col(c) for c in columns)).where(
                    col(r.person).in_({row[1] for row in claimed})
                )
            )
            where = {person: rest for person, *rest in reaches}
        due_rows = [
            Due(
                id=row[0],
                recipient=row[1],
                topic=row[2],
                key=row[3],
                values=_json(row[4], {}),
                text=row[5],
                buttons=_json(row[6], []),
                attempts=row[7],
                conversation_id=where[row[1]][0],
                service_url=where[row[1]][1],
                tenant_id=where[row[1]][2],
                bot_id=where[row[1]][3],
                locale=where[row[1]][4],
                card=_json(row[8], {}) or None,
            )
            for row in claimed
            if row[1] in where  # reached a moment ago; gone only if deleted since (due again later)
        ]
        return sorted(due_rows, key=lambda d: d.id)

    def sent(self, notification_id: int, replica: str) -> None:
        with self.db.statement() as connection:
            connection.execute(
                update(Notification)
                .where(col(Notification.id) == notification_id)
                .values(sent_at=datetime.now(UTC), claimed_by=replica[:128], last_error=None)
            )

    def failed(self, notification_id: int, error: str, retry_after_s: float | None) -> None:
        """A send failed: due again after ``retry_after_s``, or (None) given up on for good."""
        now = datetime.now(UTC)
        values: dict[str, Any] = {"last_error": error[:500]}
        if retry_after_s is None:
            values["failed_at"] = now
        else:
            values["claimed_until"] = now + timedelta(seconds=retry_after_s)
        with self.db.statement() as connection:
            connection.execute(
                update(Notification).where(col(Notification.id) == notification_id).values(**values)
            )

    def of(self, topic: str = "", subject: str = "") -> list[Notification]:
        """The rows about ``topic``/``subject`` (all: both empty), oldest first: for the CLI and tests."""
        query = select(Notification).order_by(col(Notification.id))
        if topic:
            query = query.where(col(Notification.topic) == topic)
        if subject:
            query = query.where(col(Notification.subject) == subject)
        with self.db.session() as s:
            return list(s.execute(query).scalars())


def _json(raw: str | None, empty: Any) -> Any:
    try:
        value = json.loads(raw or "")
    except ValueError:
        return empty
    return value if isinstance(value, type(empty)) else empty
