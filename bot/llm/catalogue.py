"""The model catalogue: which OpenAI-compatible endpoints exist, read from a YAML file.

Example (``models.yaml``)::

    default: mistral-small
    models:
      - id: mistral-small
        base_url: http://vllm:8000/v1
        model: mistralai/Mistral-Small-3.2-24B-Instruct-2506
        api_key_env: VLLM_API_KEY
        max_context: 32768
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Generic, Literal, Self, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.domain import Classification
from bot.errors import ConfigError

SpecT = TypeVar("SpecT", bound="EmbeddingSpec | RerankSpec")
EndpointKind = Literal["chat", "embeddings", "rerank"]  # a judge is a chat model


def cleared(spec: Endpoint, classification: str) -> bool:
    """May ``spec`` see data of ``classification``?"""
    return spec.max_classification.allows(classification)


def cleared_for_personal_data(spec: Endpoint) -> bool:
    """May ``spec`` see personal data unredacted (``fortrolig`` and up)?"""
    return spec.max_classification.personal_data


class CatalogueError(ConfigError):
    """The catalogue file is missing or invalid; ``str()`` is one line for the operator."""


class ModelSpec(BaseModel):
    """One model endpoint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    kind: Literal["openai"] = Field(
        "openai", description="Provider: 'openai' is any OpenAI-compatible endpoint (vLLM, llama.cpp)."
    )
    base_url: str = Field(pattern=r"^https?://")
    model: str = Field(min_length=1, description="Model name the server knows it by.")
    name: str | None = Field(
        None,
        max_length=80,
        description="The name Builders and users read (e.g. 'Mistral Small 3.2'); default: id.",
    )
    location: str | None = Field(
        None,
        max_length=80,
        description="Where it runs, as users read it under each answer (e.g. 'kommunens egen server').",
    )
    api_key_env: str | None = Field(None, description="Environment variable holding the API key.")
    max_context: int = Field(8192, ge=256, description="Context window in tokens.")
    max_output_tokens: int = Field(1024, ge=1)
    timeout_s: float = Field(60.0, gt=0, description="Longest wait for the model to start or continue.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries on connection errors and 5xx/429.")
    temperature: float = Field(0.2, ge=0, le=2)
    max_connections: int = Field(
        256, ge=1, le=4096, description="Requests in flight to this endpoint from one process at most."
    )
    max_classification: Classification = Field(
        Classification.OFFENTLIG,
        description="The most sensitive data this model is cleared for (offentlig < intern < fortrolig < "
        "personfølsom). Undeclared: public data only.",
    )
    token_limit_param: Literal["max_tokens", "max_completion_tokens"] = Field(
        "max_tokens",
        description="How the server wants the output limit named: vLLM and llama.cpp read max_tokens, "
        "newer OpenAI models only max_completion_tokens.",
    )
    stream_usage: bool = Field(
        True,
        description="Ask for the token count in streams (stream_options.include_usage; vLLM, llama.cpp and "
        "OpenAI send it); false for a server that refuses the field (usage is then estimated).",
    )

    @property
    def shown_name(self) -> str:
        return self.name or self.id


class EmbeddingSpec(BaseModel):
    """An OpenAI-compatible ``/v1/embeddings`` endpoint (vLLM, TEI, llama.cpp)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    base_url: str = Field(pattern=r"^https?://")
    model: str = Field(min_length=1)
    api_key_env: str | None = None
    max_classification: Classification = Field(
        Classification.OFFENTLIG, description="The most sensitive data it may embed. Undeclared: public only."
    )
    query_prefix: str = ""
    passage_prefix: str = ""
    timeout_s: float = Field(30.0, gt=0)
    batch_size: int = Field(32, ge=1, le=1024)


class _EndpointSection(BaseModel, Generic[SpecT]):
    """An endpoint section (``embeddings:``, ``rerank:``): unique ids and a default among them (which
    endpoint a specialist's data may go to is ``ModelCatalogue.choose``'s decision, as for chat)."""

    model_config = ConfigDict(extra="forbid")
    name: ClassVar[str] = "endpoints"

    default: str | None = None
    models: list[SpecT] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Self:
        ids = [m.id for m in self.models]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.name}: et id findes flere gange")
        if self.default is not None and self.default not in ids:
            raise ValueError(f"{self.name}.default '{self.default}' findes ikke blandt modellerne")
        return self

    def get(self, model_id: str) -> SpecT | None:
        return next((m for m in self.models if m.id == model_id), None)


class EmbeddingsSection(_EndpointSection[EmbeddingSpec]):
    name: ClassVar[str] = "embeddings"


class RerankSpec(BaseModel):
    """A ``/v1/rerank`` endpoint in the Cohere/Jina shape (vLLM, TEI), e.g. BAAI/bge-reranker-v2-m3."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    base_url: str = Field(pattern=r"^https?://")
    model: str = Field(min_length=1)
    api_key_env: str | None = None
    max_classification: Classification = Field(
        Classification.OFFENTLIG, description="The most sensitive data it may read. Undeclared: public only."
    )
    candidates: int = Field(20, ge=2, le=200, description="How many fused passages it reorders.")
    min_score: float | None = Field(
        None, description="Relevance gate on its scores (replaces the dense/lexical gate when set)."
    )
    timeout_s: float = Field(10.0, gt=0)


