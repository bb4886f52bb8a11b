"""Language models: the catalogue, the router that picks one, and the OpenAI-compatible client."""

from bot.llm.catalogue import ModelCatalogue, ModelSpec
from bot.llm.client import ChatModel
from bot.llm.errors import ModelError, ModelRejected, ModelTimeout, ModelUnavailable
from bot.llm.router import ModelRouter, NoModelConfigured

__all__ = [
    "ChatModel",
    "ModelCatalogue",
    "ModelError",
    "ModelRejected",
    "ModelRouter",
    "ModelSpec",
    "ModelTimeout",
    "ModelUnavailable",
    "NoModelConfigured",
]
