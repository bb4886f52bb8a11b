"""BM25 over Danish text: Snowball stemming (PyStemmer) and a Danish stop-word list, via bm25s."""

from __future__ import annotations

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
    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        retriever = bm25s.BM25()
        retriever.index(
            bm25s.tokenize(texts, stopwords=list(DANISH_STOPWORDS), stemmer=_stemmer(), show_progress=False),
            show_progress=False,
        )
        return cls(retriever, len(texts))

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

    @classmethod
    def load(cls, path: Path, size: int) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(path)), size)
