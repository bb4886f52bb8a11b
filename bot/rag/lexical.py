"""BM25 over Danish text: Snowball stemming (PyStemmer), a Danish stop-word list and compound splitting,
via bm25s.

Danish writes compounds as one word ("parkeringstilladelse", "hjælpemiddeldepot"), so a question about
a "tilladelse" misses a passage about a "parkeringstilladelse" on stems alone. ``Decompounder`` adds
the parts of a compound stem when both are stems of the index's own vocabulary (with the linking -s-
or -e- dropped), to passages and questions alike; the vocabulary is the index's, so no word list is
shipped and no part is invented. Its effect is measured in ``bench/embedders.py``.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

DANISH_STOPWORDS = frozenset(
    """
    af alle alt anden andet andre at bare begge blev blive bliver da de dem den denne der deres det dette
    dig din dine disse dit dog du efter eller en end er et for fordi fra få får gør har havde have hele
    hen her hos hvad hvem hver hvilke hvilken hvis hvor hvordan hvorfor hvornår i ikke ind ingen intet
    jeg jer jeres kan kom kommer kun kunne man mange med meget men mig min mine mit mod må ned noget nogle
    nu når og også om op os over på sammen selv sig sin sine sit skal skulle som så sådan thi til ud
    under var vi vil ville vor vores være været
    """.split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("danish")


WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default token pattern


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased words of two or more characters, Danish stop words dropped, Snowball-stemmed: what
    ``bm25s.tokenize`` gives with these settings (a test holds them equal), without its per-call
    progress-bar and vocabulary machinery, which cost more than the stemming on short texts."""
    stemmer = _stemmer()
    return [
        stemmer.stemWords([w for w in WORD.findall(t.lower()) if w not in DANISH_STOPWORDS]) for t in texts
    ]


@lru_cache(maxsize=8192)
def _stems(text: str) -> frozenset[str]:
    """The stems of one text, cached: the gate tokenises the same question and passages again and again."""
    return frozenset(tokenize([text])[0])


MIN_PART = 4  # both parts of a compound at least this long: "is" + "kage" is not a split
LINKS = ("s", "e")  # Danish linking letters: "parkering-s-tilladelse", "hund-e-skov"


class Decompounder:
    """Splits compound stems into two stems of a known vocabulary (the longest known tail wins)."""

    def __init__(self, vocabulary: set[str]) -> None:
        self.vocabulary = {t for t in vocabulary if len(t) >= MIN_PART}
        self._cache: dict[str, tuple[str, ...]] = {}

    def parts(self, stem: str) -> tuple[str, ...]:
        if stem in self._cache:
            return self._cache[stem]
        found: tuple[str, ...] = ()
        for cut in range(MIN_PART, len(stem) - MIN_PART + 1):
            head, tail = stem[:cut], stem[cut:]
            if tail not in self.vocabulary:
                continue
            heads = [head] + [head[: -len(link)] for link in LINKS if head.endswith(link)]
            known = next((h for h in heads if len(h) >= MIN_PART and h in self.vocabulary), None)
            if known is not None:
                found = (known, tail)
                break
        self._cache[stem] = found
        return found

    def expand(self, tokens: list[str]) -> list[str]:
        """``tokens`` and, after them, the parts of each compound among them."""
        return tokens + [part for t in tokens if len(t) >= 2 * MIN_PART for part in self.parts(t)]


