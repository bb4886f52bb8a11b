"""Requests to Microsoft Graph and the file downloads it redirects to, with the project's aiohttp.

Two sessions, two rules:

- **Graph** (``AARHUSAI_GRAPH_URL``, an operator's setting): every request carries the app-only token,
  and only to Graph's own origin — a ``@odata.nextLink``/``@odata.deltaLink`` (from a response, or
  from a stored state) pointing anywhere else is refused, so the token never leaves. ``429``/``503``
  wait for ``Retry-After`` (capped) and try again, a bounded number of times.
- **Downloads**: ``/content`` answers ``302`` to a pre-authenticated URL on SharePoint's host, not
  Graph's. Only that redirect is followed, only to ``https`` on ``AARHUSAI_DOWNLOAD_HOSTS`` (or a
  listed local origin such as ``http://127.0.0.1:PORT``), never with the token, every hop checked
  again, every address the host resolves to public (checked when the socket connects), the body
  bounded while it streams and the whole download bounded in time.

Hosts are read as a browser reads them (WHATWG URL parsing with ``ada-url``); a link Graph gives (a
``$skiptoken``, a ``tempauth``) is sent byte for byte, never re-quoted.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote as _quote

import aiohttp
from ada_url import join_url
from yarl import URL as YarlURL

from bot import metrics
from bot.connections.graph_auth import GraphError
from bot.domain import AppError, Outcome
from bot.hosts import host_matches, origin, parse  # one URL reading for every outbound check

log = logging.getLogger(__name__)

GRAPH_TIMEOUT_S = 60.0
DOWNLOAD_TIMEOUT_S = 120.0
MAX_RETRIES = 4  # tries after the first, for 429/503/504 and connection errors
MAX_RETRY_AFTER_S = 120.0  # a longer Retry-After is waited this long
DEFAULT_RETRY_AFTER_S = 5.0
MAX_REDIRECTS = 3
RETRY_STATUSES = (429, 503, 504)
METADATA = ipaddress.ip_network("169.254.0.0/16")


def public_address(ip: str) -> bool:
    """Only globally routable unicast addresses; IPv4-mapped IPv6 is judged as the IPv4 it maps."""
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and address not in METADATA


@dataclass(frozen=True)
class HostList:
    """Listed hosts (https, subdomains included) and explicitly listed local origins
    (``http://127.0.0.1:PORT``), as ``AARHUSAI_DOWNLOAD_HOSTS`` is written."""

    hosts: tuple[str, ...] = ()
    local_origins: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_setting(cls, entries: Iterable[str]) -> HostList:
        hosts, local = [], set()
        for entry in (e.strip().lower() for e in entries if e.strip()):
            if "://" in entry:
                if found := origin(entry):
                    local.add(found)
            else:
                hosts.append(entry.strip(".").rstrip("/"))
        return cls(tuple(hosts), frozenset(local))

    def allows(self, url: str) -> bool:
        parsed = parse(url)
        if parsed is None or parsed.username or parsed.password:
            return False
        if origin(url) in self.local_origins:
            return True
        return parsed.protocol == "https:" and host_matches(parsed.hostname, self.hosts)

    def local(self, host: str, port: int) -> bool:
        return any(o.endswith(f"://{host.lower()}:{port}") for o in self.local_origins)


class _PublicOnlyResolver(aiohttp.ThreadedResolver):
    """Resolves a download host and refuses it unless every address is public (or its origin is a
    listed local one): a DNS name that points inside the network is never connected to."""

    def __init__(self, hosts: HostList) -> None:
        super().__init__()
        self._hosts = hosts

    async def resolve(  # type: ignore[override]
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[Any]:
        found = await super().resolve(host, port, family)
        if not self._hosts.local(host, port) and not all(public_address(str(r["host"])) for r in found):
            raise OSError(f"{host} resolves to an internal address")
        return found


def retry_after(headers: Any) -> float:
    """Seconds to wait: ``Retry-After`` in seconds (the form Graph sends), bounded."""
    try:
        return min(max(float(headers.get("Retry-After", "")), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        return DEFAULT_RETRY_AFTER_S


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str


class DownloadFailed(AppError):
    """One file could not be downloaded; ``key``/``values`` name the reason (``bot.messages``)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(Outcome.UPSTREAM_FAILED, key, **values)


class GraphHttp:
    """One sync's HTTP: the Graph session and the download session (use ``async with``)."""

    def __init__(
        self,
        graph_url: str,
        token: Callable[[], Awaitable[str]],
        download_hosts: HostList,
        max_bytes: int,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.graph_url = graph_url.rstrip("/")
        self._origin = origin(self.graph_url)
        self._token = token
        self._downloads = download_hosts
        self._max_bytes = max_bytes
        self._sleep = sleep
        self._graph: aiohttp.ClientSession | None = None
        self._fetch: aiohttp.ClientSession | None = None
        self.waited_s = 0.0  # total Retry-After waited (for the log and the tests)
        self.statuses: Counter[str] = (
            Counter()
        )  # "graph 200", "download 302" …: requests by status, for metrics

    async def __aenter__(self) -> GraphHttp:
        self._graph = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=GRAPH_TIMEOUT_S), trust_env=False
        )
        self._fetch = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=_PublicOnlyResolver(self._downloads), limit=2),
            timeout=aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S),
            trust_env=False,
        )
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for session in (self._graph, self._fetch):
            if session is not None:
                await session.close()

    def url(self, path_or_url: str) -> str:
        """A Graph path (``/drives/x``) under the base, or a link Graph gave, checked to be Graph's."""
        if path_or_url.startswith("/"):
            return self.graph_url + path_or_url
        if origin(path_or_url) != self._origin or parse(path_or_url) is None:
            raise GraphError("graph_foreign_link")
        return path_or_url

    async def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self._token()}", "Accept": "application/json"}

    @asynccontextmanager
    async def _request(self, url: str, *, redirects: bool = False) -> AsyncIterator[aiohttp.ClientResponse]:
        """A GET to Graph with the token; throttling and connection errors retried, bounded."""
        assert self._graph is not None, "use GraphHttp in 'async with'"
        for attempt in range(MAX_RETRIES + 1):
            try:
                response = await self._graph.get(
                    YarlURL(url, encoded=True), headers=await self._headers(), allow_redirects=redirects
                )
            except (aiohttp.ClientError, TimeoutError) as exc:
                if attempt == MAX_RETRIES:
                    raise GraphError("graph_unreachable", detail=type(exc).__name__) from None
                await self._wait(DEFAULT_RETRY_AFTER_S / 5)
                continue
            self.statuses[f"graph {response.status}"] += 1
            metrics.SYNC_REQUESTS.labels(str(response.status)).inc()
            if response.status in RETRY_STATUSES and attempt < MAX_RETRIES:
                wait = retry_after(response.headers)
                response.release()
                log.info("graph: %s on %s; waiting %.1f s", response.status, url.split("?")[0], wait)
                await self._wait(wait)
                continue
            try:
                yield response
            finally:
                response.release()
            return
        raise GraphError("graph_unreachable", detail="retries")  # not reached: the last try yields

    async def _wait(self, seconds: float) -> None:
        self.waited_s += seconds
        await self._sleep(seconds)

    async def get_json(self, path_or_url: str) -> tuple[int, dict[str, Any]]:
        """(status, body) of a Graph GET; a body that is not a JSON object reads as ``{}``."""
        async with self._request(self.url(path_or_url)) as response:
            try:
                body = await response.json(content_type=None)
            except (ValueError, aiohttp.ClientError):
                body = None
            return response.status, body if isinstance(body, dict) else {}

    async def download(self, drive_id: str, item_id: str) -> Download:
        """The file's bytes: Graph's ``/content`` redirect followed to the download host, checked."""
        path = f"/drives/{quote(drive_id)}/items/{quote(item_id)}/content"
        try:
            async with self._request(self.url(path)) as response:
                if response.status == 200:  # a Graph that serves the bytes itself
                    return await self._body(response)
                location = response.headers.get("Location")
                if response.status not in (301, 302, 303, 307, 308) or not location:
                    raise DownloadFailed("graph_download_status", status=response.status)
                target = join_url(str(response.url), location)
            return await self._follow(target)
        except GraphError as exc:
            raise DownloadFailed("graph_download_status", status=exc.values.get("detail", "–")) from None

    async def _follow(self, target: str) -> Download:
        assert self._fetch is not None
        for _hop in range(MAX_REDIRECTS + 1):
            if not self._downloads.allows(target):
                parsed = parse(target)
                raise DownloadFailed("graph_download_host", host=(parsed.hostname if parsed else "") or "–")
            if self._internal_literal(target):  # aiohttp does not ask the resolver about an IP literal
                raise DownloadFailed("graph_download_internal")
            for attempt in range(MAX_RETRIES + 1):
                try:
                    response = await self._fetch.get(YarlURL(target, encoded=True), allow_redirects=False)
                except OSError as exc:  # the resolver's refusal, a refused connection, a timeout
                    if "internal address" in str(exc):
                        raise DownloadFailed("graph_download_internal") from None
                    raise DownloadFailed("graph_download_error", detail=type(exc).__name__) from None
                except (aiohttp.ClientError, TimeoutError) as exc:
                    raise DownloadFailed("graph_download_error", detail=type(exc).__name__) from None
                self.statuses[f"download {response.status}"] += 1
                metrics.SYNC_REQUESTS.labels(str(response.status)).inc()
                if response.status in RETRY_STATUSES and attempt < MAX_RETRIES:
                    wait = retry_after(response.headers)
                    response.release()
                    await self._wait(wait)
                    continue
                break
            try:
                location = response.headers.get("Location")
                if response.status in (301, 302, 303, 307, 308) and location:
                    target = join_url(str(response.url), location)
                    continue
                if response.status != 200:
                    raise DownloadFailed("graph_download_status", status=response.status)
                return await self._body(response)
            finally:
                response.release()
        raise DownloadFailed("graph_download_redirects", limit=MAX_REDIRECTS)

    def _internal_literal(self, url: str) -> bool:
        parsed = parse(url)
        host = (parsed.hostname if parsed else "").strip("[]")
        try:
            internal = not public_address(host)
        except ValueError:
            return False  # a name: the resolver checks what it resolves to
        port = int(parsed.port or (443 if parsed.protocol == "https:" else 80)) if parsed else 0
        return internal and not self._downloads.local(host, port)

    async def _body(self, response: aiohttp.ClientResponse) -> Download:
        limit_mb = self._max_bytes // 2**20
        if (response.content_length or 0) > self._max_bytes:
            raise DownloadFailed("graph_too_large", limit_mb=limit_mb)
        data = bytearray()
        try:
            async for chunk in response.content.iter_chunked(64 * 1024):
                data.extend(chunk)
                if len(data) > self._max_bytes:
                    raise DownloadFailed("graph_too_large", limit_mb=limit_mb)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DownloadFailed("graph_download_error", detail=type(exc).__name__) from None
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return Download(bytes(data), content_type)


def quote(segment: str) -> str:
    """One path segment, percent-encoded whole (Graph ids hold ``!`` and ``,``; names hold anything)."""
    return _quote(segment, safe="")
