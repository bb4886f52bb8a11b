"""Personal data in a group chat or a channel: everyone there reads the answer.

A question there that holds personal data (CPR numbers and the rest ``bot.llm.pii`` finds, in every
format its detectors read: split, spaced, other digits, invisible characters) is answered with its
values as placeholders (``⟦CPR-1⟧``). The question is masked before anything else sees it (search, the
model, the stored transcript), so no model can echo a value it never got; and everything shown there
(the answer so far, the final answer, its citations: titles, snippets, headings) is masked again with
the same placeholders, since a passage or a model may still write one. The asker is told why in their
personal chat with the bot (the notification outbox); one who cannot be reached there yet is told in
the reply, by kind and count only. A personal chat is unchanged: the values are the asker's own.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.conversation.types import Exchange
from bot.llm.pii import Redactor, afind_pii, describe
from bot.services.notifications import Note, NotificationService

if TYPE_CHECKING:
    from bot.conversation.channel import Sink
    from bot.services.actor import Actor
    from bot.services.answering import Answer, Question
    from bot.store.models import Specialist

SHARED = ("groupChat", "channel")
# The answer so far keeps back its last characters: a value still being written ("010203-12") is
# found only once it is whole, and must not be shown before that.
HELD_BACK_CHARS = 40
_TAIL_WORD = re.compile(r"\S*$")


def is_shared(actor: Actor) -> bool:
    """Whether others than the asker read the answer (a group chat or a channel)."""
    return actor.conversation is not None and actor.conversation.type in SHARED


async def shield(q: Question) -> tuple[Question, dict[str, int]]:
    """``q`` with its personal data as placeholders and the masker set, and what was found (kind ->
    distinct values); ``q`` itself when it is asked in a personal chat or holds none."""
    if q.masked is not None or not is_shared(q.actor) or not await afind_pii(q.text):
        return q, {}
    masker = Redactor()
    redaction = await masker.aredact(q.text)
    history = q.history
    if history is not None:  # earlier turns shown there are masked too (the model may repeat them)
        history = tuple(Exchange(mask(masker, h.question), mask(masker, h.answer)) for h in history)
    context = q.context
    if context is not None:
        masked_history = tuple((mask(masker, a), mask(masker, b)) for a, b in context.history)
        context = replace(context, history=masked_history)
    return replace(q, text=redaction.text, masked=masker, history=history, context=context), redaction.kinds


def mask(masker: Redactor, text: str) -> str:
    """``text`` with every value the detectors find as a placeholder (the question's keep theirs)."""
    return masker.redact(text).text if text else text


def masked_sink(masker: Redactor, sink: Sink) -> Sink:
    """``sink`` that is given the answer so far masked, less its last word and characters (a value
    may not be whole yet); the final answer is masked whole."""

    async def masked(text: str) -> None:
        shown = mask(masker, text)
        shown = _TAIL_WORD.sub("", shown[: max(0, len(shown) - HELD_BACK_CHARS)]).rstrip()
        if shown:
            await sink(shown)

    return masked


def mask_answer(masker: Redactor, answer: Answer) -> Answer:
    """The answer and its citations as the group may see them (and as they are stored)."""
    citations = [
        replace(
            c,
            source=mask(masker, c.source),
            text=mask(masker, c.text),
            heading=mask(masker, c.heading) if c.heading else c.heading,
        )
        for c in answer.citations
    ]
    return replace(answer, text=mask(masker, answer.text), citations=citations)


def notify_asker(
    notifications: NotificationService, actor: Actor, spec: Specialist, kinds: dict[str, int]
) -> bool:
    """Tell the asker in their personal chat why the answer shows placeholders; False when they
    cannot be reached there yet (they have never written to the bot): then nothing is queued."""
    if not notifications.reachable((actor.id, *actor.aliases)):
        return False
    where = "channel" if actor.conversation and actor.conversation.type == "channel" else "group"
    note = Note(
        f"pii_shared_notice_{where}",
        # rendered when sent, in the language the asker last wrote in: both are kept
        {"found_da": describe(kinds, "da"), "found_en": describe(kinds, "en"), "name": spec.name},
        topic="pii.masked_shared",
        subject=actor.conversation_id,
    )
    notifications.notify([actor.id], note)
    return True
