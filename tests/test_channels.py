"""Per-channel behaviour (``/kanal``) and "Om specialisten" (``/om``, the button on answers and in
``/specialister``, ``/v1/models/{id}``, MCP), through the real HTTP edge and the fake Teams connector,
on SQLite and PostgreSQL (the red-team municipality: departments A and B, a Builder in each)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp
from sqlmodel import select

from bot.services import Actor
from bot.store.models import AuditEvent, ChannelSetting
from bot.teams.cards import card_text
from tests.redteam.conftest import ADMIN, BUILDER_A, BUILDER_B, EMPLOYEE, Municipality, municipality
from tests.support.connector import shown
from tests.test_api import PAS, Integration, api
from tests.test_http_edge import message_activity

__all__ = ["api", "municipality"]  # the fixtures, imported for this module

CHANNEL = "19:spoergsmaal@thread.tacv2"
BOT = {"id": "28:bot", "name": "AarhusAI"}
QUESTION = "Hvad koster et nyt pas til en voksen?"


def channel_post(
    town: Municipality,
    user: str,
    text: str | None,
    *,
    thread: str | None = None,
    mention: bool = True,
    conversation: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A channel post as Teams sends it: a new post names its own thread (``;messageid=<its id>``), a
    reply names the thread's first post; only an @mention carries the mention entity."""
    activity_id = uuid.uuid4().hex
    conv = conversation or f"{CHANNEL};messageid={thread or activity_id}"
    activity = message_activity(
        town.connector.service_url,
        f"<at>AarhusAI</at> {text}" if mention and text else text,
        id=activity_id,
        conversation={"id": conv, "conversationType": "channel", "tenantId": "t1"},
        **{"from": {"id": f"29:{user}", "name": user, "aadObjectId": user}},
        **extra,
    )
    if mention:
        activity["entities"] = [{"type": "mention", "mentioned": BOT, "text": "<at>AarhusAI</at>"}]
    return activity


async def send(town: Municipality, activity: dict[str, Any], count: int = 1) -> list[dict[str, Any]]:
    """Post ``activity``; the ``count`` messages the bot sent in reply to it."""
    assert await town.post(activity) == 202
    arrived = town.connector._arrived
    async with asyncio.timeout(30):
        while len(replies := replies_to(town, activity)) < count:
            arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), 0.2)
    return replies[:count]


def replies_to(town: Municipality, activity: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in town.connector.messages() if a.get("replyToId") == activity["id"]]


async def ignored(town: Municipality, activity: dict[str, Any]) -> None:
    """Post ``activity`` and check the bot sends nothing for it: a mentioned ``/kanal`` in the same
    conversation afterwards is answered (turns of one conversation run in order), and nothing else."""
    assert await town.post(activity) == 202
    sentinel = channel_post(town, ADMIN, "/kanal", conversation=activity["conversation"]["id"])
    await send(town, sentinel)
    await asyncio.sleep(0.3)
    assert replies_to(town, activity) == [], replies_to(town, activity)


async def test_a_builder_sets_up_a_question_channel_and_kanal_shows_it(municipality: Municipality) -> None:
    town = municipality
    await town.specialist("Pas", PAS, public=True)
    [before] = await send(town, channel_post(town, EMPLOYEE, "/kanal"))
    assert "Generel assistent" in before["text"] and "(ingen valgt endnu)" in before["text"]
    assert "kun når jeg bliver @nævnt" in before["text"]
    assert "En Builder i specialistens afdeling" in before["text"]  # the employee is told who may

    [chosen] = await send(town, channel_post(town, BUILDER_A, "/kanal specialist pas"))
    assert chosen["text"] == "Nu svarer **Pas** som standard i hele kanalen."
    [question] = await send(town, channel_post(town, BUILDER_A, "/kanal svar alle"))
    assert "Nu svarer **Pas** på alle nye opslag i kanalen, i opslagets tråd" in question["text"]

    [after] = await send(town, channel_post(town, EMPLOYEE, "/channel", locale="en-US"))
    assert "Specialist: **Pas**" in after["text"] and "every new post (a question channel)" in after["text"]
    assert f"by {BUILDER_A}" in after["text"]
    with town.services.db.session() as s:  # durable: a row of its own, not a process's memory
        row = s.get(ChannelSetting, CHANNEL)
        assert row is not None and row.answer_all and row.set_by == BUILDER_A
        audited = s.exec(select(AuditEvent.details).where(AuditEvent.target == CHANNEL)).all()
    assert len(audited) == 2, audited
    assert town.services.stores.specialists.selected(f"{CHANNEL};messageid=999").slug == "pas"


