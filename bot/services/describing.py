"""A short description suggested for a specialist that has none. Publishing asks for a description, as
it is what employees read in ``/specialister`` when they choose; a suggestion saves the Builder a blank
page.

With a chat model cleared for the specialist's data, the model writes one sentence from the prompt and
the sources' titles, through the router like every model call (classified, personal data guarded).
Otherwise, or when the model fails or needed personal data masked, a plain heuristic: the prompt's first
sentence (unless it is still the default prompt) and the sources' titles, or nothing. It is only a
suggestion: the Builder sets it with ``/indstil beskrivelse``, where it is checked like any description.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import PurePath

from langchain_core.messages import HumanMessage, SystemMessage

from bot.llm import GenerationOutcome, NoModelConfigured
from bot.messages import t
from bot.services.actor import Actor
from bot.services.base import Service
from bot.specialists.store import DEFAULT_PROMPT
from bot.store.models import Specialist

MAX_CHARS = 200
FIRST_SENTENCE_CHARS = 140
MAX_TITLES = 4
PROMPT_CHARS = 3000
# written for the model, not shown to anyone
INSTRUCTION = {
    "da": (
        "Skriv én kort sætning (højst 20 ord) på dansk, der fortæller kommunens medarbejdere, hvad en "
        "chatbot hjælper med. Du får dens navn, dens instruktioner og titlerne på dens kilder. Svar kun "
        "med sætningen, uden anførselstegn."
    ),
    "en": (
        "Write one short sentence (at most 20 words) in English telling the municipality's employees what "
        "a chatbot helps with. You get its name, its instructions and the titles of its sources. Answer "
        "with the sentence only, without quotation marks."
    ),
}
_YOU = (  # a prompt speaks to the model; a description speaks about the specialist
    (re.compile(r"(?i)^du er\s+"), ""),
    (re.compile(r"(?i)^du\s+"), ""),
    (re.compile(r"(?i)^you are\s+"), ""),
)


class Describer(Service):
    def material(self, spec: Specialist) -> tuple[str, list[str]]:
        """The prompt (empty while it is the default one) and the sources' titles."""
        store = self.stores.specialists
        prompt = store.current_prompt(spec.id).text.strip()  # type: ignore[arg-type]
        if prompt == DEFAULT_PROMPT.format(name=spec.name).strip():
            prompt = ""
        titles = [_title(s.title, s.name) for s in store.sources(spec.id)]  # type: ignore[arg-type]
        return prompt, list(dict.fromkeys(x for x in titles if x))

    def heuristic(self, spec: Specialist, locale: str) -> str:
        prompt, titles = self.material(spec)
        return _heuristic(prompt, titles, locale)

    async def suggest(self, actor: Actor, spec: Specialist) -> str:
        """One sentence for ``spec``'s description in the actor's language, or "" when there is
        nothing to go on (the default prompt and no sources)."""
        prompt, titles = await asyncio.to_thread(self.material, spec)
        fallback = _heuristic(prompt, titles, actor.locale)
        router = self.stores.router
        if not (prompt or titles) or not router.has_models:
            return fallback
        if not await asyncio.to_thread(router.cleared_ids, spec.classification):
            return fallback
        locale = actor.locale if actor.locale in INSTRUCTION else "da"
        ask = f"{spec.name}\n\n{prompt[:PROMPT_CHARS]}\n\n{', '.join(titles)}"
        try:
            generation = await router.generate(
                spec.classification,
                [SystemMessage(INSTRUCTION[locale]), HumanMessage(ask)],
                requested=spec.model_id,
            )
        except NoModelConfigured:  # the catalogue was emptied meanwhile
            return fallback
        for action, details in generation.events:
            await asyncio.to_thread(self.audit, actor, action, spec.slug, **details)
        if generation.outcome != GenerationOutcome.ANSWERED or generation.redactor is not None:
            return fallback  # a masked payload gives a sentence with placeholders: not worth showing
        return clean(generation.raw) or fallback


def clean(text: str) -> str:
    """One line of plain text that fits a code span and a description: no backticks, quotes or
    Markdown marks around it, at most ``MAX_CHARS``."""
    text = " ".join(text.replace("`", "'").split()).strip(" \"'«»*_#>")
    text = re.sub(r"[<>]", "", text)
    return _cut(text, MAX_CHARS)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _title(title: str | None, name: str) -> str:
    if title and title.strip():
        return " ".join(title.split())
    stem = re.sub(r"[_\-]+", " ", PurePath(name).stem).strip()
    return stem[:1].upper() + stem[1:]


def _first_sentence(prompt: str) -> str:
    first = re.split(r"(?<=[.!?])\s+", " ".join(prompt.split()), maxsplit=1)[0]
    for pattern, replacement in _YOU:
        if pattern.match(first):
            first = pattern.sub(replacement, first, count=1)
            break
    first = _cut(first, FIRST_SENTENCE_CHARS)
    return first[:1].upper() + first[1:]


def _heuristic(prompt: str, titles: list[str], locale: str) -> str:
    shown = ", ".join(titles[:MAX_TITLES]) + (", …" if len(titles) > MAX_TITLES else "")
    first = _first_sentence(prompt) if prompt else ""
    if first and not first.endswith((".", "!", "?", "…")):
        first += "."
    if first and titles:
        return clean(f"{first} {t('describe_sources', locale, titles=shown)}")
    if first:
        return clean(first)
    if titles:
        return clean(t("describe_from_sources", locale, titles=shown))
    return ""
