"""Answering a question: retrieval, then policy before model (classification, PII guard, fallback).

Every model call in the service happens here, and only through ``ModelRouter.plan``: the route lists
the models cleared for the specialist's data classification; a model not cleared for personal data
never sees personal data from the user (blocked or replaced by placeholders, by configuration); a
model that is down is replaced only by another cleared one. Each decision is stored with the message
and policy events go to the audit log.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.conversation.assistant import ChunkSink, Exchange, build_messages, generate
from bot.conversation.types import Incoming, Reply
from bot.i18n import t
from bot.llm import ModelError, ModelRejected, NoModelConfigured
from bot.llm.catalogue import cleared_for_personal_data
from bot.llm.client import ChatModel
from bot.llm.pii import Redactor, describe, find_pii
from bot.rag import grounding
from bot.rag.retrieval import Hit
from bot.store.models import Specialist

if TYPE_CHECKING:
    from bot.conversation.core import ConversationCore


@dataclass
class Attempt:
    model: ChatModel
    question: str
    history: list[Exchange]
    redactor: Redactor | None
    pii: dict[str, int]


async def answer(
    core: ConversationCore, incoming: Incoming, spec: Specialist, on_chunk: ChunkSink | None
) -> Reply:
    locale = incoming.locale
    warning = await _personal_data_warning(core, incoming, spec)
    hits: list[Hit] = []
    if spec.kind == "sources":
        # personal data says nothing about which passage answers, and has no business in the index
        query = _without_pii(incoming.text)
        hits = await asyncio.to_thread(core.retriever.search, spec, query, spec.top_k)
        if not hits:
            reply = Reply(warning + grounding.no_answer_text(spec.name, locale), kind="answer")
            return await core.record(incoming, spec, reply, "no_answer")
    citations = grounding.citations(hits)
    try:
        route = core.router.plan(spec.classification, spec.model_id)
    except NoModelConfigured:
        if spec.kind == "general":
            return await core.record(incoming, spec, Reply(t("no_model", locale), kind="notice"), "no_model")
        reply = Reply(
            warning + grounding.sources_only_text(hits, spec.name, locale), kind="answer", citations=citations
        )
        return await core.record(incoming, spec, reply, "sources_only")
    decision: dict[str, Any] = route.record()
    actor = incoming.user_key
    if route.refused:
        await core.audit_event(
            actor, "model.refused", spec.slug, models=route.refused, classification=spec.classification
        )
    if not route.candidates:
        reply = Reply(t("no_cleared_model", locale, classification=spec.classification), kind="error")
        return await core.record(incoming, spec, reply, "refused", decision)

    prompt = await asyncio.to_thread(core.specialists.current_prompt, spec.id)  # type: ignore[arg-type]
    history = [Exchange(m.question, m.answer) for m in await core.history(incoming, spec)]
    user_texts = [incoming.text, *(h.question for h in history)]
    findings = [f for text in user_texts for f in find_pii(text)]
    tried: list[dict[str, str]] = []
    last_error: ModelError | None = None
    for model in route.candidates:
        attempt = Attempt(model, incoming.text, history, None, {})
        if findings and not cleared_for_personal_data(model.spec):
            kinds = Redactor().redact("\n".join(user_texts)).kinds
            if core.settings.pii_mode == "block":
                await core.audit_event(actor, "pii.blocked", spec.slug, model=model.id, kinds=kinds)
                decision.update(chosen=None, tried=tried, pii=kinds, pii_action="blocked")
                reply = Reply(t("pii_blocked", locale, found=describe(kinds), model=model.id), kind="notice")
                return await core.record(incoming, spec, reply, "pii_blocked", decision)
            attempt = _redacted(attempt)
            await core.audit_event(actor, "pii.redacted", spec.slug, model=model.id, kinds=attempt.pii)
        messages = _messages(spec, prompt.text, hits, attempt, locale)
        try:
            text = await generate(model, messages, on_chunk if attempt.redactor is None else None)
        except ModelRejected as exc:
            last_error = exc
            tried.append({"model": model.id, "error": type(exc).__name__})
            break
        except ModelError as exc:
            last_error = exc
            tried.append({"model": model.id, "error": type(exc).__name__})
            continue
        if attempt.redactor is not None:
            text = attempt.redactor.restore(text)
        if spec.kind == "sources":
            text = grounding.settle_markers(text.strip(), citations, locale)
        if tried:
            await core.audit_event(
                actor, "model.fallback", spec.slug, to=model.id, after=[a["model"] for a in tried]
            )
        decision.update(
            chosen=model.id, tried=tried, pii=attempt.pii, pii_action="redacted" if attempt.redactor else None
        )
        reply = Reply(
            text=(warning + text.strip()) if warning else text.strip(),
            kind="answer",
            model=model.id,
            generated=True,
            citations=citations,
        )
        return await core.record(incoming, spec, reply, "answered", decision)
    assert last_error is not None
    decision.update(chosen=None, tried=tried)
    reply = Reply(
        t(last_error.message_key, locale, **last_error.values()), kind="error", model=last_error.model_id
    )
    return await core.record(incoming, spec, reply, "model_error", decision)


def _without_pii(text: str) -> str:
    for finding in reversed(find_pii(text)):
        text = text[: finding.start] + " " + text[finding.end :]
    return text


def _redacted(attempt: Attempt) -> Attempt:
    redactor = Redactor()
    history = []
    kinds: dict[str, int] = {}
    for h in attempt.history:
        q, a = redactor.redact(h.question), redactor.redact(h.answer)
        history.append(Exchange(q.text, a.text))
        for k, v in q.kinds.items():
            kinds[k] = kinds.get(k, 0) + v
    question = redactor.redact(attempt.question)
    for k, v in question.kinds.items():
        kinds[k] = kinds.get(k, 0) + v
    return Attempt(attempt.model, question.text, history, redactor, kinds)


def _messages(spec: Specialist, prompt: str, hits: list[Hit], attempt: Attempt, locale: str):  # type: ignore[no-untyped-def]
    limits = (attempt.model.spec.max_context, attempt.model.spec.max_output_tokens)
    if spec.kind == "general":
        return build_messages(prompt, attempt.question, attempt.history, *limits)
    return grounding.build_messages(prompt, hits, attempt.question, attempt.history, locale, *limits)


async def _personal_data_warning(core: ConversationCore, incoming: Incoming, spec: Specialist) -> str:
    """A specialist screened as seeing no personal data should not get any: tell the user."""
    screening = await asyncio.to_thread(core.screening_of, spec.id)
    if screening is None or screening.data_categories != "ingen":
        return ""
    findings = find_pii(incoming.text)
    if not findings:
        return ""
    kinds = Redactor().redact(incoming.text).kinds
    await core.audit_event(incoming.user_key, "pii.warned", spec.slug, kinds=kinds)
    return t("pii_warning", incoming.locale, found=describe(kinds), name=spec.name) + "\n\n"


def route_json(decision: dict[str, Any] | None) -> str:
    return json.dumps(decision or {}, ensure_ascii=False)
