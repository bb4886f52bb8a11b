"""Issue 20, red team: the production identity rules attacked as a hostile caller would.

Production mode for real (the fixtures of ``tests/test_production_identity.py``: a loopback JWKS,
tokens minted with its key, a fake Teams connector and an "attacker" connector). Every case asserts on
what reached the two connectors, what the bot asked Entra for, and what was stored; never on log
text. A case is one line of a table; its expectation is the secure outcome.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from microsoft_agents.authentication.msal import MsalAuth

from bot.app import Services
from bot.governance import stats
from bot.server import start
from bot.services import Actor
from tests import test_production_identity as _identity
from tests.support.connector import FakeConnector
from tests.test_governance import ADMIN as GOV_ADMIN
from tests.test_governance import BUILDER_A, BUILDER_B, EMPLOYEE, _asked, org  # noqa: F401 (fixture)
from tests.test_http_edge import APP_ID, message_activity
from tests.test_production_identity import (
    BOT_FRAMEWORK_APP,
    CONNECTOR_TOKEN,
    KID,
    OTHER_APP,
    TENANT,
    V1,
    V2,
    Production,
    _command,
)

# the production fixtures: a loopback JWKS, a fixed connector token, the bot with two connectors
keys, connector_tokens, production = _identity.keys, _identity.connector_tokens, _identity.production
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


# -- tokens as an attacker writes them ---------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(p: Production, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "iat": now,
        "nbf": now - 5,
        "exp": now + 600,
        "serviceurl": p.teams.service_url,
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def _raw(header: dict[str, Any], payload: str, sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload.encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def _alg_none(p: Production) -> str:
    return _raw({"alg": "none", "typ": "JWT", "kid": KID}, json.dumps(_claims(p)), lambda _m: b"")


def _hs256_with_public_key(p: Production) -> str:
    """Algorithm confusion: HMAC keyed with the channel's public key (which anyone can fetch)."""
    pem = p.keys.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": KID}
    return _raw(header, json.dumps(_claims(p)), lambda m: hmac.new(pem, m, hashlib.sha256).digest())


def _jku_to_attacker(p: Production) -> str:
    """A key of the attacker's own, with a header pointing at where it could be fetched."""
    headers = {
        "kid": KID,
        "jku": f"{p.attacker.service_url}v3/conversations/jwks",
        "x5u": p.attacker.service_url,
    }
    return jwt.encode(_claims(p), OTHER_KEY, algorithm="RS256", headers=headers)


def _signed(**claims: Any) -> Callable[[Production], str]:
    """Claims PyJWT will not encode (a list as ``iss``), signed with the channel's own key."""

    def make(p: Production) -> str:
        def sign(message: bytes) -> bytes:
            return p.keys.private.sign(message, padding.PKCS1v15(), hashes.SHA256())

        return _raw({"alg": "RS256", "typ": "JWT", "kid": KID}, json.dumps(_claims(p, **claims)), sign)

    return make


def _token(**claims: Any) -> Callable[[Production], str]:
    def make(p: Production) -> str:
        rest = dict(claims)
        return p.token(None, rest.pop("kid", KID), **rest)

    return make


def _entra(**extra: Any) -> Callable[[Production], str]:
    """An Entra-issued token (no serviceurl claim), issued to the Bot Framework service unless told."""
    base = {"iss": V2, "azp": BOT_FRAMEWORK_APP, "serviceurl": None, "tid": TENANT, "ver": "2.0"}
    return _token(**{**base, **extra})


# -- activities as an attacker writes them -----------------------------------------------------------
def _activity(service_url: Callable[[Production], str] | None = None, **extra: Any):  # type: ignore[no-untyped-def]
    """An administrator's command (whoever gets it in acts as the administrator), with changes."""

    def build(p: Production) -> dict[str, Any]:
        activity = _command(p, service_url(p) if service_url else None)
        for key, value in extra.items():
            if value is None:
                activity.pop(key, None)
            else:
                activity[key] = value(p) if callable(value) else value
        return activity

    return build


