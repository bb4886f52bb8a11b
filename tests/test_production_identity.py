"""Production identity (issue 20): only the Teams channel gets in, and replies go only back to Teams.

Production mode for real: the bot has an app id, the SDK validates every token, and the tests are the
key holders — OpenID keys (a JWKS) served on loopback, tokens minted with a test key. The SDK's key
routing is pointed at that JWKS (it has no setting for it) and the MSAL client at a fixed connector
token, the only two things replaced. Each case asserts on what reached the fake Teams connector and a
second, "attacker" connector — and on what was stored — never on log text. A new case is one line.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core import ClaimsIdentity
from microsoft_agents.hosting.core.authorization.jwt import jwt_token_validator
from sqlmodel import select

from bot.app import Services
from bot.listen import listen
from bot.server import start
from bot.store.models import Message
from bot.teams.identity import GuardedClientFactory, ServiceUrlRefused
from tests.support.connector import FakeConnector
from tests.test_http_edge import APP_ID, message_activity

TENANT = "3f0c6a9e-2b1d-4c5e-8f70-123456789abc"
OTHER_APP = "0d3b8c8a-9e9f-4a11-b0c4-777777777777"  # any app registration of the tenant
BOT_FRAMEWORK_APP = "5a807f24-c9de-44ee-a3a7-329e88a00ffc"
MICROSOFT_TENANT = "d6d49420-f39b-4df7-a1dc-d59a935871db"  # first-party: the SDK always trusts it
ADMIN = "aad-admin"
CONNECTOR_TOKEN = "connector-token-of-the-bot"
KID = "test-key-1"
V2 = f"https://login.microsoftonline.com/{TENANT}/v2.0"
V1 = f"https://sts.windows.net/{TENANT}/"


@dataclass
class Keys:
    private: rsa.RSAPrivateKey
    url: str = ""
    fetched: list[str] = field(default_factory=list)


@pytest.fixture
async def keys(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Keys]:
    """The channel's signing keys, on loopback, and the SDK's key routing pointed at them."""
    found = Keys(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(found.private.public_key()))
    jwk.update(kid=KID, use="sig", alg="RS256")

    async def serve(request: web.Request) -> web.Response:
        found.fetched.append(request.path)
        return web.json_response({"keys": [jwk]})

    # a path of its own: the SDK keeps one key client per JWKS address for the whole process, and a
    # later test given the same port would otherwise be checked against this test's key
    path = f"/keys/{uuid.uuid4().hex}"
    app = web.Application()
    app.router.add_get(path, serve)
    runner, port = await listen(app)
    found.url = f"http://127.0.0.1:{port}{path}"
    monkeypatch.setattr(jwt_token_validator, "_build_jwks_uri", lambda *_args: found.url)
    yield found
    await runner.cleanup()


@pytest.fixture
def connector_tokens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """MSAL would ask Entra for the bot's connector token; here it is a fixed string, counted."""
    asked: list[str] = []

    async def token(self: MsalAuth, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        asked.append(resource_url)
        return CONNECTOR_TOKEN

    monkeypatch.setattr(MsalAuth, "get_access_token", token)
    return asked


@dataclass
class Production:
    base: str
    services: Services
    teams: FakeConnector
    attacker: FakeConnector
    keys: Keys

    def token(self, key: rsa.RSAPrivateKey | None = None, kid: str | None = KID, **claims: Any) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": "https://api.botframework.com",
            "aud": APP_ID,
            "iat": now,
            "nbf": now - 5,
            "exp": now + 600,
            "serviceurl": self.teams.service_url,
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        headers = {"kid": kid} if kid else {}
        return jwt.encode(body, key or self.keys.private, algorithm="RS256", headers=headers)

    async def post(self, activity: dict[str, Any], token: str) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{self.base}/api/messages", json=activity, headers={"Authorization": f"Bearer {token}"}
            ) as resp,
        ):
            return resp.status

    def stored_messages(self) -> list[Message]:
        with self.services.db.session() as s:
            return list(s.exec(select(Message)).all())


