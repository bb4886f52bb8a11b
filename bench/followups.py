"""Follow-up and cross-lingual questions on the Danish test corpus, with the default embedder (e5).

1. Follow-ups (``tests/data/followups.jsonl``, 25 Danish pairs): gated hit@5 of the follow-up
   searched alone (before) and with the question before it (after: ``search_in_conversation``, the
   path without a model), then what the previous question does to an unrelated new one: hit@1/hit@5
   of the 110 answerable cases alone and after another case, and out-of-scope questions refused
   alone and after an answerable one.
2. Cross-lingual (``retrieval_cases_en.jsonl``: English versions of 36 of the Danish questions;
   ``out_of_scope_en.jsonl``: 28 English questions the sources do not answer): gated hit@5 and
   refusals with the Danish gate (before) and the cross-lingual gate (after); the Danish no-answer
   figures, which the change must leave alone.

    python bench/followups.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import CASES, CORPUS, services
from bot.rag.evaluation import (
    corpus_files,
    followup_hit5,
    gated_hit5,
    read_cases,
    read_followups,
    switch_scores,
)

DATA = CASES.parent


async def main() -> None:
    svc = services()
    spec = svc.stores.specialists.create("Regler", "bench", slug="regler")
    start = time.perf_counter()
    for path in corpus_files(CORPUS):
        await svc.stores.ingestor.ingest(spec, path.name, path.read_bytes(), "bench", rebuild_index=False)
    svc.stores.retriever.rebuild(svc.stores.specialists.by_id(spec.id))  # type: ignore[arg-type]
    spec = svc.stores.specialists.require("regler")
    retriever = svc.stores.retriever
    print(f"corpus indexed in {time.perf_counter() - start:.1f} s")

    pairs = read_followups(DATA / "followups.jsonl")
    alone, joined = followup_hit5(retriever, spec, pairs)
    print(
        f"\nfollow-ups ({len(pairs)} pairs), gated hit@5: alone {alone:.2f}  "
        f"with the previous question {joined:.2f}"
    )
    cases = read_cases(CASES) + read_cases(DATA / "out_of_scope.jsonl")
    s = switch_scores(retriever, spec, cases)
    print(
        f"unrelated new question: hit@1 {s.hit1_alone:.3f} -> {s.hit1_after:.3f}  "
        f"hit@5 {s.hit5_alone:.3f} -> {s.hit5_after:.3f}  (alone -> after another question)"
    )
    print(
        f"out-of-scope refused: {s.refused_alone:.3f} alone -> {s.refused_after:.3f} "
        "after an answerable question"
    )

    english = read_cases(DATA / "retrieval_cases_en.jsonl") + read_cases(DATA / "out_of_scope_en.jsonl")
    danish_outside = [c for c in read_cases(CASES) if not c.expect] + read_cases(DATA / "out_of_scope.jsonl")
    danish = [c for c in read_cases(CASES) if c.expect] + danish_outside
    for label, cross in (("before (Danish gate)", False), ("after (cross-lingual gate)", True)):
        retriever.cross_lingual = cross
        hit, refused = gated_hit5(retriever, spec, english)
        da_hit, da_refused = gated_hit5(retriever, spec, danish)
        print(
            f"\n{label}: English gated hit@5 {hit:.3f}, English out-of-scope refused {refused:.3f}; "
            f"Danish gated hit@5 {da_hit:.3f}, Danish out-of-scope refused {da_refused:.3f}"
        )
    svc.close()


if __name__ == "__main__":
    asyncio.run(main())
