"""The conversation's front desk: what kind of message is this, and which service answers it?

``prepare`` reads a message once (tenant, files, card submission, command or question; for a
question, which specialist answers here) and ``handle`` runs it: a command through the registry, files
through the sources service, a question through the answering service. Every door that speaks in
messages (Teams, ``aarhusai chat``, ``aarhusai ask``) goes through here; the rules live below it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.clean_text import clean_text
from bot.commands import CommandContext, CommandRegistry, default_registry, parse_command
from bot.commands.registry import Notify
from bot.commands.specialists import save_settings_form
from bot.conversation.types import Incoming, Reply
from bot.domain import AppError
from bot.llm import TextSink
from bot.messages import t
from bot.services import Actor, Application, Question
from bot.services.delivery import Windows
from bot.services.sources import Added
from bot.store.models import Specialist

log = logging.getLogger(__name__)

TurnKind = Literal["tenant_refused", "unsupported_files", "files", "form", "command", "question", "empty"]
PROGRESS_EVERY_S = 10.0  # a progress line at most this often, so a big file does not flood the chat


@dataclass(frozen=True)
class Turn:
    incoming: Incoming
    actor: Actor
    kind: TurnKind
    command: tuple[str, str] | None = None
    spec: Specialist | None = None  # the specialist that answers a question here

    @property
    def is_question(self) -> bool:
        return self.kind == "question"


class Dispatcher:
    def __init__(self, app: Application, registry: CommandRegistry | None = None) -> None:
        self.app = app
        self.registry = registry or default_registry()
        self.settings = app.stores.settings

    async def prepare(self, incoming: Incoming) -> Turn:
        """Read the message once: its kind and, for a question, the specialist that answers here."""
        incoming = replace(incoming, text=clean_text(incoming.text or ""))  # the doors' one cleaning
        actor = Actor.from_incoming(incoming)
        if not self.settings.tenant_allowed(incoming.conversation.tenant_id):
            return Turn(incoming, actor, "tenant_refused")
        if incoming.unsupported_files:
            return Turn(incoming, actor, "unsupported_files")
        if incoming.files:
            return Turn(incoming, actor, "files")
        if incoming.form is not None:
            return Turn(incoming, actor, "form")
        text = incoming.text.strip()
        if not text:
            return Turn(incoming, actor, "empty")
        parsed = parse_command(text)
        if parsed is not None:
            return Turn(incoming, actor, "command", command=parsed)
        spec = await asyncio.to_thread(self.app.specialists.selected, incoming.conversation.id)
        return Turn(incoming, actor, "question", spec=spec)

    def informative_text(self, turn: Turn) -> str:
        """What to show while a question is being answered."""
        assert turn.spec is not None
        return t(self.app.answering.informative_key(turn.spec), turn.actor.locale)

    async def handle(
        self,
        incoming: Incoming | Turn,
        on_text: TextSink | None = None,
        notify: Notify | None = None,
        reply_id: str | None = None,
    ) -> Reply:
        """Answer one message. Never raises: failures become a reply in the user's language."""
        turn = incoming if isinstance(incoming, Turn) else await self.prepare(incoming)
        locale = turn.actor.locale
        try:
            if turn.kind == "tenant_refused":
                log.warning("message from tenant %s refused", turn.incoming.conversation.tenant_id)
                return Reply(t("tenant_refused", locale), kind="error")
            if turn.kind == "unsupported_files":
                names = ", ".join(turn.incoming.unsupported_files)
                return Reply(t("files_personal_only", locale, names=names), kind="notice")
            if turn.kind == "files":
                return await self._files(turn, notify)
            if turn.kind == "form":
                return await self._form(turn, notify)
            if turn.kind == "empty":
                return Reply(t("empty_message", locale), kind="notice")
            if turn.kind == "command":
                assert turn.command is not None
                return await self._command(turn, *turn.command, notify=notify)
            return await self._answer(turn, on_text, reply_id)
        except AppError as exc:
            return Reply(exc.render(locale), kind="notice")
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("unhandled error while answering (ref %s)", ref)
            return Reply(t("internal_error", locale, ref=ref), kind="error")

    async def _command(self, turn: Turn, name: str, args: str, notify: Notify | None = None) -> Reply:
        command = self.registry.get(name)
        if command is None:
            return Reply(t("unknown_command", turn.actor.locale, name=name), kind="notice")
        ctx = CommandContext(turn.actor, args, self.app, self.registry, turn.incoming, notify)
        try:
            return await command.handler(ctx)
        except AppError as exc:
            exc.values.setdefault("command", name)  # as the user wrote it (/ny or /new)
            return Reply(exc.render(turn.actor.locale), kind="notice")

    async def _form(self, turn: Turn, notify: Notify | None) -> Reply:
        """A submitted card: the same commands, the same services, the same checks."""
        form = turn.incoming.form or {}
        action = form.get("aarhusai")
        if action == "command":
            return await self._command(turn, str(form.get("name") or "hjælp"), "", notify)
        if action == "use":
            return await self._command(turn, "brug", str(form.get("slug") or ""), notify)
        if action == "save_settings":
            ctx = CommandContext(turn.actor, "", self.app, self.registry, turn.incoming, notify)
            try:
                return await save_settings_form(ctx, form)
            except AppError as exc:
                exc.values.setdefault("command", "indstil")
                return Reply(exc.render(turn.actor.locale), kind="notice")
        return Reply(t("empty_message", turn.actor.locale), kind="notice")

    async def _files(self, turn: Turn, notify: Notify | None) -> Reply:
        """Files sent to the bot become sources of the specialist the Builder is editing."""
        actor, locale = turn.actor, turn.actor.locale
        try:
            spec = await asyncio.to_thread(self.app.sources.for_upload, actor)
        except AppError as exc:
            exc.values.setdefault("command", "rediger")
            return Reply(exc.render(locale), kind="notice")
        lines: list[str] = []
        for file in turn.incoming.files:
            if notify:
                await notify(t("ingest_started", locale, name=file.name, specialist=spec.name))
            last = time.monotonic()

            async def progress(done: int, total: int, name: str = file.name) -> None:
                nonlocal last
                if notify and done < total and time.monotonic() - last >= PROGRESS_EVERY_S:
                    last = time.monotonic()
                    await notify(
                        t(
                            "ingest_progress",
                            locale,
                            name=name,
                            pct=done * 100 // total,
                            done=done,
                            total=total,
                        )
                    )

            outcome = await self.app.sources.add(actor, spec, file.name, file.fetch, progress)
            lines.append(render_file_outcome(outcome, locale))
        return Reply("\n".join(lines), kind="command")

    async def _answer(self, turn: Turn, on_text: TextSink | None, reply_id: str | None) -> Reply:
        assert turn.spec is not None
        spec, actor = turn.spec, turn.actor
        await asyncio.to_thread(self.app.specialists.usable, actor, spec)
        incoming = turn.incoming
        answer = await self.app.answering.answer(
            Question(actor, spec, incoming.text, incoming.user.name, incoming.activity_id, reply_id=reply_id),
            on_text,
        )
        return Reply(
            answer.text,
            kind=answer.kind,
            citations=answer.citations,
            model=answer.model,
            generated=answer.generated,
            message_id=answer.message_id,
        )

    # -- around the answer ------------------------------------------------------------------------
    async def claim(self, conversation_id: str, activity_id: str) -> bool:
        """Whether this replica answers the activity (another replica may have claimed it first)."""
        return await asyncio.to_thread(self.app.delivery.claim, conversation_id, activity_id)

    async def finish(self, conversation_id: str, activity_id: str) -> None:
        await asyncio.to_thread(self.app.delivery.finish, conversation_id, activity_id)

    async def earlier_turns(self, conversation_id: str, activity_id: str) -> int:
        return await asyncio.to_thread(self.app.delivery.earlier_turns, conversation_id, activity_id)

    async def reserve_send(self, budgets: Sequence[tuple[str, Windows]]) -> float:
        return await asyncio.to_thread(self.app.delivery.reserve_send, budgets)

    async def attach_reply_id(self, reply: Reply, activity_id: str | None) -> None:
        if reply.message_id is None or activity_id is None:
            return  # nothing stored, or nothing to attach: no trip to the database
        await asyncio.to_thread(self.app.feedback.attach_reply_id, reply.message_id, activity_id)

    async def feedback(self, incoming: Incoming, reply_to_id: str | None, reaction: str, text: str) -> bool:
        actor = Actor.from_incoming(incoming)
        return await asyncio.to_thread(self.app.feedback.vote, actor, reply_to_id, reaction, text)

    async def welcome(self, conversation_id: str, locale: str) -> Reply | None:
        """The welcome message with its card, the first time the app meets this conversation only."""
        if not await asyncio.to_thread(self.app.feedback.welcome_once, conversation_id):
            return None
        commands = [c.help_line(locale) for c in self.registry if not c.hidden and not c.builder]
        card = {
            "type": "welcome",
            "commands": commands,
            "title": t("welcome_title", locale),
            "button": t("welcome_button", locale),
        }
        return Reply(t("welcome", locale), kind="notice", card=card)


def render_file_outcome(outcome: object, locale: str) -> str:
    if isinstance(outcome, Added):
        r = outcome.result
        pages = t("pages_part", locale, pages=r.pages) if r.pages else ""
        line = t(
            "source_replaced" if r.replaced else "source_added",
            locale,
            source=r.source,
            chunks=r.chunks,
            pages=pages,
            seconds=r.seconds,
        )
        if r.warnings:
            shown = "; ".join(w if isinstance(w, str) else w.render(locale) for w in r.warnings)
            line += " " + t("note_warnings", locale, warnings=shown)
        return line
    return f"❌ {outcome.error.message(locale)}"  # type: ignore[attr-defined]
