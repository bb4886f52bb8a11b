"""The web connector: an intranet site crawled within an administrator's host list, incrementally.

Crawling an intranet means fetching internal addresses on purpose, so what may be fetched is decided
before every request and every redirect hop: the URL's host must be in ``AARHUSAI_CRAWL_HOSTS``
(https to a listed name, or an explicitly listed local origin such as ``http://127.0.0.1:8080``, the
rule of ``bot.hosts``), ``robots.txt`` must allow it, and a page must lie under an include prefix and
under no exclude prefix. A name never resolves to a link-local (cloud metadata) address.

Incremental: each page's ETag / Last-Modified are kept in the state and sent back, so an unchanged page
costs one ``304`` (its links are kept too, so the crawl goes on through it); a ``200`` whose bytes hash
as before is ``Unchanged`` as well. Canonical URLs (``<link rel=canonical>``, fragments dropped) are
the documents' keys, so one page reached by two URLs is one document. PDFs and Word files linked from
pages are documents too. A 404/410, or a page no longer reached by a complete crawl, is ``Gone``.

Sitemaps: ``ultimate-sitemap-parser`` fetches by itself (with ``requests``), past the per-request host
and robots checks and the politeness limits, so sitemaps are read here instead with lxml configured
as a defused parser (no entities resolved, no DTD, no network, no huge trees).

Politeness per host: at most ``concurrency`` requests at once, and each slot waits ``delay_s`` (or the
site's ``Crawl-delay``, when larger) after its request.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import re
import socket
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urljoin
from urllib.robotparser import RobotFileParser

import aiohttp
import lxml.etree
import lxml.html
from ada_url import URL

from bot import metrics
from bot.connections.types import Change, FetchedDocument, FetchFailed, Gone, Unchanged
from bot.errors import AarhusAIError
from bot.hosts import HostAllowList, origin, parse

MAX_REDIRECTS = 5
MAX_SITEMAPS = 50
MAX_LINKS_PER_PAGE = 2000
USER_AGENT = "AarhusAI-crawler/1.0 (+kildesynkronisering)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}
EXTENSION_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html",
    ".htm": "text/html",
}
# links to these are never requested: nothing in them is a document the reader takes
SKIPPED_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".svg",
    ".webp",
    ".ico",
    ".css",
    ".js",
    ".zip",
    ".gz",
    ".mp3",
    ".mp4",
    ".avi",
    ".mov",
    ".exe",
    ".msi",
    ".iso",
    ".dmg",
    ".woff",
    ".woff2",
    ".ttf",
)
_LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
# a defused XML parser for sitemaps: no entity expansion, no DTD, no network, bounded trees
_XML = lxml.etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)


@dataclass(frozen=True)
class CrawlOptions:
    """What to crawl and how gently; ``include``/``exclude`` are URL prefixes, or path prefixes
    (``/hr/``) on the start URL's origin. No include prefix: the start URL's whole origin."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_pages: int = 500
    concurrency: int = 2
    delay_s: float = 0.25
    timeout_s: float = 30.0
    max_bytes: int = 50 * 1024 * 1024


@dataclass
class _Response:
    url: str  # the final URL, after redirects
    status: int
    headers: dict[str, str]
    body: bytes = b""


class _Refused(AarhusAIError):
    """A URL the crawler may not request (host, robots, prefix): it is skipped, never fetched."""


class _Failed(AarhusAIError):
    """A URL that could not be fetched this time (its redirects went on too long)."""


def _link_local(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in _LINK_LOCAL)


class _Resolver(aiohttp.ThreadedResolver):
    """A listed name never leads to a link-local (cloud metadata) address, whatever DNS says."""

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):  # type: ignore[no-untyped-def,override]
        found = [a for a in await super().resolve(host, port, family) if not _link_local(str(a["host"]))]
        if not found:
            raise OSError(f"{host}: no address the crawler may reach")
        return found


def normalise(url: str, base: str | None = None) -> str | None:
    """An absolute http(s) URL without its fragment, as a browser writes it; None when it is none.
    Joined by the same WHATWG parser that reads hosts (``urljoin`` reads ``\\x`` as a path segment
    where a browser reads ``/x``, so the page requested would not be the one robots.txt was asked about)."""
    try:
        parsed = URL(url.strip(), base=base) if base else URL(url.strip())
    except (ValueError, TypeError):
        return None
    if parsed.protocol not in ("http:", "https:"):
        return None
    parsed.hash = ""
    return parsed.href


