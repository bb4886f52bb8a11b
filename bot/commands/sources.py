"""Commands for a specialist's sources: /kilder, /fjern, /genindekser."""

from __future__ import annotations

import asyncio
import json

from bot.commands.registry import Command, CommandContext
from bot.commands.specialists import editing_or_notice
from bot.conversation.types import Reply
from bot.rag.errors import IngestError
from bot.specialists import SpecialistError


async def list_sources(ctx: CommandContext) -> Reply:
    spec = await editing_or_notice(ctx)
    if isinstance(spec, Reply):
        return spec
    sources = await asyncio.to_thread(ctx.core.specialists.sources, spec.id)
    if not sources:
        return Reply(
            f"**{spec.name}** har ingen kilder endnu. Send filer her i chatten for at tilføje.",
            kind="command",
        )
    lines = [f"Kilder for **{spec.name}**:"]
    for src in sources:
        pages = f", {src.pages} sider" if src.pages else ""
        warnings = json.loads(src.warnings or "[]")
        warn = f" ⚠ {'; '.join(warnings)}" if warnings else ""
        lines.append(
            f"- {src.name} ({src.kind}{pages}): {src.chunk_count} uddrag, indekseret · "
            f"tilføjet {src.created_at:%Y-%m-%d} af {src.added_by}{warn}"
        )
    total = sum(s.chunk_count for s in sources)
    lines.append(f"I alt {len(sources)} kilder og {total} uddrag.")
    return Reply("\n".join(lines), kind="command")


async def remove_source(ctx: CommandContext) -> Reply:
    spec = await editing_or_notice(ctx)
    if isinstance(spec, Reply):
        return spec
    if not ctx.args:
        return Reply("Skriv hvilken kilde, fx /fjern retningslinjer.pdf. Se /kilder.", kind="notice")
    try:
        source = await asyncio.to_thread(ctx.core.specialists.remove_source, spec.id, ctx.args)
    except SpecialistError as exc:
        return Reply(str(exc), kind="notice")
    await ctx.core.audit_event(ctx.actor, "source.removed", spec.slug, source=source.name)
    fresh = await asyncio.to_thread(ctx.core.specialists.by_id, spec.id)  # type: ignore[arg-type]
    await asyncio.to_thread(ctx.core.retriever.rebuild, fresh)
    return Reply(
        f"Kilden {source.name} ({source.chunk_count} uddrag) er fjernet fra **{spec.name}**.", kind="command"
    )


async def reindex(ctx: CommandContext) -> Reply:
    spec = await editing_or_notice(ctx)
    if isinstance(spec, Reply):
        return spec
    try:
        results = await ctx.core.ingestor.reindex(spec)
    except IngestError as exc:
        return Reply(exc.message(ctx.locale), kind="error")
    chunks = sum(r.chunks for r in results)
    await ctx.core.audit_event(
        ctx.actor, "specialist.reindexed", spec.slug, sources=len(results), chunks=chunks
    )
    return Reply(
        f"**{spec.name}** er genindekseret: {len(results)} kilder, {chunks} uddrag "
        f"(chunk_size {spec.chunk_size}, overlap {spec.chunk_overlap}).",
        kind="command",
    )


COMMANDS = [
    Command(
        "kilder",
        list_sources,
        {
            "da": "vis kilderne for den specialist, du redigerer",
            "en": "list the sources of the specialist you edit",
        },
        ("sources",),
        permission="edit",
    ),
    Command(
        "fjern",
        remove_source,
        {"da": "fjern en kilde", "en": "remove a source"},
        ("remove",),
        usage="<kilde>",
        permission="edit",
    ),
    Command(
        "genindekser",
        reindex,
        {
            "da": "læs alle kilder igen med de nuværende indstillinger",
            "en": "re-read all sources with the current settings",
        },
        ("reindex",),
        permission="edit",
    ),
]
