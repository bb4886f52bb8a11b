"""A Bot Framework connector (the service the bot posts replies to), on loopback, recording."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.listen import listen


@dataclass
class FakeConnector:
    """Accepts ``POST /v3/conversations/...`` like Teams' connector and keeps every activity."""

    activities: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses to answer before accepting again
    stop_streams: bool = False  # answer stream updates with 403, as Teams does after the Stop button
    refused: list[dict[str, Any]] = field(default_factory=list)  # the updates refused that way
    failures: int = 0
    times: list[float] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)  # POST: a new activity; PUT: one replaced
    ids: list[str] = field(default_factory=list)  # the id answered for each kept activity
    authorizations: list[str | None] = field(
        default_factory=list
    )  # the Authorization header of every request
    port: int = 0
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def start(self) -> FakeConnector:
        app = web.Application()
        app.router.add_route("*", "/v3/conversations/{tail:.*}", self._receive)
        self._runner, self.port = await listen(app)
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        self.authorizations.append(request.headers.get("Authorization"))
        body = await request.json() if request.can_read_body else {}
        if self.stop_streams and _stream_type(body) == "streaming":
            self.refused.append(body)
            error = {"code": "ContentStreamNotAllowed", "message": "Content stream was cancelled by user."}
            return web.json_response({"error": error}, status=403)
        if self.fail_next:
            self.failures += 1
            return web.json_response(
                {"error": "throttled"}, status=self.fail_next.pop(0), headers={"Retry-After": "0"}
            )
        self.activities.append(body)
        self.times.append(time.monotonic())
        self.paths.append(request.path)
        self.methods.append(request.method)
        self.ids.append(request.path.rsplit("/", 1)[-1] if request.method == "PUT" else uuid.uuid4().hex)
        self._arrived.set()
        return web.json_response({"id": self.ids[-1]})

    def messages(self) -> list[dict[str, Any]]:
        return [a for a in self.activities if a.get("type") == "message"]

    async def wait_for_messages(self, count: int = 1, wait_s: float = 10) -> list[dict[str, Any]]:
        async with asyncio.timeout(wait_s):
            while len(self.messages()) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.messages()


def _stream_type(activity: dict[str, Any]) -> str | None:
    for entity in activity.get("entities") or []:
        if isinstance(entity, dict) and entity.get("type") == "streaminfo":
            return entity.get("streamType")
    return None


def shown(activity: dict[str, Any]) -> str:
    """What a person reads in a message: its text and its Adaptive Cards as text (an upload's reply, for
    one, is the Builder's checklist card with the outcome as its intro)."""
    from bot.teams.cards import ADAPTIVE, card_text

    parts = [activity.get("text") or ""]
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == ADAPTIVE and isinstance(attachment.get("content"), dict):
            parts.append(card_text(attachment["content"]))
    return "\n".join(p for p in parts if p)
