"""Teams behaviour at the activity level, through the real HTTP edge and a loopback connector:
streaming, placeholders, citations, feedback, cards, welcome, redelivery, rate and retry rules."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.app import Services
from bot.conversation.types import Citation
from bot.store.models import Feedback
from bot.teams.cards import card_text
from bot.teams.outbound import ConversationRateLimiter
from bot.teams.render import client_citations, split_text
from tests.support.connector import FakeConnector
from tests.support.openai_server import RecordingModelServer
from tests.support.rules_bot import local_model, serve_rules
from tests.test_http_edge import message_activity

BUILDER = "aad-anne"
GROUP = {"id": "19:group-chat@thread.v2", "conversationType": "groupChat", "tenantId": "t1"}


class Bot:
    def __init__(self, base: str, services: Services, connector: FakeConnector) -> None:
        self.base, self.services, self.connector = base, services, connector

    async def post(self, activity: dict[str, Any]) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base}/api/messages", json=activity) as resp,
        ):
            body = await resp.json() if resp.content_type == "application/json" else None
            return resp.status, body

    async def say(self, text: str | None, **extra: Any) -> dict[str, Any]:
        activity = message_activity(self.connector.service_url, text, **extra)
        activity["from"] = extra.get("from", activity["from"])
        status, _ = await self.post(activity)
        assert status == 202
        return activity


@pytest.fixture
async def bot(
    make_services: Callable[..., Services],
    tmp_path: Path,
    connector: FakeConnector,
    model_server: RecordingModelServer,
) -> AsyncIterator[Bot]:
    catalogue = local_model(tmp_path / "m.yaml", model_server, name="Lokal Llama", location="testserveren")
    services = make_services(admins=BUILDER, models_file=catalogue)
    runner, base = await serve_rules(services, BUILDER, ["a:personal-chat-1", GROUP["id"]])
    yield Bot(base, services, connector)
    await runner.cleanup()


def _stream_info(activity: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in activity.get("entities") or [] if e.get("type") == "streaminfo"), None)


def _ai_entity(activity: dict[str, Any]) -> dict[str, Any] | None:
    return next(
        (e for e in activity.get("entities") or [] if e.get("type") == "https://schema.org/Message"), None
    )


async def test_personal_chat_streams_informative_then_text_then_final_with_citations(
    bot: Bot, model_server: RecordingModelServer
) -> None:
    model_server.reply = "Du skal sygemelde dig før kl. 8 [1] og ringe til din leder [2]."
    model_server.chunk_delay_s = 0.35  # ~4 s of generation: several one-second updates
    await bot.say("Hvornår skal jeg sygemelde mig?")
    await bot.connector.wait_for_messages(1, wait_s=30)
    sent = bot.connector.activities
    infos = [(a["type"], _stream_info(a)) for a in sent]
    assert infos[0][0] == "typing" and infos[0][1]["streamType"] == "informative"
    assert sent[0]["text"] == "Søger i kilderne …"
    stream_id = bot.connector.activities[0].get("id") or None
    updates = [a for a in sent[1:-1] if a["type"] == "typing"]
    assert len(updates) >= 2 and all(_stream_info(a)["streamType"] == "streaming" for a in updates)
    ids = {_stream_info(a)["streamId"] for a in updates}
    assert len(ids) == 1 and None not in ids and stream_id is None  # the id Teams returned, reused
    sequences = [_stream_info(a)["streamSequence"] for a in [sent[0], *updates]]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    gaps = [b - a for a, b in zip(bot.connector.times[1:-1], bot.connector.times[2:-1], strict=False)]
    # at most one update a second: the bot waits 1 s after each send completes; receipt times jitter
    # on a loaded machine, so the check here is on the pace, not on single gaps
    assert all(gap >= 0.5 for gap in gaps)
    assert len(updates) <= (bot.connector.times[-1] - bot.connector.times[0]) + 1
    final = sent[-1]
    # the answer, then which model wrote it and where it runs (from the catalogue)
    assert final["type"] == "message"
    assert final["text"] == f"{model_server.reply}\n\n_Skrevet af Lokal Llama · testserveren_"
    assert _stream_info(final)["streamType"] == "final" and _stream_info(final)["streamId"] in ids
    ai = _ai_entity(final)
    assert ai and ai["additionalType"] == ["AIGeneratedContent"]
    assert [c["position"] for c in ai["citation"]] == [1, 2]
    # the specialist's classification as a sensitivity label, on the message and on each citation
    label = {"@type": "CreativeWork", "name": "Intern"}
    assert (
        label.items() <= ai["usageInfo"].items()
        and "uden personoplysninger" in ai["usageInfo"]["description"]
    )
    assert all(label.items() <= c["appearance"]["usageInfo"].items() for c in ai["citation"])
    assert all(
        len(c["appearance"]["name"]) <= 80 and len(c["appearance"]["abstract"]) <= 160 for c in ai["citation"]
    )
    assert final["channelData"]["feedbackLoopEnabled"] is True


async def test_group_chat_gets_a_placeholder_replaced_by_the_answer(bot: Bot) -> None:
    await bot.say(
        "<at>AarhusAI</at> Hvad koster en beboerlicens?",
        conversation=GROUP,
        entities=[
            {
                "type": "mention",
                "text": "<at>AarhusAI</at>",
                "mentioned": {"id": "28:bot", "name": "AarhusAI"},
            }
        ],
    )
    messages = await bot.connector.wait_for_messages(2, wait_s=30)
    assert [_stream_info(a) for a in bot.connector.activities] == [None, None]
    assert messages[0]["text"] == "Søger i kilderne …"
    # the answer replaces the placeholder in place: one message in the chat, not two
    assert bot.connector.methods == ["POST", "PUT"]
    assert bot.connector.paths[1].endswith(f"/activities/{bot.connector.ids[0]}")
    assert _ai_entity(messages[1])["citation"] and messages[1]["text"].startswith(
        "Svar fra testmodellen.\n\nKilder: [1] parkering.md"
    )
    assert messages[1]["channelData"]["feedbackLoopEnabled"] is True


async def test_feedback_is_stored_against_the_answer_and_unknown_ids_are_ignored(bot: Bot) -> None:
    question = await bot.say("Hvad koster en beboerlicens?")
    await bot.connector.wait_for_messages(1, wait_s=30)
    stream_id = _stream_info(bot.connector.activities[-1])["streamId"]

    def vote(reaction: str, reply_to: str | None, text: str = "") -> dict[str, Any]:
        activity = message_activity(
            bot.connector.service_url,
            None,
            type="invoke",
            name="message/submitAction",
            value={"actionName": "feedback", "actionValue": {"reaction": reaction, "feedback": text}},
        )
        if reply_to:
            activity["replyToId"] = reply_to
        return activity

    assert await bot.post(vote("dislike", stream_id, "Forkert beløb")) == (200, {})
    assert await bot.post(vote("like", None)) == (200, {})  # no replyToId (the Playground): latest answer
    assert await bot.post(vote("like", "ukendt-id")) == (200, {})  # ignored, not an error
    with bot.services.db.session() as s:
        rows = s.exec(select(Feedback).order_by(Feedback.id)).all()
    assert [(r.reaction, r.text) for r in rows] == [("dislike", "Forkert beløb"), ("like", "")]
    assert question["text"]  # the vote is linked to the stored exchange for that question
    stats = await bot.services.dispatcher.handle(_incoming("/statistik regler"))
    assert "👍 1 / 👎 1" in stats.text


def _incoming(text: str):  # type: ignore[no-untyped-def]
    from bot.conversation.types import ConversationRef, Incoming, User

    return Incoming(
        text=text, user=User(id="x", aad_object_id=BUILDER), conversation=ConversationRef(id="a:x")
    )


async def test_welcome_card_once_however_often_teams_reinstalls(bot: Bot) -> None:
    update = message_activity(
        bot.connector.service_url,
        None,
        type="conversationUpdate",
        membersAdded=[{"id": "28:bot", "name": "AarhusAI"}],
    )
    install = message_activity(bot.connector.service_url, None, type="installationUpdate", action="add")
    for activity in (update, install, update):
        status, _ = await bot.post(activity)
        assert status in (200, 202)
    [welcome] = bot.connector.messages()
    assert welcome["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "Velkommen" in str(welcome["attachments"][0]["content"])
    other = message_activity(
        bot.connector.service_url,
        None,
        type="conversationUpdate",
        membersAdded=[{"id": "29:someone-else"}],
        conversation=GROUP,
    )
    await bot.post(other)
    assert len(bot.connector.messages()) == 1  # a colleague joining is no reason to welcome again


async def test_specialist_card_brug_action_and_builder_settings_card(bot: Bot) -> None:
    await bot.say("/specialister")
    [card_message] = await bot.connector.wait_for_messages(1)
    card = card_message["attachments"][0]["content"]
    use = next(a for a in _actions(card) if a.get("data", {}).get("slug") == "regler")
    await bot.say(None, value=use["data"], conversation={"id": "a:other", "conversationType": "personal"})
    replies = await bot.connector.wait_for_messages(2)
    assert "Nu svarer **Regler**" in replies[-1]["text"]

    builder = {"id": "29:anne", "aadObjectId": BUILDER}
    await bot.say("/rediger regler", **{"from": builder})
    await bot.say("/indstil", **{"from": builder})
    settings = (await bot.connector.wait_for_messages(4))[-1]["attachments"][0]["content"]
    ids = {b.get("id") for b in settings["body"]}
    assert {"prompt", "model", "temperatur", "top_k"} <= ids
    save = next(a for a in settings["actions"] if a["data"]["aarhusai"] == "save_settings")
    await bot.say(None, value={**save["data"], "top_k": "50", "prompt": "x"}, **{"from": builder})
    assert "Intet er gemt" in (await bot.connector.wait_for_messages(5))[-1]["text"]
    await bot.say(
        None,
        value={
            **save["data"],
            "top_k": "3",
            "temperatur": "0.5",
            "model": "lokal",
            "prompt": "Svar meget kort.",
        },
        **{"from": builder},
    )
    saved_message = (await bot.connector.wait_for_messages(6))[-1]
    [attachment] = saved_message["attachments"]  # the saved settings, with the Builder's checklist under them
    saved = card_text(attachment["content"])
    assert "top_k = 3" in saved and "prompt version 2" in saved and "Tjekliste" in saved
    spec = bot.services.stores.specialists.require("regler")
    assert (spec.top_k, spec.temperature, spec.model_id) == (3, 0.5, "lokal")
    employee = {"id": "29:eva", "aadObjectId": "aad-eva"}
    await bot.say(None, value={**save["data"], "top_k": "4"}, **{"from": employee})  # not a Builder
    assert "kræver rollen Builder" in (await bot.connector.wait_for_messages(7))[-1]["text"]


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


async def test_long_work_is_acknowledged_at_once_and_answered_later(
    bot: Bot, model_server: RecordingModelServer
) -> None:
    model_server.delay_s = 3
    started = time.monotonic()
    await bot.say("Hvad koster en beboerlicens?")
    assert time.monotonic() - started < 1.5  # 202 long before the answer exists
    await bot.connector.wait_for_messages(1, wait_s=30)
    assert time.monotonic() - started >= 3


async def test_redelivered_activity_is_answered_once(bot: Bot) -> None:
    activity = message_activity(bot.connector.service_url, "/hjælp")
    assert (await bot.post(activity))[0] == 202
    assert (await bot.post(activity))[0] == 200  # Teams' retry of the same id: acknowledged, not redone
    await bot.connector.wait_for_messages(1)
    await asyncio.sleep(0.5)
    assert len(bot.connector.messages()) == 1


async def test_throttled_and_gateway_errors_are_retried(bot: Bot) -> None:
    bot.connector.fail_next = [429, 502, 504]
    await bot.say("/hjælp")
    [reply] = await bot.connector.wait_for_messages(1, wait_s=20)
    assert bot.connector.failures == 3 and "Kommandoer" in reply["text"]


async def test_rate_limiter_keeps_seven_per_second() -> None:
    limiter = ConversationRateLimiter(((7, 1.0), (60, 30.0)))
    started = time.monotonic()
    stamps = []
    for _ in range(15):
        await limiter.acquire("c1")
        stamps.append(time.monotonic() - started)
    await limiter.acquire("c2")  # another conversation is not held up
    assert stamps[6] < 0.2 and stamps[7] >= 0.95 and stamps[14] >= 1.95
    assert all(sum(1 for s in stamps if t <= s < t + 1.0) <= 7 for t in stamps)


def test_long_answers_are_split_under_the_message_limit() -> None:
    text = "\n\n".join(f"Afsnit {i}: " + "æøå tekst " * 300 for i in range(20))
    parts = split_text(text)
    assert len(parts) > 1 and all(len(p.encode()) <= 27 * 1024 for p in parts)
    assert "".join(p.replace("\n", "").replace(" ", "") for p in parts) == text.replace("\n", "").replace(
        " ", ""
    )
    assert split_text("x" * 100_000)[0] == "x" * 27 * 1024


def test_citations_respect_teams_limits_and_the_markers_used() -> None:
    citations = [
        Citation(n=i, source="En meget lang kildetitel " * 6, text="passage " * 100, page=i)
        for i in range(1, 26)
    ]
    claims = client_citations("Svar uden markører.", citations)
    assert len(claims) == 20 and all(
        len(c.appearance.name) <= 80 and len(c.appearance.abstract) <= 160 for c in claims
    )
    used = client_citations("Se [2] og [5].", citations)
    assert [c.position for c in used] == [2, 5]


async def test_full_passage_on_demand(bot: Bot) -> None:
    await bot.say("Hvad koster en beboerlicens?")
    await bot.connector.wait_for_messages(1, wait_s=30)
    await bot.say("/kilde 1")
    full = (await bot.connector.wait_for_messages(2))[-1]["text"]
    assert full.startswith("[1] **parkering.md") and len(full) > 160
    await bot.say("/kilde 9")
    assert (
        "Skriv nummeret på kilden fra det seneste svar (1, 2, 3, 4, 5)"
        in (await bot.connector.wait_for_messages(3))[-1]["text"]
    )
    assert "ingen kilder at vise" in (await bot.services.dispatcher.handle(_incoming("/kilde 1"))).text
