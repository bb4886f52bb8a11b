"""Personal data in group chats and channels, and citations worth clicking, through the real HTTP edge
and a loopback connector.

A question holding a CPR number in a group chat or channel: the model never receives the number, and
nothing the bot sends there (the placeholder, the answer that replaces it, its citations) holds it in
any form, even when the model writes the number itself in another format; the stored transcript keeps
the placeholder; the asker is told why in their personal chat (the notification outbox), or in the
group reply when they cannot be reached yet. In a personal chat nothing changes. A Hypothesis property
sends the CPR number written every way the red-team generators know and checks everything sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from sqlmodel import select

from bot.app import Services
from bot.conversation.types import Citation, ConversationRef, Incoming, Label, Reply, User
from bot.store.models import Message, Notification
from bot.teams.render import TITLE_CHARS, client_citations, to_activities, usage_info
from tests.redteam import pii_generators
from tests.support.connector import FakeConnector
from tests.support.openai_server import RecordingModelServer
from tests.support.rules_bot import local_model, serve_rules
from tests.test_http_edge import message_activity

BUILDER = "aad-anne"
CPR = "010203-1234"
CPR_DIGITS = "0102031234"
GROUP = {"id": "19:group-chat@thread.v2", "conversationType": "groupChat", "tenantId": "t1"}
CHANNEL = {
    "id": "19:general@thread.tacv2;messageid=1700000000000",
    "conversationType": "channel",
    "tenantId": "t1",
}
PERSONAL = {"id": "a:personal-chat-1", "conversationType": "personal", "tenantId": "t1"}
MENTION = {"type": "mention", "text": "<at>AarhusAI</at>", "mentioned": {"id": "28:bot", "name": "AarhusAI"}}
FAST = {"notify_interval_s": 0.05, "notify_retry_s": 0.05}
T = TypeVar("T")


def leaky_model(body: dict[str, Any]) -> str:
    """A model at its worst: it repeats what it was asked, and writes the CPR number (in another
    format) as if it knew it from elsewhere."""
    asked = str(body["messages"][-1]["content"])[-300:]
    return f"Du spurgte: {asked}\n\nBorgeren har CPR 01 02 03 1234, og det står i [1]."


async def _serve_bot(services: Services, connector: FakeConnector) -> Any:
    conversations = (PERSONAL["id"], GROUP["id"], CHANNEL["id"].split(";")[0], CHANNEL["id"])
    return await serve_rules(services, BUILDER, conversations)


def _services(
    make_services: Callable[..., Services], tmp_path: Path, model_server: RecordingModelServer
) -> Services:
    return make_services(admins=BUILDER, models_file=local_model(tmp_path / "m.yaml", model_server), **FAST)


class Bot:
    def __init__(self, base: str, services: Services, connector: FakeConnector) -> None:
        self.base, self.services, self.connector = base, services, connector

    async def say(self, text: str, conversation: dict[str, Any], person: str = BUILDER) -> None:
        extra: dict[str, Any] = {
            "conversation": conversation,
            "from": {"id": f"29:{person}", "aadObjectId": person},
        }
        if conversation["conversationType"] != "personal":
            text, extra["entities"] = f"<at>AarhusAI</at> {text}", [MENTION]
        activity = message_activity(self.connector.service_url, text, **extra)
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base}/api/messages", json=activity) as resp,
        ):
            assert resp.status == 202

    def sent_to(self, conversation: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            a for a in self.connector.activities if a.get("conversation", {}).get("id") == conversation["id"]
        ]


@pytest.fixture
async def bot(
    make_services: Callable[..., Services],
    tmp_path: Path,
    connector: FakeConnector,
    model_server: RecordingModelServer,
) -> AsyncIterator[Bot]:
    services = _services(make_services, tmp_path, model_server)
    runner, base = await _serve_bot(services, connector)
    yield Bot(base, services, connector)
    await runner.cleanup()


def _shown_strings(activity: dict[str, Any]) -> list[str]:
    """Every string a person can be shown from an activity: text, entities (citations, labels),
    cards; not the envelope's ids and addresses."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({k: activity.get(k) for k in ("text", "entities", "attachments", "summary", "suggestedActions")})
    return found


