"""The one way to a model: policy by data classification, the PII guard over the whole payload, the
context budget, then fallback within the policy.

Every catalogue endpoint — chat, embeddings, rerank, and a judge (a chat model) — is reached only
through the router, over clients from the one factory (``bot.llm.http``), after one clearance chooser
(``ModelCatalogue.choose``) picked it. ``plan_turn`` decides once per turn which endpoints may see a
specialist's data: the chat route for ``generate`` and the embeddings and rerank gates
(``bot.llm.gates``) that retrieval uses, which guard their payload as ``generate`` does.

``ModelRouter.generate`` takes the specialist's classification and the complete outgoing message list
(system prompt, history, passages, question) and returns a ``Generation`` with its decision record.
Nothing else in the service holds a model client:

- only models cleared for the classification are tried, in order: the specialist's own model, the
  catalogue's default for that classification, the global default, then any other cleared model;
- for a model not cleared for personal data, every message is scanned; personal data anywhere in the
  payload is replaced by placeholders (restored later, never inside a link) or the call is refused;
- the payload is trimmed to the model's context (oldest history first, then the longest message);
- a model that is down is replaced only by the next cleared one.

The router writes nothing: the audit events it decided on travel in ``Generation.events`` for the
answering service to record.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from bot import metrics
from bot.domain import AuditAction
from bot.errors import AarhusAIError, Outcome
from bot.llm.catalogue import (
    EmbeddingSpec,
    EndpointKind,
    ModelCatalogue,
    ModelSpec,
    RerankSpec,
    cleared,
    cleared_for_personal_data,
)
from bot.llm.errors import ModelError, ModelRejected
from bot.llm.gates import EmbeddingGate, RerankGate
from bot.llm.pii import Redactor, ahas_pii, off_loop
from bot.llm.providers import ChatClient, client_for, load_client_libraries
from bot.llm.usage import Usage

TextSink = Callable[[str], Awaitable[None]]  # receives each new piece of the answer
CHARS_PER_TOKEN = 3  # conservative for Danish without a tokenizer (budgets must never overflow)
TRUNCATED = "\n[…]\n"


class NoModelConfigured(AarhusAIError):
    """The catalogue is empty: the bot runs in its embedded, model-less mode."""

    key = "no_model"
    outcome = Outcome.UNAVAILABLE


class GenerationOutcome(StrEnum):
    ANSWERED = "answered"
    NO_CLEARED_MODEL = "refused"
    PII_BLOCKED = "pii_blocked"
    MODEL_ERROR = "model_error"


@dataclass
class Route:
    classification: str
    candidates: list[ChatClient]
    refused: list[str] = field(default_factory=list)  # models asked for but not cleared for the data

    def record(self) -> dict[str, object]:
        return {
            "classification": self.classification,
            "candidates": [c.id for c in self.candidates],
            "refused": self.refused,
        }


@dataclass(frozen=True)
class TurnPlan:
    """Which endpoints may see one turn's data, decided once: the chat route (empty when there is no
    chat model), the embeddings gate (None: the local embedder) and the rerank gate (None: no
    reranking). Retrieval and generation of the turn both use it."""

    classification: str
    chat: Route
    embeddings: EmbeddingGate | None
    rerank: RerankGate | None


@dataclass
class Generation:
    outcome: GenerationOutcome
    decision: dict[str, Any]
    raw: str = ""  # the model's text as written (placeholders intact when redacted)
    model: str | None = None
    error: ModelError | None = None
    redactor: Redactor | None = None
    pii: dict[str, int] = field(default_factory=dict)
    pii_in: Literal["question", "payload"] | None = None
    blocked_model: str | None = None
    events: list[tuple[AuditAction, dict[str, Any]]] = field(default_factory=list)
    usage: Usage | None = None  # of the call that answered: counted by its server, else estimated


class ModelRouter:
    def __init__(self, catalogue: ModelCatalogue, pii_mode: Literal["redact", "block"] = "redact") -> None:
        self.catalogue = catalogue
        self.pii_mode = pii_mode
        self._clients: dict[str, ChatClient] = {}
        self._gates: dict[tuple[EndpointKind, str, str], EmbeddingGate | RerankGate] = {}
        self._gates_lock = threading.Lock()  # retrieval plans on its own threads

    @property
    def has_models(self) -> bool:
        return not self.catalogue.empty

    @property
    def model_ids(self) -> list[str]:
        return [m.id for m in self.catalogue.models]

    def cleared_ids(self, classification: str) -> list[str]:
        """Every catalogue model that may see ``classification`` data, in the route's order."""
        if self.catalogue.empty:
            return []
        return [c.id for c in self.plan(classification).candidates]

    def shown_model(self, model_id: str) -> tuple[str, str | None] | None:
        """A model's name and where it runs, as the catalogue tells people (None: not in it)."""
        spec = self.catalogue.get(model_id)
        return (spec.shown_name, spec.location) if spec else None

    def model_names(self) -> dict[str, str]:
        """Every catalogue model's id and the name people read."""
        return {m.id: m.shown_name for m in self.catalogue.models}

    def is_cleared(self, model_id: str, classification: str) -> bool | None:
        """None: no such model; else whether it may see ``classification`` data."""
        if self.catalogue.get(model_id) is None:
            return None
        return bool(self.catalogue.choose("chat", classification, model_id, only=True).endpoints)

    def _client(self, spec: ModelSpec) -> ChatClient:
        client = self._clients.get(spec.id)
        if client is None:
            client = self._clients[spec.id] = client_for(spec)
        return client

    def plan(self, classification: str, requested: str | None = None, only: bool = False) -> Route:
        """The models that may see ``classification`` data, best first. Raises ``NoModelConfigured``.
        ``only``: the requested model or none (an evaluation must not be answered by a stand-in)."""
        if self.catalogue.empty:
            raise NoModelConfigured
        return self._route(classification, requested, only)

    def _route(self, classification: str, requested: str | None, only: bool) -> Route:
        chosen = self.catalogue.choose("chat", classification, requested, only)
        clients = [self._client(spec) for spec in chosen.endpoints if isinstance(spec, ModelSpec)]
        return Route(classification, clients, list(chosen.refused))

    def plan_turn(self, classification: str, requested: str | None = None, only: bool = False) -> TurnPlan:
        """Every endpoint one turn may use for ``classification`` data, chosen once (never raises: an
        empty chat catalogue gives an empty chat route, and ``generate`` then says so)."""
        embedding = self.catalogue.choose("embeddings", classification).first
        rerank = self.catalogue.choose("rerank", classification).first
        return TurnPlan(
            classification,
            self._route(classification, requested, only),
            self._embedding_gate(embedding, classification) if isinstance(embedding, EmbeddingSpec) else None,
            self._rerank_gate(rerank, classification) if isinstance(rerank, RerankSpec) else None,
        )

    def _embedding_gate(self, spec: EmbeddingSpec, classification: str) -> EmbeddingGate:
        """One gate per endpoint and classification, kept (its connection pool is reused)."""
        with self._gates_lock:
            gate = self._gates.get(("embeddings", spec.id, classification))
            if not isinstance(gate, EmbeddingGate):
                gate = EmbeddingGate(spec, classification, self.pii_mode)
                self._gates[("embeddings", spec.id, classification)] = gate
            return gate

    def _rerank_gate(self, spec: RerankSpec, classification: str) -> RerankGate:
        with self._gates_lock:
            gate = self._gates.get(("rerank", spec.id, classification))
            if not isinstance(gate, RerankGate):
                gate = RerankGate(spec, classification, self.pii_mode)
                self._gates[("rerank", spec.id, classification)] = gate
            return gate

    def context_chars(
        self,
        classification: str,
        requested: str | None = None,
        only: bool = False,
        plan: TurnPlan | None = None,
    ) -> int:
        """The payload size every cleared candidate can take (the smallest context among them)."""
        route = self._planned(plan, classification) or self.plan(classification, requested, only)
        budgets = [budget_chars(c.spec) for c in route.candidates]
        return min(budgets) if budgets else 0

    async def generate(
        self,
        classification: str,
        messages: list[BaseMessage],
        *,
        requested: str | None = None,
        only: bool = False,
        user_texts: tuple[str, ...] = (),
        on_chunk: TextSink | None = None,
        plan: TurnPlan | None = None,
    ) -> Generation:
        """Answer ``messages`` with the first cleared model that works. Raises ``NoModelConfigured``.

        ``user_texts`` are what the user wrote (question and earlier questions): personal data found
        there is reported as the user's, elsewhere as the sources'. Streaming (``on_chunk``) is used
        only when nothing had to be redacted (a placeholder must never be shown half-restored).
        ``plan``: the turn's plan (``plan_turn``), used instead of planning again.
        """
        route = self._planned(plan, classification) or self.plan(classification, requested, only)
        decision: dict[str, Any] = route.record()
        generation = Generation(GenerationOutcome.NO_CLEARED_MODEL, decision)
        if route.refused:
            generation.events.append(
                (AuditAction.MODEL_REFUSED, {"models": route.refused, "classification": classification})
            )
        if not route.candidates:
            return generation
        # scanned off the event loop when long (bot.llm.pii.OFF_LOOP_CHARS)
        found_in_user = await ahas_pii(user_texts)
        has_pii = found_in_user or await ahas_pii(_content(m) for m in messages)
        tried: list[dict[str, str]] = []
        for client in route.candidates:
            if not cleared(client.spec, classification):  # chosen as cleared; checked again per request
                tried.append({"model": client.id, "error": "not_cleared"})
                continue
            payload, redactor, kinds = messages, None, {}
            if has_pii and not cleared_for_personal_data(client.spec):
                redactor = Redactor()
                size = sum(len(_content(m)) for m in messages)
                payload = await off_loop(size, redact_messages, messages, redactor)
                kinds = redactor.kinds
                where: Literal["question", "payload"] = "question" if found_in_user else "payload"
                if self.pii_mode == "block":
                    generation.events.append(
                        (AuditAction.PII_BLOCKED, {"model": client.id, "kinds": kinds, "found_in": where})
                    )
                    decision.update(chosen=None, tried=tried, pii=kinds, pii_action="blocked")
                    generation.outcome, generation.pii, generation.pii_in = (
                        GenerationOutcome.PII_BLOCKED,
                        kinds,
                        where,
                    )
                    generation.blocked_model = client.id
                    return generation
                generation.events.append(
                    (AuditAction.PII_REDACTED, {"model": client.id, "kinds": kinds, "found_in": where})
                )
            payload = fit(payload, budget_chars(client.spec))
            usage = Usage()
            try:
                text = await _call(client, payload, on_chunk if redactor is None else None, usage)
            except ModelRejected as exc:
                metrics.MODEL_CALLS.labels(client.id, "rejected").inc()
                generation.error = exc
                tried.append({"model": client.id, "error": type(exc).__name__})
                break
            except ModelError as exc:
                metrics.MODEL_CALLS.labels(client.id, "error").inc()
                generation.error = exc
                tried.append({"model": client.id, "error": type(exc).__name__})
                continue
            metrics.MODEL_CALLS.labels(client.id, "ok").inc()
            if tried:
                generation.events.append(
                    (AuditAction.MODEL_FALLBACK, {"to": client.id, "after": [a["model"] for a in tried]})
                )
            decision.update(
                chosen=client.id, tried=tried, pii=kinds, pii_action="redacted" if redactor else None
            )
            generation.outcome, generation.raw, generation.model = GenerationOutcome.ANSWERED, text, client.id
            generation.redactor, generation.pii, generation.error = redactor, kinds, None
            generation.usage = usage if usage.counted else Usage.estimate(map(_content, payload), text)
            return generation
        decision.update(chosen=None, tried=tried)
        generation.outcome = GenerationOutcome.MODEL_ERROR
        return generation

    def _planned(self, plan: TurnPlan | None, classification: str) -> Route | None:
        """The plan's chat route, when it was made for this classification (else: plan again)."""
        if plan is None or plan.classification != classification:
            return None
        if self.catalogue.empty:
            raise NoModelConfigured
        return plan.chat

    def load_client_libraries(self) -> None:
        """Import the model clients' libraries now, when there is a model to call. They load on first
        use (the CLI starts without them); a server calls this before it serves, so that its first
        answer, title or judge call does not hold the event loop while they load. The catalogue is
        read once, at start: a server without a model never needs them."""
        if self.has_models:
            load_client_libraries()

    async def aclose(self) -> None:
        """Close the clients' connection pools (the service is stopping)."""
        for client in self._clients.values():
            await client.aclose()
        for gate in self._gates.values():
            gate.close()

    def all_clients(self) -> list[ChatClient]:
        """For health checks only: never used to send data."""
        return [self._client(spec) for spec in self.catalogue.models]


