"""Model providers: the clients behind catalogue entries — chat models chosen by the entry's ``kind``,
and the ``/v1/embeddings`` and ``/v1/rerank`` endpoints.

Private to ``bot.llm``: only the router creates and calls them, after policy decided that an endpoint
may see the payload and the guard took the personal data out of it; their connections come from the
one factory, ``bot.llm.http``. A new chat provider (Azure OpenAI is next) is one class with
``complete``, ``stream`` and ``check`` plus one line in ``PROVIDERS``. Chat failures become
``ModelError`` subclasses with a message the user can read; embedding and rerank failures
``EmbeddingEndpointError`` and ``RerankError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

import aiohttp
import httpx
import numpy as np
from langchain_core.messages import BaseMessage, convert_to_openai_messages

from bot.llm import http
from bot.llm.catalogue import EmbeddingSpec, ModelSpec, RerankSpec
from bot.llm.errors import (
    EmbeddingEndpointError,
    ModelError,
    ModelRejected,
    ModelTimeout,
    ModelUnavailable,
    RerankError,
)
from bot.llm.usage import Usage

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

log = logging.getLogger(__name__)


def _openai_error(name: str) -> tuple[type[BaseException], ...]:
    """openai's exception class ``name`` when openai is loaded, else nothing: ``langchain_openai`` and
    ``openai`` take 1.5 s to import, so they load with the first whole-answer client (``_client``),
    and an error raised before that cannot be one of theirs."""
    module = sys.modules.get("openai")
    return (getattr(module, name),) if module is not None else ()


def load_client_libraries() -> None:
    """``langchain_openai`` (and ``openai``), which ``_client`` would otherwise import on first use."""
    import langchain_openai  # noqa: F401


class ChatClient(Protocol):
    spec: ModelSpec

    @property
    def id(self) -> str: ...

    async def complete(self, messages: Sequence[BaseMessage], usage: Usage | None = None) -> str: ...

    def stream(self, messages: Sequence[BaseMessage], usage: Usage | None = None) -> AsyncIterator[str]: ...

    async def check(self, timeout_s: float = 3.0) -> None: ...

    async def aclose(self) -> None: ...


class OpenAICompatible:
    """An OpenAI-compatible chat endpoint (vLLM, llama.cpp, OpenAI): whole answers through LangChain's
    ``ChatOpenAI``, streamed ones read directly; with deadlines, retries and translated errors."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self._llm: ChatOpenAI | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http_client: httpx.AsyncClient | None = None
        self._http_loop: asyncio.AbstractEventLoop | None = None
        self._stream_session: aiohttp.ClientSession | None = None
        self._stream_loop: asyncio.AbstractEventLoop | None = None

    @property
    def id(self) -> str:
        return self.spec.id

    def _client(self) -> ChatOpenAI:
        # Our own HTTP client per event loop: LangChain's shared default client would outlive the loop
        # it was made on (a second ``asyncio.run`` in the CLI or the tests would then fail).
        loop = asyncio.get_running_loop()
        if self._llm is None or self._loop is not loop:
            from langchain_openai import ChatOpenAI

            self._loop = loop
            self._llm = ChatOpenAI(
                model=self.spec.model,
                base_url=self.spec.base_url,
                api_key=self._key() or "not-needed",  # type: ignore[arg-type]
                timeout=self.spec.timeout_s,
                max_retries=self.spec.max_retries,
                temperature=self.spec.temperature,
                extra_body={self.spec.token_limit_param: self.spec.max_output_tokens},
                http_async_client=self._http(),
                http_client=http.sync_client(self.spec, self.spec.timeout_s, rooted=False),  # never used
            )
        return self._llm

    async def complete(self, messages: Sequence[BaseMessage], usage: Usage | None = None) -> str:
        """Return the whole answer; raise ``ModelError`` when the endpoint fails. ``usage`` receives the
        server's token count when it reports one."""
        async with self._translate_errors():
            async with asyncio.timeout(self._deadline()):
                result = await self._client().ainvoke(list(messages))
        if usage is not None:
            usage.take(getattr(result, "usage_metadata", None))
        return _text(result.content)

    async def stream(self, messages: Sequence[BaseMessage], usage: Usage | None = None) -> AsyncIterator[str]:
        """Yield the answer as it is generated; ``usage`` receives the server's token count (asked for
        with ``stream_options.include_usage`` unless the catalogue entry says the server refuses it).

        The hot path of every answer, so it reads the server-sent events itself (one ``json.loads``
        per chunk) instead of building LangChain and openai objects for every token; LangChain still
        turns the messages into the request. The deadline applies to the first token and to every gap
        between tokens, so a long answer that keeps flowing is never cut off, but a stalled stream
        is. Connection errors, 5xx and 429 are retried before the first token, as the openai client does.
        """
        body = {
            "model": self.spec.model,
            "messages": convert_to_openai_messages(list(messages)),
            "stream": True,
            "temperature": self.spec.temperature,
            self.spec.token_limit_param: self.spec.max_output_tokens,
        }
        if self.spec.stream_usage:
            body["stream_options"] = {"include_usage": True}
        url = http.url(self.spec, "chat/completions")
        started = False  # once text was shown, a failure is final: a retry would repeat it
        for attempt in range(self.spec.max_retries + 1):
            try:
                async with self._translate_errors(), contextlib.AsyncExitStack() as stack:
                    async with asyncio.timeout(self.spec.timeout_s):  # to the response's headers
                        request = self._session().post(url, json=body, headers=self._headers())
                        response = await stack.enter_async_context(request)
                        if response.status >= 400:
                            raise _status_error(self.id, response.status, await response.read())
                    events = aiter(_sse_data(response.content))
                    while True:
                        try:
                            async with asyncio.timeout(self.spec.timeout_s):  # never across a yield
                                data = await anext(events)
                        except StopAsyncIteration:
                            return
                        text = _delta_text(self.id, data)
                        if usage is not None and data.get("usage"):
                            usage.take(data["usage"])
                        if text:
                            started = True
                            yield text
            except (ModelUnavailable, ModelTimeout):
                if started or attempt >= self.spec.max_retries:
                    raise
                await asyncio.sleep(min(8.0, 0.5 * 2**attempt))

    def _session(self) -> aiohttp.ClientSession:
        """The streaming client: aiohttp, as the server itself (a third of httpx's cost per chunk).
        One pooled session per event loop (a session must not outlive the loop it was made on)."""
        loop = asyncio.get_running_loop()
        if self._stream_session is None or self._stream_loop is not loop or self._stream_session.closed:
            self._stream_loop = loop
            self._stream_session = http.stream_session(
                self.spec, self.spec.timeout_s, self.spec.max_connections
            )
        return self._stream_session

    def _http(self) -> httpx.AsyncClient:
        """One pooled client per event loop (a client must not outlive the loop it was made on)."""
        loop = asyncio.get_running_loop()
        if self._http_client is None or self._http_loop is not loop:
            self._http_loop = loop
            self._http_client = http.async_client(self.spec, self.spec.timeout_s, self.spec.max_connections)
        return self._http_client

    def _key(self) -> str:
        return http.api_key(self.spec)

    def _headers(self) -> dict[str, str]:
        return http.auth_headers(self.spec)

    async def aclose(self) -> None:
        """Close the pooled connections (at shutdown, on the loop they were made on)."""
        if self._stream_session is not None and not self._stream_session.closed:
            await self._stream_session.close()
        if self._http_client is not None:
            await self._http_client.aclose()

    async def check(self, timeout_s: float = 3.0) -> None:
        """Cheap liveness probe (``GET /models``) for ``/readyz``; raises ``ModelUnavailable``."""
        url = http.url(self.spec, "models")
        try:
            async with http.async_client(self.spec, timeout_s) as client:
                response = await client.get(url, headers=self._headers())
        except httpx.HTTPError as exc:
            raise ModelUnavailable(self.id, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise ModelUnavailable(self.id, f"GET /models gave HTTP {response.status_code}")

    def _deadline(self) -> float:
        # The openai client retries internally; give each attempt its full timeout plus backoff.
        return self.spec.timeout_s * (self.spec.max_retries + 1) + 2.0 * self.spec.max_retries

    @asynccontextmanager
    async def _translate_errors(self) -> AsyncIterator[None]:
        try:
            yield
        except ModelError:
            raise
        except (TimeoutError, httpx.TimeoutException, *_openai_error("APITimeoutError")) as exc:
            log.warning("model %s timed out", self.id)
            raise ModelTimeout(self.id, self.spec.timeout_s, str(exc)) from exc
        except (httpx.TransportError, aiohttp.ClientError, *_openai_error("APIConnectionError")) as exc:
            log.warning("model %s unreachable: %s", self.id, exc)
            raise ModelUnavailable(self.id, str(exc)) from exc
        except _openai_error("APIStatusError") as exc:
            log.warning("model %s answered HTTP %s: %s", self.id, exc.status_code, exc.message)
            if exc.status_code >= 500 or exc.status_code == 429:
                raise ModelUnavailable(self.id, f"HTTP {exc.status_code}") from exc
            raise ModelRejected(self.id, f"HTTP {exc.status_code}: {exc.message}") from exc


async def _sse_data(lines: AsyncIterator[bytes]) -> AsyncIterator[dict[str, object]]:
    """The JSON objects of ``data:`` events, up to ``[DONE]``."""
    async for line in lines:
        if not line.startswith(b"data:"):
            continue
        payload = line[5:].strip()
        if payload == b"[DONE]":
            return
        try:
            data = json.loads(payload)
        except ValueError:
            continue
        if isinstance(data, dict):
            yield data


def _delta_text(model_id: str, data: dict[str, object]) -> str:
    """The text of one chunk; an error event mid-stream fails the answer."""
    if "error" in data:
        error = data["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise ModelUnavailable(model_id, f"error in stream: {str(message)[:200]}")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return ""
    delta = choices[0].get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else ""


def _status_error(model_id: str, status: int, body: bytes) -> ModelError:
    """A 4xx rejects the request (no other model would do better with it); 5xx and 429: unavailable."""
    raw = body[:2000]
    try:
        error = json.loads(raw).get("error", {})
        message = str(error.get("message", "") if isinstance(error, dict) else error)
    except (ValueError, AttributeError):
        message = raw.decode("utf-8", "replace")
    log.warning("model %s answered HTTP %s: %s", model_id, status, message[:200])
    if status >= 500 or status == 429:
        return ModelUnavailable(model_id, f"HTTP {status}")
    return ModelRejected(model_id, f"HTTP {status}: {message[:200]}")


def _text(content: object) -> str:
    """LangChain content may be a string or a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            b if isinstance(b, str) else str(b.get("text", "")) for b in content if isinstance(b, str | dict)
        )
    return str(content)


PROVIDERS: dict[str, type[OpenAICompatible]] = {"openai": OpenAICompatible}


def client_for(spec: ModelSpec) -> ChatClient:
    return PROVIDERS[spec.kind](spec)


class EmbeddingsClient:
    """An OpenAI-compatible ``POST /v1/embeddings`` (vLLM, TEI, llama.cpp): normalised float32 vectors.
    Blocking: called on a worker thread. Sends exactly what it is given (the router guarded it)."""

    def __init__(self, spec: EmbeddingSpec) -> None:
        self.spec = spec
        self._http = http.sync_client(spec, spec.timeout_s)

    def embed(self, inputs: list[str]) -> np.ndarray:
        try:
            response = self._http.post("embeddings", json={"model": self.spec.model, "input": inputs})
            response.raise_for_status()
            data = sorted(response.json()["data"], key=lambda d: d["index"])
            vectors = np.stack([_pooled(d["embedding"]) for d in data])
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            raise EmbeddingEndpointError(f"embedding endpoint {self.spec.id}: {type(exc).__name__}") from None
        if vectors.shape[0] != len(inputs):
            raise EmbeddingEndpointError(
                f"embedding endpoint {self.spec.id}: {len(vectors)} of {len(inputs)}"
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def close(self) -> None:
        self._http.close()


def _pooled(embedding: list[float] | list[list[float]]) -> np.ndarray:
    """One vector per input; a server without pooling (llama.cpp on a chat model) sends one per
    token, which are averaged."""
    array = np.asarray(embedding, dtype=np.float32)
    return array.mean(axis=0) if array.ndim == 2 else array


class RerankClient:
    """A ``POST /v1/rerank`` endpoint in the Cohere/Jina shape (vLLM, TEI; TEI's native list too).
    Blocking: called on a worker thread. A reply that is not one finite score per document is an error,
    never an order."""

    def __init__(self, spec: RerankSpec) -> None:
        self.spec = spec
        self._http = http.sync_client(spec, spec.timeout_s)

    def scores(self, query: str, documents: Sequence[str]) -> list[float]:
        """One relevance score per document, in the documents' order."""
        if not documents:
            return []
        try:
            response = self._http.post(
                "rerank",
                json={
                    "model": self.spec.model,
                    "query": query,
                    "documents": list(documents),
                    "top_n": len(documents),
                    "return_documents": False,
                },
            )
            response.raise_for_status()
            body = response.json()
            results = body["results"] if isinstance(body, dict) else body  # TEI's native shape is a list
            found: dict[int, float] = {}
            for item in results:
                index = int(item["index"])
                score = float(item["relevance_score"] if "relevance_score" in item else item["score"])
                if not 0 <= index < len(documents) or score != score:  # out of range or NaN
                    raise ValueError("index")
                found[index] = score
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            raise RerankError(f"rerank endpoint {self.spec.id}: {type(exc).__name__}") from None
        if len(found) != len(documents):
            raise RerankError(f"rerank endpoint {self.spec.id}: {len(found)} of {len(documents)} scores")
        return [found[i] for i in range(len(documents))]

    def close(self) -> None:
        self._http.close()
