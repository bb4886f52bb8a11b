"""Each assertion type of a case file, checked against what the answering path returned, with the
semantics promptfoo gives its own types (``bot.evals.promptfoo`` writes the project's types as
JavaScript with the same semantics, so both runners agree case by case).

``refuses`` (promptfoo's name: ``is-refusal``, here in Danish too) means the specialist said its
sources do not cover the question: the relevance gate found nothing, or the model wrote one of the
refusal phrases below (the prompt tells it to). ``language``
is a word-list test (Danish and English function words), enough to tell a Danish answer from an
English one, not to grade Danish. ``llm-rubric`` is graded by a judge model that is itself cleared
for the specialist's data; with none, it is skipped with a note (never counted as passed).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from bot.conversation.types import Citation
from bot.evals.cases import REFUSAL_TYPES, Assertion
from bot.evals.regex import compile_shared
from bot.rag.lexical import DANISH_STOPWORDS

Judge = Callable[[str, str, str], Awaitable[tuple[bool, str]]]  # (question, answer, rubric) -> verdict

# one source for both runners: compiled case-insensitively here, /…/i in the exported JavaScript
REFUSAL_PATTERN = (
    r"(kilderne dækker ikke|dækker kilderne ikke|fandt ikke noget|står ikke i (kilderne|uddragene)|"
    r"ikke (noget|oplysninger) om det i kilderne|kan ikke svare på det ud fra|"
    r"the (sources|passages) do not (cover|contain)|I found nothing|not in the sources)"
)
REFUSAL = re.compile(REFUSAL_PATTERN, re.IGNORECASE)
MARKER = re.compile(r"\[([0-9]+)\]")
WORD = re.compile(r"[^\W]+")  # Unicode letters, digits and _: the exported JavaScript's [\p{L}\p{N}_]+
ENGLISH_WORDS = frozenset(
    "a the and of to is in that it for you with are on this be as at by not or have from your can will "
    "an was if what which when there their they please".split()
)
REFUSED_OUTCOMES = ("no_answer",)


@dataclass(frozen=True)
class Observed:
    question: str
    answer: str
    outcome: str
    citations: tuple[Citation, ...] = ()
    latency_ms: float = 0.0
    model: str | None = None


@dataclass(frozen=True)
class Check:
    type: str
    passed: bool | None  # None: skipped (said why in ``detail``)
    detail: str = ""
    line: int = 0
    seen: object = None  # what was observed, for a report in the reader's language (sources, language)


@dataclass
class CaseResult:
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed is not False for c in self.checks)


def refused(seen: Observed) -> bool:
    return seen.outcome in REFUSED_OUTCOMES or bool(REFUSAL.search(seen.answer))


def cited(seen: Observed) -> list[Citation]:
    """The citations the answer points at with [n]; all shown ones when it uses no marker."""
    used = {int(n) for n in MARKER.findall(seen.answer)}
    return [c for c in seen.citations if c.n in used] or list(seen.citations)


def language_of(text: str) -> str:
    words = WORD.findall(text.lower())
    danish = sum(w in DANISH_STOPWORDS for w in words) + 2 * sum(c in "æøå" for c in text.lower())
    english = sum(w in ENGLISH_WORDS for w in words)
    return "da" if danish >= english else "en"


def word_count(text: str) -> int:
    """promptfoo's count: runs of non-whitespace."""
    return len(text.split())


def _contains(kind: str, value: Any, answer: str) -> bool:
    """promptfoo's contains family: ``i`` ignores case, ``-any``/``-all`` take a list, ``not-`` inverts."""
    negated = kind.startswith("not-")
    base = kind.removeprefix("not-")
    folded = base.startswith("i")
    haystack = answer.lower() if folded else answer
    needles = value if isinstance(value, list) else [value]
    hits = [(v.lower() if folded else v) in haystack for v in needles]
    found = all(hits) if base.endswith("-all") else any(hits)
    return found != negated


async def check(assertion: Assertion, seen: Observed, judge: Judge | None, no_judge: str = "") -> Check:
    kind, value = assertion.type, assertion.value
    answer = seen.answer

    def result(passed: bool, detail: str, seen: object = None) -> Check:
        return Check(kind, passed, detail, assertion.line, seen)

    if "contains" in kind:
        shown = " | ".join(value) if isinstance(value, list) else value
        return result(_contains(kind, value, answer), f"'{shown}'")
    if kind in ("regex", "not-regex"):
        found = compile_shared(value).search(answer) is not None
        return result(found != (kind == "not-regex"), f"/{value}/")
    if kind == "cites":
        sources = [c.source for c in cited(seen)]
        wanted = [v.lower() for v in (value if isinstance(value, list) else [value])]
        hit = any(s.lower() in wanted or PurePath(s).name.lower() in wanted for s in sources)
        return result(hit, f"citerede: {', '.join(sources) or 'ingen'}", sources)
    if kind in REFUSAL_TYPES:
        return result(refused(seen) == REFUSAL_TYPES[kind], f"udfald {seen.outcome}", seen.outcome)
    if kind == "citations-valid":
        shown = {c.n for c in seen.citations}
        unknown = sorted({int(n) for n in MARKER.findall(answer)} - shown)
        return result(not unknown, f"ukendte henvisninger: {unknown}" if unknown else "alle [n] findes")
    if kind == "max-words":
        words = word_count(answer)
        return result(words <= value, f"{words} ord (højst {value})", words)
    if kind == "word-count":
        words = word_count(answer)
        if isinstance(value, dict):
            low, high = value.get("min", 0), value.get("max")
            ok = words >= low and (high is None or words <= high)
            return result(ok, f"{words} ord (mellem {low} og {'∞' if high is None else high})", words)
        return result(words == value, f"{words} ord (præcis {value})", words)
    if kind == "language":
        found = language_of(answer)
        return result(found == value, f"sprog {found}", found)
    if kind in ("latency-ms", "latency"):
        latency = round(seen.latency_ms)
        return result(seen.latency_ms <= value, f"{latency} ms (højst {value})", latency)
    if kind == "llm-rubric":
        if judge is None:
            return Check(kind, None, no_judge or "sprunget over: ingen dommermodel", assertion.line)
        verdict, reason = await judge(seen.question, answer, value)
        return result(verdict, reason)
    raise ValueError(f"unknown assertion type {kind}")  # read_case_file refuses these first


async def check_all(
    asserts: tuple[Assertion, ...], seen: Observed, judge: Judge | None, no_judge: str = ""
) -> CaseResult:
    return CaseResult([await check(a, seen, judge, no_judge) for a in asserts])
