"""The router's gates for embeddings and rerank endpoints: policy before model, as for chat.

A gate is what ``bot.rag`` gets instead of a client: one endpoint, bound to the classification it
was chosen for (``ModelCatalogue.choose``). On every request it checks the endpoint's clearance again
and guards the whole payload — every text to embed, the query and every document to rerank — with the
PII guard chat uses (``bot.llm.pii.Redactor``): for an endpoint not cleared for personal data the
values become placeholders (one ``Redactor`` per request, so a value gets one placeholder throughout)
or, with ``AARHUSAI_PII_MODE=block``, the request is refused and nothing is sent.

A passage embedded with placeholders gets a slightly different vector than the original text: that
is the price of not sending the values, and it costs little (a phone number or an e-mail address
says little about which passage answers a question). The index records the endpoint's id, so a
query is embedded the same way as the passages.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bot import metrics
from bot.domain import AuditAction
from bot.llm.catalogue import EmbeddingSpec, Endpoint, RerankSpec, cleared, cleared_for_personal_data
from bot.llm.errors import EmbeddingRefused, EndpointError, EndpointRefused, RerankRefused
from bot.llm.pii import Redactor
from bot.llm.providers import EmbeddingsClient, RerankClient

PiiMode = Literal["redact", "block"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Guarded:
    """A payload as an endpoint may see it, and the personal data taken out (distinct values per kind)."""

    texts: list[str]
    kinds: dict[str, int]


def guard(texts: Sequence[str], spec: Endpoint) -> Guarded:
    """``texts`` unchanged for an endpoint cleared for personal data; otherwise with every value
    replaced by its placeholder, one ``Redactor`` across the whole payload."""
    if cleared_for_personal_data(spec):
        return Guarded(list(texts), {})
    redactor = Redactor()
    redacted = [redactor.redact(text).text for text in texts]
    return Guarded(redacted, redactor.kinds) if redactor.kinds else Guarded(list(texts), {})


class _Gate:
    refused: type[EndpointRefused] = EndpointRefused

    def __init__(self, spec: EmbeddingSpec | RerankSpec, classification: str, pii_mode: PiiMode) -> None:
        self.spec = spec
        self.classification = classification
        self.pii_mode = pii_mode
        self.id = f"{spec.id}:{spec.model}"

    def _admit(self, texts: Sequence[str]) -> list[str]:
        """The payload this endpoint may receive; raises ``refused`` when it may receive nothing."""
        if not cleared(self.spec, self.classification):  # chosen as cleared; checked again per request
            metrics.POLICY_EVENTS.labels(str(AuditAction.MODEL_REFUSED)).inc()
            raise self.refused(self.spec.id, f"not cleared for {self.classification}")
        guarded = guard(texts, self.spec)
        if guarded.kinds:
            if self.pii_mode == "block":
                metrics.POLICY_EVENTS.labels(str(AuditAction.PII_BLOCKED)).inc()
                raise self.refused(self.spec.id, "personal data in the payload", guarded.kinds)
            metrics.POLICY_EVENTS.labels(str(AuditAction.PII_REDACTED)).inc()
            log.info("personal data redacted for %s: %s", self.spec.id, guarded.kinds)
        return guarded.texts

    def _count(self, outcome: str) -> None:
        metrics.MODEL_CALLS.labels(self.spec.id, outcome).inc()


class EmbeddingGate(_Gate):
    """A guarded ``/v1/embeddings`` endpoint for one classification. Blocking: call it off the loop."""

    refused = EmbeddingRefused
    spec: EmbeddingSpec

    def __init__(self, spec: EmbeddingSpec, classification: str, pii_mode: PiiMode) -> None:
        super().__init__(spec, classification, pii_mode)
        self.batch_size = spec.batch_size
        self._client = EmbeddingsClient(spec)

    def embed(self, texts: Sequence[str], query: bool) -> np.ndarray:
        """Normalised vectors of ``texts`` (passages, or queries with ``query``), prefixes added."""
        payload = self._admit(texts)
        prefix = self.spec.query_prefix if query else self.spec.passage_prefix
        try:
            vectors = self._client.embed([prefix + text for text in payload])
        except EndpointError:
            self._count("error")
            raise
        self._count("ok")
        return vectors

    def close(self) -> None:
        self._client.close()


class RerankGate(_Gate):
    """A guarded ``/v1/rerank`` endpoint for one classification. Blocking: call it off the loop."""

    refused = RerankRefused
    spec: RerankSpec

    def __init__(self, spec: RerankSpec, classification: str, pii_mode: PiiMode) -> None:
        super().__init__(spec, classification, pii_mode)
        self._client = RerankClient(spec)

    def scores(self, query: str, documents: Sequence[str]) -> list[float]:
        """One relevance score per document, in the documents' order; query and documents guarded."""
        if not documents:
            return []
        guarded_query, *guarded_documents = self._admit([query, *documents])
        try:
            scores = self._client.scores(guarded_query, guarded_documents)
        except EndpointError:
            self._count("error")
            raise
        self._count("ok")
        return scores

    def close(self) -> None:
        self._client.close()
