"""Commands about answers: /kilde (a cited passage in full) and /statistik (usage and feedback)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from bot.commands.registry import Command, CommandContext
from bot.conversation.types import Reply
from bot.specialists import SpecialistError
from bot.store.models import Feedback, Message


async def show_passage(ctx: CommandContext) -> Reply:
    """Teams' citation hover shows 160 characters; a caseworker often needs the whole passage."""
    citations = await asyncio.to_thread(ctx.core.store.last_cited, ctx.incoming.conversation.id)
    if not citations:
        return Reply(
            "Der er ingen kilder at vise endnu: stil først et spørgsmål til en specialist.", kind="notice"
        )
    try:
        n = int(ctx.args.strip().strip("[]"))
        citation = next(c for c in citations if c.n == n)
    except (ValueError, StopIteration):
        numbers = ", ".join(str(c.n) for c in citations)
        return Reply(
            f"Skriv nummeret på kilden fra det seneste svar ({numbers}), fx /kilde 1.", kind="notice"
        )
    page = f", side {citation.page}" if citation.page else ""
    return Reply(f"[{citation.n}] **{citation.source}{page}**\n\n{citation.text}", kind="command")


def _stats(db, specialist: str | None, days: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    since = datetime.now(UTC) - timedelta(days=days)
    with db.session() as s:
        query = select(Message).where(Message.created_at >= since)
        if specialist:
            query = query.where(Message.specialist == specialist)
        rows = s.exec(query).all()
        ids = [r.id for r in rows]
        votes = (
            s.exec(
                select(Feedback.reaction, func.count())
                .where(col(Feedback.message_id).in_(ids))
                .group_by(Feedback.reaction)
            ).all()
            if ids
            else []
        )
    questions = len(rows)
    no_answer = sum(1 for r in rows if r.outcome == "no_answer")
    return {
        "questions": questions,
        "users": len({r.user_id for r in rows}),
        "no_answer_share": no_answer / questions if questions else 0.0,
        "likes": dict(votes).get("like", 0),
        "dislikes": dict(votes).get("dislike", 0),
    }


async def statistics(ctx: CommandContext) -> Reply:
    slug = None
    name = "alle specialister"
    if ctx.args.strip():
        try:
            spec = await asyncio.to_thread(ctx.core.specialists.require, ctx.args)
        except SpecialistError as exc:
            return Reply(str(exc), kind="notice")
        slug, name = spec.slug, spec.name
    stats = await asyncio.to_thread(_stats, ctx.core.db, slug, 30)
    return Reply(
        f"Statistik for {name}, seneste 30 dage: {stats['questions']} spørgsmål fra {stats['users']} "
        f"brugere; {stats['no_answer_share']:.0%} uden fund i kilderne; "
        f"feedback 👍 {stats['likes']} / 👎 {stats['dislikes']}.",
        kind="command",
    )


COMMANDS = [
    Command(
        "kilde",
        show_passage,
        {
            "da": "vis et kildeuddrag fra det seneste svar i fuld længde",
            "en": "show a source passage of the latest answer in full",
        },
        ("source",),
        usage="<nummer>",
    ),
    Command(
        "statistik",
        statistics,
        {"da": "brug og feedback de seneste 30 dage", "en": "usage and feedback over the last 30 days"},
        ("stats",),
        usage="[specialist]",
        builders_only=True,
    ),
]
