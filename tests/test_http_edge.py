"""The HTTP edge as Teams meets it: real server on a free port, replies to a loopback connector."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.app import Services
from bot.listen import listen
from bot.server import start
from tests.support.connector import FakeConnector, shown

APP_ID = "b9c1e0a4-1111-4222-8333-444455556666"


def message_activity(service_url: str, text: str = "/hjælp", **extra: Any) -> dict[str, Any]:
    activity = {
        "type": "message",
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:user-1", "name": "Anne Andersen", "aadObjectId": "aad-anne"},
        "recipient": {"id": "28:bot", "name": "AarhusAI"},
        "conversation": {"id": "a:personal-chat-1", "conversationType": "personal", "tenantId": "t1"},
        "text": text,
        "locale": "da-DK",
    }
    activity.update(extra)
    return activity


async def _serve(services: Services) -> tuple[Any, str]:
    runner, port = await start(services, "127.0.0.1", 0)
    assert port != 0
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def local_bot(make_services: Callable[..., Services]) -> AsyncIterator[str]:
    runner, base = await _serve(make_services())
    yield base
    await runner.cleanup()


async def test_message_gets_its_reply_at_the_connector(local_bot: str, connector: FakeConnector) -> None:
    async with aiohttp.ClientSession() as http:
        activity = message_activity(connector.service_url, "/hjælp")
        async with http.post(f"{local_bot}/api/messages", json=activity) as resp:
            assert resp.status in (200, 202)
    [reply] = await connector.wait_for_messages(1)
    assert "/hjælp" in reply["text"] and "Kommandoer" in reply["text"]
    assert reply["conversation"]["id"] == "a:personal-chat-1"
    assert reply["replyToId"] == activity["id"]
    assert any(p.startswith("/v3/conversations/a:personal-chat-1/activities") for p in connector.paths)


async def test_english_locale_gets_english(local_bot: str, connector: FakeConnector) -> None:
    async with aiohttp.ClientSession() as http:
        act = message_activity(connector.service_url, "/help", locale="en-US")
        async with http.post(f"{local_bot}/api/messages", json=act) as resp:
            assert resp.status in (200, 202)
    [reply] = await connector.wait_for_messages(1)
    assert "Commands" in reply["text"]


BAD_REQUESTS: list[tuple[str, Callable[[str], tuple[bytes, dict[str, str]]], set[int]]] = [
    (
        "malformed json",
        lambda s: (b'{"type": "message", "text": ', {"Content-Type": "application/json"}),
        {400},
    ),
    ("not an object", lambda s: (b'["message"]', {"Content-Type": "application/json"}), {400}),
    (
        "missing conversation",
        lambda s: (
            json.dumps({k: v for k, v in message_activity(s).items() if k != "conversation"}).encode(),
            {"Content-Type": "application/json"},
        ),
        {400},
    ),
    (
        "unknown activity type",
        lambda s: (
            json.dumps(message_activity(s, type="bogusType")).encode(),
            {"Content-Type": "application/json"},
        ),
        {400},
    ),
    (
        "wrongly typed field",
        lambda s: (
            json.dumps(message_activity(s, conversation="not-an-object")).encode(),
            {"Content-Type": "application/json"},
        ),
        {400},
    ),
    (
        "10 MB body",
        lambda s: (b'{"text": "' + b"x" * (10 * 1024 * 1024) + b'"}', {"Content-Type": "application/json"}),
        {413},
    ),
]


@pytest.mark.parametrize(("name", "build", "statuses"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
async def test_bad_requests_get_4xx_and_leave_the_service_healthy(
    local_bot: str,
    connector: FakeConnector,
    name: str,
    build: Callable[[str], tuple[bytes, dict[str, str]]],
    statuses: set[int],
) -> None:
    body, headers = build(connector.service_url)
    async with aiohttp.ClientSession() as http:
        try:
            async with http.post(f"{local_bot}/api/messages", data=body, headers=headers) as resp:
                assert resp.status in statuses, await resp.text()
        except aiohttp.ClientOSError:
            # aiohttp may close the socket mid-upload after answering 413; that is still a refusal
            assert statuses == {413}
        async with http.get(f"{local_bot}/healthz") as resp:
            assert resp.status == 200
        # and it still answers real messages
        async with http.post(
            f"{local_bot}/api/messages", json=message_activity(connector.service_url)
        ) as resp:
            assert resp.status in (200, 202)
    assert await connector.wait_for_messages(1)
    assert len(connector.messages()) == 1  # the bad request produced no reply


@pytest.fixture
async def authenticated_bot(make_services: Callable[..., Services]) -> AsyncIterator[str]:
    runner, base = await _serve(make_services(app_id=APP_ID, app_password="secret", tenant_id="t1"))
    yield base
    await runner.cleanup()


def _forged_token() -> str:
    """A well-formed Bot Framework-looking JWT, signed by a key Microsoft never published."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "serviceurl": "http://127.0.0.1/",
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "not-a-microsoft-key"})


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz", "forged"],
    ids=["no header", "empty bearer", "garbage token", "basic auth", "forged signature"],
)
async def test_app_id_configured_requires_a_valid_jwt(
    authenticated_bot: str, connector: FakeConnector, authorization: str | None
) -> None:
    headers = {}
    if authorization == "forged":
        headers["Authorization"] = f"Bearer {_forged_token()}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{authenticated_bot}/api/messages", json=message_activity(connector.service_url), headers=headers
        ) as resp:
            assert resp.status == 401
        async with http.get(f"{authenticated_bot}/healthz") as resp:
            assert resp.status == 200  # health stays open to the orchestrator
    assert connector.activities == []


