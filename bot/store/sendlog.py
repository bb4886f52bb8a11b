"""Send budgets shared by every replica: sliding windows over the ``send_log`` table.

On PostgreSQL one call of ``aarhusai_reserve_send`` (migration 0009) does it all in one round trip:
transaction-scoped advisory locks per scope make check-and-insert atomic across replicas, they are
held only while the function runs, and the database's clock is the one clock all replicas read.
SQLite has no other process to share with (it is the one-process default), so the same rule runs
here in Python under SQLite's write lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, text
from sqlmodel import col

from bot.store import Database
from bot.store.models import SendLog

Windows = Sequence[tuple[int, float]]  # (at most this many sends, per this many seconds)


def wait_for(sent: Sequence[datetime], now: datetime, windows: Windows) -> float:
    """Seconds until one more send fits every window, given the sends of the longest window (newest first)."""
    wait = 0.0
    for limit, window in windows:
        recent = [t for t in sent if (now - t).total_seconds() < window]
        if len(recent) >= limit:
            wait = max(wait, window - (now - recent[limit - 1]).total_seconds())
    return wait


class SendLogStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.postgres = db.engine.dialect.name == "postgresql"

    def reserve(self, budgets: Sequence[tuple[str, Windows]]) -> float:
        """Take one send from every budget, or none: 0.0 when taken, else the seconds to wait."""
        if self.postgres:
            return self._reserve_postgres(budgets)
        with self.db.session() as s:
            s.exec(text("DELETE FROM send_log WHERE 0"))  # type: ignore[call-overload]  # takes SQLite's write lock
            now = datetime.now(UTC)
            wait = 0.0
            for scope, windows in budgets:
                longest = max(w for _, w in windows)
                most = max(n for n, _ in windows)
                query = (
                    select(SendLog.sent_at)
                    .where(
                        col(SendLog.scope) == scope[:600],
                        col(SendLog.sent_at) > now - timedelta(seconds=longest),
                    )
                    .order_by(col(SendLog.sent_at).desc())
                    .limit(most)
                )
                sent = list(s.execute(query).scalars())
                sent = [t if t.tzinfo else t.replace(tzinfo=now.tzinfo) for t in sent]
                wait = max(wait, wait_for(sent, now, windows))
            if wait > 0:
                s.rollback()
                return wait
            for scope, windows in budgets:
                s.add(SendLog(scope=scope[:600], sent_at=now))
                longest = max(w for _, w in windows)
                s.exec(  # type: ignore[call-overload]
                    delete(SendLog).where(
                        col(SendLog.scope) == scope[:600],
                        col(SendLog.sent_at) < now - timedelta(seconds=2 * longest),
                    )
                )
            s.commit()
            return 0.0

    def _reserve_postgres(self, budgets: Sequence[tuple[str, Windows]]) -> float:
        rows = [(scope[:600], n, float(w)) for scope, windows in budgets for n, w in windows]
        with self.db.statement() as conn:  # the function is atomic on its own: one round trip
            wait = conn.execute(
                text("SELECT aarhusai_reserve_send(:scopes, :limits, :windows)"),
                {
                    "scopes": [r[0] for r in rows],
                    "limits": [r[1] for r in rows],
                    "windows": [r[2] for r in rows],
                },
            ).scalar_one()
        return float(wait)
