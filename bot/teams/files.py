"""Files sent to the bot in Teams: ``file.download.info`` attachments, fetched without letting an
activity point the bot at anything it should not reach.

In personal chats Teams delivers a file as an attachment whose ``content.downloadUrl`` is a short-lived,
pre-authenticated SharePoint/OneDrive link. Everything in an activity is attacker-controlled, so a
download is made only when:

- the URL is ``https`` and its host is on the allow-list (``AARHUSAI_DOWNLOAD_HOSTS``; a host also
  allows its subdomains), or its origin was listed explicitly as a local one (``aarhusai chat`` lists
  its own one-shot loopback file server; an operator may list one in ``AARHUSAI_DOWNLOAD_HOSTS`` as
  ``http://127.0.0.1:PORT``);
- every address the host resolves to is public: loopback, private, link-local (cloud metadata),
  carrier-grade NAT, multicast and reserved addresses are refused — checked when the socket connects,
  so a DNS answer that changes between check and use cannot slip through;
- every redirect passes the same checks (at most ``MAX_REDIRECTS``);
- the body stays under the upload limit while it streams.

Channels and group chats do not support the bot file API.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urljoin

import httpcore
import httpx
from microsoft_agents.activity import Activity

from bot.conversation.types import IncomingFile
from bot.domain import AppError, Outcome
from bot.rag.errors import IngestError
from bot.teams.hosts import HostAllowList

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
# Files a user attaches in a channel arrive as plain links/HTML; these content types mark them.
CHANNEL_FILE_TYPES = ("reference", "application/vnd.microsoft.teams.file.download.info")
DOWNLOAD_TIMEOUT_S = 60.0
MAX_REDIRECTS = 3
METADATA = ipaddress.ip_network("169.254.0.0/16")  # link-local, where cloud metadata services live


class Refused(AppError):
    """The URL or an address it resolves to is not one the bot may fetch (``key`` says why)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(Outcome.FORBIDDEN, f"download_{key}", **values)


def public_address(ip: str) -> bool:
    """Only globally routable unicast addresses; IPv4-mapped IPv6 is judged as the IPv4 it maps."""
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and address not in METADATA


class DownloadPolicy(HostAllowList):
    """Where files may be fetched from. ``local_origins`` (``http://127.0.0.1:PORT``) skip the public-
    address rule; only an operator's setting or the in-process terminal chat adds them."""

    @classmethod
    def from_setting(cls, entries: Iterable[str]) -> DownloadPolicy:
        base = HostAllowList.from_setting(entries)
        return cls(base.hosts, base.local_origins)

    def check_url(self, url: str) -> bool:
        """Raise ``Refused`` for a URL that may not be fetched; True when it is a listed local origin."""
        refusal = self.refusal(url)
        if refusal is not None:
            key, values = refusal
            raise Refused(key, **values)
        return self.is_local_origin(url)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself and connects only to an address that passes ``public_address``."""

    def __init__(self, allow_local: Callable[[str, int], bool]) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_local = allow_local

    async def connect_tcp(  # type: ignore[override]
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: object = None,
    ) -> httpcore.AsyncNetworkStream:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [str(info[4][0]) for info in infos]
        local = self._allow_local(host, port)
        if not addresses or not (local or all(public_address(a) for a in addresses)):
            raise Refused("internal", host=host)
        return await self._inner.connect_tcp(addresses[0], port, timeout, local_address, socket_options)  # type: ignore[arg-type]

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _client(policy: DownloadPolicy) -> httpx.AsyncClient:
    def allow_local(host: str, port: int) -> bool:
        return any(o.endswith(f"://{host.lower()}:{port}") for o in policy.local_origins)

    transport = httpx.AsyncHTTPTransport(retries=0)
    transport._pool._network_backend = _GuardedBackend(allow_local)  # the only way to hook the connect
    return httpx.AsyncClient(transport=transport, timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=False)


def downloader(url: str, name: str, policy: DownloadPolicy) -> Callable[[int], Awaitable[bytes]]:
    async def fetch(max_bytes: int) -> bytes:
        try:
            async with _client(policy) as client:
                target = url
                for _hop in range(MAX_REDIRECTS + 1):
                    policy.check_url(target)
                    async with client.stream("GET", target) as response:
                        if (
                            response.status_code in (301, 302, 303, 307, 308)
                            and "location" in response.headers
                        ):
                            target = urljoin(target, response.headers["location"])
                            continue
                        return await _body(response, name, max_bytes)
                raise Refused("redirects", limit=MAX_REDIRECTS)
        except Refused as exc:
            raise IngestError(name, "download_refused", why=exc) from None
        except httpx.HTTPError as exc:
            raise IngestError(name, "download_failed", detail=type(exc).__name__) from None

    return fetch


async def _body(response: httpx.Response, name: str, max_bytes: int) -> bytes:
    if response.status_code != 200:
        raise IngestError(name, "download_failed", detail=f"HTTP {response.status_code}")
    try:
        declared = int(response.headers.get("content-length") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        raise IngestError(name, "too_large", size_mb=declared / 2**20, limit_mb=max_bytes // 2**20)
    data = bytearray()
    async for part in response.aiter_bytes():
        data.extend(part)
        if len(data) > max_bytes:
            raise IngestError(name, "too_large", size_mb=len(data) / 2**20, limit_mb=max_bytes // 2**20)
    return bytes(data)


def incoming_files(
    activity: Activity, policy: DownloadPolicy
) -> tuple[tuple[IncomingFile, ...], tuple[str, ...]]:
    """(files the bot can fetch, names of files it cannot receive in this kind of conversation)."""
    files: list[IncomingFile] = []
    refused: list[str] = []
    conversation_type = activity.conversation.conversation_type if activity.conversation else None
    for attachment in activity.attachments or []:
        content = attachment.content if isinstance(attachment.content, dict) else {}
        name = str(attachment.name or content.get("name") or "fil")
        url = content.get("downloadUrl")
        if attachment.content_type == FILE_DOWNLOAD_INFO and isinstance(url, str) and url:
            if conversation_type in (None, "personal"):
                files.append(
                    IncomingFile(
                        name=name,
                        fetch=downloader(url, name, policy),
                        content_type=str(content.get("fileType") or "") or None,
                    )
                )
            else:
                refused.append(name)
        elif conversation_type in ("channel", "groupChat") and attachment.content_type in CHANNEL_FILE_TYPES:
            refused.append(name)
    return tuple(files), tuple(refused)