async def test_local_mode_admits_anonymous_requests_only_without_app_id(
    local_bot: str, connector: FakeConnector
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{local_bot}/api/messages", json=message_activity(connector.service_url)
        ) as resp:
            assert resp.status in (200, 202)


@pytest.fixture
async def file_server() -> AsyncIterator[tuple[str, list[str]]]:
    """Serves Teams-like pre-authenticated download links on loopback and records each fetch."""
    fetched: list[str] = []

    async def serve(request: web.Request) -> web.Response:
        fetched.append(request.path)
        if request.match_info["name"] == "regler.md":
            return web.Response(
                body="# Regler\n\n## Parkering\n\nBeboerlicensen koster 800 kr. om året.".encode()
            )
        return web.Response(status=404)

    app = web.Application()
    app.router.add_get("/files/{name}", serve)
    runner, port = await listen(app)
    yield f"http://127.0.0.1:{port}/files", fetched
    await runner.cleanup()


def _file_attachment(url: str, name: str) -> dict[str, Any]:
    return {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "name": name,
        "content": {"downloadUrl": url, "uniqueId": uuid.uuid4().hex, "fileType": name.rsplit(".", 1)[-1]},
    }


async def test_file_sent_in_personal_chat_becomes_a_source(
    make_services: Callable[..., Services], connector: FakeConnector, file_server: tuple[str, list[str]]
) -> None:
    files_url, fetched = file_server
    origin = files_url.rsplit("/", 1)[0]  # a loopback origin the operator lists explicitly
    services = make_services(admins="aad-anne", download_hosts=origin)
    services.stores.specialists.set_editing(
        "aad-anne", services.stores.specialists.create("Regler", "aad-anne").id
    )
    runner, base = await _serve(services)
    try:
        activity = message_activity(
            connector.service_url,
            text=None,
            attachments=[
                _file_attachment(f"{files_url}/regler.md", "regler.md"),
                _file_attachment(f"{files_url}/mangler.pdf", "mangler.pdf"),
            ],
        )
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/api/messages", json=activity) as resp:
                assert resp.status in (200, 202)
        messages = await connector.wait_for_messages(3, wait_s=30)
    finally:
        await runner.cleanup()
    texts = [shown(m) for m in messages]
    assert texts[0].startswith("Indlæser regler.md")
    assert "✅ regler.md er tilføjet: 1 uddrag" in texts[-1]
    assert "❌ 'mangler.pdf' blev ikke tilføjet: filen kunne ikke hentes fra Teams (HTTP 404)" in texts[-1]
    assert fetched == ["/files/regler.md", "/files/mangler.pdf"]
    assert [
        s.name for s in services.stores.specialists.sources(services.stores.specialists.require("regler").id)
    ] == ["regler.md"]


async def test_file_in_a_channel_gets_told_to_use_a_personal_chat(
    local_bot: str, connector: FakeConnector, file_server: tuple[str, list[str]]
) -> None:
    files_url, fetched = file_server
    activity = message_activity(
        connector.service_url,
        text="<at>AarhusAI</at> her er en fil",
        conversation={
            "id": "19:kanal@thread.tacv2;messageid=42",
            "conversationType": "channel",
            "tenantId": "t1",
        },
        attachments=[_file_attachment(f"{files_url}/regler.md", "regler.md")],
        # an @mention as Teams sends it (a channel post without one is for people, not the bot)
        entities=[
            {
                "type": "mention",
                "mentioned": {"id": "28:bot", "name": "AarhusAI"},
                "text": "<at>AarhusAI</at>",
            }
        ],
    )
    async with aiohttp.ClientSession() as http, http.post(f"{local_bot}/api/messages", json=activity) as resp:
        assert resp.status in (200, 202)
    [reply] = await connector.wait_for_messages(1)
    assert "personlig chat" in reply["text"] and "regler.md" in reply["text"]
    assert fetched == []  # nothing was downloaded
