"""Prompt starters and follow-up suggestions: the questions the bot offers its users to ask.

A specialist's starters are written by its Builder (``/startere``, skill files) and offered when it is
chosen and in the welcome; the general assistant's come from the message catalogue (the same ones the
app manifest offers as Teams prompt starters). After an answer, up to three follow-ups are derived from
the passages it was given and their headings (what the specialist's sources can answer) without any
model call, then topped up with the specialist's starters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.conversation.types import Citation
from bot.domain import AppError, Outcome, SpecialistKind
from bot.messages import t
from bot.store.models import Specialist

MAX_STARTERS = 6  # Teams shows a handful of suggested actions; the manifest's prompt starters are fewer
STARTER_CHARS = 120  # a button's text, sent as the question when pressed
MIN_STARTER_CHARS = 3
MAX_FOLLOWUPS = 3
HEADING_CHARS = 70  # a heading longer than this is a sentence, not a topic to ask about
_SEPARATORS = re.compile(r"\s*(?:\n|\|)\s*")
_MARKUP = re.compile(r"[*_`#>\[\]<|~\\]")
_WORD = re.compile(r"[^\W\d_]{4,}")


def parse(text: str) -> list[str]:
    """A Builder's starters as typed: one a line, or separated by ``|``."""
    return [part for part in _SEPARATORS.split(text) if part.strip()]


def clean(items: Iterable[str]) -> list[str]:
    """Checked starters: each one line of ``MIN_STARTER_CHARS``-``STARTER_CHARS`` characters that is a
    question, not a command (pressing one sends it as the reader's message), each once, at most
    ``MAX_STARTERS``. Raises ``AppError`` naming the rule broken."""
    out: list[str] = []
    for raw in items:
        text = " ".join(str(raw).split())
        if not text:
            continue
        if text.startswith("/"):
            raise AppError(Outcome.INVALID, "starters_no_commands", starter=text[:40])
        if not MIN_STARTER_CHARS <= len(text) <= STARTER_CHARS:
            raise AppError(
                Outcome.INVALID,
                "starters_length",
                starter=text[:40],
                low=MIN_STARTER_CHARS,
                high=STARTER_CHARS,
            )
        if text.casefold() not in {o.casefold() for o in out}:
            out.append(text)
    if len(out) > MAX_STARTERS:
        raise AppError(Outcome.INVALID, "starters_too_many", count=len(out), most=MAX_STARTERS)
    return out


def stored(spec: Specialist) -> list[str]:
    """What a specialist holds, as its Builder wrote it."""
    return [line for line in (spec.starters or "").splitlines() if line.strip()]


def offered(spec: Specialist, locale: str) -> list[str]:
    """The starters offered for ``spec``: the general assistant's speak the reader's language."""
    if spec.kind == SpecialistKind.GENERAL:
        return t("general_starters", locale).splitlines()
    return stored(spec)


def _topic(heading: str) -> str | None:
    """A heading's last level as a topic to ask about, plain text, or None when it is no topic."""
    last = re.split(r"\s*(?:›|>|»| / )\s*", heading.strip())[-1]
    last = " ".join(_MARKUP.sub(" ", last).split()).strip(" .:;,-–")
    if not last or len(last) > HEADING_CHARS or not any(c.isalpha() for c in last):
        return None
    if len(last) > 1 and last[0].isupper() and last[1:2].islower():
        last = last[0].lower() + last[1:]  # mid-sentence, unless it is an acronym
    return last


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def followups(
    question: str,
    citations: Sequence[Citation],
    answer_text: str,
    starters: Sequence[str],
    locale: str,
    most: int = MAX_FOLLOWUPS,
) -> list[str]:
    """Up to ``most`` questions to ask next, from what the answer's passages hold: the sections of
    passages the answer did not cite first (the sources can answer them, the answer did not), then
    those it cited, each asked about once; a section the question already names is skipped. Then the
    specialist's starters that are not the question itself. No model is asked."""
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer_text)}
    ordered = [c for c in citations if c.n not in cited] + [c for c in citations if c.n in cited]
    asked = _words(question)
    out: list[str] = []
    topics: set[str] = set()
    for c in ordered:
        topic = _topic(c.heading or "")
        if topic is None or topic.casefold() in topics:
            continue
        words = _words(topic)
        if words and words <= asked:
            continue
        topics.add(topic.casefold())
        out.append(t("followup_about", locale, topic=topic))
    for starter in starters:
        if starter.casefold().strip(" ?") != question.casefold().strip(" ?") and starter not in out:
            out.append(starter)
    return [s for s in out if len(s) <= STARTER_CHARS][:most]
