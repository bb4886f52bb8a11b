"""Claims shared by every replica through the database: on incoming activities, and on each period
of a periodic job (the replica that moves a job's ``ran_at`` runs it; the others skip that period).

The insert is the lock: the primary key refuses a second claim, on any replica. A claim whose turn
never finished (its replica died mid-turn) can be taken over once its lease has run out, by one
conditional update, so a redelivery after a crash is still answered, and answered once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col

from bot.conversation.types import Reach
from bot.store import Database
from bot.store.models import ActivityClaim, JobRun
from bot.store.outbox import reach_rows, remember

LEASE_S = 120.0  # longer than any turn (a Teams stream lasts at most 2 minutes)


# PostgreSQL: the claim and the count of the conversation's earlier running turns in one statement (the
# inserted row is not visible to the count, which is what "earlier" needs). "Earlier" is by time, then by
# key: two replicas may stamp the same microsecond, and one of those turns must still wait for the other
_CLAIM_SQL = """
    WITH {reach}mine AS (
        INSERT INTO activity_claims (key, conversation, replica, done, claimed_at)
        VALUES (:key, :conversation, :replica, false, :now)
        ON CONFLICT (key) DO NOTHING
        RETURNING claimed_at
    )
    SELECT EXISTS (SELECT 1 FROM mine),
           (SELECT count(*) FROM activity_claims o
             WHERE :conversation <> '' AND o.conversation = :conversation AND NOT o.done
               AND (o.claimed_at < :now OR (o.claimed_at = :now AND o.key < :key))
               AND o.claimed_at > :cutoff)
    """
_CLAIM_IN_ORDER = text(_CLAIM_SQL.format(reach=""))
# The same, remembering where the sender can be reached (``bot.store.outbox``) in the same round trip:
# a data-modifying CTE runs whether or not the query reads it. Only when the person's chat is new or
# moved (the service's cache decides), so most turns send the plain claim.
_CLAIM_IN_ORDER_REMEMBERING = text(
    _CLAIM_SQL.format(
        reach="""reach AS (
        INSERT INTO person_reach (person, conversation_id, service_url, tenant_id, bot_id, locale, updated_at)
        SELECT p, :r_conversation, :r_service_url, :r_tenant, :r_bot, :r_locale, :now
          FROM unnest(CAST(:r_people AS text[])) AS p
        ON CONFLICT (person) DO UPDATE SET conversation_id = EXCLUDED.conversation_id,
            service_url = EXCLUDED.service_url, tenant_id = EXCLUDED.tenant_id, bot_id = EXCLUDED.bot_id,
            locale = EXCLUDED.locale, updated_at = EXCLUDED.updated_at
    ), """
    )
)


class ClaimStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.postgres = db.engine.dialect.name == "postgresql"

    def claim_in_order(
        self,
        key: str,
        replica: str,
        lease_s: float = LEASE_S,
        conversation: str = "",
        reach: Reach | None = None,
    ) -> tuple[bool, int]:
        """``claim`` and ``earlier_unfinished`` together, as a turn needs them before it runs: one round
        trip on PostgreSQL when the claim is new (a takeover after a crash takes the long way). With
        ``reach``, the sender's personal chat is remembered too (in that round trip on PostgreSQL)."""
        if self.postgres:
            now = datetime.now(UTC)
            params: dict[str, object] = {
                "key": key[:600],
                "conversation": conversation[:512],
                "replica": replica[:128],
                "now": now,
                "cutoff": now - timedelta(seconds=lease_s),
            }
            statement = _CLAIM_IN_ORDER
            rows = reach_rows(reach, now) if reach is not None else []
            if rows:
                statement = _CLAIM_IN_ORDER_REMEMBERING
                first = rows[0]
                params |= {
                    "r_people": [row["person"] for row in rows],
                    "r_conversation": first["conversation_id"],
                    "r_service_url": first["service_url"],
                    "r_tenant": first["tenant_id"],
                    "r_bot": first["bot_id"],
                    "r_locale": first["locale"],
                }
            with self.db.statement() as connection:
                inserted, earlier = connection.execute(statement, params).one()
            if inserted:
                return True, int(earlier)
        elif reach is not None:
            remember(self.db, reach)
        if not self.claim(key, replica, lease_s, conversation):
            return False, 0
        return True, self.earlier_unfinished(key, lease_s)

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
                    or_(  # earlier by time, then by key (one order, even at the same instant)
                        col(other.claimed_at) < col(mine.claimed_at),
                        and_(col(other.claimed_at) == col(mine.claimed_at), col(other.key) < col(mine.key)),
                    ),
                    col(other.claimed_at) > cutoff,
                )
            )
            return int(s.execute(query).scalar_one())

    def finish(self, key: str) -> None:
        with self.db.statement() as connection:
            connection.execute(
                update(ActivityClaim).where(col(ActivityClaim.key) == key[:600]).values(done=True)
            )


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
