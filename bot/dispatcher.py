"""The conversation's front desk: one ``turn(incoming, channel)`` for every message of every door.

A turn reads the message once (tenant, files, card submission, command or question; for a question,
its specialist and everything answering needs, in one database round trip), runs it (a command
through the registry, files through the sources service, a question through the answering service)
and talks back only through the door's ``ReplyChannel``: progress, the answer so far, notices, the
final reply. It attaches the final message's id to the stored answer itself. Teams, ``aarhusai
chat`` (the same Teams handler) and the tests go through here; the rules live below it.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, replace
from typing import Literal

from bot import metrics
from bot.clean_text import clean_text
from bot.commands import CommandContext, CommandRegistry, default_registry, experts, parse_command
from bot.commands.checklist import add_checklist
from bot.commands.forms import SUBMITTED
from bot.commands.registry import Notify
from bot.conversation.channel import Collected, ReplyChannel, Sink
from bot.conversation.types import Citation, ConversationRef, Incoming, Reply
from bot.domain import AnswerOutcome, AppError, SpecialistKind
from bot.errors import AarhusAIError, render_error
from bot.locale import answer_locale
from bot.messages import t
from bot.services import Actor, Application, Question, starters
from bot.services.sources import Added
from bot.store.turn_context import TurnContext

log = logging.getLogger(__name__)

TurnKind = Literal[
    "tenant_refused", "ignored", "unsupported_files", "files", "form", "command", "question", "empty"
]
PROGRESS_EVERY_S = 10.0  # a progress line at most this often, so a big file does not flood the chat


@dataclass(frozen=True)
class Turn:
    """A message as read once: who, what kind, and for a question what answering it needs."""

    incoming: Incoming
    actor: Actor
    kind: TurnKind
    command: tuple[str, str] | None = None
    context: TurnContext | None = None  # a question's specialist, prompt, screening, history
    refused: AppError | None = None  # a question its asker may not put to this specialist

    @property
    def is_question(self) -> bool:
        return self.kind == "question"


class Dispatcher:
    def __init__(self, app: Application, registry: CommandRegistry | None = None) -> None:
        self.app = app
        self.registry = registry or default_registry()
        self.settings = app.settings

    async def turn(self, incoming: Incoming, channel: ReplyChannel) -> Reply:
        """Run one message and deliver its reply through ``channel``. Never raises for the message's
        sake: failures become a reply in the user's language (a failing channel does raise)."""
        start = time.perf_counter()
        turn = await self.prepare(incoming)
        if turn.kind == "ignored":  # a channel post not for the bot: no reply at all
            metrics.TURNS.labels(turn.kind, "notice").inc()
            return Reply("", kind="notice")
        attached = None
        # a placeholder where an answer takes a while: not for passages alone, which come at once, in a
        # group chat or channel (a personal chat's stream starts with it all the same)
        waits = self.app.answering.router.has_models or incoming.conversation.type == "personal"
        if turn.is_question and turn.context is not None and turn.refused is None and waits:
            key = self.app.answering.informative_key(turn.context.spec)
            attached = await channel.progress(t(key, turn.actor.locale))
        reply = await self._run(turn, channel, attached)
        reply_id = await channel.send(reply)
        # a streamed answer is stored with the stream's id, which its final message keeps
        if reply_id != attached and reply.message_id is not None and reply_id is not None:
            await self.app.feedback.aattach_reply_id(reply.message_id, reply_id)
        metrics.TURNS.labels(turn.kind, reply.kind).inc()
        metrics.TURN_SECONDS.observe(time.perf_counter() - start)
        return reply

    async def handle(
        self, incoming: Incoming, on_text: Sink | None = None, notify: Notify | None = None
    ) -> Reply:
        """``turn`` for a caller that shows the reply itself (``aarhusai ask``-like doors, the tests)."""
        return await self.turn(incoming, Collected(on_text, notify))

    async def prepare(self, incoming: Incoming) -> Turn:
        """Read the message once: its kind and, for a question, what answering it needs."""
        incoming = replace(incoming, text=clean_text(incoming.text or ""))  # the doors' one cleaning
        actor = Actor.from_incoming(incoming)
        if not self.settings.tenant_allowed(incoming.conversation.tenant_id):
            return Turn(incoming, actor, "tenant_refused")
        if await self._not_for_us(incoming):
            return Turn(incoming, actor, "ignored")
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
        try:
            context = await self.app.answering.context(actor)
        except AppError as exc:
            return Turn(incoming, actor, "question", refused=exc)
        return Turn(incoming, actor, "question", context=context)

    async def _not_for_us(self, incoming: Incoming) -> bool:
        """A channel post without an @mention (Teams sends those to an app with resource-specific
        consent) is answered only as a new post in a question channel; a pressed card button is
        always for us."""
        if incoming.conversation.type != "channel" or incoming.mentioned or incoming.form is not None:
            return False
        return not await self.app.channels.alistens(
            incoming.conversation, incoming.activity_id, incoming.mentioned
        )

    async def _run(self, turn: Turn, channel: ReplyChannel, reply_id: str | None) -> Reply:
        locale = turn.actor.locale
        try:
            if turn.kind == "tenant_refused":
                log.warning("message from tenant %s refused", turn.incoming.conversation.tenant_id)
                return Reply(t("tenant_refused", locale), kind="error")
            if turn.kind == "unsupported_files":
                names = ", ".join(turn.incoming.unsupported_files)
                return Reply(t("files_personal_only", locale, names=names), kind="notice")
            if turn.kind == "files":
                return await self._files(turn, channel.notify)
            if turn.kind == "form":
                return await self._form(turn, channel.notify)
            if turn.kind == "empty":
                return Reply(t("empty_message", locale), kind="notice")
            if turn.kind == "command":
                assert turn.command is not None
                return await self._command(turn, *turn.command, notify=channel.notify)
            return await self._answer(turn, channel, reply_id)
        except AarhusAIError as exc:  # any error of ours is worded for the user; others get a reference
            return Reply(render_error(exc, locale), kind="notice")
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
            return Reply(render_error(exc, turn.actor.locale), kind="notice")

    async def _form(self, turn: Turn, notify: Notify | None) -> Reply:
        """A submitted card: the same commands, the same services, the same checks."""
        form = turn.incoming.form or {}
        action = form.get("aarhusai")
        if action == "command":  # a card button: a command, and its arguments when it names them
            args = form.get("args")
            return await self._command(
                turn, str(form.get("name") or "hjælp"), args if isinstance(args, str) else "", notify
            )
        if action == "use":
            return await self._command(turn, "brug", str(form.get("slug") or ""), notify)
        if action == experts.ANSWER_ACTION:  # an expert answers a hand-off from its card
            ctx = CommandContext(turn.actor, "", self.app, self.registry, turn.incoming, notify)
            try:
                return await experts.expert_answered(ctx, form)
            except AppError as exc:
                return Reply(render_error(exc, turn.actor.locale), kind="notice")
        submitted = SUBMITTED.get(str(action))
        if submitted is not None:  # a Builder's form: settings, screening, sharing
            handler, command = submitted
            ctx = CommandContext(turn.actor, "", self.app, self.registry, turn.incoming, notify)
            try:
                return await add_checklist(self.app, turn.actor, await handler(ctx, form))
            except AppError as exc:
                exc.values.setdefault("command", command)
                return Reply(render_error(exc, turn.actor.locale), kind="notice")
        return Reply(t("empty_message", turn.actor.locale), kind="notice")

    async def _files(self, turn: Turn, notify: Notify | None) -> Reply:
        """Files sent to the bot become sources of the specialist the Builder is editing."""
        actor, locale = turn.actor, turn.actor.locale
        try:
            spec = await self.app.sources.afor_upload(actor)
        except AppError as exc:
            exc.values.setdefault("command", "rediger")
            return Reply(render_error(exc, locale), kind="notice")
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
        return await add_checklist(self.app, actor, Reply("\n".join(lines), kind="command"))

    async def _answer(self, turn: Turn, channel: ReplyChannel, reply_id: str | None) -> Reply:
        if turn.refused is not None:
            raise turn.refused
        assert turn.context is not None
        incoming = turn.incoming
        question = Question(
            turn.actor,
            turn.context.spec,
            incoming.text,
            incoming.user.name,
            incoming.activity_id,
            reply_id=reply_id,
            context=turn.context,
            stream_every_s=channel.update_every_s,
        )
        answering, locale = self.app.answering, turn.actor.locale
        answer = await answering.answer(question, channel.update)
        return Reply(
            answer.text,
            kind=answer.kind,
            citations=answer.citations,
            model=answer.model,
            generated=answer.generated,
            message_id=answer.message_id,
            byline=answering.byline(answer.model, locale) if answer.generated else None,
            label=answering.label(turn.context.spec.classification, locale)
            if answer.kind == "answer"
            else None,
            locale=turn.actor.locale,
            card=about_button(turn.context.spec.slug, locale) if answer.kind == "answer" else None,
            suggestions=self._followups(turn, answer.text, answer.citations, answer.outcome),
        )

    @staticmethod
    def _followups(turn: Turn, text: str, citations: list[Citation], outcome: AnswerOutcome) -> list[str]:
        """Questions to ask next, after an answer from sources in a personal chat (the only place Teams
        offers them): none after a refusal, an error, a stopped answer or the general assistant."""
        spec = turn.context.spec if turn.context is not None else None
        if (
            spec is None
            or spec.kind != SpecialistKind.SOURCES
            or turn.incoming.conversation.type != "personal"
            or outcome not in (AnswerOutcome.ANSWERED, AnswerOutcome.SOURCES_ONLY)
            or not citations
        ):
            return []
        locale = answer_locale(turn.incoming.text, turn.actor.locale)
        return starters.followups(turn.incoming.text, citations, text, starters.stored(spec), locale)

    # -- the other activities of a conversation ---------------------------------------------------
    async def feedback(self, incoming: Incoming, reply_to_id: str | None, reaction: str, text: str) -> bool:
        actor = Actor.from_incoming(incoming)
        return await self.app.feedback.avote(actor, reply_to_id, reaction, text)

    def feedback_dialog(self, locale: str, reaction: str) -> dict[str, object]:
        """The bot's own feedback form (Teams opens it as a dialog when a 👍/👎 is pressed)."""
        return experts.feedback_form(locale, reaction)

    async def feedback_form(
        self, incoming: Incoming, reply_to_id: str | None, reaction: str, values: dict[str, object]
    ) -> Reply | None:
        """The submitted form: the vote with its reason and comment, and, when asked for, the answer
        sent to the specialist's experts; the reply to show in the conversation (None: nothing)."""
        actor = Actor.from_incoming(incoming)
        reason, comment = str(values.get("reason") or "")[:32], str(values.get("comment") or "")[:4000]
        ask = str(values.get("ask_person") or "").casefold() == "true"
        stored = await self.app.feedback.avote(actor, reply_to_id, reaction, comment, reason or None, ask)
        if not stored:
            return None
        if not ask:
            return Reply(t("feedback_thanks", actor.locale), kind="notice")
        try:
            asked = await self.app.handoffs.aask(actor, incoming.place, comment, reason or None, reply_to_id)
        except AppError as exc:
            return Reply(render_error(exc, actor.locale), kind="notice")
        return experts.asked_reply(asked, actor.locale)

    async def welcome(self, conversation: ConversationRef | str, locale: str) -> Reply | None:
        """The welcome, the first time the app meets this conversation only, with the prompt starters
        of the specialist answering there. A personal chat gets the card with the everyday commands; a
        team or group chat three lines on what the bot does and example questions, no command list."""
        if isinstance(conversation, str):
            conversation = ConversationRef(conversation)
        if not await self.app.feedback.awelcome_once(conversation.id):
            return None
        offered = await self.app.specialists.aoffered_starters(conversation.id, locale)
        if conversation.type != "personal":
            text = t("welcome_team", locale)
            return Reply(text, kind="notice", suggestions=offered.starters[:3], locale=locale)
        commands = [c.help_line(locale) for c in self.registry if not (c.hidden or c.builder or c.admin)]
        card = {
            "type": "welcome",
            "commands": commands,
            "title": t("welcome_title", locale),
            "button": t("welcome_button", locale),
        }
        return Reply(
            t("welcome", locale), kind="notice", card=card, suggestions=offered.starters, locale=locale
        )


def about_button(slug: str, locale: str) -> dict[str, object]:
    """The "Om specialisten" button under an answer: ``/om <slug>`` as whoever presses it."""
    return {
        "type": "actions",
        "buttons": [{"title": t("about_button", locale), "command": "om", "args": slug}],
    }


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
