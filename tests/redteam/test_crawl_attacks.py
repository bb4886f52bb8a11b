"""Red team: a crawled page, its robots.txt and its sitemaps are hostile. Whatever they name (another
origin by redirect, link, ``<base>``, canonical, robots ``Sitemap:``, sitemap index, userinfo, an IPv6
or decimal loopback literal), the crawler requests nothing outside the listed origin and keys no
document outside it; what robots.txt disallows is never requested, however the path is written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.connections.types import FetchedDocument
from bot.connections.web import CrawlOptions, WebConnector
from bot.hosts import HostAllowList
from tests.support.intranet import HTML, Intranet, page


@pytest.fixture
async def sites() -> AsyncIterator[tuple[Intranet, Intranet]]:
    site, other = Intranet(), Intranet(pages={"/": (HTML, page("Andet", "Noget andet."))})
    await site.start()
    await other.start()
    yield site, other
    await site.stop()
    await other.stop()


def hostile(site: Intranet, other: Intranet) -> None:
    elsewhere = other.url("/")
    site.robots = (
        "User-agent: *\nDisallow: /hemmelig/\n"
        f"Sitemap: {other.url('/sitemap.xml')}\nSitemap: {site.url('/sitemap.xml')}\n"
    )
    sitemap_index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{other.url('/nested.xml')}</loc></sitemap></sitemapindex>"
    )
    site.pages.update(
        {
            "/sitemap.xml": ("application/xml", sitemap_index.encode()),
            "/": (
                HTML,
                page(
                    "Forside",
                    "Velkommen.",
                    [
                        "/flyt",
                        "/hr/",
                        "/.//hemmelig/h",
                        "/hemmelig/a",
                        "/%68emmelig/b",
                        "/hr/../hemmelig/c",
                        "/hr/%2e%2e/hemmelig/d",
                        "/./hemmelig/e",
                        "//hemmelig/f",
                        "\\hemmelig\\g",
                        elsewhere,
                        f"http://user:pw@127.0.0.1:{site.port}/hr/",
                        f"http://[::1]:{other.port}/",
                        f"http://2130706433:{other.port}/",
                        f"http://0x7f.1:{other.port}/",
                        f"http://127.1:{other.port}/",
                        f"http://localhost:{other.port}/",
                        "/base",
                    ],
                    canonical=other.url("/kanonisk"),
                ),
            ),
            "/base": (
                HTML,
                f'<html><head><base href="{elsewhere}"><title>B</title></head>'
                '<body><a href="sti">x</a><a href="doc.pdf">d</a></body></html>'.encode(),
            ),
            "/hr/": (HTML, page("HR", "Vejledninger.")),
            "/hemmelig/a": (HTML, page("Hemmelig", "Hemmeligt.")),
        }
    )
    site.redirects["/flyt"] = elsewhere


async def crawl(site: Intranet) -> tuple[list[Any], dict[str, Any]]:
    connector = WebConnector(
        site.url("/"), HostAllowList.from_setting([site.origin]), CrawlOptions(delay_s=0.0, max_pages=50)
    )
    state: dict[str, Any] = {}
    return [c async for c in connector.changes(state)], state


async def test_a_hostile_site_leads_the_crawler_nowhere_else(sites: tuple[Intranet, Intranet]) -> None:
    site, other = sites
    hostile(site, other)
    changes, state = await crawl(site)
    assert other.log == [], other.log  # no redirect, link, base, sitemap or literal reached it
    disallowed = [p for p, _s in site.log if "hemmelig" in p.lower()]
    assert disallowed == [], disallowed
    keys = [c.key for c in changes if isinstance(c, FetchedDocument)]
    assert keys and all(k.startswith(site.origin + "/") for k in keys), keys
    assert site.url("/hr/") in keys  # the crawl itself went on
    assert all(k.startswith(site.origin + "/") for k in state["pages"]), state["pages"]
