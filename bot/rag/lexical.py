"""BM25 over Danish text: Snowball stemming (PyStemmer) and a Danish stop-word list, via bm25s."""

from __future__ import annotations

import json
import math
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


def tokenize(texts: list[str]) -> list[list[str]]:
    tokens = bm25s.tokenize(
        texts, stopwords=list(DANISH_STOPWORDS), stemmer=_stemmer(), show_progress=False, return_ids=False
    )
    return tokens  # type: ignore[return-value]


class LexicalIndex:
    def __init__(self, retriever: bm25s.BM25, size: int, doc_freq: dict[str, int]) -> None:
        self._retriever = retriever
        self.size = size
        self.doc_freq = doc_freq

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        doc_freq: dict[str, int] = {}
        for doc in tokenize(texts):
            for term in set(doc):
                doc_freq[term] = doc_freq.get(term, 0) + 1
        # bm25s cannot index an empty vocabulary (a specialist whose last source was removed): index a
        # placeholder word, and size 0 makes every search return nothing.
        corpus = texts if doc_freq else ["tom"]
        retriever = bm25s.BM25()
        retriever.index(
            bm25s.tokenize(corpus, stopwords=list(DANISH_STOPWORDS), stemmer=_stemmer(), show_progress=False),
            show_progress=False,
        )
        return cls(retriever, len(texts) if doc_freq else 0, doc_freq)

    def coverage(self, query: str, text: str) -> float:
        """Share of the question's information (IDF-weighted stemmed terms) that ``text`` contains.

        A question about something the sources never mention ("fiskekort") has rare or unknown terms
        that no passage covers, even when a common word ("koster") matches somewhere.
        """
        terms = set(tokenize([query])[0])
        if not terms:
            return 0.0
        present = set(tokenize([text])[0])
        weights = {t: math.log((self.size + 1) / (self.doc_freq.get(t, 0) + 0.5)) for t in terms}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in present) / total if total > 0 else 0.0

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions and BM25 scores of the best ``k`` passages (score 0 = no query term matched)."""
        k = min(k, self.size)
        tokens = tokenize([query])
        if k == 0 or not tokens[0]:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        known = [t for t in tokens[0] if t in self._retriever.vocab_dict]
        if not known:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        docs, scores = self._retriever.retrieve([known], k=k, show_progress=False, n_threads=1)
        keep = scores[0] > 0
        return docs[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def save(self, path: Path) -> None:
        self._retriever.save(str(path))
        (path / "doc_freq.json").write_text(json.dumps(self.doc_freq, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path, size: int) -> LexicalIndex:
        doc_freq = json.loads((path / "doc_freq.json").read_text())
        return cls(bm25s.BM25.load(str(path)), size, doc_freq)
