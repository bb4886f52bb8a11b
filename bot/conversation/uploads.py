"""Files sent to the bot become sources of the specialist the Builder is editing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.conversation.types import Incoming, Reply
from bot.governance import access
from bot.rag.errors import IngestError

if TYPE_CHECKING:
    from bot.conversation.core import ConversationCore

Notify = Callable[[str], Awaitable[None]]
PROGRESS_EVERY_S = 10.0  # a progress line at most this often, so a big file does not flood the chat


async def receive_files(core: ConversationCore, incoming: Incoming, notify: Notify | None) -> Reply:
    roles = await core.roles_for(incoming)
    if not roles.builds:
        return Reply(
            "Kun Buildere kan give en specialist kilder. Spørg din afdelings Builder.", kind="notice"
        )
    spec = await asyncio.to_thread(core.specialists.editing, incoming.user_key)
    if spec is None:
        return Reply(
            "Vælg først, hvilken specialist filerne skal til: /rediger <navn> eller /ny <navn>.",
            kind="notice",
        )
    if not access.can_edit(roles, spec):
        return Reply(access.refusal("rediger", "edit"), kind="notice")
    lines: list[str] = []
    for file in incoming.files:
        if notify:
            await notify(f"Indlæser {file.name} i **{spec.name}** …")
        last = time.monotonic()

        async def progress(done: int, total: int, name: str = file.name) -> None:
            nonlocal last
            if notify and done < total and time.monotonic() - last >= PROGRESS_EVERY_S:
                last = time.monotonic()
                await notify(f"{name}: {done * 100 // total} % ({done} af {total} uddrag)")

        try:
            data = await file.fetch(core.settings.max_upload_bytes)
            result = await core.ingestor.ingest(spec, file.name, data, incoming.user_key, progress)
        except IngestError as exc:
            lines.append(f"❌ {exc.message(incoming.locale)}")
            continue
        pages = f", {result.pages} sider" if result.pages else ""
        verb = "erstattet" if result.replaced else "tilføjet"
        line = f"✅ {result.source} er {verb}: {result.chunks} uddrag{pages} ({result.seconds:.1f} s)."
        if result.warnings:
            line += " Bemærk: " + "; ".join(result.warnings) + "."
        lines.append(line)
        await core.audit_event(
            incoming.user_key,
            "source.added",
            spec.slug,
            source=result.source,
            chunks=result.chunks,
            replaced=result.replaced,
        )
    return Reply("\n".join(lines), kind="command")
