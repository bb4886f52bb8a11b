"""Embedding endpoints are models too: a remote embedder is the router's embeddings gate behind
LangChain's ``Embeddings`` shape, so the retriever and ingestion use it like the local one.

``bot.rag`` never builds a client and never chooses an endpoint: the router's turn plan
(``ModelRouter.plan_turn``) picks the endpoint cleared for a specialist's classification with the one
clearance chooser, and its gate checks that clearance again and takes personal data out of every
passage and query before it leaves (placeholders, or refused in block mode). Without a cleared
endpoint the bundled local model embeds, since nothing leaves the process. The retriever never embeds
a query with another model than its index was built with, so a re-screened specialist's questions
never go to the old endpoint either.
"""

from __future__ import annotations

import numpy as np

from bot.llm import EmbeddingEndpointError, EmbeddingGate
from bot.rag.embeddings import Embedder

__all__ = ["EmbeddingEndpointError", "RemoteEmbedder"]


class RemoteEmbedder(Embedder):
    """The ``Embedder`` over one embeddings gate (the classification and the guard come with it)."""

    def __init__(self, gate: EmbeddingGate) -> None:
        self.gate = gate
        self.id = gate.id
        self.batch_size = gate.batch_size
        self._dimension: int | None = None

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self._encode(["dimension"], query=True).shape[1])
        return self._dimension

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        return self.gate.embed(texts, query)
