"""A specialist's sources: /kilder, /fjern, /genindekser (files themselves arrive as uploads)."""

from __future__ import annotations

import json

from bot.commands.registry import Arg, Command, CommandContext
from bot.conversation.types import Reply
from bot.messages import t


async def list_sources(ctx: CommandContext) -> Reply:
    spec, sources = await ctx.app.sources.alist(ctx.actor)
    if not sources:
        return ctx.reply("sources_none", name=spec.name)
    lines = [t("sources_title", ctx.locale, name=spec.name)]
    for src in sources:
        warnings = json.loads(src.warnings or "[]")
        lines.append(
            t(
                "source_line",
                ctx.locale,
                name=src.name,
                kind=src.kind,
                pages=t("pages_part", ctx.locale, pages=src.pages) if src.pages else "",
                chunks=src.chunk_count,
                added=f"{src.created_at:%Y-%m-%d}",
                by=src.added_by,
                warn=f" ⚠ {'; '.join(warnings)}" if warnings else "",
            )
        )
    lines.append(
        t("sources_total", ctx.locale, sources=len(sources), chunks=sum(s.chunk_count for s in sources))
    )
    return Reply("\n".join(lines), kind="command")


async def remove_source(ctx: CommandContext) -> Reply:
    if not ctx.args:
        await ctx.app.sources.afor_upload(ctx.actor)  # no target or no right: say that first
        return ctx.reply("remove_which", "notice")
    removed = await ctx.app.sources.aremove(ctx.actor, ctx.args)
    return ctx.reply(
        "source_removed",
        source=removed.source.name,
        chunks=removed.source.chunk_count,
        name=removed.spec.name,
    )


async def reindex(ctx: CommandContext) -> Reply:
    done = await ctx.app.sources.reindex(ctx.actor)
    spec = done.spec
    return ctx.reply(
        "reindexed",
        name=spec.name,
        sources=len(done.results),
        chunks=done.chunks,
        size=spec.chunk_size,
        overlap=spec.chunk_overlap,
    )


COMMANDS = [
    Command("kilder", list_sources, ("sources",), builder=True),
    Command("fjern", remove_source, ("remove",), args=(Arg("source"),), builder=True),
    Command("genindekser", reindex, ("reindex",), builder=True),
]