def _holds_cpr(activity: dict[str, Any], digits: str = CPR_DIGITS) -> bool:
    return any(pii_generators.leaks("cpr", digits, s) for s in _shown_strings(activity))


def _ai_entity(activity: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in activity.get("entities") or [] if e.get("type") == "https://schema.org/Message")


async def _wait(predicate: Callable[[], bool], wait_s: float = 20) -> None:
    async with asyncio.timeout(wait_s):
        while not predicate():  # noqa: ASYNC110 - several conditions on what the connector got
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("place", [GROUP, CHANNEL], ids=["group chat", "channel"])
async def test_a_cpr_number_asked_in_a_group_is_never_repeated_there_and_the_asker_is_told_personally(
    bot: Bot, model_server: RecordingModelServer, place: dict[str, Any]
) -> None:
    model_server.reply_for = leaky_model
    await bot.say("/hjælp", PERSONAL)  # the asker has a personal chat with the bot: reachable
    await _wait(lambda: len(bot.sent_to(PERSONAL)) == 1)
    await bot.say(f"Hvornår skal borgeren med CPR {CPR} sygemelde sig?", place)
    # the placeholder, then the answer in its place, then the "Om specialisten" button as a card of its own
    # (Teams cannot replace a message by a text and a card)
    await _wait(lambda: len(bot.sent_to(place)) == 3)
    # the model never got the number: the question reached it with the placeholder
    asked = json.dumps(model_server.requests, ensure_ascii=False)
    assert "⟦CPR-1⟧" in asked and not pii_generators.leaks("cpr", CPR_DIGITS, asked)
    sent = bot.sent_to(place)
    assert [a["type"] for a in sent] == ["message", "message", "message"]
    assert bot.connector.methods[bot.connector.activities.index(sent[1])] == "PUT"  # in its place
    assert sent[2]["attachments"] and not sent[2]["text"]  # the button card
    assert not any(_holds_cpr(a) for a in sent)
    answer = sent[1]
    # the model's echo keeps the placeholder, and the number it wrote itself is masked the same way
    assert answer["text"].count("⟦CPR-1⟧") >= 2 and "sygemelde" in answer["text"]
    assert _ai_entity(answer)["citation"]
    # the stored transcript (shown by /kilde and to the next turn's model) keeps the placeholder too
    with bot.services.db.session() as s:
        [stored] = s.exec(select(Message).where(Message.conversation_id == place["id"])).all()
    assert "⟦CPR-1⟧" in stored.question and not pii_generators.leaks("cpr", CPR_DIGITS, stored.question)
    assert not pii_generators.leaks("cpr", CPR_DIGITS, stored.answer + stored.citations)
    # the asker is told why, in their personal chat, without the number
    await _wait(lambda: len(bot.sent_to(PERSONAL)) == 2)
    notice = bot.sent_to(PERSONAL)[-1]
    where = "en kanal" if place is CHANNEL else "en gruppechat"
    assert f"i {where} indeholdt 1 CPR-nummer" in notice["text"] and "**Regler**" in notice["text"]
    assert not _holds_cpr(notice)
    with bot.services.db.session() as s:
        [row] = s.exec(select(Notification).where(Notification.topic == "pii.masked_shared")).all()
    assert row.recipient == BUILDER
    events = bot.services.stores.audit.events(action="pii.masked_shared")
    assert len(events) == 1 and json.loads(events[0].details)["notified"] is True


async def test_an_asker_who_cannot_be_reached_is_told_in_the_group_without_the_number(
    bot: Bot, model_server: RecordingModelServer
) -> None:
    model_server.reply_for = leaky_model
    await bot.say(f"Hvornår skal borgeren med CPR {CPR} sygemelde sig?", GROUP, person="aad-new")
    await _wait(lambda: len(bot.sent_to(GROUP)) == 3)  # placeholder, answer in its place, Om button card
    answer = bot.sent_to(GROUP)[1]
    assert not any(_holds_cpr(a) for a in bot.sent_to(GROUP))
    assert "Spørgsmålet indeholdt 1 CPR-nummer" in answer["text"]
    assert "Jeg kan ikke skrive personligt til dig endnu" in answer["text"]
    with bot.services.db.session() as s:
        assert s.exec(select(Notification)).all() == []  # nothing queued for someone not reachable


