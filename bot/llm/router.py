"""The one way to a model client: every model call asks the router first.

Today the router picks the requested model if the catalogue has it, else the catalogue default.
The governance work adds data-classification policy here, so no other module may build a
``ChatModel`` itself.
"""

from __future__ import annotations

from bot.llm.catalogue import ModelCatalogue
from bot.llm.client import ChatModel


class NoModelConfigured(Exception):
    """The catalogue is empty: the bot runs in its embedded, model-less mode."""


class ModelRouter:
    def __init__(self, catalogue: ModelCatalogue) -> None:
        self.catalogue = catalogue
        self._clients: dict[str, ChatModel] = {}

    @property
    def has_models(self) -> bool:
        return not self.catalogue.empty

    def route(self, requested: str | None = None) -> ChatModel:
        """The client to use for a call that asked for ``requested`` (or for nothing in particular)."""
        spec = self.catalogue.get(requested) if requested else None
        if spec is None and self.catalogue.default:
            spec = self.catalogue.get(self.catalogue.default)
        if spec is None:
            raise NoModelConfigured
        client = self._clients.get(spec.id)
        if client is None:
            client = self._clients[spec.id] = ChatModel(spec)
        return client

    def all_clients(self) -> list[ChatModel]:
        return [self.route(spec.id) for spec in self.catalogue.models]
