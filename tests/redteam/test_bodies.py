"""Class 5 (issue 21): hostile request bodies. Every door reads JSON through one function
(``bot.http_body.decode_json``), so a body that one door refuses every door refuses.

The table: each row is a hostile body (a 5,000-digit number, ``1e999``, ``NaN``, ``-Infinity``, deep
nesting, a ``\\ud800`` escape, the bytes of a surrogate, a byte that is no UTF-8, an overlong string),
sent to ``/api/messages`` (Teams), ``/v1/chat/completions``, ``/mcp`` and ``/a2a/pas``. Each door answers
4xx in its own shape (Teams ``{"error"}``, OpenAI's error object, a JSON-RPC parse error), Danish by
default and English on ``Accept-Language: en``; nothing is stored or reaches a model, and the service stays
healthy.
NUL and the other C0 control characters are not refused but stripped, at every door and in
``aarhusai chat``, before anything is stored or sent to a model.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from bot.conversation.types import ConversationRef
from bot.http_body import MAX_NUMBER_DIGITS, BodyProblem, decode_json
from bot.rag.followup import INSTRUCTIONS
from bot.services import Actor
from bot.store.models import Message
from bot.teams.local import LocalTeamsChat
from tests.redteam.conftest import ADMIN, EMPLOYEE, Municipality, municipality
from tests.test_http_edge import message_activity

__all__ = ["municipality"]  # the fixture, imported for this module

PAS = "# Pas\n\nEt nyt pas til en voksen koster 688 kr. Du bestiller tid i Borgerservice."
QUESTION = "Hvad koster et nyt pas?"
TEXT, VALUE = "@@TEXT@@", "@@VALUE@@"  # where a row's hostile JSON goes: a string's place or a value's
CONTROLS = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + "\x7f"


@dataclass(frozen=True)
class Hostile:
    name: str
    slot: str  # TEXT or VALUE
    json: bytes  # the raw JSON put in that slot


TABLE = [
    Hostile("a 5,000-digit integer", VALUE, b"9" * 5000),
    Hostile("a 41-digit integer", VALUE, b"-" + b"1" * 41),
    Hostile("1e999 (infinite as a float)", VALUE, b"1e999"),
    Hostile("NaN", VALUE, b"NaN"),
    Hostile("-Infinity", VALUE, b"-Infinity"),
    Hostile("JSON nested 100 deep", VALUE, b"[" * 100 + b"]" * 100),
    Hostile("a lone surrogate escape", TEXT, b'"Hvad koster \\ud800 et pas?"'),
    Hostile("a low surrogate escape first", TEXT, b'"Hvad koster \\udc00\\ud800 et pas?"'),
    Hostile("the UTF-8 bytes of a surrogate", TEXT, b'"Hvad koster \xed\xa0\x80 et pas?"'),
    Hostile("a byte that is no UTF-8", TEXT, b'"Hvad koster \xff et pas?"'),
    Hostile("a 150,000-character string", TEXT, b'"' + b"a" * 150_000 + b'"'),
]


@dataclass
class Doors:
    town: Municipality
    key: str

    def bodies(self) -> dict[str, dict[str, Any]]:
        """A valid body per door, with the two slots a row fills."""
        return {
            "/api/messages": {
                **message_activity(self.town.connector.service_url, TEXT),
                "channelData": {"x": VALUE},
            },
            "/v1/chat/completions": {
                "model": "pas",
                "messages": [{"role": "user", "content": TEXT}],
                "temperature": VALUE,
            },
            "/mcp": {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {
                    "name": "ask_specialist",
                    "arguments": {"specialist": "pas", "question": TEXT},
                    "_meta": {"x": VALUE},
                },
            },
            "/a2a/pas": {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "message/send",
                "params": {
                    "message": {"role": "user", "messageId": "m1", "parts": [{"kind": "text", "text": TEXT}]},
                    "metadata": {"x": VALUE},
                },
            },
        }

    def headers(self, door: str, language: str | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if door != "/api/messages":
            headers["Authorization"] = f"Bearer {self.key}"
            headers["Accept"] = "application/json, text/event-stream"
        if language:
            headers["Accept-Language"] = language
        return headers

    async def post(self, door: str, raw: bytes, language: str | None = None) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.town.base}{door}", data=raw, headers=self.headers(door, language)) as r,
        ):
            text = await r.text()
            return r.status, json.loads(text) if text else None

    async def healthy(self) -> None:
        async with aiohttp.ClientSession() as http, http.get(f"{self.town.base}/healthz") as r:
            assert r.status == 200

    def stored(self) -> list[Message]:
        with self.town.services.db.session() as s:
            return list(s.exec(select(Message).order_by(col(Message.id))).all())


def filled(body: dict[str, Any], row: Hostile) -> bytes:
    """``body`` as JSON with the row's raw JSON in its slot, and a plain value in the other."""
    text = json.dumps(body, ensure_ascii=False).encode()
    plain = {TEXT: json.dumps(QUESTION).encode(), VALUE: b"0"}
    for slot in (TEXT, VALUE):
        text = text.replace(json.dumps(slot).encode(), row.json if slot == row.slot else plain[slot])
    return text


