"""Themes: questions grouped by meaning, in-process (numpy only), so no question leaves the process to
be grouped.

Average-linkage agglomerative clustering on cosine similarity of normalised embeddings: the two
groups whose questions are on average most alike merge, until no pair is alike enough
(``threshold``). Average linkage neither chains unrelated questions through one bridge (single
linkage) nor splits a topic on one odd phrasing (complete linkage).

e5 puts every question in a narrow cone (any two Danish questions are ~0.8 alike), so with enough
questions the vectors are first centred on their mean: what is left is what tells them apart, and the
threshold sits on a wide plateau (0.02-0.10 gave 6-11 themes with purity 0.92-0.94 on the fixture,
and purity ≥ 0.90 on every subset of its topics) instead of a cliff (raw cosine: 1 theme at 0.84, 12
at 0.85). Below ``MIN_CENTRED`` questions the mean is mostly the questions themselves (two are always
opposite once centred), so raw cosine with a high threshold groups only near paraphrases.

A theme is named by its most central question: the one most like the rest of its group, so the name
is a real question, not a made-up summary.

Measured on ``tests/data/themes.jsonl`` (66 Danish questions, 6 topics) with the bundled e5 model: see
``tests/test_insights.py`` and the README ("Feedback and insights").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

THRESHOLD = 0.05  # average centred cosine similarity within a theme (multilingual-e5-small, "query: ")
RAW_THRESHOLD = 0.87  # raw cosine, for fewer than MIN_CENTRED questions: near paraphrases only
MIN_CENTRED = 8
MAX_ITEMS = 600  # questions clustered per specialist and run: the newest (the work grows as n²)


def cluster(vectors: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """Groups of row indices of ``vectors`` (normalised rows), largest first, each in index order."""
    n = len(vectors)
    if n == 0:
        return []
    v = np.asarray(vectors, dtype=np.float64)
    sim = v @ v.T
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n)
    members: list[list[int] | None] = [[i] for i in range(n)]
    alive = np.ones(n, dtype=bool)
    for _ in range(n - 1):
        flat = int(np.argmax(sim))
        i, j = divmod(flat, n)
        if sim[i, j] < threshold:
            break
        # the merged group's average similarity to every other group: the size-weighted mean of both
        merged = (sizes[i] * sim[i] + sizes[j] * sim[j]) / (sizes[i] + sizes[j])
        sim[i, :] = merged
        sim[:, i] = merged
        sim[i, i] = -np.inf
        sim[j, :] = -np.inf
        sim[:, j] = -np.inf
        sizes[i] += sizes[j]
        members[i] = sorted([*(members[i] or []), *(members[j] or [])])
        members[j] = None
        alive[j] = False
    groups = [m for m, a in zip(members, alive, strict=True) if a and m is not None]
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def group(vectors: np.ndarray) -> list[list[int]]:
    """Themes of ``vectors`` (normalised question embeddings): centred when there are enough of them."""
    v = np.asarray(vectors, dtype=np.float64)
    if len(v) < MIN_CENTRED:
        return cluster(v, RAW_THRESHOLD)
    return cluster(centred(v), THRESHOLD)


def centred(vectors: np.ndarray) -> np.ndarray:
    """Rows minus their mean, normalised again (a row equal to the mean stays zero: alike nothing)."""
    c = vectors - vectors.mean(axis=0)
    norms = np.linalg.norm(c, axis=1, keepdims=True)
    return np.divide(c, norms, out=np.zeros_like(c), where=norms > 1e-12)


def central(group: Sequence[int], vectors: np.ndarray) -> int:
    """The member of ``group`` most like the others (highest mean similarity); ties: the first."""
    if len(group) <= 2:
        return group[0]
    v = np.asarray(vectors[list(group)], dtype=np.float64)
    scores = (v @ v.T).sum(axis=1)
    return group[int(np.argmax(scores))]


def purity(groups: Sequence[Sequence[int]], labels: Sequence[str]) -> float:
    """The share of items whose group's most common label is their own (1.0: no group mixes topics)."""
    total = sum(len(g) for g in groups)
    if not total:
        return 1.0
    kept = sum(Counter(labels[i] for i in g).most_common(1)[0][1] for g in groups if g)
    return kept / total
