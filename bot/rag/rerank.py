"""Optional reranking of the fused candidates through the router's rerank gate (a ``/v1/rerank``
endpoint in the Cohere/Jina shape that vLLM and TEI serve).

A cross-encoder reads the question and each passage together, so it orders the fused candidates
better than either ranking alone and its score is a usable relevance gate (``min_score``). It is off
by default (no ``rerank:`` section in the catalogue). ``bot.rag`` never builds a client nor chooses the
endpoint: the router's turn plan gives the gate cleared for the specialist's classification, which
guards the question and the passages for personal data before they leave. An endpoint that fails, or a
request the gate refuses, leaves the fused order in place (the answer is never lost to a reranker).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.llm import RerankError, RerankGate

if TYPE_CHECKING:
    from bot.rag.retrieval import Hit

__all__ = ["RerankError", "RerankGate", "reranked"]
log = logging.getLogger(__name__)


def reranked(gate: RerankGate, query: str, hits: list[Hit]) -> list[Hit]:
    """``hits`` in the reranker's order, each with its score; the fused order if it fails."""
    try:
        scores = gate.scores(query, [f"{h.heading}\n{h.text}" if h.heading else h.text for h in hits])
    except RerankError as exc:
        log.warning("reranking skipped, fused order kept: %s", exc)
        return hits
    scored = [replace(h, rerank=score) for h, score in zip(hits, scores, strict=True)]
    return sorted(scored, key=lambda h: h.rerank or 0.0, reverse=True)