@pytest.fixture
async def production(
    make_services: Callable[..., Services], keys: Keys, connector_tokens: list[str]
) -> AsyncIterator[Production]:
    teams, attacker = await FakeConnector().start(), await FakeConnector().start()
    services = make_services(
        app_id=APP_ID,
        app_password="secret",
        tenant_id=TENANT,
        admins=ADMIN,
        allowed_tenants="t1",
        service_url_hosts=f"smba.trafficmanager.net,{teams.service_url}",
    )
    runner, port = await start(services, "127.0.0.1", 0)
    yield Production(f"http://127.0.0.1:{port}", services, teams, attacker, keys)
    await runner.cleanup()
    await teams.stop()
    await attacker.stop()


def _command(p: Production, service_url: str | None = None, **extra: Any) -> dict[str, Any]:
    """An administrator's command: whoever gets it in, acts as the administrator."""
    activity = message_activity(
        service_url or p.teams.service_url, f"/afdeling opret Afd {uuid.uuid4().hex[:6]}"
    )
    activity["from"] = {"id": "29:admin", "name": "Admin", "aadObjectId": ADMIN}
    activity.update(extra)
    return activity


def _install(p: Production, tenant: str) -> dict[str, Any]:
    activity = message_activity(p.teams.service_url, type="conversationUpdate", text=None)
    activity["membersAdded"] = [{"id": "28:bot"}]
    activity["conversation"]["tenantId"] = tenant
    activity["channelData"] = {"tenant": {"id": tenant}}
    return activity


