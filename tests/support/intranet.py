"""A small intranet on loopback (aiohttp): pages the tests change, move and remove between syncs,
ETags and Last-Modified honoured (``304``), robots.txt, a sitemap, redirects, and a log of every
request made to it (path, status)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from aiohttp import web

HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LAST_MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT"


def page(title: str, body: str, links: list[str] = (), canonical: str | None = None) -> bytes:  # type: ignore[assignment]
    anchors = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head>"
        f"<body><h1>{title}</h1><p>{body}</p><ul>{anchors}</ul></body></html>"
    ).encode()


@dataclass
class Intranet:
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (content type, body)
    redirects: dict[str, str] = field(default_factory=dict)  # path -> location
    robots: str = ""
    log: list[tuple[str, int]] = field(default_factory=list)  # (path with query, status)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.origin + path

    def requested(self, prefix: str) -> list[tuple[str, int]]:
        return [(p, s) for p, s in self.log if p.startswith(prefix)]

    def downloads(self) -> list[str]:
        """Paths answered with a full body (200), robots.txt and sitemaps left out."""
        return [p for p, s in self.log if s == 200 and not p.startswith(("/robots.txt", "/sitemap"))]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs
        if request.path == "/robots.txt":
            response: web.StreamResponse = (
                web.Response(text=self.robots) if self.robots else web.Response(status=404)
            )
        elif request.path in self.redirects:
            response = web.Response(status=301, headers={"Location": self.redirects[request.path]})
        elif request.path in self.pages:
            content_type, body = self.pages[request.path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if request.headers.get("If-None-Match") == etag:
                response = web.Response(status=304, headers={"ETag": etag})
            else:
                response = web.Response(
                    body=body,
                    headers={"ETag": etag, "Last-Modified": LAST_MODIFIED, "Content-Type": content_type},
                )
        else:
            response = web.Response(status=404)
        self.log.append((path, response.status))
        return response

    async def start(self) -> Intranet:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
