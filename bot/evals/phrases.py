"""A test case as a Builder writes it in Teams: the question, then one requirement per part.

    /test tilføj Hvad koster et pas? ; indeholder 688 kr. ; citerer pas.md ; sprog da
    /test add What does a passport cost? ; contains 688 ; cites pas.md ; in Danish

Parts are separated by ``;`` or line breaks (one requirement per line), never by ``|``: that sign also
means "or" in every usage line, and a value may hold it. Every part after the question starts with a
keyword, Danish or English whatever the reader's language; a part that does not is refused with the
list of keywords, so a typo never becomes a silently different test. The keywords are the case files'
assertion types (``bot.evals.cases``) in words. Teams may deliver a message as HTML (entities, ``<br>``,
``<p>``): that is undone first. The old form ``<question> | <expected text>`` (or ``| afvis``) is still
read when a message has no ``;`` and no line break.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.domain import AppError, Outcome
from bot.evals.cases import Assertion

MAX_ASSERTS = 10
LANGUAGE_WORDS = {
    "da": "da",
    "dansk": "da",
    "danish": "da",
    "en": "en",
    "engelsk": "en",
    "english": "en",
}
QUOTES = {"«": "»", '"': '"', "'": "'", "“": "”", "„": "“", "‘": "’"}


@dataclass(frozen=True)
class Keyword:
    words: tuple[str, ...]  # as typed, lower case; the longest match wins ("indeholder ikke")
    type: str  # the case files' assertion type
    value: str  # "text", "language", "number" or "" (takes none)


KEYWORDS = (
    Keyword(
        (
            "indeholder ikke",
            "skal ikke indeholde",
            "må ikke indeholde",
            "does not contain",
            "must not contain",
        ),
        "not-icontains",
        "text",
    ),
    Keyword(("indeholder", "skal indeholde", "contains", "must contain"), "icontains", "text"),
    Keyword(("citerer", "skal citere", "cites", "must cite"), "cites", "text"),
    Keyword(("afviser ikke", "svarer", "does not refuse", "answers"), "not-refuses", ""),
    Keyword(("afviser", "afvis", "skal afvise", "refuses", "refuse", "must refuse"), "refuses", ""),
    Keyword(("sprog", "på", "language", "in"), "language", "language"),
    Keyword(("højst", "at most", "max"), "max-words", "number"),
)
_BY_LENGTH = sorted(((w, k) for k in KEYWORDS for w in k.words), key=lambda p: -len(p[0]))
_HTML_BREAK = re.compile(r"(?i)<br\s*/?>|</?p>|</?div>")
_SEPARATOR = re.compile(r"[;\r\n]+")
_LEGACY_REFUSE = ("afvis", "afviser", "refuse", "refuses")


def from_teams(text: str) -> str:
    """What the Builder typed: Teams' HTML line breaks as line breaks, entities as characters."""
    return html.unescape(_HTML_BREAK.sub("\n", text)).replace("\xa0", " ")


def parse_case(text: str) -> tuple[str, tuple[Assertion, ...]]:
    """``(question, assertions)`` from ``/test tilføj``'s arguments; ``AppError`` (``test_usage`` or a
    message naming the part) when it is not a question followed by at least one requirement."""
    text = from_teams(text)
    parts = [" ".join(p.split()) for p in _SEPARATOR.split(text)]
    parts = [p for p in parts if p]
    if len(parts) == 1 and "|" in parts[0]:
        return _legacy(parts[0])
    if len(parts) < 2:
        raise AppError(Outcome.INVALID, "test_usage")
    if len(parts) - 1 > MAX_ASSERTS:
        raise AppError(Outcome.INVALID, "test_too_many_asserts", limit=MAX_ASSERTS)
    return parts[0], tuple(requirement(p) for p in parts[1:])


def _legacy(line: str) -> tuple[str, tuple[Assertion, ...]]:
    question, _bar, tail = (" ".join(p.split()) for p in line.rpartition("|"))
    if not question or not tail:
        raise AppError(Outcome.INVALID, "test_usage")
    if tail.casefold() in _LEGACY_REFUSE:
        return question, (Assertion("refuses"),)
    if _keyword(tail) is not None:
        try:
            return question, (requirement(tail),)
        except AppError:
            pass  # "på 10 år" was the expected text, not a language
    return question, (Assertion("icontains", _unquoted(tail)),)


def _keyword(part: str) -> tuple[Keyword, str, str] | None:
    """The keyword a part starts with, as the Builder typed it, and the rest of the part."""
    folded = part.casefold()
    for word, keyword in _BY_LENGTH:
        if folded == word or folded.startswith(word + " ") or folded.startswith(word + ":"):
            return keyword, part[: len(word)], part[len(word) :].lstrip(" :")
    return None


def requirement(part: str) -> Assertion:
    """One requirement (``indeholder 688 kr.``, ``afviser``, ``sprog da``) as a case-file assertion."""
    found = _keyword(part)
    if found is None:
        raise AppError(Outcome.INVALID, "test_phrase_unknown", part=part)
    keyword, typed, value = found
    value = _unquoted(value)
    if not keyword.value:
        if value:
            raise AppError(Outcome.INVALID, "test_phrase_no_value", part=part, keyword=typed)
        return Assertion(keyword.type)
    if not value:
        raise AppError(Outcome.INVALID, "test_phrase_needs_value", part=part, keyword=typed)
    if keyword.value == "language":
        language = LANGUAGE_WORDS.get(value.casefold())
        if language is None:
            raise AppError(Outcome.INVALID, "test_phrase_language", part=part)
        return Assertion("language", language)
    if keyword.value == "number":
        number = re.fullmatch(r"(\d{1,5})\s*(ord|words?)?", value.casefold())
        if number is None:
            raise AppError(Outcome.INVALID, "test_phrase_number", part=part)
        return Assertion("max-words", int(number.group(1)))
    return Assertion(keyword.type, value)


def _unquoted(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and QUOTES.get(value[0]) == value[-1]:
        return value[1:-1].strip()
    return value