class LexicalIndex:
    def __init__(
        self, retriever: bm25s.BM25, size: int, doc_freq: dict[str, int], decompound: bool = True
    ) -> None:
        self._retriever = retriever
        self.size = size
        self.doc_freq = doc_freq
        self._parts = Decompounder(set(doc_freq)) if decompound else None

    @property
    def memory_bytes(self) -> int:
        """Roughly what the index holds in memory: bm25s's sparse score matrix plus the vocabulary."""
        arrays = getattr(self._retriever, "scores", None) or {}
        held = sum(int(getattr(a, "nbytes", 0)) for a in arrays.values()) if isinstance(arrays, dict) else 0
        vocab = getattr(self._retriever, "vocab_dict", None) or {}
        return held + 100 * (len(vocab) + len(self.doc_freq))

    def terms(self, text: str) -> list[str]:
        """The stems of ``text`` (and of its compounds' parts) as this index counts them."""
        tokens = tokenize([text])[0]
        return self._parts.expand(tokens) if self._parts else tokens

    @classmethod
    def build(cls, texts: list[str], decompound: bool = True) -> LexicalIndex:
        stems = tokenize(texts)
        vocabulary = {t for doc in stems for t in doc}
        parts = Decompounder(vocabulary) if decompound else None
        docs = [parts.expand(doc) for doc in stems] if parts else stems
        doc_freq: dict[str, int] = {}
        for doc in docs:
            for term in set(doc):
                doc_freq[term] = doc_freq.get(term, 0) + 1
        # bm25s cannot index an empty vocabulary (a specialist whose last source was removed): index a
        # placeholder word, and size 0 makes every search return nothing.
        retriever = bm25s.BM25()
        retriever.index(docs if doc_freq else [["tom"]], show_progress=False)
        return cls(retriever, len(texts) if doc_freq else 0, doc_freq, decompound)

    def coverage(self, query: str, text: str) -> float:
        """Share of the question's information (IDF-weighted stemmed terms) that ``text`` contains.

        A question about something the sources never mention ("fiskekort") has rare or unknown terms
        that no passage covers, even when a common word ("koster") matches somewhere.
        """
        terms = _stems(query)  # whole words: a shared part of a compound is not coverage
        if not terms:
            return 0.0
        present = _stems(text)
        weights = {t: math.log((self.size + 1) / (self.doc_freq.get(t, 0) + 0.5)) for t in terms}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in present) / total if total > 0 else 0.0

    def information(self, query: str) -> tuple[float, float]:
        """What ``query`` says on its own in this index's terms: the IDF weight of its stems that some
        passage uses, and the share of its weight in stems no passage uses. A follow-up ("Hvor lang tid
        tager det?") says little; a question about something the sources never mention says a lot in
        unknown words."""
        terms = _stems(query)
        weights = {t: math.log((self.size + 1) / (self.doc_freq.get(t, 0) + 0.5)) for t in terms}
        total = sum(weights.values())
        known = sum(w for t, w in weights.items() if t in self.doc_freq)
        return known, (total - known) / total if total > 0 else 0.0

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions and BM25 scores of the best ``k`` passages (score 0 = no query term matched)."""
        k = min(k, self.size)
        tokens = self.terms(query)
        if k == 0 or not tokens:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        known = [t for t in tokens if t in self._retriever.vocab_dict]
        if not known:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # the scores straight from the index and a partial sort: bm25s's ``retrieve`` adds a thread
        # pool and progress bars around the same computation (12 ms against 0.9 ms at 100k passages)
        scores = self._retriever.get_scores(known)
        top = np.argpartition(-scores, k - 1)[:k] if k < scores.shape[0] else np.arange(scores.shape[0])
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return top.astype(np.int64), scores[top].astype(np.float32)

    def save(self, path: Path) -> None:
        self._retriever.save(str(path))
        (path / "doc_freq.json").write_text(json.dumps(self.doc_freq, ensure_ascii=False))
        (path / "lexical.json").write_text(json.dumps({"decompound": self._parts is not None}))

    @classmethod
    def load(cls, path: Path, size: int) -> LexicalIndex:
        doc_freq = json.loads((path / "doc_freq.json").read_text())
        options = path / "lexical.json"  # absent in indexes written before compound splitting
        decompound = bool(json.loads(options.read_text())["decompound"]) if options.exists() else False
        return cls(bm25s.BM25.load(str(path)), size, doc_freq, decompound)
