"""Routes a message to a command, an upload, the general assistant or a specialist; returns a ``Reply``.

The Teams edge, ``aarhusai chat``, ``aarhusai ask`` and the tests all call ``ConversationCore.handle``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from bot.commands import answers as answer_commands
from bot.commands import governance as governance_commands
from bot.commands import help as help_command
from bot.commands import sources as source_commands
from bot.commands import specialists as specialist_commands
from bot.commands.registry import CommandContext, CommandRegistry, parse_command
from bot.config import Settings
from bot.conversation import answering
from bot.conversation.assistant import ChunkSink
from bot.conversation.memory import ConversationStore
from bot.conversation.types import Incoming, Reply
from bot.conversation.uploads import Notify, receive_files
from bot.governance import access
from bot.governance.audit import AuditLog
from bot.governance.roles import RoleService, UserRoles
from bot.i18n import t
from bot.llm import ModelRouter
from bot.rag.ingest import Ingestor
from bot.rag.retrieval import Retriever
from bot.specialists import SpecialistService
from bot.store import Database
from bot.store.models import Message, Screening, Specialist

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
        self.audit = AuditLog(db)
        self.roles = RoleService(db, settings)
        self.commands = CommandRegistry()
        for command in (
            help_command.HELP,
            *specialist_commands.COMMANDS,
            *source_commands.COMMANDS,
            *answer_commands.COMMANDS,
            *governance_commands.COMMANDS,
        ):
            self.commands.register(command)

    async def roles_for(self, incoming: Incoming) -> UserRoles:
        return await asyncio.to_thread(self.roles.roles_for, incoming)

    async def handle(
        self, incoming: Incoming, on_chunk: ChunkSink | None = None, notify: Notify | None = None
    ) -> Reply:
        """Answer one message. Never raises: failures become a Danish (or English) reply."""
        try:
            if not self.settings.tenant_allowed(incoming.conversation.tenant_id):
                log.warning("message from tenant %s refused", incoming.conversation.tenant_id)
                return Reply(t("tenant_refused", incoming.locale), kind="error")
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
            refused = await self._refusal(incoming, "indstil", "edit")
            if refused is not None:
                return refused
            ctx = CommandContext(incoming=incoming, args="", core=self)
            return await specialist_commands.save_settings_form(ctx, form)
        return Reply(t("empty_message", incoming.locale), kind="notice")

    async def _run_command(self, incoming: Incoming, name: str, args: str) -> Reply:
        command = self.commands.get(name)
        if command is None:
            return Reply(t("unknown_command", incoming.locale, name=name), kind="notice")
        refused = await self._refusal(incoming, command.name, command.permission)
        if refused is not None:
            return refused
        return await command.handler(CommandContext(incoming=incoming, args=args, core=self))

    async def _refusal(self, incoming: Incoming, name: str, permission: str | None) -> Reply | None:
        """The single permission gate for commands; ``edit`` also checks the specialist being edited."""
        roles = await self.roles_for(incoming)
        if not access.allowed(roles, permission):
            return Reply(access.refusal(name, permission or "admin"), kind="notice")
        if permission == "edit":
            spec = await asyncio.to_thread(self.specialists.editing, incoming.user_key)
            if spec is not None and not access.can_edit(roles, spec):
                return Reply(access.refusal(name, "edit"), kind="notice")
        return None

    async def _answer(self, incoming: Incoming, on_chunk: ChunkSink | None) -> Reply:
        spec = await asyncio.to_thread(self.specialists.selected, incoming.conversation.id)
        roles = await self.roles_for(incoming)
        if not access.can_use(roles, spec, incoming.conversation.id):
            key = "draft_only_builders" if spec.status != "published" else "not_shared_with_you"
            return Reply(t(key, incoming.locale, name=spec.name), kind="notice")
        return await answering.answer(self, incoming, spec, on_chunk)

    # -- services for answering and commands ------------------------------------------------------
    async def history(self, incoming: Incoming, spec: Specialist) -> list[Message]:
        return await asyncio.to_thread(
            self.store.history, incoming.conversation.id, self.settings.history_turns, spec.slug
        )

    def screening_of(self, specialist_id: int | None) -> Screening | None:
        with self.db.session() as s:
            return s.get(Screening, specialist_id) if specialist_id is not None else None

    async def audit_event(self, actor: str, action: str, target: str = "", **details: object) -> None:
        await asyncio.to_thread(self.audit.record, actor, action, target, **details)

    async def record(
        self,
        incoming: Incoming,
        spec: Specialist,
        reply: Reply,
        outcome: str,
        decision: dict[str, object] | None = None,
    ) -> Reply:
        row = await asyncio.to_thread(
            self.store.record,
            incoming,
            reply.text,
            model=reply.model,
            outcome=outcome,
            specialist=spec.slug,
            citations=reply.citations,
            route=answering.route_json(decision),
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
        commands = [c.help_line(locale) for c in self.commands if not c.hidden and c.permission is None]
        card = {
            "type": "welcome",
            "commands": commands,
            "title": t("welcome_title", locale),
            "button": t("welcome_button", locale),
        }
        return Reply(t("welcome", locale), kind="notice", card=card)
