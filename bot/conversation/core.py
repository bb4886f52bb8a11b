"""Routes a message to a command, an upload, the general assistant or a specialist; returns a ``Reply``.

The Teams edge, ``aarhusai chat``, ``aarhusai ask`` and the tests all call ``ConversationCore.handle``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from bot.commands import answers as answer_commands
from bot.commands import help as help_command
from bot.commands import sources as source_commands
from bot.commands import specialists as specialist_commands
from bot.commands.registry import CommandContext, CommandRegistry, parse_command
from bot.config import Settings
from bot.conversation.assistant import ChunkSink, build_messages, generate
from bot.conversation.memory import ConversationStore
from bot.conversation.types import Incoming, Reply
from bot.conversation.uploads import Notify, receive_files
from bot.i18n import t
from bot.llm import ModelError, ModelRouter, NoModelConfigured
from bot.rag import grounding
from bot.rag.ingest import Ingestor
from bot.rag.retrieval import Retriever
from bot.specialists import SpecialistService
from bot.store import Database
from bot.store.models import Specialist

log = logging.getLogger(__name__)


class ConversationCore:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        router: ModelRouter,
        specialists: SpecialistService,
        retriever: Retriever,
        ingestor: Ingestor,
    ) -> None:
        self.settings = settings
        self.db = db
        self.router = router
        self.specialists = specialists
        self.retriever = retriever
        self.ingestor = ingestor
        self.store = ConversationStore(db)
        self.commands = CommandRegistry()
        for command in (
            help_command.HELP,
            *specialist_commands.COMMANDS,
            *source_commands.COMMANDS,
            *answer_commands.COMMANDS,
        ):
            self.commands.register(command)

    def is_builder(self, incoming: Incoming) -> bool:
        return self.settings.is_builder(incoming.user.aad_object_id, incoming.user.id)

    async def handle(
        self, incoming: Incoming, on_chunk: ChunkSink | None = None, notify: Notify | None = None
    ) -> Reply:
        """Answer one message. Never raises: failures become a Danish (or English) reply."""
        try:
            if incoming.unsupported_files:
                return Reply(
                    t("files_personal_only", incoming.locale, names=", ".join(incoming.unsupported_files)),
                    kind="notice",
                )
            if incoming.files:
                return await receive_files(self, incoming, notify)
            if incoming.form is not None:
                return await self._submit_form(incoming, incoming.form)
            text = incoming.text.strip()
            if not text:
                return Reply(t("empty_message", incoming.locale), kind="notice")
            parsed = parse_command(text)
            if parsed is not None:
                return await self._run_command(incoming, *parsed)
            return await self._answer(incoming, on_chunk)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("unhandled error while answering (ref %s)", ref)
            return Reply(t("internal_error", incoming.locale, ref=ref), kind="error")

    async def _submit_form(self, incoming: Incoming, form: dict[str, object]) -> Reply:
        """A submitted card: the same commands, the same permission checks."""
        action = form.get("aarhusai")
        if action == "command":
            return await self._run_command(incoming, str(form.get("name") or "hjælp"), "")
        if action == "use":
            return await self._run_command(incoming, "brug", str(form.get("slug") or ""))
        if action == "save_settings":
            if not self.is_builder(incoming):
                return Reply(t("needs_builder", incoming.locale, name="indstil"), kind="notice")
            ctx = CommandContext(incoming=incoming, args="", core=self)
            return await specialist_commands.save_settings_form(ctx, form)
        return Reply(t("empty_message", incoming.locale), kind="notice")

    async def _run_command(self, incoming: Incoming, name: str, args: str) -> Reply:
        command = self.commands.get(name)
        if command is None:
            return Reply(t("unknown_command", incoming.locale, name=name), kind="notice")
        if command.builders_only and not self.is_builder(incoming):
            return Reply(t("needs_builder", incoming.locale, name=command.name), kind="notice")
        return await command.handler(CommandContext(incoming=incoming, args=args, core=self))

    async def _answer(self, incoming: Incoming, on_chunk: ChunkSink | None) -> Reply:
        spec = await asyncio.to_thread(self.specialists.selected, incoming.conversation.id)
        if spec.status != "published" and not self.is_builder(incoming):
            return Reply(t("draft_only_builders", incoming.locale, name=spec.name), kind="notice")
        if spec.kind == "general":
            return await self._general(incoming, spec, on_chunk)
        return await self._grounded(incoming, spec, on_chunk)

    async def _general(self, incoming: Incoming, spec: Specialist, on_chunk: ChunkSink | None) -> Reply:
        try:
            model = self.router.route(spec.model_id)
        except NoModelConfigured:
            return await self._record(
                incoming, spec, Reply(t("no_model", incoming.locale), kind="notice"), "no_model"
            )
        prompt = await asyncio.to_thread(self.specialists.current_prompt, spec.id)  # type: ignore[arg-type]
        history = await self._history(incoming, spec)
        messages = build_messages(
            prompt.text, incoming.text, history, model.spec.max_context, model.spec.max_output_tokens
        )
        return await self._generate(incoming, spec, model, messages, on_chunk, [])

    async def _grounded(self, incoming: Incoming, spec: Specialist, on_chunk: ChunkSink | None) -> Reply:
        locale = incoming.locale
        hits = await asyncio.to_thread(self.retriever.search, spec, incoming.text, spec.top_k)
        if not hits:
            return await self._record(
                incoming, spec, Reply(grounding.no_answer_text(spec.name, locale), kind="answer"), "no_answer"
            )
        citations = grounding.citations(hits)
        try:
            model = self.router.route(spec.model_id)
        except NoModelConfigured:
            reply = Reply(
                grounding.sources_only_text(hits, spec.name, locale), kind="answer", citations=citations
            )
            return await self._record(incoming, spec, reply, "sources_only")
        prompt = await asyncio.to_thread(self.specialists.current_prompt, spec.id)  # type: ignore[arg-type]
        history = await self._history(incoming, spec)
        messages = grounding.build_messages(
            prompt.text,
            hits,
            incoming.text,
            history,
            locale,
            model.spec.max_context,
            model.spec.max_output_tokens,
        )
        return await self._generate(incoming, spec, model, messages, on_chunk, citations)

    async def _generate(self, incoming, spec, model, messages, on_chunk, citations) -> Reply:  # type: ignore[no-untyped-def]
        try:
            text = (await generate(model, messages, on_chunk)).strip()
        except ModelError as exc:
            reply = Reply(t(exc.message_key, incoming.locale, **exc.values()), kind="error", model=model.id)
            return await self._record(incoming, spec, reply, "model_error")
        reply = Reply(text=text, kind="answer", model=model.id, generated=True, citations=citations)
        return await self._record(incoming, spec, reply, "answered")

    async def _history(self, incoming: Incoming, spec: Specialist):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(
            self.store.history, incoming.conversation.id, self.settings.history_turns, spec.slug
        )

    async def _record(self, incoming: Incoming, spec: Specialist, reply: Reply, outcome: str) -> Reply:
        row = await asyncio.to_thread(
            self.store.record,
            incoming,
            reply.text,
            model=reply.model,
            outcome=outcome,
            specialist=spec.slug,
            citations=reply.citations,
        )
        reply.message_id = row.id
        return reply

    # -- what the Teams edge reports back ---------------------------------------------------------
    async def informative_text(self, incoming: Incoming) -> str:
        """What to show while a question is being answered."""
        spec = await asyncio.to_thread(self.specialists.selected, incoming.conversation.id)
        return t("searching" if spec.kind == "sources" else "thinking", incoming.locale)

    async def attach_reply_id(self, reply: Reply, activity_id: str | None) -> None:
        """Remember Teams' id of the message that carried ``reply``, so votes on it find it."""
        if reply.message_id is not None and activity_id:
            await asyncio.to_thread(self.store.set_reply_id, reply.message_id, activity_id)

    async def feedback(
        self, conversation_id: str, reply_to_id: str | None, user_key: str, reaction: str, text: str
    ) -> bool:
        """Store a thumbs up/down; False (and nothing stored) when the answer is unknown."""
        if reaction not in ("like", "dislike"):
            return False
        found = await asyncio.to_thread(
            self.store.add_feedback, conversation_id, reply_to_id, user_key, reaction, text
        )
        return found is not None

    async def welcome(self, conversation_id: str, locale: str) -> Reply | None:
        """The welcome message with its card, the first time the app meets this conversation only."""
        if not await asyncio.to_thread(self.store.welcome_once, conversation_id):
            return None
        commands = [c.help_line(locale) for c in self.commands if not c.hidden and not c.builders_only]
        return Reply(t("welcome", locale), kind="notice", card={"type": "welcome", "commands": commands})
