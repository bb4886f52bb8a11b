"""Routes a message to a command or to the assistant and returns a plain ``Reply``.

The Teams edge, ``aarhusai chat`` and the tests all call ``ConversationCore.handle``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from bot.commands.help import HELP
from bot.commands.registry import CommandContext, CommandRegistry, parse_command
from bot.config import Settings
from bot.conversation import assistant
from bot.conversation.assistant import ChunkSink
from bot.conversation.memory import ConversationStore
from bot.conversation.types import Incoming, Reply
from bot.i18n import t
from bot.llm import ModelError, ModelRouter, NoModelConfigured
from bot.store import Database

log = logging.getLogger(__name__)


class ConversationCore:
    def __init__(self, settings: Settings, db: Database, router: ModelRouter) -> None:
        self.settings = settings
        self.db = db
        self.router = router
        self.store = ConversationStore(db)
        self.commands = CommandRegistry()
        self.commands.register(HELP)

    async def handle(self, incoming: Incoming, on_chunk: ChunkSink | None = None) -> Reply:
        """Answer one message. Never raises: failures become a Danish (or English) reply."""
        try:
            text = incoming.text.strip()
            if not text:
                return Reply(t("empty_message", incoming.locale), kind="notice")
            parsed = parse_command(text)
            if parsed is not None:
                return await self._run_command(incoming, *parsed)
            return await self._ask_assistant(incoming, on_chunk)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("unhandled error while answering (ref %s)", ref)
            return Reply(t("internal_error", incoming.locale, ref=ref), kind="error")

    async def _run_command(self, incoming: Incoming, name: str, args: str) -> Reply:
        command = self.commands.get(name)
        if command is None:
            return Reply(t("unknown_command", incoming.locale, name=name), kind="notice")
        return await command.handler(CommandContext(incoming=incoming, args=args, core=self))

    async def _ask_assistant(self, incoming: Incoming, on_chunk: ChunkSink | None) -> Reply:
        locale = incoming.locale
        try:
            model = self.router.route()
        except NoModelConfigured:
            reply = Reply(t("no_model", locale), kind="notice")
            await asyncio.to_thread(self.store.record, incoming, reply.text, model=None, outcome="no_model")
            return reply
        history = await asyncio.to_thread(
            self.store.history, incoming.conversation.id, self.settings.history_turns
        )
        try:
            text = await assistant.answer(model, incoming.text, history, locale, on_chunk)
        except ModelError as exc:
            reply = Reply(t(exc.message_key, locale, **exc.values()), kind="error", model=model.id)
            await asyncio.to_thread(
                self.store.record, incoming, reply.text, model=model.id, outcome="model_error"
            )
            return reply
        await asyncio.to_thread(self.store.record, incoming, text, model=model.id, outcome="answered")
        return Reply(text=text, kind="answer", model=model.id, generated=True)
