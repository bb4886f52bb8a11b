"""Talk to the real Teams handler in-process, without Teams: the engine of ``aarhusai chat``.

Each message becomes a Teams-shaped personal-chat activity with ``deliveryMode: expectReplies``, so
the Agents SDK runs exactly the turn it runs for Teams and hands the replies back instead of
posting them to a connector.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    DeliveryModes,
)
from microsoft_agents.hosting.core import ClaimsIdentity

from bot.listen import listen
from bot.teams.agent import TeamsBot
from bot.teams.cards import ADAPTIVE, card_text
from bot.teams.files import FILE_DOWNLOAD_INFO

LOCAL_TENANT = "00000000-0000-0000-0000-000000000000"
LOCAL_DOMAIN = "aarhusai.local"


class LocalTeamsChat:
    """A personal chat between one local user and the bot."""

    def __init__(self, bot: TeamsBot, user: str, locale: str = "da") -> None:
        self.bot = bot
        # a UPN, so an administrator can name this user before they write (/rolle tildel bo@aarhusai.local)
        self.user = ChannelAccount(
            id=f"local:{user}",
            name=user,
            aad_object_id=f"local-{user}",
            user_principal_name=f"{user}@{LOCAL_DOMAIN}",
        )
        self.conversation = ConversationAccount(
            id=f"local-chat:{user}", conversation_type="personal", tenant_id=LOCAL_TENANT
        )
        self.locale = locale

    async def send(self, text: str) -> list[str]:
        """Send ``text`` as the user; return the texts of the bot's message replies.

        ``/fil <sti>`` (or ``/upload``) sends the file(s) at that path the way Teams does: as
        ``file.download.info`` attachments whose ``downloadUrl`` a one-shot loopback server answers.
        """
        head, _, rest = text.strip().partition(" ")
        if head.casefold() in ("/fil", "/upload") and rest.strip():
            paths = await asyncio.to_thread(_expand, rest.strip())
            if not paths:
                return [f"Fejl: {rest.strip()} findes ikke."]
            async with _FileServer(paths) as server:
                origin = f"http://127.0.0.1:{server.port}"
                # only this process's own one-shot file server; `serve` never lists a local origin
                self.bot.downloads.local_origins.add(origin)
                try:
                    return await self._send_activity("", server.attachments())
                finally:
                    self.bot.downloads.local_origins.discard(origin)
        return await self._send_activity(text, [])

    async def _send_activity(self, text: str, attachments: list[Attachment]) -> list[str]:
        activity = Activity(
            type=ActivityTypes.message,
            id=uuid.uuid4().hex,
            text=text,
            channel_id="msteams",
            service_url="http://localhost/local-chat",
            delivery_mode=DeliveryModes.expect_replies,
            from_property=self.user,
            recipient=ChannelAccount(id="aarhusai-bot", name="AarhusAI"),
            conversation=self.conversation,
            locale=self.locale,
            **({"attachments": attachments} if attachments else {}),
        )
        response = await self.bot.adapter.process_activity(ClaimsIdentity(), activity, self.bot.app.on_turn)
        replies = ((response.body or {}) if response else {}).get("activities", [])
        return [_as_text(r) for r in replies if r.get("type") == ActivityTypes.message]


def _as_text(activity: dict[str, Any]) -> str:
    """The message as a terminal shows it: its text, and its cards rendered as text."""
    parts = [activity.get("text") or ""]
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == ADAPTIVE and isinstance(attachment.get("content"), dict):
            parts.append(card_text(attachment["content"]))
    return "\n".join(p for p in parts if p)


def _expand(raw: str) -> list[Path]:
    path = Path(raw).expanduser()
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    return []


class _FileServer:
    """Serves the given files on loopback under unguessable URLs for the duration of one message."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = {uuid.uuid4().hex: p for p in paths}
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> _FileServer:
        app = web.Application()
        app.router.add_get("/{token}/{name}", self._serve)
        self._runner, self.port = await listen(app)
        return self

    async def __aexit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        path = self.paths.get(request.match_info["token"])
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    def attachments(self) -> list[Attachment]:
        return [
            Attachment(
                content_type=FILE_DOWNLOAD_INFO,
                name=path.name,
                content={
                    "downloadUrl": f"http://127.0.0.1:{self.port}/{token}/{path.name}",
                    "uniqueId": token,
                    "fileType": path.suffix.lstrip("."),
                },
            )
            for token, path in self.paths.items()
        ]
