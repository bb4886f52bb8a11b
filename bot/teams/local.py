"""Talk to the real Teams handler in-process, without Teams: the engine of ``aarhusai chat``.

Each message becomes a Teams-shaped personal-chat activity with ``deliveryMode: expectReplies``, so
the Agents SDK runs exactly the turn it runs for Teams and hands the replies back instead of
posting them to a connector.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
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
        self.buttons: dict[str, Button] = {}  # the last reply's card buttons, by their title

    async def send(self, text: str) -> list[str]:
        """Send ``text`` as the user; return the texts of the bot's message replies.

        ``/fil <sti>`` (or ``/upload``) sends the file(s) at that path the way Teams does: as
        ``file.download.info`` attachments whose ``downloadUrl`` a one-shot loopback server answers.
        ``/kort <knap>[: felt=værdi; …]`` (or ``/card``) presses a button of the last card, with the
        card's inputs as shown and the fields given changed, as Teams submits them.
        """
        head, _, rest = text.strip().partition(" ")
        if head.casefold() in ("/kort", "/card"):
            return await self._press(rest)
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
        return await self._turn(
            self._message(text=text, **({"attachments": attachments} if attachments else {}))
        )

    def _message(self, **fields: Any) -> Activity:
        """A message from this user in this chat, as Teams would deliver it (replies handed back)."""
        return Activity(
            type=ActivityTypes.message,
            id=uuid.uuid4().hex,
            channel_id="msteams",
            service_url="http://localhost/local-chat",
            delivery_mode=DeliveryModes.expect_replies,
            from_property=self.user,
            recipient=ChannelAccount(id="aarhusai-bot", name="AarhusAI"),
            conversation=self.conversation,
            locale=self.locale,
            **fields,
        )

    async def _turn(self, activity: Activity) -> list[str]:
        response = await self.bot.adapter.process_activity(ClaimsIdentity(), activity, self.bot.app.on_turn)
        replies = [
            r
            for r in ((response.body or {}) if response else {}).get("activities", [])
            if r.get("type") == ActivityTypes.message
        ]
        buttons = {b.title.casefold(): b for r in replies for b in _buttons(r)}
        if buttons:
            self.buttons = buttons
        return [_as_text(r) for r in replies]

    async def _press(self, args: str) -> list[str]:
        title, _, fields = args.partition(":")
        button = self.buttons.get(title.strip().casefold())
        if button is None:
            known = ", ".join(b.title for b in self.buttons.values()) or "ingen"
            return [f"Fejl: intet kort har knappen '{title.strip()}'. Knapper: {known}."]
        value = {**button.inputs, **button.data}
        for part in fields.split(";"):
            key, sep, raw = part.partition("=")
            if not sep or key.strip() not in button.inputs:  # a choice is an input too
                if part.strip():
                    return [
                        f"Fejl: kortet har ikke feltet '{key.strip()}'. Felter: {', '.join(button.inputs)}."
                    ]
                continue
            choices = button.choices.get(key.strip(), {})
            value[key.strip()] = ",".join(
                choices.get(v.strip().casefold(), v.strip()) for v in raw.split(",")
            )
        return await self._turn(self._message(value=value))


@dataclass(frozen=True)
class Button:
    """An Action.Submit of a card: what it submits, and the inputs of its card as Teams would send them."""

    title: str
    data: dict[str, Any]
    inputs: dict[str, str]  # id → the value shown
    choices: dict[str, dict[str, str]]  # id → choice title (casefolded) → value, so a title can be typed


def _buttons(activity: dict[str, Any]) -> list[Button]:
    found: list[Button] = []
    for attachment in activity.get("attachments") or []:
        content = attachment.get("content")
        if attachment.get("contentType") == ADAPTIVE and isinstance(content, dict):
            found += _card_buttons(content)
    return found


def _card_buttons(card: dict[str, Any]) -> list[Button]:
    inputs: dict[str, str] = {}
    choices: dict[str, dict[str, str]] = {}
    submits: list[dict[str, Any]] = []
    stack: list[Any] = [card]
    while stack:
        node = stack.pop(0)
        if isinstance(node, list):
            stack[:0] = node
            continue
        if not isinstance(node, dict):
            continue
        kind = str(node.get("type", ""))
        if kind.startswith("Input.") and node.get("id"):
            inputs[node["id"]] = "" if node.get("value") is None else str(node["value"])
            if node.get("choices"):
                choices[node["id"]] = {
                    str(c.get("title", "")).casefold(): str(c.get("value", "")) for c in node["choices"]
                }
        elif kind == "Action.Submit" and isinstance(node.get("data"), dict):
            submits.append(node)
        stack[:0] = [v for v in node.values() if isinstance(v, dict | list)]
    return [Button(str(a.get("title", "")), a["data"], inputs, choices) for a in submits]


def _as_text(activity: dict[str, Any]) -> str:
    """The message as a terminal shows it: its text, its cards rendered as text, and its suggested
    actions (Teams' buttons that send a question) as ``→ question`` lines, to type as they stand."""
    parts = [activity.get("text") or ""]
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == ADAPTIVE and isinstance(attachment.get("content"), dict):
            parts.append(card_text(attachment["content"]))
    actions = (activity.get("suggestedActions") or {}).get("actions") or []
    parts += [f"→ {a['value']}" for a in actions if isinstance(a, dict) and isinstance(a.get("value"), str)]
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