async def _call(
    client: ChatClient, messages: list[BaseMessage], on_chunk: TextSink | None, usage: Usage
) -> str:
    if on_chunk is None:
        return await client.complete(messages, usage)
    parts: list[str] = []
    # closed at once when ``on_chunk`` raises (the reader pressed Stop): the connection to the model
    # server goes with it, and vLLM aborts a request whose client has gone, so the GPU stops too
    async with contextlib.aclosing(client.stream(messages, usage)) as chunks:
        async for chunk in chunks:
            parts.append(chunk)
            await on_chunk(chunk)
    return "".join(parts)


def _content(message: BaseMessage) -> str:
    return message.content if isinstance(message.content, str) else str(message.content)


def redact_messages(messages: list[BaseMessage], redactor: Redactor) -> list[BaseMessage]:
    """Every message with its personal data replaced, one placeholder per value across the payload."""
    return [m.model_copy(update={"content": redactor.redact(_content(m)).text}) for m in messages]


def budget_chars(spec: ModelSpec) -> int:
    return max(spec.max_context - spec.max_output_tokens, 64) * CHARS_PER_TOKEN


def fit(messages: list[BaseMessage], budget: int) -> list[BaseMessage]:
    """Trim the payload to ``budget`` characters: drop the oldest history turns (never the system
    prompt or the final question), then shorten the longest message in its middle."""
    out = list(messages)
    size = sum(len(_content(m)) for m in out)
    while size > budget and len(out) > 2:
        drop = 1 if isinstance(out[0], SystemMessage) else 0
        if drop >= len(out) - 1:
            break
        size -= len(_content(out[drop]))
        del out[drop]
    while size > budget:
        longest = max(range(len(out)), key=lambda i: len(_content(out[i])))
        text = _content(out[longest])
        excess = size - budget + len(TRUNCATED)
        if excess >= len(text):  # nothing sensible is left to send; keep the ends of the last message
            keep = max(budget // max(len(out), 1), 32)
            new = text[: keep // 2] + TRUNCATED + text[-keep // 2 :]
        else:
            half = (len(text) - excess) // 2
            new = text[:half] + TRUNCATED + text[len(text) - half :]
        size += len(new) - len(text)
        cls = type(out[longest])
        out[longest] = (
            cls(content=new)
            if cls in (HumanMessage, SystemMessage)
            else out[longest].model_copy(update={"content": new})
        )
        if len(new) >= len(text):
            break
    return out
