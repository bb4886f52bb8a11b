"""Language models: the catalogue, and the router — the one public way to a model.

Model clients (``bot.llm.providers``) are private to this package: every call goes through
``ModelRouter.generate``, which applies the classification policy and the PII guard first.
"""

from bot.llm.catalogue import ModelCatalogue, ModelSpec
from bot.llm.errors import ModelError, ModelRejected, ModelTimeout, ModelUnavailable
from bot.llm.router import Generation, GenerationOutcome, ModelRouter, NoModelConfigured, TextSink

__all__ = [
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
    "TextSink",
]
