"""Model failures, each carrying the Danish/English message key shown to the user."""

from __future__ import annotations


class ModelError(Exception):
    """A model call failed; ``message_key`` names the i18n message for the user."""

    message_key = "model_error"

    def __init__(self, model_id: str, detail: str = "") -> None:
        super().__init__(f"{model_id}: {detail}" if detail else model_id)
        self.model_id = model_id
        self.detail = detail

    def values(self) -> dict[str, object]:
        return {"model": self.model_id}


class ModelUnavailable(ModelError):
    """The endpoint could not be reached or answered with a server error."""

    message_key = "model_down"


class ModelTimeout(ModelError):
    """The endpoint did not answer within the configured time."""

    message_key = "model_timeout"

    def __init__(self, model_id: str, seconds: float, detail: str = "") -> None:
        super().__init__(model_id, detail)
        self.seconds = seconds

    def values(self) -> dict[str, object]:
        return {"model": self.model_id, "seconds": self.seconds}


class ModelRejected(ModelError):
    """The endpoint answered, but refused the request (4xx: bad model name, context too long...)."""


class EndpointError(Exception):
    """An embeddings or rerank endpoint failed or was not asked; ``str()`` names it and why."""


class EmbeddingEndpointError(EndpointError):
    """The embeddings endpoint did not answer with vectors."""


class RerankError(EndpointError):
    """The rerank endpoint did not answer with scores (retrieval then keeps the fused order)."""


class EndpointRefused(EndpointError):
    """The router refused to send: the endpoint is not cleared for the data's classification, or the
    payload holds personal data and ``AARHUSAI_PII_MODE=block``. Nothing was sent."""

    def __init__(self, endpoint_id: str, reason: str, kinds: dict[str, int] | None = None) -> None:
        super().__init__(f"{endpoint_id}: {reason}")
        self.endpoint_id = endpoint_id
        self.reason = reason
        self.kinds = dict(kinds or {})


class EmbeddingRefused(EndpointRefused, EmbeddingEndpointError):
    """An embedding request refused by policy."""


class RerankRefused(EndpointRefused, RerankError):
    """A rerank request refused by policy (retrieval keeps the fused order, as for any rerank failure)."""
