"""Finding 3: an activity's ``downloadUrl`` cannot point the bot at internal services. Only https to
allow-listed hosts at public addresses, every redirect checked, size capped while streaming; a local
origin only when it is listed explicitly (the terminal chat lists its own file server)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from bot.app import Services
from bot.listen import listen
from bot.rag.errors import IngestError
from bot.server import start
from bot.teams.files import DownloadPolicy, downloader, public_address
from tests.support.connector import FakeConnector, shown
from tests.test_http_edge import message_activity

BUILDER = "aad-anne"


@pytest.fixture
async def internal_service() -> AsyncIterator[tuple[str, list[str]]]:
    """Something inside the network the bot must never fetch from: it records every request."""
    hits: list[str] = []

    async def secret(request: web.Request) -> web.Response:
        hits.append(request.path)
        if request.path.startswith("/redirect"):
            raise web.HTTPFound(request.query["to"])
        return web.Response(text="# Hemmeligt\n\nAdgangskoden til databasen er hunter2.")

    app = web.Application()
    app.router.add_get("/{tail:.*}", secret)
    runner, port = await listen(app)
    yield f"http://127.0.0.1:{port}", hits
    await runner.cleanup()


def _attachment(url: str, name: str = "regler.md") -> dict[str, Any]:
    return {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "name": name,
        "content": {"downloadUrl": url, "uniqueId": uuid.uuid4().hex, "fileType": "md"},
    }


async def _upload(services: Services, connector: FakeConnector, url: str) -> str:
    import aiohttp

    services.stores.specialists.set_editing(BUILDER, services.stores.specialists.create("Regler", BUILDER).id)
    runner, port = await start(services, "127.0.0.1", 0)
    try:
        activity = message_activity(connector.service_url, text=None, attachments=[_attachment(url)])
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}/api/messages", json=activity) as resp:
                assert resp.status == 202
        messages = await connector.wait_for_messages(2, wait_s=20)
    finally:
        await runner.cleanup()
    return shown(messages[-1])


async def test_a_loopback_download_url_is_never_fetched(
    make_services: Callable[..., Services],
    connector: FakeConnector,
    internal_service: tuple[str, list[str]],
) -> None:
    base, hits = internal_service
    reply = await _upload(make_services(admins=BUILDER), connector, f"{base}/secret")
    assert "❌ 'regler.md' blev ikke tilføjet: filen blev ikke hentet, fordi kun https er tilladt" in reply
    assert hits == []


async def test_a_listed_origin_cannot_redirect_elsewhere(
    make_services: Callable[..., Services],
    connector: FakeConnector,
    internal_service: tuple[str, list[str]],
) -> None:
    base, hits = internal_service
    other = base.replace("127.0.0.1", "localhost")  # the same service under a name nobody listed
    services = make_services(admins=BUILDER, download_hosts=base)
    reply = await _upload(services, connector, f"{base}/redirect?to={other}/secret")
    assert "blev ikke hentet" in reply
    assert hits == ["/redirect"]  # the redirect's target was checked and refused, never requested
    sources = services.stores.specialists.sources(services.stores.specialists.require("regler").id)
    assert sources == []


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("file:///etc/passwd", "kun https"),
        ("ftp://contoso.sharepoint.com/x.md", "kun https"),
        ("gopher://127.0.0.1:6379/_INFO", "kun https"),
        ("https://attacker.example/x.md", "er på listen"),
        ("https://contoso.sharepoint.com.attacker.example/x.md", "er på listen"),
        ("https://user:pw@contoso.sharepoint.com/x.md", "brugernavn"),
        ("http://contoso.sharepoint.com/x.md", "kun https"),
    ],
)
async def test_urls_outside_the_policy_are_refused_before_any_connection(url: str, why: str) -> None:
    policy = DownloadPolicy.from_setting(["sharepoint.com"])
    with pytest.raises(IngestError) as refused:
        await downloader(url, "x.md", policy)(1024)
    assert refused.value.reason == "download_refused" and why in refused.value.message("da")


async def test_an_allowed_name_that_resolves_to_an_internal_address_is_refused(
    internal_service: tuple[str, list[str]],
) -> None:
    base, hits = internal_service
    port = base.rsplit(":", 1)[1]
    policy = DownloadPolicy.from_setting(["localhost"])  # a host on the list, pointing inwards
    with pytest.raises(IngestError) as refused:
        await downloader(f"https://localhost:{port}/secret", "x.md", policy)(1024)
    assert "intern adresse" in refused.value.message("da")
    assert hits == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
        ("52.108.0.1", True),  # a SharePoint Online address
        ("2603:1063::1", True),
    ],
)
def test_public_address(address: str, public: bool) -> None:
    assert public_address(address) is public


async def test_size_is_capped_while_streaming(internal_service: tuple[str, list[str]]) -> None:
    base, _ = internal_service
    policy = DownloadPolicy.from_setting([base])
    with pytest.raises(IngestError) as refused:
        await downloader(f"{base}/big", "x.md", policy)(10)
    assert refused.value.reason == "too_large"