def _typed(kind: str, tenant: str = "t9", **extra: Any):  # type: ignore[no-untyped-def]
    def build(p: Production) -> dict[str, Any]:
        activity = message_activity(p.teams.service_url, type=kind, text=None)
        activity["conversation"]["tenantId"] = tenant
        activity["channelData"] = {"tenant": {"id": tenant}}
        activity.update(extra)
        return activity

    return build


def _teams(p: Production, tail: str = "") -> str:
    return p.teams.service_url.rstrip("/") + tail


def _attacker(p: Production) -> str:
    return p.attacker.service_url


FOREIGN = {"id": "a:x", "conversationType": "personal", "tenantId": "t9"}

# name -> (token, activity, expected HTTP status, answered in Teams?)
Case = tuple[Callable[[Production], str], Callable[[Production], dict[str, Any]], int, bool]
CASES: dict[str, Case] = {
    # forged and odd tokens
    "alg none": (_alg_none, _activity(), 401, False),
    "HS256 keyed with the public key": (_hs256_with_public_key, _activity(), 401, False),
    "attacker key, jku/x5u to the attacker": (_jku_to_attacker, _activity(), 401, False),
    "kid empty": (_token(kid=""), _activity(), 401, False),
    "kid path traversal": (_token(kid="../" + KID), _activity(), 401, False),
    "aud as a list": (_token(aud=[APP_ID]), _activity(), 401, False),
    "aud with other case": (_token(aud=APP_ID.upper()), _activity(), 202, True),
    "iss as a list": (_signed(iss=["https://api.botframework.com"]), _activity(), 401, False),
    "iss with trailing slash": (_token(iss="https://api.botframework.com/"), _activity(), 401, False),
    "iss in upper case": (_token(iss="HTTPS://API.BOTFRAMEWORK.COM"), _activity(), 401, False),
    "nbf an hour ahead": (_token(nbf=int(time.time()) + 3600), _activity(), 401, False),
    "serviceurl claim as a list": (
        lambda p: p.token(serviceurl=[p.teams.service_url]),
        _activity(),
        401,
        False,
    ),
    "Entra v2, azp another app, appid the Bot Framework": (
        _entra(azp=OTHER_APP, appid=BOT_FRAMEWORK_APP),
        _activity(),
        401,
        False,
    ),
    "Entra v1 without trailing slash": (
        _entra(iss=V1.rstrip("/"), azp=None, appid=BOT_FRAMEWORK_APP, ver="1.0"),
        _activity(),
        401,
        False,
    ),
    "Entra, tid of another tenant": (
        _entra(tid="11111111-2222-3333-4444-555555555555"),
        _activity(),
        401,
        False,
    ),
    "Entra, reply to the attacker": (_entra(), _activity(_attacker), 401, False),
    "Entra, reply via userinfo to the attacker": (
        _entra(),
        _activity(lambda p: f"http://127.0.0.1:{p.teams.port}@127.0.0.1:{p.attacker.port}/"),
        401,
        False,
    ),
    # serviceUrl tricks against the serviceurl claim
    "serviceUrl upper-case scheme, no slash": (
        _token(),
        _activity(lambda p: f"HTTP://127.0.0.1:{p.teams.port}"),
        202,
        True,
    ),
    "serviceUrl localhost for 127.0.0.1": (
        _token(),
        _activity(lambda p: f"http://localhost:{p.teams.port}/"),
        401,
        False,
    ),
    "serviceUrl with userinfo": (
        _token(),
        _activity(lambda p: f"http://x:y@127.0.0.1:{p.teams.port}/"),
        401,
        False,
    ),
    "serviceUrl backslash-userinfo, dot segment back": (
        _token(),
        _activity(lambda p: f"http://127.0.0.1:{p.teams.port}\\@127.0.0.1:{p.attacker.port}/../"),
        None,  # status is not the point: nothing may reach the attacker
        False,
    ),
    "serviceUrl other port": (
        _token(),
        _activity(lambda p: f"http://127.0.0.1:{p.attacker.port}/"),
        401,
        False,
    ),
    "serviceUrl percent-encoded host": (
        _token(),
        _activity(lambda p: f"http://%31%32%37.0.0.1:{p.attacker.port}/"),
        401,
        False,
    ),
    "serviceUrl path traversal": (
        _token(),
        _activity(lambda p: _teams(p, "/x/..%2f..%2f")),
        401,
        False,
    ),
    # activity types that might skip the checks
    "expectReplies without serviceUrl": (
        _token(),
        _activity(deliveryMode="expectReplies", serviceUrl=None),
        401,
        False,
    ),
    "expectReplies to the attacker": (
        _token(),
        _activity(_attacker, deliveryMode="expectReplies"),
        401,
        False,
    ),
    "messageReaction to the attacker": (
        _token(),
        lambda p: {**_typed("messageReaction", "t1")(p), "serviceUrl": p.attacker.service_url},
        401,
        False,
    ),
    "foreign messageReaction": (_token(), _typed("messageReaction"), 403, False),
    "foreign installationUpdate": (_token(), _typed("installationUpdate", action="add"), 403, False),
    "foreign event": (_token(), _typed("event", name="x"), 403, False),
    "foreign adaptiveCard/action": (
        _token(),
        _typed("invoke", name="adaptiveCard/action", value={}),
        403,
        False,
    ),
    "conversationUpdate without any tenant": (
        _token(),
        lambda p: {
            **message_activity(p.teams.service_url, type="conversationUpdate", text=None),
            "conversation": {"id": "a:x", "conversationType": "personal"},
            "membersAdded": [{"id": "28:bot"}],
        },
        403,
        False,
    ),
    "unknown activity type": (_token(), _typed("Message", "t1"), 400, False),
    # tenant hiding
    "tenant with surrounding whitespace": (
        _token(),
        _activity(conversation={**FOREIGN, "tenantId": " t1 "}),
        403,
        False,
    ),
    "tenant in other case (same tenant)": (
        _token(),
        _activity(conversation={**FOREIGN, "tenantId": "T1"}),
        202,
        True,
    ),
    "foreign tenant only in channelData": (
        _token(),
        _activity(
            conversation={"id": "a:x", "conversationType": "personal"}, channelData={"tenant": {"id": "t9"}}
        ),
        403,
        False,
    ),
}


