"""Retrieval evaluation: hit@1, hit@5 and MRR over a JSONL file of questions and expected words.

A case is ``{"question": ..., "expect": ["word", ...]}``: a retrieved passage is correct when it
contains every expected string (case-insensitive). Cases with ``"expect": []`` have no answer in
the sources: they measure whether the relevance gate says "found nothing".

Conversations: a follow-up pair is ``{"first": ..., "followup": ..., "expect": [...]}``;
``followup_hit5`` measures the follow-up searched alone and with the question before it, and
``switch_scores`` what the previous question does to an unrelated new one. These count what a user
gets: the passages that pass the relevance gate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.rag.loaders import KINDS
from bot.rag.retrieval import Hit, Mode, Retriever
from bot.store.models import Specialist


class Searcher(Protocol):
    """The retriever, or the answering service's ``search`` (which is what the CLI gives)."""

    def search(
        self, spec: Specialist, query: str, k: int, mode: Mode = ..., gate: bool = ..., rerank: bool = ...
    ) -> list[Hit]: ...


@dataclass(frozen=True)
class Case:
    question: str
    expect: tuple[str, ...]


@dataclass
class Scores:
    mode: str
    cases: int
    hit1: float
    hit5: float
    mrr: float
    no_answer_correct: int = 0
    no_answer_cases: int = 0
    false_no_answer: int = 0


def read_cases(path: Path) -> list[Case]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            cases.append(Case(str(raw["question"]), tuple(str(w) for w in raw.get("expect", []))))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: ugyldig linje ({exc})") from None
    return cases


def _correct(text: str, expect: tuple[str, ...]) -> bool:
    """Every expected string is in ``text``, ignoring case and how lines were wrapped (PDF lines)."""
    lowered = " ".join(text.lower().split())
    return all(" ".join(word.lower().split()) in lowered for word in expect)


def corpus_files(folder: Path) -> list[Path]:
    """The files in ``folder`` that a specialist can take as sources, in name order."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in KINDS)


def evaluate(
    retriever: Searcher, spec: Specialist, cases: list[Case], mode: Mode, k: int = 5, rerank: bool = False
) -> Scores:
    """Scores for one search mode; ``rerank`` adds the reranking endpoint cleared for ``spec`` (hybrid)."""
    answerable = [c for c in cases if c.expect]
    unanswerable = [c for c in cases if not c.expect]
    hit1 = hit5 = rr = 0.0
    false_no_answer = 0

    def search(question: str, gate: bool) -> list[Hit]:
        return retriever.search(spec, question, k, mode=mode, gate=gate, rerank=rerank)

    for case in answerable:
        ranked = search(case.question, gate=False)
        rank = next((i for i, h in enumerate(ranked, 1) if _correct(h.text, case.expect)), None)
        if rank is not None:
            hit1 += rank == 1
            hit5 += rank <= 5
            rr += 1 / rank
        if mode == "hybrid" and not search(case.question, gate=True):
            false_no_answer += 1
    refused = sum(1 for c in unanswerable if not search(c.question, gate=True))
    n = len(answerable) or 1
    label = f"{mode}+rerank" if rerank else mode
    return Scores(
        label, len(answerable), hit1 / n, hit5 / n, rr / n, refused, len(unanswerable), false_no_answer
    )


@dataclass(frozen=True)
class FollowUp:
    first: str
    followup: str
    expect: tuple[str, ...]


def read_followups(path: Path) -> list[FollowUp]:
    pairs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            pairs.append(
                FollowUp(str(raw["first"]), str(raw["followup"]), tuple(str(w) for w in raw["expect"]))
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: ugyldig linje ({exc})") from None
    return pairs


def _found(hits: list[Hit], expect: tuple[str, ...]) -> bool:
    return any(_correct(h.text, expect) for h in hits)


def followup_hit5(
    retriever: Retriever, spec: Specialist, pairs: list[FollowUp], k: int = 5
) -> tuple[float, float]:
    """Gated hit@k of each follow-up searched alone, and with the question before it."""
    n = len(pairs) or 1
    alone = sum(_found(retriever.search(spec, p.followup, k), p.expect) for p in pairs)
    joined = sum(
        _found(retriever.search_in_conversation(spec, p.followup, p.first, k), p.expect) for p in pairs
    )
    return alone / n, joined / n


@dataclass
class SwitchScores:
    hit1_alone: float
    hit5_alone: float
    hit1_after: float
    hit5_after: float
    refused_alone: float  # out-of-scope questions that get "found nothing"
    refused_after: float


def switch_scores(
    retriever: Retriever, spec: Specialist, cases: list[Case], k: int = 5, offset: int = 37
) -> SwitchScores:
    """Answerable questions asked alone and after an unrelated one (the case ``offset`` further
    on), and the out-of-scope ones alone and after an answerable one: how much a previous question
    pollutes a new topic."""
    answerable = [c for c in cases if c.expect]
    outside = [c for c in cases if not c.expect]
    m = len(answerable)
    h1a = h5a = h1b = h5b = 0
    for i, case in enumerate(answerable):
        alone = retriever.search(spec, case.question, k)
        after = retriever.search_in_conversation(
            spec, case.question, answerable[(i + offset) % m].question, k
        )
        h1a += bool(alone) and _correct(alone[0].text, case.expect)
        h5a += _found(alone, case.expect)
        h1b += bool(after) and _correct(after[0].text, case.expect)
        h5b += _found(after, case.expect)
    ref_a = sum(not retriever.search(spec, c.question, k) for c in outside)
    ref_b = sum(
        not retriever.search_in_conversation(spec, c.question, answerable[(i * 7) % m].question, k)
        for i, c in enumerate(outside)
    )
    n, o = m or 1, len(outside) or 1
    return SwitchScores(h1a / n, h5a / n, h1b / n, h5b / n, ref_a / o, ref_b / o)


def gated_hit5(retriever: Retriever, spec: Specialist, cases: list[Case], k: int = 5) -> tuple[float, float]:
    """Gated hit@k of the answerable cases, and the share of the unanswerable ones refused."""
    answerable = [c for c in cases if c.expect]
    outside = [c for c in cases if not c.expect]
    hit = sum(_found(retriever.search(spec, c.question, k), c.expect) for c in answerable)
    refused = sum(not retriever.search(spec, c.question, k) for c in outside)
    return hit / (len(answerable) or 1), refused / (len(outside) or 1)
