"""Retention and the right to be forgotten: conversation history does not outlive its purpose."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlmodel import col, delete, select

from bot.governance.audit import AuditLog
from bot.store import Database
from bot.store.claims import job_due
from bot.store.models import ActivityClaim, Conversation, Handoff, Message

log = logging.getLogger(__name__)
PURGE_EVERY_S = 3600


def purge(db: Database, days: int, now: datetime | None = None) -> tuple[int, int]:
    """Delete messages (their feedback follows) older than ``days``, and conversations left empty."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    with db.session() as s:
        messages = s.exec(delete(Message).where(col(Message.created_at) < cutoff)).rowcount  # type: ignore[attr-defined]
        s.exec(
            delete(Handoff).where(col(Handoff.created_at) < cutoff)
        )  # a question to a person is history too
        still_used = select(Message.conversation_id).distinct()
        conversations = s.exec(
            delete(Conversation).where(
                col(Conversation.created_at) < cutoff, col(Conversation.id).not_in(still_used)
            )
        ).rowcount  # type: ignore[attr-defined]
        # claims on incoming activities only need to outlive Teams' redeliveries (minutes)
        s.exec(delete(ActivityClaim).where(col(ActivityClaim.claimed_at) < cutoff_claims(now)))
        s.commit()
    return messages or 0, conversations or 0


def cutoff_claims(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) - timedelta(days=1)


def forget_user(db: Database, user_id: str) -> int:
    """``/glem``: delete every message the user wrote (and the answers to them)."""
    with db.session() as s:
        count = s.exec(delete(Message).where(col(Message.user_id) == user_id)).rowcount  # type: ignore[attr-defined]
        s.exec(delete(Handoff).where(col(Handoff.asker_id) == user_id))  # what they asked a person about
        s.commit()
    return count or 0


async def purge_forever(
    db: Database, audit: AuditLog, days: int, every_s: float = PURGE_EVERY_S, replica: str = "local"
) -> None:
    """Runs inside every replica: at start, then every ``every_s``; the purge itself runs on the one
    replica that claims the period (``job_due``), the others skip it."""
    while True:
        try:
            if not await asyncio.to_thread(job_due, db, "retention.purge", every_s * 0.9, replica):
                await asyncio.sleep(every_s)
                continue
            messages, conversations = await asyncio.to_thread(purge, db, days)
            if messages or conversations:
                await asyncio.to_thread(
                    audit.record,
                    "system",
                    "retention.purge",
                    f"{days} dage",
                    messages=messages,
                    conversations=conversations,
                )
        except Exception:
            log.exception("retention purge failed; retrying in %s s", every_s)
        await asyncio.sleep(every_s)