@pytest.fixture
async def doors(municipality: Municipality) -> AsyncIterator[Doors]:
    await municipality.specialist("Pas", PAS, public=True)
    app = municipality.services.app
    key = app.integrations.create_key(Actor(ADMIN), "sag", ["pas"], "offentlig", per_minute=10_000).secret
    yield Doors(municipality, key)


def refused_in_the_doors_shape(door: str, status: int, body: Any, english: bool) -> None:
    assert 400 <= status < 500, (door, status, body)
    prefix = "The request is not valid: " if english else "Anmodningen er ugyldig: "
    if door == "/api/messages":
        assert isinstance(body["error"], str)
    elif door == "/v1/chat/completions":
        assert body["error"]["type"] == "invalid_request_error"
        assert body["error"]["message"].startswith(prefix), body
    else:  # JSON-RPC's parse error, from the guard before the MCP and A2A SDKs: in the caller's language
        assert body["jsonrpc"] == "2.0" and body["error"]["code"] == -32700
        assert body["error"]["message"].startswith(prefix), body


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # refused before any store is touched
@pytest.mark.parametrize("row", TABLE, ids=[row.name for row in TABLE])
async def test_a_hostile_body_is_refused_at_every_door(doors: Doors, row: Hostile) -> None:
    for door, body in doors.bodies().items():
        raw = filled(body, row)
        assert len(raw) < 1024 * 1024  # under every door's size limit: the content is what is refused
        for language in (None, "en") if door != "/api/messages" else (None,):
            status, answer = await doors.post(door, raw, language)
            refused_in_the_doors_shape(door, status, answer, english=language == "en")
        await doors.healthy()
    assert doors.stored() == []
    assert doors.town.external.requests == [] and doors.town.internal.requests == []
    assert doors.town.connector.activities == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_same_bodies_without_the_hostile_part_are_answered(doors: Doors) -> None:
    """The table's bodies are valid but for the row: the refusals above are the row's doing."""
    plain = Hostile("nothing hostile", VALUE, b"0")
    for door, body in doors.bodies().items():
        status, answer = await doors.post(door, filled(body, plain))
        assert status in (200, 202), (door, status, answer)
        if door == "/mcp":
            assert answer["result"]["isError"] is False, answer
        if door == "/a2a/pas":
            assert answer["result"]["status"]["state"] == "completed", answer
    await doors.town.connector.wait_for_messages(1, wait_s=20)
    assert len(doors.stored()) == 4


