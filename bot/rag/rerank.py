"""Optional reranking through a ``/v1/rerank`` endpoint (the Cohere/Jina shape that vLLM and TEI serve),
chosen per specialist under the same data policy as chat and embedding models.

A cross-encoder reads the question and each passage together, so it orders the fused candidates
better than either ranking alone and its score is a usable relevance gate (``min_score``). It is off
by default (no ``rerank:`` section in the catalogue); a specialist's question and passages reach only
an endpoint cleared for its classification, and an endpoint that fails leaves the fused order in place
(the answer is never lost to a reranker).
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from bot.llm.catalogue import ModelCatalogue, RerankSpec
from bot.rag.remote_embeddings import endpoint_client


class RerankError(Exception):
    """The endpoint did not answer with scores; ``str()`` names it and why."""


class RemoteReranker:
    def __init__(self, spec: RerankSpec) -> None:
        self.spec = spec
        self.id = f"{spec.id}:{spec.model}"
        self._http = endpoint_client(spec)

    def scores(self, query: str, documents: Sequence[str]) -> list[float]:
        """One relevance score per document, in the documents' order."""
        if not documents:
            return []
        try:
            response = self._http.post(
                "rerank",
                json={
                    "model": self.spec.model,
                    "query": query,
                    "documents": list(documents),
                    "top_n": len(documents),
                    "return_documents": False,
                },
            )
            response.raise_for_status()
            body = response.json()
            results = body["results"] if isinstance(body, dict) else body  # TEI's native shape is a list
            found: dict[int, float] = {}
            for item in results:
                index = int(item["index"])
                score = float(item["relevance_score"] if "relevance_score" in item else item["score"])
                if not 0 <= index < len(documents) or score != score:  # out of range or NaN
                    raise ValueError("index")
                found[index] = score
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            raise RerankError(f"rerank endpoint {self.spec.id}: {type(exc).__name__}") from None
        if len(found) != len(documents):
            raise RerankError(f"rerank endpoint {self.spec.id}: {len(found)} of {len(documents)} scores")
        return [found[i] for i in range(len(documents))]


class RerankChoice:
    """Which reranker, if any, may read a specialist's passages: the catalogue's default if cleared,
    then any other cleared one, else none (there is no local reranker)."""

    def __init__(self, catalogue: ModelCatalogue) -> None:
        self.section = catalogue.rerank
        self._clients: dict[str, RemoteReranker] = {}

    def for_classification(self, classification: str) -> RemoteReranker | None:
        spec = self.section.cleared_for(classification)
        if spec is None:
            return None
        if spec.id not in self._clients:
            self._clients[spec.id] = RemoteReranker(spec)
        return self._clients[spec.id]
