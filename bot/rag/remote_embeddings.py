"""Embedding endpoints are models too: an OpenAI-compatible ``/v1/embeddings`` (vLLM, TEI, llama.cpp)
from the catalogue's ``embeddings:`` section, chosen per specialist under the same data policy as chat.

``EmbedderChoice.for_classification`` gives the endpoint cleared for a specialist's classification
(the catalogue's default first, then any other cleared one), else the bundled local model, which is
always cleared since nothing leaves the process. Passages and queries of a specialist therefore reach
only an endpoint cleared for its data; the retriever never embeds a query with another model than its
index was built with, so a re-screened specialist's questions never go to the old endpoint either.
"""

from __future__ import annotations

import os

import httpx
import numpy as np

from bot.llm.catalogue import EmbeddingSpec, ModelCatalogue, RerankSpec
from bot.rag.embeddings import Embedder


class EmbeddingEndpointError(Exception):
    """The endpoint did not answer with vectors; ``str()`` names it and why."""


def endpoint_client(spec: EmbeddingSpec | RerankSpec) -> httpx.Client:
    """An HTTP client for a catalogue endpoint: its base URL, its key (from ``api_key_env``), its timeout."""
    headers = {}
    if spec.api_key_env and os.environ.get(spec.api_key_env):
        headers["Authorization"] = f"Bearer {os.environ[spec.api_key_env]}"
    return httpx.Client(base_url=spec.base_url.rstrip("/") + "/", headers=headers, timeout=spec.timeout_s)


class RemoteEmbedder(Embedder):
    def __init__(self, spec: EmbeddingSpec) -> None:
        self.spec = spec
        self.id = f"{spec.id}:{spec.model}"
        self.batch_size = spec.batch_size
        self._dimension: int | None = None
        self._http = endpoint_client(spec)

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self._encode(["dimension"], query=True).shape[1])
        return self._dimension

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        prefix = self.spec.query_prefix if query else self.spec.passage_prefix
        try:
            response = self._http.post(
                "embeddings", json={"model": self.spec.model, "input": [prefix + t for t in texts]}
            )
            response.raise_for_status()
            data = sorted(response.json()["data"], key=lambda d: d["index"])
            vectors = np.stack([_pooled(d["embedding"]) for d in data])
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            raise EmbeddingEndpointError(f"embedding endpoint {self.spec.id}: {type(exc).__name__}") from None
        if vectors.shape[0] != len(texts):
            raise EmbeddingEndpointError(f"embedding endpoint {self.spec.id}: {len(vectors)} of {len(texts)}")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


def _pooled(embedding: list[float] | list[list[float]]) -> np.ndarray:
    """One vector per input; a server without pooling (llama.cpp on a chat model) sends one per
    token, which are averaged."""
    array = np.asarray(embedding, dtype=np.float32)
    return array.mean(axis=0) if array.ndim == 2 else array


class EmbedderChoice:
    """Which embedder sees a specialist's text: a cleared endpoint, else the local one."""

    def __init__(self, catalogue: ModelCatalogue, local: Embedder) -> None:
        self.local = local
        self.section = catalogue.embeddings
        self._remote: dict[str, RemoteEmbedder] = {}

    def for_classification(self, classification: str) -> Embedder:
        spec = self.section.cleared_for(classification)
        if spec is None:
            return self.local
        if spec.id not in self._remote:
            self._remote[spec.id] = RemoteEmbedder(spec)
        return self._remote[spec.id]