# name -> (token claims / key / kid, activity builder, expected HTTP status, answered?)
Case = tuple[dict[str, Any], Callable[[Production], dict[str, Any]], int, bool]
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CASES: dict[str, Case] = {
    "a channel token": ({}, _command, 202, True),
    "an Entra token issued to the Bot Framework service": (
        {"iss": V2, "azp": BOT_FRAMEWORK_APP, "serviceurl": None, "tid": TENANT},
        _command,
        202,
        True,
    ),
    "an app-only token of another app of the tenant (v2)": (
        {"iss": V2, "azp": OTHER_APP, "serviceurl": None, "tid": TENANT},
        _command,
        401,
        False,
    ),
    "an app-only token of another app of the tenant (v1)": (
        {"iss": V1, "appid": OTHER_APP, "serviceurl": None, "tid": TENANT},
        _command,
        401,
        False,
    ),
    "a Microsoft first-party tenant's token": (
        {"iss": f"https://login.microsoftonline.com/{MICROSOFT_TENANT}/v2.0", "azp": OTHER_APP},
        _command,
        401,
        False,
    ),
    "a channel token without serviceurl": ({"serviceurl": None}, _command, 401, False),
    "a replayed token, reply redirected": (
        {},
        lambda p: _command(p, service_url=p.attacker.service_url),
        401,
        False,
    ),
    "a token bound to an unlisted host": (
        {"serviceurl": "ATTACKER"},
        lambda p: _command(p, service_url=p.attacker.service_url),
        401,
        False,
    ),
    "an expired token": ({"exp": int(time.time()) - 3600}, _command, 401, False),
    "a token for another bot": ({"aud": OTHER_APP}, _command, 401, False),
    "a token from another issuer": ({"iss": "https://evil.example"}, _command, 401, False),
    "an unknown signing key id": ({"kid": "rotated-away"}, _command, 401, False),
    "a token signed by another key": ({"key": OTHER_KEY}, _command, 401, False),
    "a token without exp": ({"exp": None}, _command, 401, False),
    "a foreign tenant's installation": ({}, lambda p: _install(p, "t9"), 403, False),
    "a foreign tenant's message": (
        {},
        lambda p: _command(p, conversation={"id": "a:x", "conversationType": "personal", "tenantId": "t9"}),
        403,
        False,
    ),
    "a foreign tenant hidden in channelData": (
        {},
        lambda p: _command(p, channelData={"tenant": {"id": "t9"}}),
        403,
        False,
    ),
    "a foreign tenant's feedback vote": (
        {},
        lambda p: {
            **message_activity(p.teams.service_url, type="invoke", name="message/submitAction", text=None),
            "conversation": {"id": "a:x", "conversationType": "personal", "tenantId": "t9"},
            "value": {"actionName": "feedback", "actionValue": {"reaction": "like"}},
        },
        403,
        False,
    ),
    "an allowed tenant's installation": ({}, lambda p: _install(p, "t1"), 202, True),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_only_the_teams_channel_gets_in_and_replies_go_only_back_to_teams(
    production: Production, name: str
) -> None:
    overrides, build, status, answered = CASES[name]
    claims = dict(overrides)
    key, kid = claims.pop("key", None), claims.pop("kid", KID)
    if claims.get("serviceurl") == "ATTACKER":
        claims["serviceurl"] = production.attacker.service_url
    activity = build(production)
    departments_before = len(production.services.stores.roles.departments())

    assert await production.post(activity, production.token(key, kid, **claims)) == status
    if answered:
        await production.teams.wait_for_messages(1, wait_s=10)
    else:
        await asyncio.sleep(0.3)  # a background turn would have answered by now
    # the bot's credentials go to the Teams connector only, and only when the caller was Teams
    assert production.attacker.activities == [] and production.attacker.authorizations == []
    assert all(a == f"Bearer {CONNECTOR_TOKEN}" for a in production.teams.authorizations)
    assert bool(production.teams.activities) == answered
    if activity["type"] == "message":
        created = len(production.services.stores.roles.departments()) - departments_before
        assert created == (1 if answered else 0)  # the administrator's command ran only for Teams
        assert bool(production.stored_messages()) is False  # a command stores no question either way
        if not answered:
            assert production.services.stores.audit.events(action="department.created") == []


async def test_health_stays_open_and_no_token_means_401(production: Production) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{production.base}/api/messages", json=_command(production)) as resp:
            assert resp.status == 401
        async with http.get(f"{production.base}/healthz") as resp:
            assert resp.status == 200
    assert production.teams.activities == []


async def test_a_foreign_tenants_question_is_neither_answered_nor_stored(production: Production) -> None:
    activity = message_activity(production.teams.service_url, "Hvad koster et pas?")
    activity["conversation"]["tenantId"] = "t9"
    assert await production.post(activity, production.token()) == 403
    await asyncio.sleep(0.3)
    assert production.teams.activities == [] and production.stored_messages() == []


async def test_the_connector_client_refuses_other_hosts_before_any_token_is_fetched(
    production: Production, connector_tokens: list[str]
) -> None:
    """The rule sits where the outbound client is built: a future code path cannot forget it."""
    factory = production.services.teams.adapter._channel_service_client_factory
    assert isinstance(factory, GuardedClientFactory)
    claims = ClaimsIdentity({"aud": APP_ID, "iss": "https://api.botframework.com"}, True)
    for url in (
        production.attacker.service_url,
        "https://smba.trafficmanager.net.evil.example/emea/",
        "https://evil.example\\@smba.trafficmanager.net/",
        "http://smba.trafficmanager.net/emea/",
        "https://user:pw@smba.trafficmanager.net/emea/",
    ):
        with pytest.raises(ServiceUrlRefused):
            await factory.create_connector_client(None, claims, url, APP_ID)
    assert connector_tokens == []
    client = await factory.create_connector_client(
        None, claims, "https://smba.trafficmanager.net/emea/", APP_ID
    )
    assert client is not None and connector_tokens  # a Teams host gets a client (and a token)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "application/json"}, 202),
        ({"Content-Type": "text/plain"}, 403),  # what a page may post cross-origin without a preflight
        ({"Content-Type": "application/json", "Origin": "https://evil.example"}, 403),
        ({"Content-Type": "application/json", "Host": "rebound.evil.example:3978"}, 403),  # DNS rebinding
        ({"Content-Type": "application/json", "Origin": "http://127.0.0.1:56150"}, 202),  # the Playground UI
    ],
    ids=["json", "text/plain", "foreign origin", "foreign host", "loopback origin"],
)
async def test_local_mode_admits_no_request_a_web_page_could_make(
    make_services: Callable[..., Services], headers: dict[str, str], status: int
) -> None:
    """Local mode is anonymous on loopback: a page in the developer's browser must not drive it."""
    teams = await FakeConnector().start()
    runner, port = await start(make_services(admins="local-admin"), "127.0.0.1", 0)
    try:
        activity = message_activity(teams.service_url, "/afdeling opret Fra en webside")
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/api/messages", data=json.dumps(activity), headers=headers
            ) as r,
        ):
            assert r.status == status
        if status == 202:
            await teams.wait_for_messages(1, wait_s=10)
        else:
            await asyncio.sleep(0.3)
            assert teams.activities == []
    finally:
        await runner.cleanup()
        await teams.stop()