def _slashes_merged(url: str) -> str:
    """``url`` with repeated slashes in its path as one: most web servers serve ``//hemmelig/x`` as
    ``/hemmelig/x`` (nginx's ``merge_slashes``), so robots.txt is asked about both forms."""
    parsed = parse(url)
    if parsed is None or "//" not in parsed.pathname:
        return url
    parsed.pathname = re.sub("/{2,}", "/", parsed.pathname)
    return parsed.href


def _prefix(entry: str, start: str) -> str:
    return normalise(entry, start) or entry if entry.startswith("/") else (normalise(entry) or entry)


def _content_type(headers: dict[str, str], url: str) -> str:
    declared = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if declared in HTML_TYPES or declared in DOCUMENT_TYPES:
        return "text/html" if declared in HTML_TYPES else declared
    path = (parse(url).pathname if parse(url) else "").lower()  # type: ignore[union-attr]
    for ext, kind in EXTENSION_TYPES.items():
        if path.endswith(ext):
            return kind
    return declared


def document_name(url: str, content_type: str) -> str:
    """A source name from the URL's last path part, with the extension its type needs."""
    parsed = parse(url)
    path = unquote(parsed.pathname if parsed else "").rstrip("/")
    stem = path.rsplit("/", 1)[-1] or (parsed.hostname if parsed else "") or "side"
    ext = ".html" if content_type == "text/html" else DOCUMENT_TYPES.get(content_type, "")
    lowered = stem.lower()
    if content_type == "text/html" and (lowered.endswith(".html") or lowered.endswith(".htm")):
        return stem
    if ext and lowered.endswith(ext):
        return stem
    for old in (".aspx", ".php", ".asp", ".jsp", ".htm", ".html"):
        if lowered.endswith(old):
            stem = stem[: -len(old)]
            break
    return (stem or "side") + ext


def _modified(headers: dict[str, str]) -> datetime | None:
    value = headers.get("last-modified")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


@dataclass
class _Page:
    title: str
    canonical: str | None
    links: list[str]
    noindex: bool
    nofollow: bool


def read_page(body: bytes, url: str) -> _Page:
    """Title, canonical URL and links of an HTML page (a page that does not parse has none)."""
    try:
        doc = lxml.html.document_fromstring(body)
    except (lxml.etree.ParserError, ValueError):
        return _Page("", None, [], False, False)
    base = url
    for href in doc.xpath("//base/@href")[:1]:
        base = normalise(str(href), url) or url
    robots = " ".join(str(c) for c in doc.xpath("//meta[@name='robots']/@content")).lower()
    canonical = None
    for link in doc.xpath("//link[@href]"):
        if "canonical" in str(link.get("rel", "")).lower().split():
            canonical = normalise(str(link.get("href")), base)
            break
    links: list[str] = []
    for href in doc.xpath("//a/@href")[:MAX_LINKS_PER_PAGE]:
        found = normalise(str(href), base)
        if found:
            links.append(found)
    title = " ".join((doc.findtext(".//title") or "").split())[:500]
    return _Page(title, canonical, list(dict.fromkeys(links)), "noindex" in robots, "nofollow" in robots)


