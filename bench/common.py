"""Shared set-up for the benchmarks: isolated settings and synthetic Danish text from the test corpus."""

from __future__ import annotations

import random
import re
import statistics
import tempfile
from pathlib import Path

from bot.app import Services, build_services
from bot.config import load_settings
from bot.store import migrate

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "corpus"
CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "retrieval_cases.jsonl"


def services(tmp: Path | None = None, **overrides: object) -> Services:
    root = tmp or Path(tempfile.mkdtemp(prefix="aarhusai-bench-"))
    settings = load_settings(data_dir=root / "data", index_dir=root / "indexes", **overrides)
    built = build_services(settings)
    migrate.upgrade(built.db)
    return built


def corpus_sentences() -> list[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.md")))
    text = re.sub(r"^#+ .*$", "", text, flags=re.M)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 30]


def synthetic_document(n_paragraphs: int, seed: int = 1) -> str:
    """Markdown with headings and paragraphs of ~700 characters made of real corpus sentences."""
    rng = random.Random(seed)
    sentences = corpus_sentences()
    parts = ["# Syntetisk retningslinje"]
    for i in range(n_paragraphs):
        if i % 5 == 0:
            parts.append(f"## Afsnit {i // 5 + 1}")
        paragraph = []
        while sum(len(s) for s in paragraph) < 650:
            paragraph.append(rng.choice(sentences))
        parts.append(" ".join(paragraph))
    return "\n\n".join(parts)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"p50 {statistics.median(ms):6.2f} ms  p95 {percentile(ms, 0.95):6.2f} ms  "
        f"p99 {percentile(ms, 0.99):6.2f} ms  max {max(ms):6.2f} ms  (n={len(ms)})"
    )
