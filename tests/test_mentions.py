"""People by mention: ``/rolle`` through the real HTTP edge and a loopback connector takes a Teams
@mention (resolved to the Entra object id), a UPN, or a person the bot has met, and refuses a name it
does not know instead of storing a role nobody holds. The bot's own mention and a person of another
tenant never become a role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from microsoft_agents.activity import Activity
from sqlmodel import select

from bot.app import Services
from bot.errors import AppError, Outcome
from bot.server import start
from bot.services.actor import Actor
from bot.services.roles import split_person
from bot.store.models import AuditEvent, Conversation, Message, RoleAssignment
from bot.teams.activity import mentions_of
from tests.support.connector import FakeConnector
from tests.test_http_edge import message_activity

ADMIN = "aad-anne"
MEGAN = "8f6b0a34-2c1d-4e5f-9a7b-1c2d3e4f5a6b"
GROUP = {"id": "19:group-chat@thread.v2", "conversationType": "groupChat", "tenantId": "t1"}
BOT = {"id": "28:bot", "name": "AarhusAI"}


def mention(name: str, person: dict[str, Any]) -> dict[str, Any]:
    return {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"name": name, **person}}


class Bot:
    def __init__(self, base: str, services: Services, connector: FakeConnector) -> None:
        self.base, self.services, self.connector = base, services, connector

    async def say(
        self,
        text: str,
        entities: list[dict[str, Any]] | None = None,
        sender: dict[str, Any] | None = None,
        locale: str = "da-DK",
    ) -> str:
        """Send ``text`` to the group chat and return the text of the bot's reply."""
        import aiohttp

        before = len(self.connector.messages())
        activity = message_activity(self.connector.service_url, text, conversation=GROUP, locale=locale)
        activity["recipient"] = BOT
        if entities:
            activity["entities"] = entities
        if sender:
            activity["from"] = sender
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base}/api/messages", json=activity) as resp,
        ):
            assert resp.status == 202
        replies = await self.connector.wait_for_messages(before + 1)
        return str(replies[-1].get("text") or "")

    def holders(self, role: str = "builder") -> set[str]:
        with self.services.db.session() as s:
            rows = s.exec(select(RoleAssignment).where(RoleAssignment.role == role)).all()
        return {r.user_id for r in rows}


@pytest.fixture
async def bot(make_services: Callable[..., Services]) -> AsyncIterator[Bot]:
    connector = await FakeConnector().start()
    services = make_services(admins=ADMIN)
    runner, port = await start(services, "127.0.0.1", 0)
    b = Bot(f"http://127.0.0.1:{port}", services, connector)
    assert "oprettet" in await b.say("/afdeling opret Personale")
    yield b
    await runner.cleanup()
    await connector.stop()


async def test_a_mention_is_resolved_to_the_entra_object_id_and_the_role_works(bot: Bot) -> None:
    megan = {"id": "29:megan", "aadObjectId": MEGAN}
    reply = await bot.say(
        "<at>AarhusAI</at> /rolle tildel <at>Megan Bowen</at> builder Personale",
        [mention("AarhusAI", BOT), mention("Megan Bowen", megan)],
    )
    assert reply.startswith("Megan Bowen har nu rollen ") and reply.endswith(" i Personale.")
    assert bot.holders() == {MEGAN}
    with bot.services.db.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "role.assigned")).one()
    assert (event.actor, event.target) == (ADMIN, MEGAN)
    # an administrator looks her up by the same mention
    shown = await bot.say("/rolle vis <at>Megan Bowen</at>", [mention("Megan Bowen", megan)])
    assert shown.startswith(f"Roller for {MEGAN}:") and "Builder i Personale" in shown
    # Megan herself, writing with her Entra object id, is now a Builder
    assert "Builder i Personale" in await bot.say("/rolle vis", sender={**megan, "name": "Megan Bowen"})


async def test_a_mention_without_an_object_id_is_stored_under_its_teams_id_and_still_counts(
    bot: Bot,
) -> None:
    reply = await bot.say("/rolle tildel <at>Lee</at> builder Personale", [mention("Lee", {"id": "29:lee"})])
    assert "har nu rollen" in reply
    assert bot.holders() == {"29:lee"}
    # Teams names the sender by the same 29: id (and an object id): the role is theirs
    lee = {"id": "29:lee", "aadObjectId": "aad-lee"}
    assert "Builder i Personale" in await bot.say("/rolle vis", sender=lee)
    await bot.say("/ny Parkering", sender=lee)  # a Builder's command, allowed by the role under 29:lee
    assert bot.services.stores.specialists.require("parkering").name == "Parkering"
    # an "8:orgid:<object id>" mention carries the object id itself
    orgid = mention("Kim", {"id": f"8:orgid:{MEGAN.upper()}"})
    assert "har nu rollen" in await bot.say("/rolle tildel <at>Kim</at> medlem Personale", [orgid])
    assert bot.holders("member") == {MEGAN}


