"""Send budgets shared by every replica: sliding windows over the ``send_log`` table.

On PostgreSQL a transaction-scoped advisory lock per scope makes check-and-insert atomic across
replicas, and the database's clock is the one clock they all read. SQLite has no other process to
share with (it is the one-process default), so the same code runs there under its write lock.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlmodel import col

from bot.store import Database
from bot.store.models import SendLog

Windows = Sequence[tuple[int, float]]  # (at most this many sends, per this many seconds)


def _lock_key(scope: str) -> int:
    return zlib.crc32(scope.encode()) - 2**31  # a signed 32-bit key for pg_advisory_xact_lock


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
        scopes = sorted({scope[:600] for scope, _ in budgets})  # one lock order: no deadlock
        with self.db.session() as s:
            if self.postgres:
                for scope in scopes:
                    s.exec(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=_lock_key(scope)))  # type: ignore[call-overload]
                now = s.execute(select(func.clock_timestamp())).scalar_one()
            else:
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