@pytest.fixture
def agentic_tokens(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """What the bot would ask Entra for with its own credentials on an activity's say-so."""
    asked: list[tuple[str, str]] = []

    async def instance(self: MsalAuth, tenant_id: str, instance_id: str) -> tuple[str, str]:
        asked.append((tenant_id, instance_id))
        return "agentic-token", "agent-token"

    async def user(self: MsalAuth, tenant_id: str, instance_id: str, *_args: Any, **_kw: Any) -> str:
        asked.append((tenant_id, instance_id))
        return "agentic-token"

    monkeypatch.setattr(MsalAuth, "get_agentic_instance_token", instance)
    monkeypatch.setattr(MsalAuth, "get_agentic_user_token", user)
    return asked


async def _check(
    p: Production, token: str, activity: dict[str, Any], status: int | None, answered: bool
) -> None:
    departments_before = len(p.services.stores.roles.departments())
    got = await p.post(activity, token)
    if status is not None:
        assert got == status
    if answered:
        await p.teams.wait_for_messages(1, wait_s=10)
    else:
        await asyncio.sleep(0.4)  # a background turn would have answered by now
    # the bot's credentials go to the Teams connector only, and only when the caller was Teams
    assert p.attacker.activities == [] and p.attacker.authorizations == []
    assert all(a == f"Bearer {CONNECTOR_TOKEN}" for a in p.teams.authorizations)
    assert bool(p.teams.messages()) == answered
    if activity.get("type") == "message" and str(activity.get("text", "")).startswith("/afdeling"):
        created = len(p.services.stores.roles.departments()) - departments_before
        assert created == (1 if answered else 0)  # the administrator's command ran only for Teams
    if not answered:
        assert p.stored_messages() == []


@pytest.mark.parametrize("name", list(CASES))
async def test_forged_tokens_odd_urls_and_hidden_tenants_get_nothing(
    production: Production, agentic_tokens: list[tuple[str, str]], name: str
) -> None:
    make_token, build, status, answered = CASES[name]
    await _check(production, make_token(production), build(production), status, answered)
    assert agentic_tokens == []


# -- the SDK's agentic path: a tenant the tenant rule never looks at -----------------------------------
AGENTIC: dict[str, dict[str, Any]] = {
    "agentic instance, foreign tenant on the recipient": {
        "role": "agenticAppInstance",
        "agenticAppId": "00000000-0000-0000-0000-0000000000aa",
        "tenantId": "t9",
    },
    "agentic user, foreign tenant on the recipient": {
        "role": "agenticUser",
        "agenticAppId": "00000000-0000-0000-0000-0000000000aa",
        "agenticUserId": "00000000-0000-0000-0000-0000000000bb",
        "tenantId": "t9",
    },
}


@pytest.mark.parametrize("name", list(AGENTIC))
async def test_an_activity_cannot_make_the_bot_fetch_agentic_tokens_for_a_foreign_tenant(
    production: Production, agentic_tokens: list[tuple[str, str]], name: str
) -> None:
    """The conversation names an allowed tenant; the recipient (which the SDK reads for its agentic
    credential flow) names another. The bot is no agentic app: its credentials must not be used for
    any tenant an activity names, and the tenant rule must see every tenant the activity names."""
    activity = message_activity(production.teams.service_url, "Hvad koster et pas?")
    activity["recipient"] = {"id": "28:bot", "name": "AarhusAI", **AGENTIC[name]}
    status = await production.post(activity, production.token())
    await asyncio.sleep(0.6)
    assert agentic_tokens == []  # no token acquired for tenant t9 with the bot's credentials
    assert all(a == f"Bearer {CONNECTOR_TOKEN}" for a in production.teams.authorizations)
    assert production.attacker.activities == []
    assert status in (400, 401, 403) and production.stored_messages() == []


# -- unknown signing keys: each one makes the bot fetch the channel's keys again -----------------------
async def test_unknown_key_ids_do_not_make_the_bot_refetch_the_channels_keys_per_request(
    production: Production,
) -> None:
    """Anyone on the internet can send a token naming a new ``kid``; PyJWKClient refetches the JWKS on
    every miss, so N anonymous requests become N requests to the channel's key endpoint (which
    rate-limits the bot's address: then real Teams tokens fail too)."""
    assert await production.post(_command(production), production.token()) == 202  # keys cached
    before = len(production.keys.fetched)
    for n in range(6):
        assert await production.post(_command(production), production.token(kid=f"attacker-{n}")) == 401
    assert len(production.keys.fetched) - before <= 1


# -- local mode: the browser guard ----------------------------------------------------------------
LOCAL: dict[str, tuple[dict[str, str], int]] = {
    "json with charset": ({"Content-Type": "application/json; charset=utf-8"}, 202),
    "JSON in upper case": ({"Content-Type": "Application/JSON"}, 202),
    "host localhost": ({"Content-Type": "application/json", "Host": "localhost:3978"}, 202),
    "host [::1]": ({"Content-Type": "application/json", "Host": "[::1]:3978"}, 202),
    "host localhost.evil": ({"Content-Type": "application/json", "Host": "localhost.evil.example"}, 403),
    "host 127.0.0.1.evil": ({"Content-Type": "application/json", "Host": "127.0.0.1.evil.example:3978"}, 403),
    "host 127.0.0.1.nip.io": ({"Content-Type": "application/json", "Host": "127.0.0.1.nip.io"}, 403),
    "host localhost.": ({"Content-Type": "application/json", "Host": "localhost.:3978"}, 403),
    "origin null": ({"Content-Type": "application/json", "Origin": "null"}, 403),
    "origin localhost.evil": (
        {"Content-Type": "application/json", "Origin": "http://localhost.evil.example"},
        403,
    ),
    "origin userinfo": ({"Content-Type": "application/json", "Origin": "http://127.0.0.1@evil.example"}, 403),
    "form urlencoded": ({"Content-Type": "application/x-www-form-urlencoded"}, 403),
    "multipart": ({"Content-Type": "multipart/form-data; boundary=x"}, 403),
    "text/plain carrying json": ({"Content-Type": "text/plain; application/json"}, 403),
    "no content type": ({}, 403),
}


@pytest.mark.parametrize("name", list(LOCAL))
async def test_local_mode_browser_guard(make_services: Callable[..., Services], name: str) -> None:
    headers, status = LOCAL[name]
    teams = await FakeConnector().start()
    runner, port = await start(make_services(admins="local-admin"), "127.0.0.1", 0)
    try:
        activity = message_activity(teams.service_url, f"/afdeling opret Side {uuid.uuid4().hex[:6]}")
        async with (
            aiohttp.ClientSession(skip_auto_headers=("Content-Type",)) as http,
            http.post(
                f"http://127.0.0.1:{port}/api/messages", data=json.dumps(activity).encode(), headers=headers
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


# -- read scopes --------------------------------------------------------------------------------------
# personal data as pasted into Teams: a line break inside the number or address (find_pii reads
# these as one value; the statistics normalise whitespace first, and then it no longer does)
BROKEN_PII = [
    ("cpr 01019\n01234 boligstøtte?", "0101901234"),
    ("Borgerens CPR-nr.: 0\n101904000 boligstøtte?", "0101904000"),
    ("Ring på 2\n0304050 om boligstøtte", "20304050"),
    ("Skriv til jens@\naarhus.dk om boligstøtte", "jens@"),
    ("Udbetal til 1\n000-100000 boligstøtte", "1000100000"),
]


@pytest.mark.parametrize(("question", "value"), BROKEN_PII, ids=[v for _q, v in BROKEN_PII])
async def test_statistics_never_show_personal_data_a_line_break_hid(
    org: Any,  # noqa: F811
    question: str,
    value: str,
) -> None:
    """The question as stored is masked by ``find_pii``; as shown by /statistik it must be too."""
    a = await org.specialist(BUILDER_A, "Guide A", data="cpr")
    _asked(org.services, EMPLOYEE, a, question)
    assert stats.masked(question).count("[") == 1  # the detector finds it in the stored text
    for actor in (GOV_ADMIN, BUILDER_A):
        _name, usage = org.services.app.stats.usage(Actor(actor))
        [(shown, _count)] = usage.top_unanswered
        flat = shown.replace(" ", "").replace("-", "")
        assert value.replace("-", "") not in flat, shown
    reply = (await org.say(BUILDER_A, "/statistik")).text
    assert "boligstøtte" in reply
    assert value.replace("-", "") not in reply.replace(" ", "").replace("-", "")


@pytest.mark.parametrize("ref", ["Guide A", "guide a", "«guide-a»", "GUIDE-A", " guide-a "])
async def test_a_builder_cannot_read_another_departments_statistics_by_any_name(
    org: Any,  # noqa: F811
    ref: str,
) -> None:
    a = await org.specialist(BUILDER_A, "Guide A", data="cpr")
    _asked(org.services, EMPLOYEE, a, "Hvad gælder for boligstøtte?")
    reply = (await org.say(BUILDER_B, f"/statistik {ref}")).text
    assert "boligstøtte" not in reply and "kræver rollen" in reply
    _name, mine = org.services.app.stats.usage(Actor(BUILDER_B))
    assert mine.questions == 0 and mine.top_unanswered == []
