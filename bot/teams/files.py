"""Files sent to the bot in Teams: ``file.download.info`` attachments, downloaded with a size limit.

In personal chats Teams delivers a file as an attachment whose ``content.downloadUrl`` is a short-lived,
pre-authenticated link. Channels and group chats do not support the bot file API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from microsoft_agents.activity import Activity

from bot.conversation.types import IncomingFile
from bot.rag.errors import IngestError

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
# Files a user attaches in a channel arrive as plain links/HTML; these content types mark them.
CHANNEL_FILE_TYPES = ("reference", "application/vnd.microsoft.teams.file.download.info")
DOWNLOAD_TIMEOUT_S = 60.0


def downloader(url: str, name: str) -> Callable[[int], Awaitable[bytes]]:
    async def fetch(max_bytes: int) -> bytes:
        try:
            async with httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=True) as client:
                async with client.stream("GET", url) as response:
                    if response.status_code != 200:
                        raise IngestError(name, "download_failed", detail=f"HTTP {response.status_code}")
                    declared = int(response.headers.get("content-length") or 0)
                    if declared > max_bytes:
                        raise IngestError(
                            name, "too_large", size_mb=declared / 2**20, limit_mb=max_bytes // 2**20
                        )
                    data = bytearray()
                    async for part in response.aiter_bytes():
                        data.extend(part)
                        if len(data) > max_bytes:
                            raise IngestError(
                                name, "too_large", size_mb=len(data) / 2**20, limit_mb=max_bytes // 2**20
                            )
                    return bytes(data)
        except httpx.HTTPError as exc:
            raise IngestError(name, "download_failed", detail=type(exc).__name__) from None

    return fetch


def _too_large(name: str, size: int, max_bytes: int) -> IngestError:
    return IngestError(name, "too_large", size_mb=size / 2**20, limit_mb=max_bytes // 2**20)


def incoming_files(activity: Activity) -> tuple[tuple[IncomingFile, ...], tuple[str, ...]]:
    """(files the bot can fetch, names of files it cannot receive in this kind of conversation)."""
    files: list[IncomingFile] = []
    refused: list[str] = []
    conversation_type = activity.conversation.conversation_type if activity.conversation else None
    for attachment in activity.attachments or []:
        content = attachment.content if isinstance(attachment.content, dict) else {}
        name = attachment.name or content.get("name") or "fil"
        if attachment.content_type == FILE_DOWNLOAD_INFO and content.get("downloadUrl"):
            if conversation_type in (None, "personal"):
                files.append(
                    IncomingFile(
                        name=name,
                        fetch=downloader(content["downloadUrl"], name),
                        content_type=content.get("fileType"),
                    )
                )
            else:
                refused.append(name)
        elif conversation_type in ("channel", "groupChat") and attachment.content_type in CHANNEL_FILE_TYPES:
            refused.append(name)
    return tuple(files), tuple(refused)