async def test_a_question_channel_answers_new_posts_without_mention_in_their_thread(
    municipality: Municipality,
) -> None:
    town = municipality
    await town.specialist("Pas", PAS, public=True)
    await send(town, channel_post(town, BUILDER_A, "/kanal specialist pas"))

    # not a question channel yet: a post without an @mention is not for the bot
    await ignored(town, channel_post(town, EMPLOYEE, QUESTION, mention=False))
    await send(town, channel_post(town, BUILDER_A, "/kanal svar alle"))

    post = channel_post(town, EMPLOYEE, QUESTION, mention=False)
    thread = post["conversation"]["id"]
    placeholder, final, about = await send(town, post, count=3)
    assert placeholder["text"] == "Søger i kilderne …"
    assert final["text"].startswith("Svar fra den eksterne model [1].")
    # Teams cannot replace the placeholder by a text and a card: the "Om" button follows the answer
    assert "attachments" not in final and about["text"] == ""
    assert adaptive(about)["actions"][0]["data"] == {"aarhusai": "command", "name": "om", "args": "pas"}
    for reply in (placeholder, final, about):  # in the post's thread, not at the channel's top level
        assert reply["conversation"]["id"] == thread
    index = town.connector.activities.index(final)
    assert town.connector.paths[index].startswith(f"/v3/conversations/{thread}/activities/")
    assert QUESTION in town.sent_to(town.external)

    # a reply inside that thread without an @mention is a conversation between people
    await ignored(town, channel_post(town, EMPLOYEE, "Tak, det hjalp!", thread=post["id"], mention=False))
    # ... and with one it is answered there
    mentioned = channel_post(town, EMPLOYEE, "Hvor lang tid tager det?", thread=post["id"])
    _placeholder, answer, _about = await send(town, mentioned, count=3)
    assert answer["conversation"]["id"] == thread

    # a post that names no thread (only the channel) is answered in a thread of its own
    bare = channel_post(town, EMPLOYEE, QUESTION, mention=False, conversation=CHANNEL)
    _placeholder, answer, _about = await send(town, bare, count=3)
    assert answer["conversation"]["id"] == f"{CHANNEL};messageid={bare['id']}"
    index = town.connector.activities.index(answer)
    assert town.connector.paths[index].startswith(f"/v3/conversations/{CHANNEL};messageid={bare['id']}/")

    # back to @mentions only
    await send(town, channel_post(town, BUILDER_A, "/kanal svar nævnt"))
    await ignored(town, channel_post(town, EMPLOYEE, QUESTION, mention=False))


