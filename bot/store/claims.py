"""Claims shared by every replica through the database: on incoming activities, and on each period
of a periodic job (the replica that moves a job's ``ran_at`` runs it; the others skip that period).

The insert is the lock: the primary key refuses a second claim, on any replica. A claim whose turn
never finished (its replica died mid-turn) can be taken over once its lease has run out, by one
conditional update, so a redelivery after a crash is still answered, and answered once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col

from bot.store import Database
from bot.store.models import ActivityClaim, JobRun

LEASE_S = 120.0  # longer than any turn (a Teams stream lasts at most 2 minutes)


class ClaimStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, key: str, replica: str, lease_s: float = LEASE_S, conversation: str = "") -> bool:
        """True for the one replica that should answer ``key`` now."""
        key, replica = key[:600], replica[:128]
        with self.db.session() as s:
            s.add(ActivityClaim(key=key, replica=replica, conversation=conversation[:512]))
            try:
                s.commit()
                return True
            except IntegrityError:
                s.rollback()
            now = datetime.now(UTC)
            taken = s.exec(  # type: ignore[call-overload]
                update(ActivityClaim)
                .where(
                    col(ActivityClaim.key) == key,
                    col(ActivityClaim.done).is_(False),
                    col(ActivityClaim.claimed_at) < now - timedelta(seconds=lease_s),
                )
                .values(replica=replica, claimed_at=now)
            )
            s.commit()
            return bool(taken.rowcount)

    def earlier_unfinished(self, key: str, lease_s: float = LEASE_S) -> int:
        """Claims of the same conversation taken before ``key`` and still running (on any replica,
        within their lease): the turn for ``key`` waits for them, so answers keep their order."""
        mine = aliased(ActivityClaim)
        other = aliased(ActivityClaim)
        cutoff = datetime.now(UTC) - timedelta(seconds=lease_s)
        with self.db.session() as s:
            query = (
                select(func.count())
                .select_from(other)
                .join(mine, col(mine.conversation) == col(other.conversation))
                .where(
                    col(mine.key) == key[:600],
                    col(mine.conversation) != "",
                    col(other.done).is_(False),
                    col(other.claimed_at) < col(mine.claimed_at),
                    col(other.claimed_at) > cutoff,
                )
            )
            return int(s.execute(query).scalar_one())

    def finish(self, key: str) -> None:
        with self.db.session() as s:
            s.exec(update(ActivityClaim).where(col(ActivityClaim.key) == key[:600]).values(done=True))  # type: ignore[call-overload]
            s.commit()


def job_due(db: Database, name: str, every_s: float, replica: str) -> bool:
    """True for the one replica that claims this period of job ``name`` (no run in the last
    ``every_s`` seconds): a conditional update, or the first insert, decides atomically."""
    now = datetime.now(UTC)
    with db.session() as s:
        moved = s.exec(  # type: ignore[call-overload]
            update(JobRun)
            .where(col(JobRun.name) == name, col(JobRun.ran_at) < now - timedelta(seconds=every_s))
            .values(ran_at=now, replica=replica[:128])
        )
        s.commit()
        if moved.rowcount:
            return True
        if s.get(JobRun, name) is not None:
            return False
        s.add(JobRun(name=name, ran_at=now, replica=replica[:128]))
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            return False
        return True
