"""Language models: the catalogue, and the router — the one public way to any catalogue endpoint.

Model clients (``bot.llm.providers``) and their HTTP connections (``bot.llm.http``) are private to
this package: a chat answer goes through ``ModelRouter.generate``, an embedding or a rerank through the
gates of ``ModelRouter.plan_turn`` (``bot.llm.gates``); each applies the classification policy and the
PII guard first.
"""

from bot.llm.catalogue import ModelCatalogue, ModelSpec
from bot.llm.errors import (
    EmbeddingEndpointError,
    EndpointError,
    EndpointRefused,
    ModelError,
    ModelRejected,
    ModelTimeout,
    ModelUnavailable,
    RerankError,
)
from bot.llm.gates import EmbeddingGate, RerankGate
from bot.llm.router import (
    Generation,
    GenerationOutcome,
    ModelRouter,
    NoModelConfigured,
    TextSink,
    TurnPlan,
)
from bot.llm.usage import Usage

__all__ = [
    "EmbeddingEndpointError",
    "EmbeddingGate",
    "EndpointError",
    "EndpointRefused",
    "Generation",
    "GenerationOutcome",
    "ModelCatalogue",
    "ModelError",
    "ModelRejected",
    "ModelRouter",
    "ModelSpec",
    "ModelTimeout",
    "ModelUnavailable",
    "NoModelConfigured",
    "RerankError",
    "RerankGate",
    "TextSink",
    "TurnPlan",
    "Usage",
]