async def test_a_upn_is_accepted_and_matches_the_person_when_teams_sends_it(bot: Bot) -> None:
    reply = await bot.say("/rolle tildel Megan@Contoso.dk builder Personale")
    assert reply.startswith("Megan@Contoso.dk har nu rollen ")
    assert bot.holders() == {"megan@contoso.dk"}
    sender = {"id": "29:megan", "aadObjectId": MEGAN, "userPrincipalName": "megan@contoso.dk"}
    assert "Builder i Personale" in await bot.say("/rolle vis", sender=sender)
    # an Entra object id is accepted as is (lower case, as Teams sends it)
    assert "har nu rollen" in await bot.say(f"/rolle tildel {MEGAN.upper()} ejer Personale")
    assert bot.holders("owner") == {MEGAN}


async def test_an_unknown_name_is_refused_in_both_languages_and_nothing_is_stored(bot: Bot) -> None:
    refused = await bot.say("/rolle tildel bo builder Personale")
    assert "Jeg kender ingen bruger ved navn 'bo', så intet er gemt." in refused
    english = await bot.say("/role assign bo builder Personale", locale="en-US")
    assert "I know no user called 'bo', so nothing is saved." in english
    assert bot.holders() == set()
    with bot.services.db.session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "role.assigned")).first() is None
    # the permission check comes first: an employee learns nothing about who is known
    assert "kræver rollen" in await bot.say(
        "/rolle vis bo", sender={"id": "29:eva", "aadObjectId": "aad-eva"}
    )


async def test_a_known_person_by_id_or_by_their_one_display_name(bot: Bot) -> None:
    with bot.services.db.session() as s:
        s.add(Conversation(id="a:bo"))
        people = (("aad-bo", "Bo Berg"), ("aad-sofie", "Sofie"), ("aad-ida", "Ida"), ("aad-ida-2", "ida"))
        for user, name in people:
            s.add(Message(conversation_id="a:bo", user_id=user, user_name=name, question="?", answer="!"))
        s.commit()
    assert "aad-bo har nu rollen" in await bot.say("/rolle tildel aad-bo medlem Personale")
    assert "sofie har nu rollen" in await bot.say("/rolle tildel sofie medlem Personale")
    assert bot.holders("member") == {"aad-bo", "aad-sofie"}
    # a typed <at>...</at> without Teams' mention entity names nobody
    typed = await bot.say("/rolle tildel <at>Bo Berg</at> builder Personale")
    assert "Jeg kan ikke se, hvem @Bo Berg er" in typed
    ambiguous = await bot.say("/rolle tildel Ida builder Personale")
    assert "2 brugere hedder 'Ida'" in ambiguous
    assert bot.holders() == set()


async def test_the_bots_own_mention_and_another_tenants_person_never_become_a_role(bot: Bot) -> None:
    # only the bot is mentioned: the SDK removes its <at>, and nothing is left to name a person
    usage = await bot.say("/rolle tildel <at>AarhusAI</at> builder Personale", [mention("AarhusAI", BOT)])
    assert usage.startswith("Brug: /rolle tildel")
    guest = mention("Gæst Udefra", {"id": "29:guest", "aadObjectId": "aad-guest", "tenantId": "t2"})
    refused = await bot.say("/rolle tildel <at>Gæst Udefra</at> builder Personale", [guest])
    assert "Jeg kan ikke se, hvem @Gæst Udefra er" in refused
    assert bot.holders() == set()


def test_mentions_of_leaves_out_the_bot_channels_and_other_tenants() -> None:
    activity = Activity.model_validate(
        {
            **message_activity("https://smba.trafficmanager.net/emea/", "x", conversation=GROUP),
            "recipient": BOT,
            "entities": [
                mention("AarhusAI", BOT),
                mention("Megan", {"id": "29:megan", "aadObjectId": MEGAN}),
                mention("General", {"id": "19:c@thread.skype", "conversationIdentityType": "channel"}),
                mention("Guest", {"id": "29:g", "tenantId": "t2"}),
                mention("Same", {"id": "29:s", "tenantId": "t1"}),
                {**mention("Kim", {"id": "29:kim"}), "mentioned": {"id": "29:kim", "name": "Kim Holm"}},
                {"type": "clientInfo", "locale": "da-DK"},
            ],
        }
    )
    # a mention shortened in the text ("<at>Kim</at>" for Kim Holm) is named as written
    assert mentions_of(activity, "t1") == (("Megan", MEGAN), ("Same", "29:s"), ("Kim", "29:kim"))


def test_split_person_keeps_a_mention_whole() -> None:
    assert split_person("<at>Megan Bowen</at> builder Personale og IT") == (
        "<at>Megan Bowen</at>",
        "builder Personale og IT",
    )
    assert split_person("bo builder Personale") == ("bo", "builder Personale")
    assert split_person("") == ("", "")


def test_the_service_refuses_an_unknown_person_with_a_typed_outcome(bot: Bot) -> None:
    """The CLI and every other door get the same rule as Teams: a typed refusal, nothing stored."""
    roles, admin = bot.services.app.roles, Actor(ADMIN)
    with pytest.raises(AppError) as unknown:
        roles.change(admin, True, "bo", "builder", "personale")
    assert (unknown.value.outcome, unknown.value.key) == (Outcome.NOT_FOUND, "person_unknown")
    with pytest.raises(AppError) as unresolved:
        roles.change(admin, True, "<at>Bo</at>", "builder", "personale", (("Megan", MEGAN),))
    assert unresolved.value.key == "mention_unresolved"
    assert roles.person("<at>Megan</at>", (("Megan", MEGAN.upper()),)) == MEGAN
    assert bot.holders() == set()