async def test_a_personal_chat_is_unchanged(bot: Bot, model_server: RecordingModelServer) -> None:
    model_server.reply = f"Borgeren med CPR {CPR} skal sygemelde sig før kl. 8 [1]."
    await bot.say(f"Hvornår skal borgeren med CPR {CPR} sygemelde sig?", PERSONAL)
    await bot.connector.wait_for_messages(1, wait_s=30)
    assert CPR in json.dumps(model_server.requests, ensure_ascii=False)  # a model cleared for it gets it
    assert CPR in bot.connector.messages()[-1]["text"]  # the asker's own data, shown to the asker
    with bot.services.db.session() as s:
        assert s.exec(select(Notification)).all() == []
    assert bot.services.stores.audit.events(action="pii.masked_shared") == []


async def test_the_answer_so_far_never_shows_a_number_before_it_is_whole(
    bot: Bot, model_server: RecordingModelServer
) -> None:
    """A value still being written ("01 02 03") is not found yet: the answer so far keeps its end back
    (a door that shows it in a group, unlike Teams, still shows no number)."""
    model_server.reply_for = leaky_model
    model_server.chunk_delay_s = 0.03  # word by word: "01", " 02", " 03", " 1234"
    updates: list[str] = []

    async def seen(text: str) -> None:
        updates.append(text)

    incoming = Incoming(
        text=f"Hvornår skal borgeren med CPR {CPR} sygemelde sig?",
        user=User(id="29:x", aad_object_id=BUILDER),
        conversation=ConversationRef(id=GROUP["id"], type="groupChat", tenant_id="t1"),
    )
    reply = await bot.services.dispatcher.handle(incoming, on_text=seen)
    assert len(updates) >= 2 and "⟦CPR-1⟧" in reply.text
    for text in [*updates, reply.text]:
        digits = re.sub(r"\D", "", pii_generators.reads_as(text.replace("⟦CPR-1⟧", " ")))
        assert "010203" not in digits and not pii_generators.leaks("cpr", CPR_DIGITS, text), text


