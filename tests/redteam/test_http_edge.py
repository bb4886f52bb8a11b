"""Finding 8: malformed and hostile requests at the HTTP edge each get a 4xx and a log line, and the
service stays healthy. Tokens the SDK would crash on, or accept without an expiry, are refused."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import select

from bot.app import Services
from bot.server import start
from bot.store.models import Message
from bot.teams import http as edge
from tests.support.connector import FakeConnector
from tests.test_http_edge import APP_ID, message_activity


@pytest.fixture
async def served(make_services: Callable[..., Services], db_url: str) -> AsyncIterator[tuple[str, Services]]:
    services = make_services(database_url=db_url)
    runner, port = await start(services, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{port}", services
    await runner.cleanup()


async def _post(base: str, body: bytes, headers: dict[str, str] | None = None) -> int:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/api/messages", data=body, headers={"Content-Type": "application/json", **(headers or {})}
        ) as resp:
            return resp.status


async def _healthy(base: str) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/healthz") as resp:
        assert resp.status == 200


@pytest.mark.parametrize(
    ("name", "build"),
    [
        (
            "deeply nested JSON",
            lambda s: b'{"type": "message", "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        ),
        ("bogus invoke", lambda s: json.dumps(message_activity(s, type="invoke", name="evil/name")).encode()),
        (
            "no from",
            lambda s: json.dumps({k: v for k, v in message_activity(s).items() if k != "from"}).encode(),
        ),
        (
            "no serviceUrl",
            lambda s: json.dumps(
                {k: v for k, v in message_activity(s).items() if k != "serviceUrl"}
            ).encode(),
        ),
    ],
)
async def test_malformed_activities_get_400(
    served: tuple[str, Services], connector: FakeConnector, name: str, build: Callable[[str], bytes], caplog
) -> None:  # type: ignore[no-untyped-def]
    base, _ = served
    with caplog.at_level("INFO", logger="bot.teams.http"):
        assert await _post(base, build(connector.service_url)) == 400
    assert any("refused request" in r.message for r in caplog.records)
    await _healthy(base)
    await asyncio.sleep(0.2)
    assert connector.activities == []  # nothing was answered later either


async def test_a_body_that_never_arrives_times_out(
    served: tuple[str, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edge, "READ_TIMEOUT_S", 0.5)
    base, _ = served
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5000\r\n\r\n"
        b'{"type":'
    )
    await writer.drain()
    started = time.monotonic()
    status_line = await asyncio.wait_for(reader.readline(), 5)
    assert b" 408 " in status_line and time.monotonic() - started < 3
    writer.close()
    await _healthy(base)


async def test_nul_characters_in_a_question_are_answered_and_stored_clean(
    served: tuple[str, Services], connector: FakeConnector
) -> None:
    base, services = served
    body = json.dumps(message_activity(connector.service_url, "Hvad\x00 er\x00 åbningstiden?\x07")).encode()
    assert await _post(base, body) == 202
    await connector.wait_for_messages(1, wait_s=10)
    with services.db.session() as s:
        [stored] = s.exec(select(Message)).all()
    assert stored.question == "Hvad er åbningstiden?"


def _token(claims: dict[str, object], kid: str | None) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = {"kid": kid} if kid else {}
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


@pytest.fixture
async def authenticated(make_services: Callable[..., Services]) -> AsyncIterator[str]:
    runner, port = await start(make_services(app_id=APP_ID, app_password="x", tenant_id="t1"), "127.0.0.1", 0)
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_a_token_without_kid_gets_401_not_500(authenticated: str, connector: FakeConnector) -> None:
    now = int(time.time())
    token = _token({"iss": "https://api.botframework.com", "aud": APP_ID, "exp": now + 600}, kid=None)
    body = json.dumps(message_activity(connector.service_url)).encode()
    assert await _post(authenticated, body, {"Authorization": f"Bearer {token}"}) == 401
    await _healthy(authenticated)


def test_tokens_without_expiry_or_key_id_are_refused_before_the_sdk() -> None:
    now = int(time.time())

    class Request:
        def __init__(self, token: str) -> None:
            self.headers = {"Authorization": f"Bearer {token}"}

    claims = {"iss": "https://api.botframework.com", "aud": APP_ID}
    assert edge._token_problem(Request(_token(claims, "k1"))) == "token has no exp"  # type: ignore[arg-type]
    assert edge._token_problem(Request(_token({**claims, "exp": now + 60}, None))) == "token has no kid"  # type: ignore[arg-type]
    assert edge._token_problem(Request("not.a.jwt")) == "token is not a JWT"  # type: ignore[arg-type]
    assert edge._token_problem(Request(_token({**claims, "exp": now + 60}, "k1"))) is None  # type: ignore[arg-type]
