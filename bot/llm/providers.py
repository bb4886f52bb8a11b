"""Model providers: the clients behind catalogue entries, chosen by the entry's ``kind``.

Private to ``bot.llm``: only the router creates and calls them, after policy decided that a model may
see the payload. A new provider (Azure OpenAI is next) is one class with ``complete``, ``stream`` and
``check`` plus one line in ``PROVIDERS``. Failures become ``ModelError`` subclasses with a message the
user can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

import aiohttp
import httpx
import openai
from langchain_core.messages import BaseMessage, convert_to_openai_messages
from langchain_openai import ChatOpenAI

from bot.llm.catalogue import ModelSpec
from bot.llm.errors import ModelError, ModelRejected, ModelTimeout, ModelUnavailable

log = logging.getLogger(__name__)


class ChatClient(Protocol):
    spec: ModelSpec

    @property
    def id(self) -> str: ...

    async def complete(self, messages: Sequence[BaseMessage]) -> str: ...

    def stream(self, messages: Sequence[BaseMessage]) -> AsyncIterator[str]: ...

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
            )
        return self._llm

    async def complete(self, messages: Sequence[BaseMessage]) -> str:
        """Return the whole answer; raise ``ModelError`` when the endpoint fails."""
        async with self._translate_errors():
            async with asyncio.timeout(self._deadline()):
                result = await self._client().ainvoke(list(messages))
        return _text(result.content)

    async def stream(self, messages: Sequence[BaseMessage]) -> AsyncIterator[str]:
        """Yield the answer as it is generated.

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
        url = self.spec.base_url.rstrip("/") + "/chat/completions"
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
            self._stream_session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.spec.max_connections),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.spec.timeout_s),
            )
        return self._stream_session

    def _http(self) -> httpx.AsyncClient:
        """One pooled client per event loop (a client must not outlive the loop it was made on)."""
        loop = asyncio.get_running_loop()
        if self._http_client is None or self._http_loop is not loop:
            self._http_loop = loop
            limits = httpx.Limits(
                max_connections=self.spec.max_connections, max_keepalive_connections=self.spec.max_connections
            )
            self._http_client = httpx.AsyncClient(timeout=self.spec.timeout_s, limits=limits)
        return self._http_client

    def _key(self) -> str:
        return os.environ.get(self.spec.api_key_env, "") if self.spec.api_key_env else ""

    def _headers(self) -> dict[str, str]:
        key = self._key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def aclose(self) -> None:
        """Close the pooled connections (at shutdown, on the loop they were made on)."""
        if self._stream_session is not None and not self._stream_session.closed:
            await self._stream_session.close()
        if self._http_client is not None:
            await self._http_client.aclose()

    async def check(self, timeout_s: float = 3.0) -> None:
        """Cheap liveness probe (``GET /models``) for ``/readyz``; raises ``ModelUnavailable``."""
        url = self.spec.base_url.rstrip("/") + "/models"
        try:
            async with httpx.AsyncClient(timeout=timeout_s) as client:
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
        except (TimeoutError, openai.APITimeoutError, httpx.TimeoutException) as exc:
            log.warning("model %s timed out", self.id)
            raise ModelTimeout(self.id, self.spec.timeout_s, str(exc)) from exc
        except (openai.APIConnectionError, httpx.TransportError, aiohttp.ClientError) as exc:
            log.warning("model %s unreachable: %s", self.id, exc)
            raise ModelUnavailable(self.id, str(exc)) from exc
        except openai.APIStatusError as exc:
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
