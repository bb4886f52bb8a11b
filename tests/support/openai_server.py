"""A small OpenAI-compatible chat server on loopback that records every request.

Used where a test must see exactly what reached a model (memory, and later: policy, PII). The
plumbing against a real model server is covered with llama.cpp in ``test_llm_client.py``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.listen import listen


@dataclass
class RecordingModelServer:
    reply: str = "Svar fra testmodellen."
    reply_for: Callable[[dict[str, Any]], str] | None = None  # scripted per request, else ``reply``
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0  # pause between streamed words
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> RecordingModelServer:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
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
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
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
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    def user_texts(self, index: int = -1) -> list[str]:
        """The contents of all messages sent in request ``index``."""
        return [m["content"] for m in self.requests[index]["messages"]]
