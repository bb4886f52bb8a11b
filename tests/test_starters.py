"""Prompt starters and follow-up suggestions (issue 26): a Builder's ``/startere``, offered as Teams
suggested actions when the specialist is chosen and in the welcome (personal chats; a line of examples
elsewhere), follow-ups after an answer from the passages' headings, none after a refusal; skill files
carry them both ways; ``/hjælp`` shows Builder and administrator commands only to those who hold the role.

Through the real HTTP edge and the fake connector where Teams is involved."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from bot.app import Services
from bot.conversation.types import Citation, Reply
from bot.domain import AppError, Role
from bot.services import Actor, starters
from bot.skills import SkillError, export_skill, read_skill, sync_skill
from bot.teams.render import to_activities
from tests.support.connector import FakeConnector
from tests.support.openai_server import RecordingModelServer
from tests.support.rules_bot import local_model, serve_rules
from tests.test_http_edge import message_activity
from tests.test_specialist_commands import msg, say

ADMIN = "aad-anne"
PERSONAL = {"id": "a:personal-chat-1", "conversationType": "personal", "tenantId": "t1"}
GROUP = {"id": "19:group-chat@thread.v2", "conversationType": "groupChat", "tenantId": "t1"}
CHANNEL = {"id": "19:general@thread.tacv2", "conversationType": "channel", "tenantId": "t1"}
STARTERS = ["Hvornår skal jeg sygemelde mig?", "Hvad koster en beboerlicens?"]


class Bot:
    def __init__(self, base: str, services: Services, connector: FakeConnector) -> None:
        self.base, self.services, self.connector = base, services, connector
        self.read = 0  # messages returned by next_message

    async def post(self, activity: dict[str, Any]) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base}/api/messages", json=activity) as resp,
        ):
            return resp.status

    async def say(self, text: str | None, **extra: Any) -> None:
        activity = message_activity(self.connector.service_url, text, **extra)
        assert await self.post(activity) == 202

    async def next_message(self) -> dict[str, Any]:
        """The first message not returned yet (a turn may finish before its HTTP answer: a welcome)."""
        self.read += 1
        return (await self.connector.wait_for_messages(self.read, wait_s=30))[self.read - 1]


@pytest.fixture
async def bot(
    make_services: Callable[..., Services],
    tmp_path: Path,
    connector: FakeConnector,
    model_server: RecordingModelServer,
) -> AsyncIterator[Bot]:
    services = make_services(admins=ADMIN, models_file=local_model(tmp_path / "m.yaml", model_server))
    runner, base = await serve_rules(services, ADMIN, [PERSONAL["id"]], editing=True)
    yield Bot(base, services, connector)
    await runner.cleanup()


def buttons(activity: dict[str, Any]) -> list[tuple[str, str, str]]:
    actions = (activity.get("suggestedActions") or {}).get("actions") or []
    return [(a["type"], a["title"], a["value"]) for a in actions]


def _stream_type(activity: dict[str, Any]) -> str | None:
    info = next((e for e in activity.get("entities") or [] if e.get("type") == "streaminfo"), None)
    return info.get("streamType") if info else None


# -- /startere, then /brug and the "Brug" button -------------------------------------------------------
async def test_builder_writes_starters_and_choosing_the_specialist_offers_them(bot: Bot) -> None:
    await bot.say("/startere\n" + "\n".join(STARTERS))
    saved = await bot.next_message()
    assert "har nu 2 startere" in str(saved)
    assert bot.services.stores.specialists.require("regler").starters == "\n".join(STARTERS)
    assert [e.details for e in bot.services.stores.audit.events() if '"starters"' in e.details]

    await bot.say("/brug regler")
    used = await bot.next_message()
    assert used["type"] == "message" and used["text"].startswith("Nu svarer **Regler**")
    assert buttons(used) == [("imBack", s, s) for s in STARTERS]
    assert used["suggestedActions"]["to"] == [
        "29:user-1"
    ]  # for the reader; always sent (the Playground wants it)

    # the "Brug" button on the specialists card is the same command with the same buttons
    await bot.say(
        None, value={"aarhusai": "use", "slug": "regler"}, conversation={**PERSONAL, "id": "a:other"}
    )
    pressed = await bot.next_message()
    assert pressed["text"] and buttons(pressed) == [("imBack", s, s) for s in STARTERS]

    # a group chat shows no suggested actions: the starters are a line of examples instead
    await bot.say("/brug regler", conversation=GROUP)
    in_group = await bot.next_message()
    assert "suggestedActions" not in in_group or not buttons(in_group)
    assert "Prøv fx: »Hvornår skal jeg sygemelde mig?« · »Hvad koster en beboerlicens?«" in in_group["text"]


async def test_starters_are_checked_and_can_be_cleared(bot: Bot) -> None:
    for bad, words in [
        ("/startere /hjælp", "ikke en kommando"),
        ("/startere " + " | ".join(f"Spørgsmål nummer {n}?" for n in range(7)), "Højst 6 startere"),
        ("/startere " + "x" * 121, "3-120 tegn"),
        ("/startere Hvad med 010203-1234?", "CPR"),
    ]:
        await bot.say(bad)
        assert words in (await bot.next_message())["text"], bad
    assert bot.services.stores.specialists.require("regler").starters == ""
    await bot.say("/startere " + " | ".join(STARTERS))
    await bot.next_message()
    await bot.say("/starters")
    shown = await bot.next_message()
    assert "1. Hvornår skal jeg sygemelde mig?" in shown["text"] and len(buttons(shown)) == 2
    await bot.say("/startere ryd")
    assert "ikke længere nogen startere" in str(await bot.next_message())
    assert bot.services.stores.specialists.require("regler").starters == ""
    await bot.say("/startere", **{"from": {"id": "29:eva", "aadObjectId": "aad-eva"}})
    assert "kræver rollen Builder" in (await bot.next_message())["text"]


# -- the welcome -----------------------------------------------------------------------------------------
async def test_personal_welcome_offers_the_starters_of_whoever_answers_there(bot: Bot) -> None:
    async def welcome(conversation: dict[str, Any]) -> dict[str, Any]:
        update = message_activity(
            bot.connector.service_url,
            None,
            type="conversationUpdate",
            membersAdded=[{"id": "28:bot", "name": "AarhusAI"}],
            conversation=conversation,
        )
        assert await bot.post(update) in (200, 202)
        return await bot.next_message()

    fresh = await welcome({**PERSONAL, "id": "a:fresh-chat"})  # the general assistant answers here
    assert fresh["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert fresh["text"]  # a message carrying suggested actions always has text (the Playground says so)
    offered = buttons(fresh)
    assert len(offered) == 4 and all(kind == "imBack" for kind, _t, _v in offered)
    assert offered[0][2] == "Skriv et udkast til en venlig mail, der takker for et godt møde"

    regler = bot.services.stores.specialists.require("regler")
    bot.services.stores.specialists.update(regler.id, starters="\n".join(STARTERS))  # type: ignore[arg-type]
    chosen = await welcome(PERSONAL)  # Regler answers in this chat already
    assert buttons(chosen) == [("imBack", s, s) for s in STARTERS]


async def test_team_welcome_is_three_lines_with_examples_and_no_command_list(bot: Bot) -> None:
    bot.services.stores.specialists.update(
        bot.services.stores.specialists.require("regler").id,  # type: ignore[arg-type]
        starters="\n".join(STARTERS),
    )
    bot.services.stores.specialists.select(
        CHANNEL["id"], bot.services.stores.specialists.require("regler").id, ADMIN
    )  # type: ignore[arg-type]
    update = message_activity(
        bot.connector.service_url,
        None,
        type="conversationUpdate",
        membersAdded=[{"id": "28:bot", "name": "AarhusAI"}],
        conversation=CHANNEL,
        locale="en-US",
    )
    assert await bot.post(update) in (200, 202)
    welcome = await bot.next_message()
    lines = [line for line in welcome["text"].splitlines() if line.strip()]
    assert len(lines) == 3 and "documents" in lines[0] and "@AarhusAI" in lines[1]
    assert lines[2].startswith("Try for example: »Hvornår skal jeg sygemelde mig?«")
    assert not welcome.get("attachments") and not buttons(welcome)
    assert "/help" not in welcome["text"] and "/new" not in welcome["text"]


# -- follow-ups after an answer ------------------------------------------------------------------------
async def test_an_answer_in_a_personal_chat_ends_with_followups_from_its_passages(
    bot: Bot, model_server: RecordingModelServer
) -> None:
    model_server.reply = "Du skal sygemelde dig telefonisk til din leder senest kl. 7.30 [1]."
    await bot.say("Hvornår skal jeg sygemelde mig?")
    final = await bot.next_message()
    assert _stream_type(final) == "final" and final["text"]
    offered = buttons(final)
    assert 1 <= len(offered) <= 3 and all(
        kind == "imBack" and title == value for kind, title, value in offered
    )
    assert all(v.startswith("Hvad siger kilderne om ") for _k, _t, v in offered)
    # suggestions ride on the final message only, never on a typing activity
    assert all("suggestedActions" not in a for a in bot.connector.activities if a["type"] == "typing")

    # pressing one sends its text as the reader's message: it is asked like any question
    asked = len(model_server.requests)
    await bot.say(offered[0][2])
    again = await bot.next_message()
    assert _stream_type(again) == "final" and len(model_server.requests) > asked
    assert offered[0][2] in " ".join(model_server.user_texts())


async def test_no_followups_after_a_refusal_an_error_or_in_a_group_chat(
    bot: Bot, model_server: RecordingModelServer
) -> None:
    await bot.say("Hvad koster et fiskekort i Grønland?")  # the sources hold nothing on it
    refused = await bot.next_message()
    assert "Jeg fandt ikke noget om det i kilderne for Regler" in refused["text"]
    assert "suggestedActions" not in refused
    model_server.status = 500
    await bot.say("Hvornår skal jeg sygemelde mig?")
    failed = await bot.next_message()
    assert "lokal" in failed["text"] and "Regler" not in failed["text"]  # the model's error, worded
    assert "suggestedActions" not in failed and "Prøv fx" not in failed["text"]
    model_server.status = 200
    model_server.reply = "Senest kl. 7.30 [1]."
    regler = bot.services.stores.specialists.require("regler")
    bot.services.stores.specialists.select(GROUP["id"], regler.id, ADMIN)  # type: ignore[arg-type]
    await bot.say("Hvornår skal jeg sygemelde mig?", conversation=GROUP)
    # the placeholder, then the answer in its place
    placeholder, in_group = await bot.next_message(), await bot.next_message()
    assert "Senest kl. 7.30" in in_group["text"] and in_group.get("entities")  # an answer with its citations
    assert "suggestedActions" not in placeholder and "suggestedActions" not in in_group
    assert "Prøv fx" not in in_group["text"]


def test_followups_come_from_headings_the_question_did_not_name() -> None:
    citations = [
        Citation(1, "sygefravaer.md", "…", heading="Retningslinjer › Sygemelding og raskmelding"),
        Citation(2, "sygefravaer.md", "…", heading="Sygesamtale"),
        Citation(3, "sygefravaer.md", "…", heading="**Dokumentation** for sygdom"),
        Citation(4, "sygefravaer.md", "…", heading="Sygesamtale"),
        Citation(5, "parkering.md", "…", heading=None),
    ]
    got = starters.followups(
        "Hvornår er der sygesamtale?", citations, "Svar [2].", ["Hvad er en beboerlicens?"], "da"
    )
    assert got == [
        "Hvad siger kilderne om sygemelding og raskmelding?",
        "Hvad siger kilderne om dokumentation for sygdom?",
        "Hvad er en beboerlicens?",
    ]
    english = starters.followups("When?", citations[:1], "", [], "en")
    assert english == ["What do the sources say about sygemelding og raskmelding?"]


def test_suggested_actions_never_send_a_command_and_keep_a_text() -> None:
    reply = Reply("", kind="notice", card={"type": "welcome", "commands": []}, suggestions=["/udgiv", "Hej?"])
    [activity] = to_activities(reply)
    assert activity.text  # never null beside suggested actions
    assert [a.value for a in activity.suggested_actions.actions] == ["udgiv", "Hej?"]  # type: ignore[union-attr]


# -- /hjælp ---------------------------------------------------------------------------------------------
async def test_help_shows_builder_and_admin_commands_only_to_those_who_hold_the_role(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(admins="aad-adm")
    department = services.stores.roles.create_department("Borgerservice")
    services.stores.roles.assign("aad-bo", Role.BUILDER, department.id, "aad-adm")  # type: ignore[arg-type]
    employee = (await say(services, "/hjælp", user="aad-eva")).text
    builder = (await say(services, "/hjælp", user="aad-bo")).text
    admin = (await say(services, "/help", user="aad-adm")).text
    assert "/brug" in employee and "/startere" not in employee and "/rolle" not in employee
    assert "/startere / /starters" in builder and "/rolle" not in builder
    assert "/startere" in admin and "/afdeling" in admin and "For administratorer" in admin


# -- skill files ----------------------------------------------------------------------------------------
async def test_skill_files_carry_starters_both_ways(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str
) -> None:
    services = make_services(admins="aad-bo", database_url=db_url)
    for command in ("/ny Pasguide", "/startere Hvad koster et pas? | Hvor lang tid tager et pas?"):
        await services.dispatcher.handle(msg(command, user="aad-bo"))
    folder = export_skill(Actor.cli(), "pasguide", tmp_path / "skills", services.app)
    exported = yaml.safe_load((folder / "skill.yaml").read_text(encoding="utf-8"))
    assert exported["starters"] == ["Hvad koster et pas?", "Hvor lang tid tager et pas?"]

    other = make_services(admins="aad-bo", data_dir=tmp_path / "andet", index_dir=tmp_path / "andet-ix")
    report = await sync_skill(folder, other.app)
    assert "starters" in report.settings_changed
    assert (
        other.stores.specialists.require("pasguide").starters
        == "Hvad koster et pas?\nHvor lang tid tager et pas?"
    )
    assert "starters" not in (await sync_skill(folder, other.app)).settings_changed  # idempotent

    exported["starters"] = ["/udgiv"]
    (folder / "skill.yaml").write_text(yaml.safe_dump(exported, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SkillError, match="starters: En starter er et spørgsmål"):
        read_skill(folder)


def test_the_rules_for_starters() -> None:
    assert starters.parse("a?\n b? | c?\n\n") == ["a?", "b?", "c?"]
    assert starters.clean(["  Hvad  koster et pas? ", "hvad koster et pas?"]) == ["Hvad koster et pas?"]
    with pytest.raises(AppError):
        starters.clean(["ok?"] + [f"Spørgsmål {n}?" for n in range(6)])