async def test_only_a_builder_of_the_department_or_an_admin_may_change_a_channel(
    municipality: Municipality,
) -> None:
    town = municipality
    await town.specialist("Pas", PAS, public=True)  # department A's
    specialists = town.services.stores.specialists
    for user in (EMPLOYEE, BUILDER_B):  # an employee, and a Builder of another department
        for command in ("/kanal specialist pas", "/brug pas kanal", "/kanal svar alle"):
            [refused] = await send(town, channel_post(town, user, command))
            assert "Kun en Builder i afdelingen bag" in refused["text"], (user, command, refused["text"])
    [english] = await send(town, channel_post(town, EMPLOYEE, "/channel specialist pas", locale="en-US"))
    assert "Only a Builder of the department behind **Pas**" in english["text"]
    assert specialists.selected(CHANNEL).slug == "assistent"
    with town.services.db.session() as s:
        assert s.get(ChannelSetting, CHANNEL) is None
    # the employee still chooses for their own thread
    [own] = await send(town, channel_post(town, EMPLOYEE, "/brug pas"))
    assert "i denne tråd" in own["text"]
    assert specialists.selected(CHANNEL).slug == "assistent"
    # an administrator may, and the Builder of the specialist's department may
    await send(town, channel_post(town, ADMIN, "/kanal svar alle"))
    [ok] = await send(town, channel_post(town, BUILDER_A, "/brug pas kanal"))
    assert ok["text"] == "Nu svarer **Pas** som standard i hele kanalen."
    assert specialists.selected(CHANNEL).slug == "pas"
    # outside a channel there is nothing to set
    reply = await town.say(BUILDER_A, "/kanal")
    assert "findes kun i et teams kanaler" in reply.text


def facts(card: dict[str, Any]) -> dict[str, str]:
    [fact_set] = [b for b in card["body"] if b.get("type") == "FactSet"]
    return {f["title"]: f["value"] for f in fact_set["facts"]}


def adaptive(activity: dict[str, Any]) -> dict[str, Any]:
    [attachment] = activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


async def test_om_card_shows_the_specialists_facts(municipality: Municipality) -> None:
    town = municipality
    await town.specialist("Pas", PAS, public=True)
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    message = await town.teams(EMPLOYEE, "/om pas")
    assert message["text"] == ""  # never null: the card says it all
    card = adaptive(message)
    assert card["body"][0]["text"] == "Om Pas"
    assert facts(card) == {
        "Formål": "vejledning",
        "Ejer": BUILDER_A,
        "Ansvarlig": "Bo",
        "Afdeling": "Afdeling A",
        "Kilder": f"1 kilde, senest tilføjet {today}",
        "Data, den må se": "Offentlig: Specialisten ser kun offentlige oplysninger.",
        "Model": "ekstern",
        "Senest risikovurderet": today,
    }
    english = await town.say(EMPLOYEE, "/about pas", locale="en")
    assert english.card is not None
    assert dict(map(tuple, english.card["facts"]))["Sources"] == f"1 source, newest added {today}"  # type: ignore[arg-type]
    assert "Last risk screened" in english.text
    # /om with no argument: the specialist answering here (the employee uses Pas in their chat)
    assert (await town.say(EMPLOYEE, "/om")).card["title"] == "Om Pas"  # type: ignore[index]
    # a specialist the asker may not use is not described
    draft = town.services.app.specialists.create(Actor(BUILDER_B), "Hemmelig")
    refused = await town.say(EMPLOYEE, f"/om {draft.slug}")
    assert refused.card is None and "Hemmelig" in refused.text and "kladde" in refused.text


async def test_answers_and_the_specialists_card_carry_an_om_button(municipality: Municipality) -> None:
    town = municipality
    await town.specialist("Pas", PAS, public=True)
    answer = await town.teams(EMPLOYEE, QUESTION)
    assert answer["text"].startswith("Svar fra den eksterne model [1].")  # the text stays
    assert answer["channelData"]["feedbackLoopEnabled"] is True  # the answer's own buttons stay
    [button] = adaptive(answer)["actions"]
    assert button["title"] == "Om specialisten"
    assert button["data"] == {"aarhusai": "command", "name": "om", "args": "pas"}

    # pressing it: Teams sends the button's data as a message without text
    before = len(town.connector.messages())
    press = message_activity(
        town.connector.service_url,
        None,
        value=button["data"],
        replyToId="x",
        conversation={"id": f"a:{EMPLOYEE}", "conversationType": "personal", "tenantId": "t1"},
        **{"from": {"id": f"29:{EMPLOYEE}", "name": EMPLOYEE, "aadObjectId": EMPLOYEE}},
    )
    assert await town.post(press) == 202
    about = (await town.connector.wait_for_messages(before + 1))[-1]
    assert facts(adaptive(about))["Formål"] == "vejledning"

    listing = await town.teams(EMPLOYEE, "/specialister")
    rows = [n for n in adaptive(listing)["body"] if n.get("type") == "ColumnSet"]
    actions = {
        a["title"]: a["data"]
        for row in rows
        for column in row["columns"]
        for item in column["items"]
        if item.get("type") == "ActionSet"
        for a in item["actions"]
        if a["data"].get("slug") == "pas" or a["data"].get("args") == "pas"
    }
    assert actions == {
        "Brug": {"aarhusai": "use", "slug": "pas"},
        "Om": {"aarhusai": "command", "name": "om", "args": "pas"},
    }
    assert "[Om → /om pas]" in shown(listing)


