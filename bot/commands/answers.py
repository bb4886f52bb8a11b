"""Commands about answers: /kilde (a cited passage in full) and /statistik (usage and feedback)."""

from __future__ import annotations

import asyncio

from bot.commands.registry import Command, CommandContext
from bot.conversation.types import Reply
from bot.governance import stats
from bot.specialists import SpecialistError


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


async def statistics(ctx: CommandContext) -> Reply:
    slug, name = None, "alle specialister"
    if ctx.args.strip():
        try:
            spec = await asyncio.to_thread(ctx.core.specialists.require, ctx.args)
        except SpecialistError as exc:
            return Reply(str(exc), kind="notice")
        slug, name = spec.slug, spec.name
    result = await asyncio.to_thread(stats.usage, ctx.core.db, slug, 30)
    return Reply(stats.render(result, name), kind="command")


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
        permission="stats",
    ),
]
