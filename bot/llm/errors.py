"""Model and endpoint failures, each carrying the Danish/English message key shown to the user (the
tree is drawn in ``bot.errors``)."""

from __future__ import annotations

from bot.errors import AarhusAIError, Outcome


class ModelError(AarhusAIError):
    """A model call failed; ``key`` names the i18n message for the user."""

    key = "model_error"
    outcome = Outcome.UPSTREAM_FAILED

    def __init__(self, model_id: str, detail: str = "") -> None:
        super().__init__(f"{model_id}: {detail}" if detail else model_id)
        self.model_id = model_id
        self.detail = detail

    @property
    def message_key(self) -> str:
        """The older name of ``key``."""
        return self.key

    def values(self) -> dict[str, object]:
        """The older name of ``params()``."""
        return self.params()

    def params(self) -> dict[str, object]:
        return {"model": self.model_id}


class ModelUnavailable(ModelError):
    """The endpoint could not be reached or answered with a server error."""

    key = "model_down"


class ModelTimeout(ModelError):
    """The endpoint did not answer within the configured time."""

    key = "model_timeout"

    def __init__(self, model_id: str, seconds: float, detail: str = "") -> None:
        super().__init__(model_id, detail)
        self.seconds = seconds

    def params(self) -> dict[str, object]:
        return {"model": self.model_id, "seconds": self.seconds}


class ModelRejected(ModelError):
    """The endpoint answered, but refused the request (4xx: bad model name, context too long...)."""


class EndpointError(AarhusAIError):
    """An embeddings or rerank endpoint failed or was not asked; ``str()`` names it and why (for the
    log: the user's message names neither)."""

    key = "endpoint_failed"
    outcome = Outcome.UPSTREAM_FAILED


class EmbeddingEndpointError(EndpointError):
    """The embeddings endpoint did not answer with vectors."""


class RerankError(EndpointError):
    """The rerank endpoint did not answer with scores (retrieval then keeps the fused order)."""


class EndpointRefused(EndpointError):
    """The router refused to send: the endpoint is not cleared for the data's classification, or the
    payload holds personal data and ``AARHUSAI_PII_MODE=block``. Nothing was sent."""

    key = "endpoint_refused"

    def __init__(self, endpoint_id: str, reason: str, kinds: dict[str, int] | None = None) -> None:
        super().__init__(f"{endpoint_id}: {reason}")
        self.endpoint_id = endpoint_id
        self.reason = reason
        self.kinds = dict(kinds or {})


class EmbeddingRefused(EndpointRefused, EmbeddingEndpointError):
    """An embedding request refused by policy."""


class RerankRefused(EndpointRefused, RerankError):
    """A rerank request refused by policy (retrieval keeps the fused order, as for any rerank failure)."""
