"""Answering a question: retrieval, then policy before model (through the router), then the answer
made safe (sanitised links, personal data restored only as text), recorded with its decision.

The answer is written in the question's language (``bot.locale.answer_locale``), whatever the client's.
A question asked after others is searched with its conversation (``_search``): rewritten into a
standalone question by the turn's cleared model when one is connected, else with the previous question.
In a group chat or channel a question's personal data becomes placeholders before anything sees it,
and stays so in everything shown there (``bot.services.shared_privacy``).

The Teams door, ``aarhusai chat``, ``aarhusai ask``, the eval harness and the API all answer here.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from bot import metrics
from bot.conversation.channel import AnswerStopped
from bot.conversation.types import Citation, ConversationRef, Exchange, Label
from bot.domain import AnswerOutcome, AppError, AuditAction, Classification, Outcome, SpecialistKind, Status
from bot.errors import render_error
from bot.governance import access, screening
from bot.governance.roles import UserRoles
from bot.llm import GenerationOutcome, ModelRouter, NoModelConfigured, TextSink, TurnPlan, Usage
from bot.llm.output import InstructionGuard, LinkPolicy, sanitise
from bot.llm.pii import Redactor, ablank_pii, afind_pii, describe
from bot.locale import answer_locale
from bot.messages import t, t_enum
from bot.rag import followup, grounding
from bot.rag.retrieval import Hit, Mode
from bot.services import client_tasks, shared_privacy
from bot.services.actor import Actor
from bot.services.base import Service, Stores
from bot.services.notifications import NotificationService
from bot.services.turn_threads import on_turn_thread
from bot.store.models import Specialist
from bot.store.origins import connected_hosts
from bot.store.turn_context import TurnContext, TurnContextStore

log = logging.getLogger(__name__)

AnswerKind = Literal["answer", "notice", "error"]


STREAM_EVERY_S = 0.2  # the answer so far reaches a door at most this often, unless it asks for less


@dataclass
class Answer:
    text: str
    kind: AnswerKind
    outcome: AnswerOutcome
    citations: list[Citation] = field(default_factory=list)
    model: str | None = None
    generated: bool = False
    message_id: int | None = None
    usage: Usage | None = None  # tokens: the model server's count, else estimated (no model: from texts)


@dataclass(frozen=True)
class Question:
    actor: Actor
    spec: Specialist
    text: str
    user_name: str | None = None
    activity_id: str | None = None
    history: tuple[Exchange, ...] | None = None  # None: this conversation's stored history
    record: bool = True
    model: str | None = None  # this model and no other (evaluation); None: the specialist's route
    reply_id: str | None = None  # Teams' id of the message that will carry the answer, when known before
    context: TurnContext | None = None  # read with the turn: prompt, screening and history come from it
    stream_every_s: float = STREAM_EVERY_S  # how often the door can show the answer so far (Teams: 1 s)
    # set by the service, never by a door: a question with personal data in a group chat or channel is
    # answered with its values as placeholders, and everything shown there is masked with this
    masked: Redactor | None = None


class AnsweringService(Service):
    def __init__(self, stores: Stores, notifications: NotificationService | None = None) -> None:
        super().__init__(stores)
        self._contexts = TurnContextStore(stores.db)
        self._notifications = notifications or NotificationService(stores)

    @property
    def router(self) -> ModelRouter:
        return self.stores.router

    async def context(self, actor: Actor) -> TurnContext:
        """The specialist that answers ``actor`` where they write, checked usable by them, with the
        rest a question needs (prompt, screening, roles, history): one database round trip."""
        ctx = await on_turn_thread(
            self._contexts.load, actor.conversation_id, actor.id, self.settings.history_turns, actor.aliases
        )
        if ctx is None:
            raise AppError(Outcome.NOT_FOUND, "specialist_gone")
        spec = ctx.spec
        if not access.can_use(self._roles(actor, ctx), spec, actor.conversation_id):
            key = "draft_only_builders" if spec.status != Status.PUBLISHED else "not_shared_with_you"
            raise AppError(Outcome.FORBIDDEN, key, name=spec.name)
        return ctx

    def _roles(self, actor: Actor, ctx: TurnContext) -> UserRoles:
        if actor.kind in ("skills-sync", "api"):
            return self.roles(actor)
        return self.stores.roles.roles_from(actor.id, ctx.roles, actor.kind == "cli", actor.aliases)

    def search(
        self,
        spec: Specialist,
        query: str,
        k: int,
        mode: Mode = "hybrid",
        gate: bool = True,
        rerank: bool = True,
    ) -> list[Hit]:
        """Retrieval alone (the eval harness); the caller has checked the actor may use ``spec``."""
        return self.stores.retriever.search(spec, query, k, mode=mode, gate=gate, rerank=rerank)

    def reranker_id(self, spec: Specialist) -> str | None:
        """The reranking endpoint cleared for ``spec``, if any (the eval harness reports with and
        without it)."""
        reranker = self.stores.retriever.reranker_for(spec)
        return reranker.id if reranker else None

    def informative_key(self, spec: Specialist) -> str:
        return "searching" if spec.kind == SpecialistKind.SOURCES else "thinking"

    def byline(self, model_id: str | None, locale: str) -> str | None:
        """Which model wrote an answer and where it runs (the municipality's duty to tell its users)."""
        shown = self.router.shown_model(model_id) if model_id else None
        if shown is None:
            return None
        name, where = shown
        return t("byline_where" if where else "byline", locale, model=name, where=where or "")

    @staticmethod
    def label(classification: str, locale: str) -> Label:
        """What data the specialist may see, as a Teams sensitivity label."""
        value = Classification(classification)
        return Label(t_enum(value, locale).capitalize(), t(f"label_{value.value}", locale))

    async def answer(self, q: Question, on_text: TextSink | None = None) -> Answer:
        """Answer ``q``; ``on_text`` receives the sanitised answer so far while it is generated."""
        start = time.perf_counter()
        first: list[float] = []

        async def timed_text(text: str) -> None:
            if not first:
                first.append(time.perf_counter() - start)
                metrics.FIRST_TEXT_SECONDS.observe(first[0])
            assert on_text is not None
            await on_text(text)

        q, kinds = await shared_privacy.shield(q)
        sink = timed_text if on_text is not None else None
        if sink is not None and q.masked is not None:
            sink = shared_privacy.masked_sink(q.masked, sink)
        answer = await self._answer(q, sink)
        if q.masked is not None:
            answer = await self._tell_asker(q, kinds, answer)
        metrics.ANSWER_SECONDS.observe(time.perf_counter() - start)
        metrics.ANSWERS.labels(answer.outcome).inc()
        return answer

    async def _answer(self, q: Question, on_text: TextSink | None) -> Answer:
        spec, locale = q.spec, answer_locale(q.text, q.actor.locale)
        if len(q.text) > self.settings.max_question_chars:
            return await self._record(
                q,
                Answer(
                    t("question_too_long", locale, limit=self.settings.max_question_chars),
                    "notice",
                    AnswerOutcome.TOO_LONG,
                ),
            )
        warning = await self._personal_data_warning(q, locale)
        # which endpoints may see this turn's data, decided once for retrieval and the answer
        plan = self.router.plan_turn(spec.classification, q.model or spec.model_id, q.model is not None)
        history = await self._history(q)
        hits: list[Hit] = []
        searched: dict[str, Any] = {}  # how the search query was made, recorded with the decision
        if spec.kind == SpecialistKind.SOURCES:
            hits = await self._search(q, plan, history, locale, searched)
            if not hits:
                return await self._record(
                    q,
                    Answer(
                        warning + grounding.no_answer_text(spec.name, locale),
                        "answer",
                        AnswerOutcome.NO_ANSWER,
                    ),
                    searched or None,
                )
        # a passage is hostile input too: citations leave through every door (Teams cards, /v1, MCP,
        # the stored message), so they are made safe once, here, like an answer
        # (parsing Markdown costs CPU: done off the event loop, here and below)
        cited = grounding.citations(hits, locale)  # with a connected document's URL and date (the same fetch)
        policy = LinkPolicy(
            [
                *self.settings.link_hosts,
                *(
                    await on_turn_thread(connected_hosts, self.stores.db, spec.id)  # type: ignore[arg-type]
                    if any(c.url for c in cited)
                    else []
                ),
            ],
            [c.url for c in cited if c.url],  # a connected document's own page may be linked to
        )
        citations = await on_turn_thread(_safe_citations, cited, policy, locale)
        if not self.router.has_models:
            if spec.kind == SpecialistKind.GENERAL:
                return await self._record(q, Answer(t("no_model", locale), "notice", AnswerOutcome.NO_MODEL))
            # passages are quoted as written: a source is as hostile as a model, so they are made safe too
            quoted = grounding.sources_only_text(hits, spec.name, locale)
            text = warning + await on_turn_thread(sanitise, quoted, policy, locale)
            return await self._record(q, Answer(text, "answer", AnswerOutcome.SOURCES_ONLY, citations))

        if q.context is not None and q.context.prompt is not None:
            prompt_text = q.context.prompt
        else:
            prompt_text = (await on_turn_thread(self.stores.specialists.current_prompt, spec.id)).text  # type: ignore[arg-type]
        try:
            budget = self.router.context_chars(
                spec.classification, q.model or spec.model_id, q.model is not None, plan
            )
        except NoModelConfigured:  # the catalogue was emptied meanwhile
            return await self._record(q, Answer(t("no_model", locale), "notice", AnswerOutcome.NO_MODEL))
        messages = self._messages(spec, prompt_text, hits, q.text, history, locale, budget)
        guard = InstructionGuard(str(messages[0].content))
        raw: list[str] = []
        withheld = False
        shown_at = 0.0
        last = ""
        updates_failed = False

        async def stream(piece: str) -> None:
            """What is shown while it is written is what the final answer starts with: the warning,
            sanitised text, known markers only, and nothing once it starts repeating the prompt.
            The text so far is made safe again at most every ``q.stream_every_s`` (doing it for every
            token made each answer quadratic in its length), and at most a fifth of the time (a long
            answer takes longer to parse); the final answer is checked whole."""
            nonlocal withheld, shown_at, last, updates_failed
            raw.append(piece)
            if on_text is None or withheld or updates_failed:
                return
            now = time.monotonic()
            if now - shown_at < q.stream_every_s:
                return
            shown_at = now
            shown = (await on_turn_thread(sanitise, "".join(raw), policy, locale)).lstrip()
            shown_at += 4 * (time.monotonic() - now)
            if guard.leaks(shown):
                withheld = True
                return
            if spec.kind == SpecialistKind.SOURCES:
                shown = grounding.drop_unknown_markers(shown, citations)
            if shown != last:
                last = shown
                try:
                    await on_text(warning + shown)
                except AnswerStopped:
                    raise
                except Exception:  # the answer so far is optional: the final reply still carries it
                    log.warning("the door refused the answer so far; no more updates", exc_info=True)
                    updates_failed = True

        try:
            generation = await self.router.generate(
                spec.classification,
                messages,
                requested=q.model or spec.model_id,
                only=q.model is not None,
                user_texts=(q.text, *(h.question for h in history)),
                on_chunk=stream if on_text is not None else None,
                plan=plan,
            )
        except AnswerStopped as stop:  # the model request is closed already (bot.llm.router._call)
            return await self._stopped(q, stop, "".join(raw), guard, citations, policy, warning)
        if raw and shown_at:  # the last words, held back by the pace above, go out as well
            shown_at = 0.0
            await stream("")
        for action, details in generation.events:
            metrics.POLICY_EVENTS.labels(str(action)).inc()
            await on_turn_thread(self.audit, q.actor, action, spec.slug, **details)
        decision = generation.decision | searched
        if generation.outcome == GenerationOutcome.NO_CLEARED_MODEL:
            text = t("no_cleared_model", locale, classification=spec.classification)
            return await self._record(q, Answer(text, "error", AnswerOutcome.REFUSED), decision)
        if generation.outcome == GenerationOutcome.PII_BLOCKED:
            key = "pii_blocked" if generation.pii_in == "question" else "pii_blocked_sources"
            text = t(key, locale, found=describe(generation.pii, locale), model=generation.blocked_model)
            return await self._record(q, Answer(text, "notice", AnswerOutcome.PII_BLOCKED), decision)
        if generation.outcome == GenerationOutcome.MODEL_ERROR:
            error = generation.error
            assert error is not None
            text = render_error(error, locale)
            return await self._record(
                q, Answer(text, "error", AnswerOutcome.MODEL_ERROR, model=error.model_id), decision
            )
        # placeholders go back into text nodes only, never into a link, an image, HTML or code
        redactor = generation.redactor
        restore = redactor.restore if redactor else None
        text = await on_turn_thread(sanitise, generation.raw, policy, locale, restore)
        if withheld or guard.leaks(text):
            metrics.POLICY_EVENTS.labels(str(AuditAction.PROMPT_WITHHELD)).inc()
            await on_turn_thread(
                self.audit, q.actor, AuditAction.PROMPT_WITHHELD, spec.slug, model=generation.model
            )
            return await self._record(
                q, Answer(t("prompt_withheld", locale), "notice", AnswerOutcome.WITHHELD), decision
            )
        if spec.kind == SpecialistKind.SOURCES:
            text = grounding.settle_markers(text, citations, locale)
        answer = Answer(
            warning + text,
            "answer",
            AnswerOutcome.ANSWERED,
            citations,
            generation.model,
            generated=True,
            usage=generation.usage,
        )
        return await self._record(q, answer, decision)

    async def _stopped(
        self,
        q: Question,
        stop: AnswerStopped,
        raw: str,
        guard: InstructionGuard,
        citations: list[Citation],
        policy: LinkPolicy,
        warning: str,
    ) -> Answer:
        """The answer as far as it got, kept (and, when the door ran out of time, sent) with a line
        saying it was stopped; checked like any answer (streamed text is never redacted text, so
        there are no placeholders to restore)."""
        locale = q.actor.locale
        text = (await on_turn_thread(sanitise, raw, policy, locale)).strip()
        if guard.leaks(text):
            text = ""
        if q.spec.kind == SpecialistKind.SOURCES:
            text = grounding.settle_markers(text, citations, locale) if text else ""
        note = t("answer_stopped" if stop.by_reader else "answer_cut", locale)
        outcome = AnswerOutcome.STOPPED if stop.by_reader else AnswerOutcome.CUT
        answer = Answer(
            f"{warning}{text}\n\n_{note}_".lstrip(), "answer", outcome, citations, generated=bool(text)
        )
        return await self._record(q, answer)

    async def title(self, actor: Actor, spec: Specialist, question: str) -> tuple[str, Usage | None]:
        """A chat's title from its first question (a chat client's background task; nothing is stored):
        a few words by a model cleared for the specialist's data, through the router like any answer
        (the PII guard included), else the question's first words. The usage is the model's, if one wrote."""
        fallback = client_tasks.title_from(question)
        if not self.router.has_models or not question.strip():
            return fallback, None
        question = question[: self.settings.max_question_chars]
        messages: list[BaseMessage] = [
            SystemMessage(t("title_task_prompt", actor.locale)),
            HumanMessage(question),
        ]
        try:
            generation = await self.router.generate(
                spec.classification, messages, requested=spec.model_id, user_texts=(question,)
            )
        except NoModelConfigured:
            return fallback, None
        for action, details in generation.events:
            metrics.POLICY_EVENTS.labels(str(action)).inc()
            await on_turn_thread(self.audit, actor, action, spec.slug, **details)
        if generation.outcome != GenerationOutcome.ANSWERED:
            return fallback, None
        restore = generation.redactor.restore if generation.redactor else None
        policy = LinkPolicy(self.settings.link_hosts)
        written = await on_turn_thread(sanitise, generation.raw, policy, actor.locale, restore)
        return client_tasks.clean_title(written) or fallback, generation.usage

    async def _search(
        self, q: Question, plan: TurnPlan, history: list[Exchange], locale: str, searched: dict[str, Any]
    ) -> list[Hit]:
        """The passages for ``q``, searched with its conversation: the question rewritten to stand
        alone by the turn's cleared model when one is connected, else with the previous question
        (``Retriever.search_in_conversation``). Personal data says nothing about which passage
        answers, and has no business in the index or in a rewrite: it is blanked first."""
        spec, retriever = q.spec, self.stores.retriever
        query = await ablank_pii(q.text)
        if not history:
            return await retriever.asearch(spec, query, spec.top_k, plan)
        recent = [
            Exchange(await ablank_pii(h.question), await ablank_pii(h.answer))
            for h in history[-followup.REWRITE_TURNS :]
        ]
        if self.settings.followup_rewrite and plan.chat.candidates:
            rewritten = await self._rewrite(q, plan, recent, query, locale, searched)
            if rewritten is not None:
                return await retriever.asearch(spec, rewritten, spec.top_k, plan)
        return await retriever.asearch(spec, query, spec.top_k, plan, previous=recent[-1].question)

    async def _rewrite(
        self,
        q: Question,
        plan: TurnPlan,
        recent: list[Exchange],
        query: str,
        locale: str,
        searched: dict[str, Any],
    ) -> str | None:
        """``query`` rewritten to stand alone, by the first model of the turn's plan that works (the
        answer's route: cleared for the specialist's data, its payload guarded by the router), or None."""
        spec = q.spec
        try:
            generation = await self.router.generate(
                spec.classification,
                followup.rewrite_messages(recent, query, locale),
                requested=q.model or spec.model_id,
                only=q.model is not None,
                user_texts=(query, *(h.question for h in recent)),
                plan=plan,
            )
        except NoModelConfigured:  # the catalogue was emptied meanwhile
            return None
        for action, details in generation.events:
            if action == AuditAction.MODEL_REFUSED:  # the answer's call records the turn's refusal
                continue
            metrics.POLICY_EVENTS.labels(str(action)).inc()
            await on_turn_thread(self.audit, q.actor, action, spec.slug, **details)
        if generation.outcome != GenerationOutcome.ANSWERED:
            searched["rewrite"] = {"outcome": str(generation.outcome)}
            return None
        text = followup.standalone(generation.raw, query, recent)
        searched["rewrite"] = {"model": generation.model, "used": text is not None}
        return await ablank_pii(text) if text is not None else None

    def _messages(
        self,
        spec: Specialist,
        prompt: str,
        hits: list[Hit],
        question: str,
        history: list[Exchange],
        locale: str,
        budget: int,
    ) -> list[BaseMessage]:
        if spec.kind == SpecialistKind.GENERAL:
            turns: list[BaseMessage] = []
            for h in history:
                turns += [HumanMessage(h.question), AIMessage(h.answer)]
            return [SystemMessage(prompt), *turns, HumanMessage(question)]
        return grounding.build_messages(prompt, hits, question, history, locale, budget)

    async def _history(self, q: Question) -> list[Exchange]:
        if q.history is not None:
            return list(q.history)[-self.settings.history_turns :] if self.settings.history_turns else []
        if q.context is not None:
            return [Exchange(question, answer) for question, answer in q.context.history]
        rows = await on_turn_thread(
            self.stores.conversations.history,
            q.actor.conversation_id,
            self.settings.history_turns,
            q.spec.slug,
        )
        return [Exchange(m.question, m.answer) for m in rows]

    async def _personal_data_warning(self, q: Question, locale: str) -> str:
        """A specialist screened as seeing no personal data should not get any: tell the user."""
        if q.context is not None:
            screened = q.context.screening
            clean = screened is not None and screening.screened_clean(*screened)
        else:
            clean = screening.sees_no_personal_data(
                await on_turn_thread(screening.of, self.stores.db, q.spec.id)
            )
        if not clean:
            return ""
        if not await afind_pii(q.text):
            return ""
        kinds = (await Redactor().aredact(q.text)).kinds
        metrics.POLICY_EVENTS.labels(str(AuditAction.PII_WARNED)).inc()
        await on_turn_thread(self.audit, q.actor, AuditAction.PII_WARNED, q.spec.slug, kinds=kinds)
        return t("pii_warning", locale, found=describe(kinds, locale), name=q.spec.name) + "\n\n"

    async def _tell_asker(self, q: Question, kinds: dict[str, int], answer: Answer) -> Answer:
        """The asker of a masked question learns why in their personal chat with the bot (the
        notification outbox); one who cannot be reached there yet is told in the reply instead, by
        kind and count only."""
        metrics.POLICY_EVENTS.labels(str(AuditAction.PII_MASKED_SHARED)).inc()
        if not q.record or q.actor.kind != "user":
            return answer
        reached = await on_turn_thread(
            shared_privacy.notify_asker, self._notifications, q.actor, q.spec, kinds
        )
        await on_turn_thread(
            self.audit, q.actor, AuditAction.PII_MASKED_SHARED, q.spec.slug, kinds=kinds, notified=reached
        )
        if not reached:
            locale = answer_locale(q.text, q.actor.locale)
            answer.text = (
                f"{answer.text}\n\n{t('pii_shared_unreached', locale, found=describe(kinds, locale))}"
            )
        return answer

    async def _record(self, q: Question, answer: Answer, decision: dict[str, Any] | None = None) -> Answer:
        if q.masked is not None:  # everyone in the group chat or channel reads it, and the transcript
            answer = await on_turn_thread(shared_privacy.mask_answer, q.masked, answer)
        if answer.usage is None:  # no model wrote it (or none answered): what it would have cost, estimated
            asked = [q.text, *(x for h in q.history or () for x in (h.question, h.answer))]
            answer.usage = Usage.estimate(asked, answer.text)
        if not q.record:
            return answer
        conv = q.actor.conversation or ConversationRef(id=q.actor.conversation_id)
        row = await on_turn_thread(
            self.stores.conversations.record,
            conv,
            q.actor.id,
            q.text,
            answer.text,
            model=answer.model,
            outcome=answer.outcome,
            user_name=q.user_name,
            activity_id=q.activity_id,
            specialist=q.spec.slug,
            citations=answer.citations,
            route=json.dumps(decision or {}, ensure_ascii=False),
            reply_id=q.reply_id,
        )
        answer.message_id = row.id
        return answer


def _safe_citations(citations: list[Citation], policy: LinkPolicy, locale: str) -> list[Citation]:
    """Citations as every door may show them: name, passage and heading made safe."""
    return [
        replace(
            c,
            source=sanitise(c.source, policy, locale),
            text=sanitise(c.text, policy, locale),
            heading=sanitise(c.heading, policy, locale) if c.heading else None,
        )
        for c in citations
    ]