async def test_om_in_a_channel_thread_sends_text_that_is_never_null(municipality: Municipality) -> None:
    town = municipality
    await town.specialist("Pas", PAS, public=True)
    [reply] = await send(town, channel_post(town, EMPLOYEE, "/om pas"))
    assert isinstance(reply.get("text"), str)
    assert "Afdeling A" in card_text(adaptive(reply))


async def test_the_facts_in_v1_models_and_mcp(api: Integration) -> None:
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{api.base}/v1/models/pas",
            headers={"Authorization": f"Bearer {api.public_key}", "Accept-Language": "en"},
        ) as resp,
    ):
        assert resp.status == 200
        body = await resp.json()
    facts = body["aarhusai"]
    assert facts["purpose"] == "vejledning" and facts["responsible"] == "Bo"
    assert facts["department"] == "Afdeling A" and facts["owner"] == BUILDER_A
    assert facts["sources"] == 1 and facts["newest_source"].startswith(today)
    assert facts["classification"] == "offentlig"
    assert facts["classification_label"] == "Public: The specialist sees public information only."
    assert (facts["model"], facts["model_name"], facts["model_location"]) == ("ekstern", "ekstern", None)
    assert facts["screened_at"].startswith(today) and facts["status"] == "published"

    async with api.mcp(api.wide_key) as session:
        listed = await session.call_tool("list_specialists", {})
    about = {s["slug"]: s["about"] for s in listed.structured_content["specialists"]}
    assert about["pas"]["purpose"] == "vejledning" and about["pas"]["model"] == "ekstern"
    assert about["sager"]["classification"] == "personfølsom" and about["sager"]["model"] == "intern"


async def test_a_builder_of_another_department_cannot_replace_a_channels_specialist(
    municipality: Municipality,
) -> None:
    """Red team: department A's Builder made Pas the channel's default and a question channel; the
    Builder of department B may edit B's own specialist, but not take over A's channel with it (the rule:
    who may change a channel is who may edit the specialist answering there)."""
    town = municipality
    await town.specialist("Pas", PAS, public=True)
    await town.specialist(
        "Skat", "# Skat\n\nSkattekortet bestilles på skat.dk.", builder=BUILDER_B, public=True
    )
    specialists = town.services.stores.specialists
    await send(town, channel_post(town, BUILDER_A, "/kanal specialist pas"))
    await send(town, channel_post(town, BUILDER_A, "/kanal svar alle"))
    for command in ("/kanal specialist skat", "/brug skat kanal"):
        [refused] = await send(town, channel_post(town, BUILDER_B, command))
        assert "Kun en Builder i afdelingen bag **Pas**" in refused["text"], (command, refused["text"])
    assert specialists.selected(CHANNEL).slug == "pas"
    with town.services.db.session() as s:
        row = s.get(ChannelSetting, CHANNEL)
        assert row is not None and row.answer_all and row.set_by == BUILDER_A
    # an administrator may hand the channel to B's specialist
    [ok] = await send(town, channel_post(town, ADMIN, "/kanal specialist skat"))
    assert ok["text"] == "Nu svarer **Skat** som standard i hele kanalen."
    assert specialists.selected(CHANNEL).slug == "skat"