class RerankSection(_EndpointSection[RerankSpec]):
    """Off by default: no ``rerank:`` section, no reranking."""

    name: ClassVar[str] = "rerank"


class ModelCatalogue(BaseModel):
    """All configured models and the default one. An empty catalogue is the embedded default."""

    model_config = ConfigDict(extra="forbid")

    default: str | None = None
    defaults: dict[Classification, str] = Field(
        default_factory=dict, description="Preferred model per data classification."
    )
    models: list[ModelSpec] = Field(default_factory=list)
    embeddings: EmbeddingsSection = Field(
        default_factory=EmbeddingsSection,
        description="Embedding endpoints; a specialist's text goes only to one cleared for its data.",
    )
    rerank: RerankSection = Field(
        default_factory=RerankSection,
        description="Reranking endpoints (off when empty); passages go only to one cleared for their data.",
    )

    @model_validator(mode="after")
    def _check(self) -> ModelCatalogue:
        ids = [m.id for m in self.models]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"model-id findes flere gange: {', '.join(dupes)}")
        if self.default is not None and self.default not in ids:
            raise ValueError(f"default '{self.default}' findes ikke blandt modellerne")
        if self.default is None and self.models:
            self.default = self.models[0].id
        for classification, model_id in self.defaults.items():
            spec = self.get(model_id)
            if spec is None:
                raise ValueError(f"defaults.{classification}: modellen '{model_id}' findes ikke")
            if not cleared(spec, classification):
                raise ValueError(
                    f"defaults.{classification}: '{model_id}' er kun godkendt til {spec.max_classification}"
                )
        return self

    def get(self, model_id: str) -> ModelSpec | None:
        return next((m for m in self.models if m.id == model_id), None)

    def choose(
        self, kind: EndpointKind, classification: str, requested: str | None = None, only: bool = False
    ) -> Clearance:
        """The one clearance chooser, for every endpoint kind: the endpoints of ``kind`` that may see
        ``classification`` data, best first — ``requested``, the default for the classification (chat
        only), the section's default, then the others in file order. ``only``: ``requested`` or none
        (an evaluation must not be answered, nor a judge replaced, by a stand-in)."""
        specs: list[Endpoint]
        if kind == "chat":
            specs = list(self.models)
            preferred = [requested, self.defaults.get(classification), self.default]  # type: ignore[call-overload]
        else:
            section = self.embeddings if kind == "embeddings" else self.rerank
            specs, preferred = list(section.models), [requested, section.default]
        by_id = {s.id: s for s in specs}
        order = [requested] if only else [*preferred, *by_id]
        chosen: list[Endpoint] = []
        refused: list[str] = []
        for endpoint_id in dict.fromkeys(i for i in order if i):  # first mention counts
            spec = by_id.get(endpoint_id)
            if spec is None:
                continue
            if cleared(spec, classification):
                chosen.append(spec)
            elif endpoint_id == requested:
                refused.append(endpoint_id)
        return Clearance(kind, classification, tuple(chosen), tuple(refused))

    @property
    def empty(self) -> bool:
        return not self.models

    @classmethod
    def load(cls, path: Path | None) -> ModelCatalogue:
        """Read ``path``; ``None`` gives the empty catalogue (no language model)."""
        if path is None:
            return cls()
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise CatalogueError(f"Modelkataloget {path} findes ikke") from None
        except yaml.YAMLError as exc:
            raise CatalogueError(f"Modelkataloget {path} er ikke gyldig YAML: {exc}") from None
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            msg = first["msg"].removeprefix("Value error, ")
            raise CatalogueError(
                f"Modelkataloget {path} er ugyldigt: {where + ': ' if where else ''}{msg}"
            ) from None


Endpoint = ModelSpec | EmbeddingSpec | RerankSpec


@dataclass(frozen=True)
class Clearance:
    """``ModelCatalogue.choose``'s answer: the cleared endpoints best first, and the requested one
    refused because it is not cleared (for the audit log)."""

    kind: EndpointKind
    classification: str
    endpoints: tuple[Endpoint, ...]
    refused: tuple[str, ...] = ()

    @property
    def first(self) -> Endpoint | None:
        return self.endpoints[0] if self.endpoints else None
