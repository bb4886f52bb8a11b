"""The one way to a model client: policy by data classification, then fallback within the policy.

A specialist's classification (set by its screening) decides which catalogue models may see its
data. The router lists, in order, the models that may: the specialist's own model, the catalogue's
default for that classification, the global default, then any other cleared model. A model that is
down is replaced only by the next cleared one; when none is cleared the caller must refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.llm.catalogue import ModelCatalogue, cleared
from bot.llm.client import ChatModel


class NoModelConfigured(Exception):
    """The catalogue is empty: the bot runs in its embedded, model-less mode."""


@dataclass
class Route:
    classification: str
    candidates: list[ChatModel]
    refused: list[str] = field(default_factory=list)  # models asked for but not cleared for the data

    def record(self) -> dict[str, object]:
        return {
            "classification": self.classification,
            "candidates": [c.id for c in self.candidates],
            "refused": self.refused,
        }


class ModelRouter:
    def __init__(self, catalogue: ModelCatalogue) -> None:
        self.catalogue = catalogue
        self._clients: dict[str, ChatModel] = {}

    @property
    def has_models(self) -> bool:
        return not self.catalogue.empty

    def _client(self, model_id: str) -> ChatModel:
        spec = self.catalogue.get(model_id)
        assert spec is not None
        client = self._clients.get(spec.id)
        if client is None:
            client = self._clients[spec.id] = ChatModel(spec)
        return client

    def plan(self, classification: str, requested: str | None = None) -> Route:
        """The models that may see ``classification`` data, best first. Raises ``NoModelConfigured``."""
        if self.catalogue.empty:
            raise NoModelConfigured
        order = [
            requested,
            self.catalogue.defaults.get(classification),
            self.catalogue.default,  # type: ignore[call-overload]
            *(m.id for m in self.catalogue.models),
        ]
        route = Route(classification, [])
        seen: set[str] = set()
        for model_id in order:
            if not model_id or model_id in seen or self.catalogue.get(model_id) is None:
                continue
            seen.add(model_id)
            spec = self.catalogue.get(model_id)
            assert spec is not None
            if cleared(spec, classification):
                route.candidates.append(self._client(model_id))
            elif model_id == requested:
                route.refused.append(model_id)
        return route

    def all_clients(self) -> list[ChatModel]:
        """For health checks only: never used to send data."""
        return [self._client(spec.id) for spec in self.catalogue.models]
