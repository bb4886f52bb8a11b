"""Ingestion throughput: end-to-end chunks/s (parse, chunk, embed, store, index) vs the raw encoder.

Target: end to end >= 85 % of raw encoding on the same chunks.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import services, synthetic_document
from bot.rag import chunking, loaders


async def main(paragraphs: int = 1000) -> None:
    svc = services()
    document = synthetic_document(paragraphs).encode()
    spec = svc.stores.specialists.create("Bench", "bench", slug="bench")
    passages = chunking.split(
        loaders.load("bench.md", document).sections, spec.chunk_size, spec.chunk_overlap
    )
    texts = [p.index_text for p in passages]
    embedder = svc.stores.ingestor.embedder
    embedder.encode_passages(texts[:64])  # load and warm the model outside both timings

    started = time.perf_counter()
    embedder.encode_passages(texts)
    raw = time.perf_counter() - started

    started = time.perf_counter()
    result = await svc.stores.ingestor.ingest(spec, "bench.md", document, "bench")
    end_to_end = time.perf_counter() - started
    assert result.chunks == len(texts)

    print(f"document: {len(document) / 1024:.0f} KiB, {len(texts)} chunks (chunk_size {spec.chunk_size})")
    print(f"raw encoder:  {len(texts) / raw:7.1f} chunks/s  ({raw:.2f} s)")
    print(f"end to end:   {len(texts) / end_to_end:7.1f} chunks/s  ({end_to_end:.2f} s)")
    print(f"ratio end-to-end / raw: {raw / end_to_end:.1%}  (target >= 85 %)")
    svc.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
