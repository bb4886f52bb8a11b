"""Notifications that are never lost, through the real HTTP edge and a loopback connector: a Builder's
approval request reaches the department owner's personal chat as a card whose button approves, and the
approval reaches the Builder; a request written before a restart is sent once by the next server; two
servers over one PostgreSQL send each notification once; a failing connector is retried, then given up
on; someone who never wrote to the bot gets it when they do. Where people are reached is remembered only
from their personal chats, at a service URL the reply hosts allow, and written only when it changed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import pytest
from microsoft_agents.activity import Activity
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.app import Services
from bot.conversation.types import Reach
from bot.domain import Role
from bot.server import start
from bot.services import Actor
from bot.services.notifications import Button, Note, render
from bot.store.models import Notification, PersonReach
from bot.store.outbox import remember
from bot.teams.activity import reach_of
from bot.teams.cards import card_text
from bot.teams.hosts import HostAllowList
from bot.teams.identity import LoopbackOnly
from tests.support.connector import FakeConnector
from tests.test_http_edge import message_activity
from tests.test_specialist_commands import msg

OWNER, MAKER = "aad-olga", "aad-mads"
OWNER_CHAT, MAKER_CHAT = "a:olga-personal", "a:mads-personal"
SCREENING = (
    "/screening formål=vejledning; data=ingen; kilder=interne; hjemmel=intern vejledning; dpia=nej; "
    "ansvarlig=Bo"
)
FAST = {"notify_interval_s": 0.05, "notify_retry_s": 0.05}


def _people(services: Services) -> None:
    """A department with an owner (Olga) and a Builder (Mads)."""
    department = services.stores.roles.create_department("Personale")
    assert department.id is not None
    services.stores.roles.assign(OWNER, Role.OWNER, department.id, "aad-admin")
    services.stores.roles.assign(MAKER, Role.BUILDER, department.id, "aad-admin")


def _from(person: str, name: str) -> dict[str, Any]:
    return {"id": f"29:{person}", "name": name, "aadObjectId": person}


def _chat(conversation: str) -> dict[str, Any]:
    return {"id": conversation, "conversationType": "personal", "tenantId": "t1"}


class Edge:
    """One or more servers, and the connector both the replies and the notifications go to."""

    def __init__(self, connector: FakeConnector) -> None:
        self.connector = connector
        self.runners: list[Any] = []
        self.bases: list[str] = []

    async def serve(self, services: Services) -> str:
        runner, port = await start(services, "127.0.0.1", 0)
        self.runners.append(runner)
        self.bases.append(f"http://127.0.0.1:{port}")
        return self.bases[-1]

    async def stop(self, index: int = -1) -> None:
        runner = self.runners.pop(index)
        self.bases.pop(index)
        await runner.cleanup()

    async def say(self, text: str | None, person: str, name: str, chat: str, **extra: Any) -> None:
        activity = message_activity(
            self.connector.service_url, text, conversation=_chat(chat), **{"from": _from(person, name)}
        )
        activity.update(extra)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{self.bases[0]}/api/messages", json=activity) as resp:
                assert resp.status == 202

    def to(self, chat: str) -> list[dict[str, Any]]:
        return [m for m in self.connector.messages() if m["conversation"]["id"] == chat]

    async def wait_for(self, chat: str, count: int, wait_s: float = 20) -> list[dict[str, Any]]:
        await _until(lambda: len(self.to(chat)) >= count, wait_s)
        return self.to(chat)


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """Every statement sent to the database meanwhile, whole."""
    statements: list[str] = []

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)


@pytest.fixture
async def edge() -> AsyncIterator[Edge]:
    connector = await FakeConnector().start()
    e = Edge(connector)
    yield e
    for runner in e.runners:
        await runner.cleanup()
    await connector.stop()


def _shown(message: dict[str, Any]) -> str:
    cards = [a["content"] for a in message.get("attachments") or []]
    return "\n".join([message.get("text") or "", *(card_text(c) for c in cards)])


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for att in message.get("attachments") or [] for a in att["content"].get("actions", [])]


def _rows(services: Services) -> list[Notification]:
    with services.db.session() as s:
        return list(s.exec(select(Notification).order_by(Notification.id)).all())  # type: ignore[arg-type]


async def _until(check: Callable[[], bool], wait_s: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + wait_s
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not in time"
        await asyncio.sleep(0.02)


async def _prepare_request(edge: Edge) -> None:
    """Mads creates, screens and shares a specialist department-wide (replies: 3)."""
    for text in ("/ny Personaleguiden", SCREENING, "/del afdeling"):
        await edge.say(text, MAKER, "Mads Madsen", MAKER_CHAT)
    await edge.wait_for(MAKER_CHAT, 3)


async def test_the_owner_gets_the_request_approves_from_the_card_and_the_builder_is_told(
    make_services: Callable[..., Services], db_url: str, edge: Edge
) -> None:
    services = make_services(database_url=db_url, admins="aad-admin", **FAST)
    _people(services)
    await edge.serve(services)
    await edge.say("/hjælp", OWNER, "Olga Olsen", OWNER_CHAT)  # the owner has written to the bot once
    await edge.wait_for(OWNER_CHAT, 1)
    await _prepare_request(edge)

    await edge.say("/anmod-godkendelse", MAKER, "Mads Madsen", MAKER_CHAT)
    asked = (await edge.wait_for(MAKER_CHAT, 4))[-1]
    assert "er registreret" in _shown(asked) and f"{OWNER} får besked i Teams" in _shown(asked)
    card = (await edge.wait_for(OWNER_CHAT, 2))[-1]
    assert "**Mads Madsen** beder dig godkende specialisten **Personaleguiden**" in _shown(card)
    assert "niveauet afdeling" in _shown(card)
    [button] = _buttons(card)
    assert button["title"] == "Godkend"
    assert button["data"] == {"aarhusai": "command", "name": "godkend", "args": "personaleguiden"}
    await _until(lambda: _rows(services)[0].sent_at is not None)  # recorded just after it arrived
    [row] = _rows(services)
    assert (row.recipient, row.topic, row.subject, row.attempts) == (
        OWNER,
        "approval.requested",
        "personaleguiden",
        1,
    )
    assert row.failed_at is None and row.last_error is None

    await edge.say(None, OWNER, "Olga Olsen", OWNER_CHAT, value=button["data"])  # she presses Godkend
    approved = (await edge.wait_for(OWNER_CHAT, 3))[-1]
    assert "er godkendt til deling" in _shown(approved)
    spec = services.app.specialists.lookup(Actor("aad-admin"), "personaleguiden")
    assert spec is not None and spec.approved_by == OWNER
    told = (await edge.wait_for(MAKER_CHAT, 5))[-1]
    assert "**Olga Olsen** har godkendt **Personaleguiden**" in _shown(told) and "/udgiv" in _shown(told)
    [open_it] = _buttons(told)
    assert open_it["data"] == {"aarhusai": "command", "name": "rediger", "args": "personaleguiden"}
    await asyncio.sleep(0.3)  # several sender intervals: nothing is sent twice
    assert len(edge.to(OWNER_CHAT)) == 3 and len(edge.to(MAKER_CHAT)) == 5
    assert [(r.topic, r.recipient) for r in _rows(services)] == [
        ("approval.requested", OWNER),
        ("approval.granted", MAKER),
    ]


async def test_someone_who_never_wrote_gets_it_when_they_do_in_their_language(
    make_services: Callable[..., Services], edge: Edge
) -> None:
    services = make_services(admins="aad-admin", **FAST)
    _people(services)
    await edge.serve(services)
    await _prepare_request(edge)
    await edge.say("/anmod-godkendelse", MAKER, "Mads Madsen", MAKER_CHAT)
    asked = (await edge.wait_for(MAKER_CHAT, 4))[-1]
    assert f"{OWNER} har ikke skrevet til botten endnu" in _shown(asked) and "/status" in _shown(asked)
    await asyncio.sleep(0.3)
    [row] = _rows(services)
    assert row.sent_at is None and row.attempts == 0  # waiting is not failing
    again = await services.dispatcher.handle(msg("/anmod-godkendelse", user=MAKER, conversation=MAKER_CHAT))
    # asking twice does not queue a second message
    assert "har ikke skrevet" in again.text and len(_rows(services)) == 1

    await edge.say("/help", OWNER, "Olga Olsen", OWNER_CHAT, locale="en-GB")  # she writes, in English
    messages = await edge.wait_for(OWNER_CHAT, 2)
    [card] = [m for m in messages if m.get("attachments") and _buttons(m)]
    assert "**Mads Madsen** asks you to approve the specialist **Personaleguiden**" in _shown(card)
    assert "at the level department" in _shown(card) and _buttons(card)[0]["title"] == "Approve"
    await _until(lambda: _rows(services)[0].sent_at is not None)


async def test_a_request_written_before_a_restart_is_sent_once_by_the_next_server(
    make_services: Callable[..., Services], pg_url: str, edge: Edge, tmp_path: Any
) -> None:
    first = make_services(database_url=pg_url, admins="aad-admin", **FAST)
    _people(first)
    await edge.serve(first)
    await edge.say("/hjælp", OWNER, "Olga Olsen", OWNER_CHAT)
    await edge.wait_for(OWNER_CHAT, 1)
    await edge.stop()  # the server goes away; the request is made while none runs
    actor = Actor(MAKER, name="Mads Madsen")
    spec = first.app.specialists.create(actor, "Personaleguiden")
    first.app.publishing.screen(actor, SCREENING.removeprefix("/screening "))
    first.app.publishing.share(actor, "afdeling")
    requested = first.app.specialists.request_approval(actor, spec.slug)
    assert requested.notified.reachable == (OWNER,)
    await asyncio.sleep(0.2)
    assert len(edge.to(OWNER_CHAT)) == 1  # nothing sent while no server runs

    second = make_services(database_url=pg_url, admins="aad-admin", data_dir=tmp_path / "b", **FAST)
    await edge.serve(second)
    card = (await edge.wait_for(OWNER_CHAT, 2))[-1]
    assert "beder dig godkende" in _shown(card)
    await asyncio.sleep(0.3)
    assert len(edge.to(OWNER_CHAT)) == 2
    await _until(lambda: _rows(second)[0].sent_at is not None)
    assert _rows(second)[0].attempts == 1


async def test_two_servers_over_one_postgresql_send_each_notification_once(
    make_services: Callable[..., Services], pg_url: str, edge: Edge, tmp_path: Any
) -> None:
    servers = [
        make_services(database_url=pg_url, data_dir=tmp_path / n, index_dir=tmp_path / f"i{n}", **FAST)
        for n in "ab"
    ]
    for services in servers:
        await edge.serve(services)
    people = [f"aad-person-{i}" for i in range(8)]
    for i, person in enumerate(people):
        remember(servers[0].db, Reach((person,), f"a:chat-{i}", edge.connector.service_url, "t1", "28:bot"))
    notify = servers[0].app.notifications.notify
    for n in range(3):
        notify(people, Note(text=f"Besked {n}", topic="test", subject=f"s{n}"))
    await _until(lambda: all(r.sent_at is not None for r in _rows(servers[0])), wait_s=30)
    await asyncio.sleep(0.3)
    sent = [(m["conversation"]["id"], m["text"]) for m in edge.connector.messages()]
    assert len(sent) == len(set(sent)) == 24
    assert {r.attempts for r in _rows(servers[0])} == {1}


async def test_a_failing_connector_is_retried_then_given_up_and_the_row_kept(
    make_services: Callable[..., Services], edge: Edge
) -> None:
    services = make_services(notify_attempts=3, **FAST)
    await edge.serve(services)
    notify = services.app.notifications.notify
    remember(services.db, Reach(("aad-x",), "a:chat-x", edge.connector.service_url, "t1", "28:bot"))
    edge.connector.fail_next = [500]  # once: sent on the second attempt
    notify(["aad-x"], Note(text="Først fejl, så frem", topic="test", subject="1"))
    await _until(lambda: _rows(services)[0].sent_at is not None)
    first = _rows(services)[0]
    assert first.attempts == 2 and first.last_error is None and edge.connector.failures == 1
    assert [m["text"] for m in edge.to("a:chat-x")] == ["Først fejl, så frem"]

    edge.connector.fail_next = [500] * 10  # Teams keeps refusing
    notify(["aad-x"], Note(text="Aldrig frem", topic="test", subject="2"))
    await _until(lambda: _rows(services)[1].failed_at is not None)
    gave_up = _rows(services)[1]
    assert gave_up.attempts == 3 and gave_up.sent_at is None
    assert gave_up.last_error is not None and "HTTP 500" in gave_up.last_error
    assert edge.connector.failures == 4  # 1 + 3 attempts, no more
    await asyncio.sleep(0.3)
    assert edge.connector.failures == 4 and len(edge.to("a:chat-x")) == 1


async def test_a_chat_is_remembered_from_personal_messages_only_and_written_only_when_it_changed(
    make_services: Callable[..., Services], pg_url: str, edge: Edge
) -> None:
    services = make_services(database_url=pg_url, **FAST)
    await edge.serve(services)
    with counting(services.db.engine) as first:
        await edge.say("/hjælp", OWNER, "Olga Olsen", OWNER_CHAT)
        await edge.wait_for(OWNER_CHAT, 1)
    with counting(services.db.engine) as second:
        await edge.say("/hjælp", OWNER, "Olga Olsen", OWNER_CHAT)
        await edge.wait_for(OWNER_CHAT, 2)
    writes = [s for s in first if "INSERT INTO person_reach" in s]
    assert len(writes) == 1 and "INSERT INTO activity_claims" in writes[0]  # in the claim's round trip
    assert not [s for s in second if "INSERT INTO person_reach" in s]  # known: nothing written
    with services.db.session() as s:
        rows = {r.person: r for r in s.exec(select(PersonReach)).all()}
    assert set(rows) == {OWNER, f"29:{OWNER}"}
    assert rows[OWNER].conversation_id == OWNER_CHAT and rows[OWNER].service_url == edge.connector.service_url
    assert (rows[OWNER].tenant_id, rows[OWNER].bot_id, rows[OWNER].locale) == ("t1", "28:bot", "da")

    group = {"id": "19:group@thread.v2", "conversationType": "groupChat", "tenantId": "t1"}
    activity = message_activity(edge.connector.service_url, "/hjælp", conversation=group)
    activity["from"] = _from("aad-gitte", "Gitte")
    async with aiohttp.ClientSession() as http:
        assert (await http.post(f"{edge.bases[0]}/api/messages", json=activity)).status == 202
    await _until(lambda: any(m["conversation"]["id"] == group["id"] for m in edge.connector.messages()))
    with services.db.session() as s:
        assert s.get(PersonReach, "aad-gitte") is None  # a group chat is nobody's personal chat


def test_only_a_personal_chat_at_an_allowed_service_url_is_a_reach() -> None:
    def activity(**changes: Any) -> Activity:
        base = message_activity("https://smba.trafficmanager.net/emea/", "hej")
        base["from"]["userPrincipalName"] = "Olga@Aarhus.dk"
        base.update(changes)
        return Activity.model_validate(base)

    teams = HostAllowList.from_setting(["smba.trafficmanager.net"])
    reach = reach_of(activity(), teams, "da")
    assert reach is not None and reach.people == ("aad-anne", "29:user-1", "Olga@Aarhus.dk")
    assert (reach.conversation_id, reach.tenant_id, reach.bot_id, reach.locale) == (
        "a:personal-chat-1",
        "t1",
        "28:bot",
        "da",
    )
    refused = [
        activity(serviceUrl="https://smba.trafficmanager.net.evil.example/"),
        activity(serviceUrl="http://smba.trafficmanager.net/"),
        activity(serviceUrl="https://user:pw@smba.trafficmanager.net/"),
        activity(conversation={"id": "19:g@thread.v2", "conversationType": "groupChat", "tenantId": "t1"}),
        activity(conversation={"id": "a:no-type", "tenantId": "t1"}),  # says nothing: not trusted
        activity(type="conversationUpdate"),
    ]
    assert [reach_of(a, teams, "da") for a in refused] == [None] * len(refused)
    assert reach_of(activity(), LoopbackOnly(), "da") is None  # local mode reaches loopback only
    assert reach_of(activity(serviceUrl="http://127.0.0.1:5/"), LoopbackOnly(), "da") is not None


async def test_notify_joins_the_callers_transaction_and_checks_what_it_stores(
    make_services: Callable[..., Services],
) -> None:
    services = make_services()
    notifications = services.app.notifications
    with pytest.raises(RuntimeError), services.db.transaction():
        notifications.notify(["aad-a"], Note(text="Rullet tilbage", topic="t", subject="s"))
        raise RuntimeError("the change that caused it fails")
    assert _rows(services) == []  # the change and its notification: neither
    with pytest.raises(ValueError):
        notifications.notify(["aad-a"], Note("no_such_message_key"))
    with pytest.raises(ValueError):
        notifications.notify(["aad-a"], Note("approved", {"name": object()}))  # type: ignore[dict-item]
    done = notifications.notify(
        ["Olga@Aarhus.dk", "olga@aarhus.dk", " ", ""],
        Note(
            "approved",
            {"name": "X", "sharing": "department"},
            buttons=(Button("checklist_approve_button", "godkend", "x"),),
        ),
    )
    assert done.waiting == ("olga@aarhus.dk",) and done.reachable == ()  # one person, by their UPN


def test_a_hostile_name_brings_no_link_or_markup_to_the_recipient() -> None:
    values = {"builder": "Mads [klik](https://evil.example) <img src=x>", "name": "**Guide**`x`", "slug": "g"}
    text, card = render("notify_approval_requested", {**values, "sharing": "organisation"}, "", [], "en")
    assert "](" not in text and "<" not in text and "`x`" not in text and card is None
    assert text.startswith("**Mads klik(https://evil.example) img src=x** asks you to approve")
    assert "**Guide x**" not in text and "**Guidex**" in text and "at the level organisation" in text


async def test_a_tenant_no_longer_allowed_is_not_written_to(
    make_services: Callable[..., Services], edge: Edge
) -> None:
    services = make_services(allowed_tenants="t1", notify_attempts=1, **FAST)
    await edge.serve(services)
    remember(services.db, Reach(("aad-y",), "a:chat-y", edge.connector.service_url, "t-gone", "28:bot"))
    services.app.notifications.notify(["aad-y"], Note(text="Ikke her", topic="test", subject="y"))
    await _until(lambda: _rows(services)[0].failed_at is not None)
    assert "PermissionError" in (_rows(services)[0].last_error or "") and edge.connector.activities == []