# -- the property, over every way the red-team generators write a CPR number ----------------------
class _Loop:
    """An event loop on its own thread: Hypothesis drives plain functions, the server is async."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def threaded_bot(
    make_services: Callable[..., Services], tmp_path: Path
) -> Iterator[tuple[_Loop, Bot, RecordingModelServer]]:
    loop = _Loop()
    model_server = loop.run(RecordingModelServer().start())
    model_server.reply_for = leaky_model
    connector = loop.run(FakeConnector().start())
    services = _services(make_services, tmp_path, model_server)
    runner, base = loop.run(_serve_bot(services, connector))
    try:
        yield loop, Bot(base, services, connector), model_server
    finally:
        loop.run(runner.cleanup())
        loop.run(connector.stop())
        loop.run(model_server.stop())
        loop.close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=pii_generators.disguised("cpr"))
def test_no_way_of_writing_a_cpr_number_in_a_group_question_gets_it_sent_to_the_group(
    threaded_bot: tuple[_Loop, Bot, RecordingModelServer], sample: tuple[str, str]
) -> None:
    loop, bot, model_server = threaded_bot
    text, value = sample
    place = {**GROUP, "id": f"19:{uuid.uuid4().hex}@thread.v2"}  # a fresh group chat for each example
    bot.connector.activities.clear()
    model_server.requests.clear()
    # the model echoes what it got, and writes the number itself in another format
    spaced = f"{value[:2]} {value[2:4]} {value[4:6]} {value[6:]}"
    model_server.reply_for = lambda body: f"{leaky_model(body)} Også {value[:6]}-{value[6:]} eller {spaced}."

    async def ask() -> None:
        await bot.say(f"Hvornår skal jeg sygemelde mig? {text}", place)
        await _wait(lambda: len(bot.sent_to(place)) >= 2)  # the placeholder, then the answer in its place

    bot.services.stores.specialists.select(
        place["id"], bot.services.stores.specialists.require("regler").id, BUILDER
    )
    loop.run(ask())
    sent = bot.sent_to(place)
    assert sent and all(
        not any(pii_generators.leaks("cpr", value, s) for s in _shown_strings(a)) for a in sent
    ), (
        text,
        sent,
    )
    assert not pii_generators.leaks("cpr", value, json.dumps(model_server.requests, ensure_ascii=False))


# -- citations worth clicking ---------------------------------------------------------------------
def test_citation_titles_name_document_section_and_page_within_teams_limits() -> None:
    label = Label("Intern", "Interne oplysninger uden personoplysninger")
    long_name = "Retningslinjer for sygefravær og fraværssamtaler i Magistratsafdelingen.pdf"
    citations = [
        Citation(
            1,
            "pas.pdf",
            "Pas til **børn** koster [120 kr.](https://x.dk) _i alt_.",
            3,
            heading="Pas › Priser › Børn",
        ),
        Citation(2, "pas.pdf", "Voksne betaler mere.", 3, heading="Pas › Priser › Voksne"),
        Citation(3, "pas.pdf", "Samme afsnit, et andet uddrag.", 3, heading="Pas › Priser › Voksne"),
        Citation(
            4,
            long_name,
            "x",
            12,
            heading="Sygefravær › Sygemelding og raskmelding › Første sygedag ved deltid",
        ),
        Citation(5, "side.html", "y", None, heading=None, url="https://aarhus.dk/pas?x=1#top"),
        Citation(6, "ondt.md", "z", None, url="javascript:alert(1)"),
    ]
    claims = client_citations("Svar.", citations, "da", usage_info(label))
    names = [c.appearance.name for c in claims]
    assert names[0] == "pas.pdf › Pas › Priser › Børn (s. 3)"
    assert names[1] == "pas.pdf › Pas › Priser › Voksne (s. 3)"
    assert names[2] == "pas.pdf › Pas › Priser › Voksne (s. 3) [3]"  # the same section: told apart
    assert len(set(names)) == len(names) and all(len(n) <= TITLE_CHARS for n in names)
    assert names[3].endswith(" › Første sygedag ved deltid (s. 12)") and "…" in names[3]
    assert names[4] == "side.html"
    # snippets are plain text: no Markdown left to show raw
    assert claims[0].appearance.abstract == "Pas til børn koster 120 kr. i alt."
    assert [c.appearance.url for c in claims[4:]] == ["https://aarhus.dk/pas?x=1#top", None]
    assert all(c.appearance.usage_info and c.appearance.usage_info.name == "Intern" for c in claims)
    english = client_citations("Answer [1].", citations, "en")
    assert [c.appearance.name for c in english] == ["pas.pdf › Pas › Priser › Børn (p. 3)"]


def test_a_long_title_keeps_its_page_and_deepest_section() -> None:
    citation = Citation(1, "n" * 200 + ".pdf", "x", 7, heading="A" * 50 + " › " + "B" * 120)
    [claim] = client_citations("", [citation], "da")
    name = claim.appearance.name
    assert len(name) <= TITLE_CHARS and name.endswith(" (s. 7)") and name.startswith("nnn") and "BBB" in name
    [activity] = to_activities(Reply("Svar [1]", citations=[citation], generated=True))
    assert (
        _ai_entity(activity.model_dump(mode="json", by_alias=True, exclude_none=True))["citation"][0][
            "appearance"
        ]["name"]
        == name
    )


async def test_citations_at_the_edge_show_sections_and_kilde_shows_the_heading_path(
    bot: Bot, model_server: RecordingModelServer
) -> None:
    model_server.reply = "Du skal sygemelde dig før kl. 8 [1]."
    await bot.say("Hvornår skal jeg sygemelde mig?", PERSONAL)
    [final] = await bot.connector.wait_for_messages(1, wait_s=30)
    [claim] = _ai_entity(final)["citation"]
    name, abstract = claim["appearance"]["name"], claim["appearance"]["abstract"]
    assert re.fullmatch(r"sygefravaer\.md › Retningslinjer for sygefravær( › [^›]+)?", name), name
    assert "**" not in abstract and "#" not in abstract and len(abstract) <= 160
    assert claim["appearance"]["usageInfo"]["name"] == "Intern"
    await bot.say("/kilde 1", PERSONAL)
    full = (await bot.connector.wait_for_messages(2))[-1]["text"]
    section = name.split(" › ", 1)[1]
    assert full.startswith("[1] **sygefravaer.md") and f"afsnit «{section}»" in full