async def test_control_characters_are_stripped_at_every_door(doors: Doors) -> None:
    """NUL breaks PostgreSQL's text columns; the other controls are invisible. Every door strips them
    from every string (ids and names too, not only the question) before a store or a model sees them."""
    town, app = doors.town, doors.town.services.app
    dirty = f"Hvad{CONTROLS} koster\x00 et nyt pas?"
    user = f"{EMPLOYEE[0]}{CONTROLS}{EMPLOYEE[1:]}"  # the employee, controls in the Entra object id
    # Teams, answered in the background
    activity = message_activity(
        town.connector.service_url,
        dirty,
        **{"from": {"id": f"29:{user}", "name": "Em\x00p", "aadObjectId": user}},
        conversation={"id": f"a:{user}", "conversationType": "personal", "tenantId": "t1"},
    )
    assert await town.post(activity) == 202
    await town.connector.wait_for_messages(1, wait_s=20)
    # Teams, answered in the response (expectReplies): the Agents SDK reads the body again itself
    status, replies = await doors.post(
        "/api/messages", json.dumps({**activity, "id": "2", "deliveryMode": "expectReplies"}).encode()
    )
    assert status == 200 and replies["activities"], replies
    # /v1 and /mcp
    v1 = {"model": "pas", "messages": [{"role": "user", "content": dirty}], "user": f"x{CONTROLS}"}
    status, answer = await doors.post("/v1/chat/completions", json.dumps(v1).encode())
    assert status == 200, answer
    call = doors.bodies()["/mcp"]
    call["params"]["arguments"]["question"] = dirty
    status, answer = await doors.post("/mcp", json.dumps(call).encode())
    assert status == 200 and answer["result"]["isError"] is False, answer
    send = doors.bodies()["/a2a/pas"]
    send["params"]["message"]["parts"][0]["text"] = dirty
    send["params"]["metadata"]["x"] = f"x{CONTROLS}"
    status, answer = await doors.post("/a2a/pas", json.dumps(send).encode())
    assert status == 200 and answer["result"]["status"]["state"] == "completed", answer
    # aarhusai chat: what a terminal hands over, including an undecodable byte (a lone surrogate)
    chat = LocalTeamsChat(town.services.teams, "emp")
    app.specialists.use(Actor("local-emp", conversation=ConversationRef(id="local-chat:emp")), "pas")
    assert await chat.send("Hvad\x00 koster et nyt pas\udcff?")

    rows = doors.stored()
    assert [r.question for r in rows] == [
        "Hvad koster et nyt pas?",
        "Hvad koster et nyt pas?",
        "Hvad koster et nyt pas?",
        "Hvad koster et nyt pas?",
        "Hvad koster et nyt pas?",
        "Hvad koster et nyt pas\ufffd?",
    ]
    assert [r.user_id for r in rows[:2]] == [EMPLOYEE, EMPLOYEE]  # the ids, cleaned, found the employee
    everything = "".join(str(v) for r in rows for v in r.model_dump().values()) + town.sent_to(town.external)
    assert not any(c in everything for c in CONTROLS), "a control character was stored or sent"
    # one answer per door; the second Teams turn has a conversation, so its question was rewritten
    # for the search first (bot.rag.followup): that request was checked above like every other
    rewrites = [r for r in town.external.requests if r["messages"][0]["content"] == INSTRUCTIONS["da"]]
    assert len(town.external.requests) - len(rewrites) == 6 and len(rewrites) == 1
    await doors.healthy()


# -- the decoder itself, generated ------------------------------------------------------------------
GENERATED = 300
SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)  # st.characters never draws one
STRINGS = st.text(st.characters(codec=None) | SURROGATES | st.sampled_from(CONTROLS), max_size=20)
NUMBERS = (
    st.integers(-(10**60), 10**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=False, places=50).map(float)
)
VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | STRINGS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(STRINGS, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """Raw bodies as a client could send them: JSON of hostile values (escaped or as raw UTF-8 with
    surrogates encoded), cut short, or arbitrary bytes."""
    value = draw(VALUES)
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))  # NaN and Infinity as Python writes them
    raw = text.encode("utf-8", "surrogatepass")
    return draw(st.sampled_from([raw, raw[: len(raw) // 2]]) | st.binary(max_size=64))


def _clean(value: object) -> None:
    """What every door may pass on: no control character, no surrogate, no long or infinite number."""
    if isinstance(value, str):
        assert not any(c in CONTROLS or 0xD800 <= ord(c) <= 0xDFFF for c in value), repr(value)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        assert len(str(abs(value))) <= MAX_NUMBER_DIGITS
    elif isinstance(value, float):
        assert value == value and abs(value) != float("inf")
    elif isinstance(value, dict):
        for k, v in value.items():
            _clean(k)
            _clean(v)
    else:
        assert isinstance(value, list)
        for v in value:
            _clean(v)


def _lone_surrogate_in(raw: bytes) -> bool:
    """Whether Python's own reading of ``raw`` (surrogates let through) holds a lone surrogate."""
    try:
        value = json.loads(raw.decode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError):
        return False
    return any(0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(value, ensure_ascii=False))


@settings(max_examples=GENERATED, deadline=None, derandomize=True, database=None)
@given(raw=bodies())
def test_the_one_decoder_never_raises_and_passes_on_only_clean_values(raw: bytes) -> None:
    decoded = decode_json(raw)
    if _lone_surrogate_in(raw):  # no database can store it: refused, not repaired
        assert isinstance(decoded, BodyProblem)
    if isinstance(decoded, BodyProblem):
        assert decoded.status == 400 and decoded.reason and decoded.render("da")
    else:
        _clean(decoded)
