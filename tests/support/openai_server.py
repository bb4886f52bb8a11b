"""A small OpenAI-compatible model server on loopback that records every request: chat
(``/v1/chat/completions``), embeddings (``/v1/embeddings``) and rerank (``/v1/rerank``, the
Cohere/Jina shape vLLM and TEI serve).

Used where a test must see exactly what reached a model (memory, policy, PII). Embeddings are hashed
bags of words and rerank scores word overlaps, so retrieval over them still finds the right passage.
The plumbing against a real model server is covered with llama.cpp in ``test_llm_client.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web

from bot.listen import listen


@dataclass
class RecordingModelServer:
    reply: str = "Svar fra testmodellen."
    reply_for: Callable[[dict[str, Any]], str] | None = None  # scripted per request, else ``reply``
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0  # pause between streamed words
    status: int = 200
    streams_left: int = 0  # streamed answers whose client went away before the end (Stop, a cut)
    counts_usage: bool = True  # like vLLM: usage in whole answers, and in streams when asked for
    requests: list[dict[str, Any]] = field(default_factory=list)  # chat
    embedding_requests: list[dict[str, Any]] = field(default_factory=list)
    rerank_requests: list[dict[str, Any]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> RecordingModelServer:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_post("/v1/rerank", self._rerank)
        app.router.add_get("/v1/models", self._models)
        self._runner, self.port = await listen(app)
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _models(self, _request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "test-model", "object": "model"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.status != 200:
            return web.json_response({"error": {"message": "test failure"}}, status=self.status)
        created = int(time.time())
        reply = self.reply_for(body) if self.reply_for else self.reply
        if not body.get("stream"):
            return web.json_response(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": created,
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply},
                            "finish_reason": "stop",
                        }
                    ],
                    **({"usage": self.usage_of(body, reply)} if self.counts_usage else {}),
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        try:
            await self._write_words(response, reply, body, created)
        except (ConnectionResetError, asyncio.CancelledError):
            self.streams_left += 1  # vLLM aborts such a request: the GPU stops generating
            raise
        return response

    async def _write_words(
        self, response: web.StreamResponse, reply: str, body: dict[str, Any], created: int
    ) -> None:
        for word in reply.split(" "):
            chunk = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": created,
                "model": body.get("model"),
                "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            if self.chunk_delay_s:
                await asyncio.sleep(self.chunk_delay_s)
        options = body.get("stream_options") or {}
        if self.counts_usage and options.get("include_usage"):
            last = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": created,
                "choices": [],
            }
            last["usage"] = self.usage_of(body, reply)
            await response.write(f"data: {json.dumps(last)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()

    @staticmethod
    def usage_of(body: dict[str, Any], reply: str) -> dict[str, int]:
        """A count a test can recompute: one token per word."""
        prompt = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        completion = len(reply.split())
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.embedding_requests.append(body)
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [{"object": "embedding", "index": i, "embedding": _vector(t)} for i, t in enumerate(texts)]
        return web.json_response({"object": "list", "data": data, "model": body.get("model")})

    async def _rerank(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.rerank_requests.append(body)
        query = set(_words(body["query"]))
        scores = [len(query & set(_words(d))) / (len(query) or 1) for d in body["documents"]]
        ranked = sorted(enumerate(scores), key=lambda item: item[1], reverse=True)
        return web.json_response(
            {"results": [{"index": i, "relevance_score": s} for i, s in ranked], "model": body.get("model")}
        )

    def received(self) -> dict[str, list[str]]:
        """Every text that reached this server, by endpoint kind: chat message contents, texts to
        embed, rerank queries and documents."""
        return {
            "chat": [str(m.get("content")) for r in self.requests for m in r["messages"]],
            "embeddings": [
                t
                for r in self.embedding_requests
                for t in (r["input"] if isinstance(r["input"], list) else [r["input"]])
            ],
            "rerank": [t for r in self.rerank_requests for t in (r["query"], *r["documents"])],
        }

    def forget(self) -> None:
        """Start recording afresh."""
        self.requests.clear()
        self.embedding_requests.clear()
        self.rerank_requests.clear()

    def user_texts(self, index: int = -1) -> list[str]:
        """The contents of all messages sent in request ``index``."""
        return [m["content"] for m in self.requests[index]["messages"]]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _vector(text: str, dim: int = 64) -> list[float]:
    """A hashed bag of words: texts that share words are close."""
    v = np.zeros(dim, dtype=np.float32)
    for word in _words(text):
        v[int(hashlib.sha256(word.encode()).hexdigest(), 16) % dim] += 1.0
    return (v / max(float(np.linalg.norm(v)), 1e-9)).tolist()