def read_sitemap(body: bytes) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) of a sitemap or sitemap index; nothing when it does not parse."""
    try:
        root = lxml.etree.fromstring(body, _XML)
    except (lxml.etree.XMLSyntaxError, ValueError):
        return [], []
    pages, nested = [], []
    for loc in root.iter("{*}loc"):
        text = (loc.text or "").strip()
        parent = loc.getparent()
        tag = lxml.etree.QName(parent).localname if parent is not None else ""
        (nested if tag == "sitemap" else pages).append(text)
    return pages, nested


@dataclass
class WebConnector:
    """One connected site. ``stats`` counts what a sync cost: requests, full downloads, 304s."""

    start: str
    hosts: HostAllowList
    options: CrawlOptions = field(default_factory=CrawlOptions)
    kind: str = "web"
    stats: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.include = tuple(_prefix(p, self.start) for p in self.options.include) or (
            normalise("/", self.start) or self.start,
        )
        self.exclude = tuple(_prefix(p, self.start) for p in self.options.exclude)
        self._robots: dict[str, RobotFileParser] = {}
        self._robots_lock = asyncio.Lock()
        self.unreadable: set[str] = set()  # sites whose robots.txt could not be read: nothing crawled
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._delays: dict[str, float] = {}
        self._session: aiohttp.ClientSession | None = None

    # -- what may be requested ---------------------------------------------------------------------
    def in_scope(self, url: str) -> bool:
        """Under an include prefix and no exclude prefix."""
        return any(url.startswith(p) for p in self.include) and not any(
            url.startswith(p) for p in self.exclude
        )

    async def _allowed(self, url: str) -> None:
        """Raise ``_Refused`` unless the host is listed and robots.txt allows ``url``."""
        if self.hosts.refusal(url) is not None:
            self.stats["refused_host"] += 1
            raise _Refused(url)
        robots = await self._robots_for(url)
        if not robots.can_fetch(USER_AGENT, url) or not robots.can_fetch(USER_AGENT, _slashes_merged(url)):
            self.stats["refused_robots"] += 1
            raise _Refused(url)

    async def _robots_for(self, url: str) -> RobotFileParser:
        site = origin(url)
        async with self._robots_lock:
            if site in self._robots:
                return self._robots[site]
            parser = RobotFileParser()
            try:
                response = await self._request(urljoin(url, "/robots.txt"), check=False)
            except (aiohttp.ClientError, TimeoutError, _Refused):
                response = None
            if response is not None and response.status == 200:
                self.stats["downloads"] -= 1  # robots.txt is counted apart from the documents
                self.stats["robots"] += 1
            if response is None or response.status >= 500:
                parser.disallow_all = True  # unreadable: nothing is crawled (the site may be down)
                self.unreadable.add(site)
            elif response.status == 200:
                parser.parse(response.body.decode("utf-8", "replace").splitlines())
                delay = parser.crawl_delay(USER_AGENT)
                if delay:
                    self._delays[site] = min(float(delay), 30.0)
            else:
                parser.allow_all = True
            self._robots[site] = parser
            return parser

    # -- requests ----------------------------------------------------------------------------------
    async def _request(self, url: str, rec: dict[str, Any] | None = None, check: bool = True) -> _Response:
        """GET ``url`` (every redirect hop checked like the first), at most ``max_bytes`` of body. The
        validators of ``rec`` are sent only to the URL that gave them (``final``): a page that moved
        is fetched whole, never answered for by its old address's ``304``."""
        assert self._session is not None
        rec = rec or {}
        target = url
        for _hop in range(MAX_REDIRECTS + 1):
            if check:
                await self._allowed(target)
            elif self.hosts.refusal(target) is not None:
                raise _Refused(target)
            site = origin(target)
            slot = self._slots.setdefault(site, asyncio.Semaphore(self.options.concurrency))
            async with slot:
                try:
                    headers = _conditional(rec) if target == rec.get("final", rec.get("url")) else {}
                    response = await self._get(target, headers)
                finally:
                    await asyncio.sleep(max(self.options.delay_s, self._delays.get(site, 0.0)))
            if response.status in (301, 302, 303, 307, 308) and "location" in response.headers:
                moved = normalise(response.headers["location"], target)
                if moved is None:
                    raise _Refused(response.headers["location"])
                target = moved
                continue
            return response
        raise _Failed("too many redirects")

    async def _get(self, url: str, headers: dict[str, str]) -> _Response:
        assert self._session is not None
        self.stats["requests"] += 1
        async with self._session.get(url, headers=headers, allow_redirects=False) as response:
            metrics.SYNC_REQUESTS.labels(str(response.status)).inc()
            self.stats[f"status_{response.status}"] += 1
            found = {k.lower(): v for k, v in response.headers.items()}
            if response.status != 200:
                return _Response(url, response.status, found)
            declared = (
                int(found.get("content-length") or 0) if found.get("content-length", "").isdigit() else 0
            )
            if declared > self.options.max_bytes:
                return _Response(url, 413, found)
            body = bytearray()
            async for part in response.content.iter_chunked(65536):
                body.extend(part)
                if len(body) > self.options.max_bytes:
                    return _Response(url, 413, found)
            self.stats["downloads"] += 1
            return _Response(url, 200, found, bytes(body))

    # -- the crawl ---------------------------------------------------------------------------------
    async def changes(self, state: dict[str, Any]) -> AsyncIterator[Change]:
        old: dict[str, dict[str, Any]] = dict(state.get("pages") or {})
        by_url = {rec["url"]: key for key, rec in old.items() if isinstance(rec, dict) and rec.get("url")}
        old_maps: dict[str, dict[str, Any]] = dict(state.get("sitemaps") or {})
        old_aliases: dict[str, dict[str, Any]] = dict(state.get("aliases") or {})
        pages: dict[str, dict[str, Any]] = {}
        aliases: dict[str, dict[str, Any]] = {}  # other URLs of a document (its canonical is its key)
        maps: dict[str, dict[str, Any]] = {}
        gone: set[str] = set()
        complete = True
        timeout = aiohttp.ClientTimeout(total=self.options.timeout_s)
        connector = aiohttp.TCPConnector(limit_per_host=self.options.concurrency, resolver=_Resolver())
        headers = {"User-Agent": USER_AGENT}
        async with aiohttp.ClientSession(timeout=timeout, connector=connector, headers=headers) as session:
            self._session = session
            start = normalise(self.start)
            if start is None:
                raise ValueError(self.start)
            queue: deque[str] = deque()
            seen: set[str] = set()

            def enqueue(url: str, linked_document: bool = False) -> None:
                if url in seen or self.hosts.refusal(url) is not None:
                    return
                if (parse(url).pathname or "").lower().endswith(SKIPPED_EXTENSIONS):  # type: ignore[union-attr]
                    return
                if not self.in_scope(url) and not (linked_document and self._looks_like_document(url)):
                    return
                if any(url.startswith(p) for p in self.exclude):
                    return
                seen.add(url)
                queue.append(url)

            # seeds: the start URL (or the sitemap it names) and the sitemaps robots.txt lists
            sitemaps: list[str] = []
            robots = await self._robots_for(start)
            if origin(start) in self.unreadable:
                raise ConnectionError(f"{origin(start)}/robots.txt could not be read")
            sitemaps.extend(robots.site_maps() or [])
            if parse(start) and parse(start).pathname.lower().endswith(".xml"):  # type: ignore[union-attr]
                sitemaps.insert(0, start)
            else:
                seen.add(start)
                queue.append(start)
            done_maps: set[str] = set()
            while sitemaps and len(done_maps) < MAX_SITEMAPS:
                url = normalise(sitemaps.pop(0)) or ""
                if not url or url in done_maps or self.hosts.refusal(url) is not None:
                    continue
                done_maps.add(url)
                rec = old_maps.get(url, {})
                try:
                    response = await self._request(url, rec)
                except (_Refused, _Failed, aiohttp.ClientError, TimeoutError, OSError):
                    complete = False
                    continue
                if response.status == 304 and rec:
                    page_urls, nested = rec.get("pages", []), rec.get("nested", [])
                    maps[url] = rec
                elif response.status == 200:
                    page_urls, nested = read_sitemap(response.body)
                    maps[url] = {
                        **_validators(response),
                        "final": response.url,
                        "pages": page_urls,
                        "nested": nested,
                    }
                else:
                    complete = complete and response.status in (404, 410)
                    continue
                sitemaps.extend(nested)
                for page_url in page_urls:
                    if found := normalise(page_url):
                        enqueue(found)

            limit = self.options.max_pages
            while queue:
                batch = []
                while queue and len(batch) < self.options.concurrency * 2:
                    batch.append(queue.popleft())
                results = await asyncio.gather(
                    *(self._fetch(u, old.get(by_url.get(u, ""), old_aliases.get(u, {}))) for u in batch)
                )
                for url, result in zip(batch, results, strict=True):
                    if len(pages) >= limit:  # the page limit: what was not reached is kept as it was
                        complete = False
                        queue.clear()
                        break
                    key_before = by_url.get(url)
                    if isinstance(result, _Refused):
                        if url == start:
                            raise ConnectionError(f"{start} may not be crawled (host or robots.txt)")
                        if origin(url) in self.unreadable:
                            complete = False
                        continue
                    if isinstance(result, str):  # could not be fetched this time: kept as it was
                        complete = False
                        if key_before and key_before not in pages:
                            pages[key_before] = old[key_before]
                            for link in old[key_before].get("links", []):
                                enqueue(link)
                            yield FetchFailed(key_before, result)
                        elif url == start:
                            raise ConnectionError(result)
                        continue
                    response = result
                    if url == start and response.status not in (200, 304):
                        raise ConnectionError(f"{start}: HTTP {response.status}")
                    if response.status in (404, 410):
                        if key_before and key_before not in pages and key_before not in gone:
                            gone.add(key_before)
                            yield Gone(key_before)
                        continue
                    if response.status == 304 and url in old_aliases and not key_before:
                        aliases[url] = old_aliases[url]  # another URL of a document, unchanged
                        continue
                    if response.status == 304 and key_before and key_before in old:
                        if key_before in pages:
                            continue
                        pages[key_before] = old[key_before]
                        for link in old[key_before].get("links", []):
                            enqueue(link, linked_document=True)
                        yield Unchanged(key_before)
                        continue
                    if response.status != 200:
                        complete = False
                        if key_before and key_before in old and key_before not in pages:
                            pages[key_before] = old[key_before]
                            yield FetchFailed(key_before, f"HTTP {response.status}")
                        continue
                    change = self._document(url, response, old, pages, aliases, enqueue)
                    if change is not None:
                        yield change
            self._session = None
        if complete:
            for key in old:
                if key not in pages and key not in gone:
                    yield Gone(key)  # no longer reached from the start page or a sitemap
        else:
            for key, rec in old.items():  # an incomplete crawl removes nothing it did not see go
                if key not in gone:
                    pages.setdefault(key, rec)
        state.clear()
        state.update({"pages": pages, "sitemaps": maps, "aliases": aliases})

    @staticmethod
    def _looks_like_document(url: str) -> bool:
        path = (parse(url).pathname if parse(url) else "").lower()  # type: ignore[union-attr]
        return path.endswith(".pdf") or path.endswith(".docx")

    async def _fetch(self, url: str, rec: dict[str, Any]) -> _Response | _Refused | str:
        try:
            return await self._request(url, rec)
        except _Refused as exc:
            return exc
        except _Failed as exc:
            return str(exc)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return type(exc).__name__

    def _document(
        self,
        url: str,
        response: _Response,
        old: dict[str, dict[str, Any]],
        pages: dict[str, dict[str, Any]],
        aliases: dict[str, dict[str, Any]],
        enqueue: Any,
    ) -> FetchedDocument | Unchanged | None:
        """The change a fetched 200 makes (None: not a document, or one seen already this sync)."""
        content_type = _content_type(response.headers, response.url)
        links: list[str] = []
        title = ""
        key = response.url
        if content_type == "text/html":
            page = read_page(response.body, response.url)
            title = page.title
            if not page.nofollow:
                links = page.links
                for link in links:
                    enqueue(link, linked_document=True)
            if (
                page.canonical
                and self.hosts.refusal(page.canonical) is None
                and self.in_scope(page.canonical)
            ):
                key = page.canonical
            if page.noindex:
                return None
        elif content_type not in DOCUMENT_TYPES:
            return None
        if key in pages:  # the same document under another URL (canonical de-duplication)
            aliases[url] = {**_validators(response), "final": response.url, "key": key}
            return None
        digest = hashlib.sha256(response.body).hexdigest()
        pages[key] = {
            **_validators(response),
            "url": url,
            "final": response.url,
            "hash": digest,
            "links": links,
        }
        if old.get(key, {}).get("hash") == digest:
            return Unchanged(key)
        name = document_name(key, content_type)
        return FetchedDocument(
            key=key,
            name=name,
            title=title or name,
            url=key,
            modified=_modified(response.headers),
            content=response.body,
            content_type=content_type,
        )


def _validators(response: _Response) -> dict[str, str]:
    out = {}
    if etag := response.headers.get("etag"):
        out["etag"] = etag
    if modified := response.headers.get("last-modified"):
        out["last_modified"] = modified
    return out


def _conditional(rec: dict[str, Any]) -> dict[str, str]:
    headers = {}
    if rec.get("etag"):
        headers["If-None-Match"] = str(rec["etag"])
    if rec.get("last_modified"):
        headers["If-Modified-Since"] = str(rec["last_modified"])
    return headers
