"""Hybrid top-5 retrieval latency at 10k and 100k chunks, and the peak memory of a serving process.

Chunks are synthetic Danish paragraphs (real corpus sentences, shuffled) with random unit vectors,
written to the database and indexed exactly as ingestion does; each size is then served by a fresh
process that loads the index, answers the 48 test questions repeatedly (query embedding included),
and reports its latencies and peak RSS. Target: p95 <= 50 ms at 100k chunks, query embedding included.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import CASES, corpus_sentences, services, summary
from bot.store.models import Chunk, Source

ROUNDS = 4


def populate(root: Path, n_chunks: int, seed: int = 7) -> None:
    svc = services(root)
    spec = svc.stores.specialists.create("Bench", "bench", slug="bench")
    rng = random.Random(seed)
    vectors = np.random.default_rng(seed).standard_normal((n_chunks, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sentences = corpus_sentences()
    with svc.db.session() as s:
        source = Source(
            specialist_id=spec.id,
            name="syntetisk.md",
            kind="markdown",
            size_bytes=0,
            sha256="0",
            chunk_count=n_chunks,
            embedding_model=svc.stores.retriever.embedder_for(spec).id,  # else the index is lexical only
            added_by="bench",
        )
        s.add(source)
        s.flush()
        for start in range(0, n_chunks, 5000):
            s.add_all(
                [
                    Chunk(
                        source_id=source.id,
                        specialist_id=spec.id,
                        ordinal=i,
                        heading=f"Afsnit {i // 5}",
                        text=" ".join(rng.choice(sentences) for _ in range(5)),
                        embedding=vectors[i].tobytes(),
                    )
                    for i in range(start, min(n_chunks, start + 5000))
                ]
            )
            s.flush()
        s.commit()
    started = time.perf_counter()
    svc.stores.retriever.rebuild(svc.stores.specialists.by_id(spec.id))
    print(f"  index build from the database: {time.perf_counter() - started:.1f} s")
    svc.close()


def serve(root: Path) -> None:
    """Runs in a fresh process: load, query, report JSON on stdout."""
    svc = services(root)
    spec = svc.stores.specialists.require("bench")
    retriever = svc.stores.retriever
    questions = [json.loads(line)["question"] for line in CASES.read_text(encoding="utf-8").splitlines()]
    started = time.perf_counter()
    retriever.search(spec, questions[0], 5)  # loads model and index
    load_s = time.perf_counter() - started
    total, embed = [], []
    for _ in range(ROUNDS):
        for q in questions:
            t0 = time.perf_counter()
            retriever.embedder.encode_query(q)
            t1 = time.perf_counter()
            hits = retriever.search(spec, q, 5)
            t2 = time.perf_counter()
            assert len(hits) <= 5
            embed.append(t1 - t0)
            total.append(t2 - t1)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"load_s": load_s, "total": total, "embed": embed, "peak_mb": peak_mb}))


def main() -> None:
    for n in (10_000, 100_000):
        root = Path(tempfile.mkdtemp(prefix=f"aarhusai-bench-{n}-"))
        print(f"{n:,} chunks")
        populate(root, n)
        out = subprocess.run(
            [sys.executable, __file__, "--serve", str(root)], capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        search_only = [t - e for t, e in zip(result["total"], result["embed"], strict=True)]
        print(f"  hybrid top-5 (query embedding included): {summary(result['total'])}")
        print(f"    of which query embedding:              {summary(result['embed'])}")
        print(f"    index search + fusion + DB fetch:      {summary(search_only)}")
        print(
            f"  serving process: first query (loads model + index) {result['load_s']:.1f} s, "
            f"peak RSS {result['peak_mb']:.0f} MB"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]))
    else:
        main()
