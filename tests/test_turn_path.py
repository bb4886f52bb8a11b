"""One question's way through the Teams door: its cost in database round trips, and the one reply
channel the core talks back through (progress, the answer so far, the final reply and its id)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.app import Services
from bot.conversation.channel import Collected
from bot.conversation.types import ConversationRef, Incoming, Reply, User
from bot.store.models import Message
from bot.teams.http import BACKGROUND_KEY
from tests.support.connector import FakeConnector
from tests.support.openai_server import RecordingModelServer
from tests.support.rules_bot import CORPUS, local_model, serve
from tests.test_http_edge import message_activity

SEND_BUDGET = ("aarhusai_reserve_send", "send_log")  # a send's budget: per activity sent, not per question


@dataclass
class Trips:
    """What reached the database: statements, and transactions opened around them (each such
    transaction costs a BEGIN and a COMMIT or ROLLBACK on top of its statements)."""

    statements: list[str] = field(default_factory=list)
    transactions: int = 0

    def per_question(self) -> list[str]:
        return [s for s in self.statements if not any(word in s for word in SEND_BUDGET)]

    @property
    def round_trips(self) -> int:
        return len(self.per_question()) + 2 * self.transactions


@contextmanager
def counting(engine: Engine) -> Iterator[Trips]:
    trips = Trips()

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        trips.statements.append(" ".join(statement.split())[:400])  # up to its FROM

    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            trips.transactions += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    try:
        yield trips
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "begin", on_begin)


async def _ask(
    runner: Any, base: str, connector: FakeConnector, text: str, seen: int, conversation: str | None = None
) -> None:
    activity = message_activity(connector.service_url, text)
    if conversation:
        activity["conversation"]["id"] = conversation
    async with aiohttp.ClientSession() as http, http.post(f"{base}/api/messages", json=activity) as resp:
        assert resp.status == 202
    await connector.wait_for_messages(seen + 1)
    await runner.app[BACKGROUND_KEY].drain()  # the claim is finished after the final message


def _services(
    make_services: Callable[..., Services],
    tmp_path: Path,
    model_server: RecordingModelServer,
    db: str,
    **settings: object,
) -> Services:
    return make_services(
        models_file=local_model(tmp_path / "m.yaml", model_server), database_url=db, **settings
    )


async def test_a_general_question_costs_four_round_trips_on_postgresql(
    make_services: Callable[..., Services],
    tmp_path: Path,
    pg_url: str,
    connector: FakeConnector,
    model_server: RecordingModelServer,
) -> None:
    """Claim + order check, the question's context (specialist, roles, prompt, screening, history),
    the answer's record, the finish: one statement each, none inside a BEGIN ... COMMIT."""
    services = _services(make_services, tmp_path, model_server, pg_url)
    runner, base = await serve(services)
    try:
        await _ask(runner, base, connector, "Første spørgsmål", 0)  # the conversation exists after this
        with counting(services.db.engine) as trips:
            await _ask(runner, base, connector, "Hvad er en magistratsafdeling?", len(connector.messages()))
    finally:
        await runner.cleanup()
    assert trips.transactions == 0, trips.statements
    assert trips.round_trips == 4, trips.per_question()
    assert len(trips.statements) > 4  # the sends' budget was asked too (and is not counted above)
    with services.db.session() as s:
        stored = s.exec(select(Message).order_by(Message.id)).all()  # type: ignore[arg-type]
    assert [m.question for m in stored] == ["Første spørgsmål", "Hvad er en magistratsafdeling?"]
    assert stored[-1].reply_activity_id  # the final message's id reached the record


async def test_the_first_answer_in_a_new_conversation_records_it_in_the_same_statement(
    make_services: Callable[..., Services],
    tmp_path: Path,
    pg_url: str,
    connector: FakeConnector,
    model_server: RecordingModelServer,
) -> None:
    services = _services(make_services, tmp_path, model_server, pg_url)
    runner, base = await serve(services)
    try:
        await _ask(runner, base, connector, "Hej", 0)  # after the start's own jobs (retention)
        with counting(services.db.engine) as trips:
            await _ask(runner, base, connector, "Hej", 1, conversation="a:another-chat")
    finally:
        await runner.cleanup()
    assert trips.round_trips == 4, trips.per_question()


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_history_comes_with_the_context_oldest_first_and_per_specialist(
    make_services: Callable[..., Services],
    tmp_path: Path,
    db_url: str,
    model_server: RecordingModelServer,
) -> None:
    services = _services(make_services, tmp_path, model_server, db_url, history_turns=2)

    def ask(text: str) -> Incoming:
        user = User(id="29:anne", name="Anne", aad_object_id="aad-anne")
        return Incoming(text, user, ConversationRef(id="a:chat-1", type="personal", tenant_id="t1"))

    for question in ("en", "to", "tre"):
        await services.dispatcher.handle(ask(question))
    turn = await services.dispatcher.prepare(ask("fire"))
    assert turn.context is not None
    assert [q for q, _ in turn.context.history] == ["to", "tre"]  # the last two, oldest first
    assert turn.context.prompt  # the general assistant's current prompt
    sent = model_server.requests[-1]["messages"]
    assert [m["content"] for m in sent if m["role"] == "user"] == ["en", "to", "tre"]


async def test_the_core_talks_back_through_the_channel_only(
    make_services: Callable[..., Services], tmp_path: Path, model_server: RecordingModelServer
) -> None:
    """A question: progress once, the answer so far, one final reply whose id is stored with it."""
    services = _services(make_services, tmp_path, model_server, f"sqlite:///{tmp_path / 'a.db'}")
    model_server.reply_for = lambda _body: "Et svar " + "ord " * 40
    model_server.chunk_delay_s = 0.02

    class Recording(Collected):
        async def send(self, reply: Reply) -> str | None:
            await super().send(reply)
            return "reply-activity-7"

    channel = Recording(on_text=None)
    updates: list[str] = []

    async def on_text(text: str) -> None:
        updates.append(text)

    channel.on_text = on_text
    incoming = Incoming(
        "Fortæl noget", User(id="29:bo", name="Bo"), ConversationRef(id="a:chat-2", tenant_id="t1")
    )
    reply = await services.dispatcher.turn(incoming, channel)
    assert channel.progress_texts and len(channel.replies) == 1 and channel.replies[0] is reply
    assert updates and reply.text.startswith(updates[-1].rstrip()[:5])
    with services.db.session() as s:
        stored = s.get(Message, reply.message_id)
    assert stored is not None and stored.reply_activity_id == "reply-activity-7"
    command = await services.dispatcher.turn(
        Incoming("/hjælp", User(id="29:bo"), ConversationRef(id="a:chat-2", tenant_id="t1")), channel
    )
    assert len(channel.progress_texts) == 1 and channel.replies[-1] is command  # no progress for a command


async def test_a_grounded_question_adds_one_round_trip_for_its_passages(
    make_services: Callable[..., Services],
    tmp_path: Path,
    pg_url: str,
    connector: FakeConnector,
    model_server: RecordingModelServer,
) -> None:
    services = _services(make_services, tmp_path, model_server, pg_url)
    spec = services.stores.specialists.create("Regler", "aad-anne", slug="regler")
    services.stores.specialists.update(
        spec.id, status="published", sharing="organisation", classification="intern"
    )
    await services.stores.ingestor.ingest(
        spec, "parkering.md", (CORPUS / "parkering.md").read_bytes(), "aad-anne"
    )
    services.stores.specialists.select("a:personal-chat-1", spec.id, "aad-anne")
    runner, base = await serve(services)
    try:
        await _ask(runner, base, connector, "Hvor må jeg parkere?", 0)  # the index is loaded after this
        with counting(services.db.engine) as trips:
            await _ask(runner, base, connector, "Hvad koster en parkeringslicens?", len(connector.messages()))
    finally:
        await runner.cleanup()
    assert trips.transactions == 0, trips.statements
    assert trips.round_trips == 5, trips.per_question()  # the four, and the passages' texts
    assert any("FROM chunks" in s for s in trips.per_question())


async def test_turns_share_one_connector_session_per_endpoint_and_token(
    make_services: Callable[..., Services],
    tmp_path: Path,
    connector: FakeConnector,
    model_server: RecordingModelServer,
) -> None:
    """The SDK opened (and closed) an HTTP session per turn; now every turn to an endpoint reuses one."""
    services = _services(make_services, tmp_path, model_server, f"sqlite:///{tmp_path / 'a.db'}")
    sessions = services.teams.sessions
    assert sessions is not None
    runner, base = await serve(services)
    try:
        await _ask(runner, base, connector, "Hej", 0)
        first = dict(sessions._open)
        await _ask(runner, base, connector, "Igen", len(connector.messages()), conversation="a:other")
        assert sessions._open == first  # the same clients, still open
        assert sorted(kind for kind, _endpoint in first) == ["connector", "user-token"]
        clients = [client for _token, client in first.values()]
        assert not any(c.client.closed for c in clients)
    finally:
        await runner.cleanup()
    assert all(c.client.closed for c in clients)  # closed with the server


async def test_a_new_token_gets_a_new_session_and_the_old_one_is_retired() -> None:
    from bot.teams.connector_sessions import ConnectorSessions

    sessions = ConnectorSessions()
    a = sessions.client("https://smba.trafficmanager.net/emea", "token-1")
    b = sessions.client("https://smba.trafficmanager.net/emea/", "token-1")
    assert a is b and a.client.headers["Authorization"] == "Bearer token-1"
    await a.close()  # a turn's end
    assert not a.client.closed
    c = sessions.client("https://smba.trafficmanager.net/emea/", "token-2")
    assert c.client is not a.client and c.client.headers["Authorization"] == "Bearer token-2"
    assert a.client.headers["Authorization"] == "Bearer token-1"  # turns in flight keep their token
    assert len(sessions._retiring) == 1
    await sessions.close()
    assert c.client.closed and a.client.closed


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_role_given_under_the_askers_upn_counts_for_a_question(
    make_services: Callable[..., Services], db_url: str
) -> None:
    """The question's context reads the roles of every id the asker has (Entra id, Teams id, UPN)."""
    from bot.domain import Role

    services = make_services(database_url=db_url)
    department = services.stores.roles.create_department("Personale")
    spec = services.stores.specialists.create("Guide", "aad-bo", slug="guide", department_id=department.id)
    services.stores.specialists.update(spec.id, status="published", sharing="department")
    services.stores.specialists.select("a:chat-eva", spec.id, "aad-bo")

    def ask() -> Incoming:
        user = User(id="29:eva", name="Eva", aad_object_id="aad-eva", upn="eva@aarhus.dk")
        return Incoming("Hvad gælder?", user, ConversationRef(id="a:chat-eva", tenant_id="t1"))

    refused = await services.dispatcher.prepare(ask())
    assert refused.refused is not None and refused.refused.key == "not_shared_with_you"
    services.stores.roles.assign("eva@aarhus.dk", Role.MEMBER, department.id, "admin")
    allowed = await services.dispatcher.prepare(ask())
    assert allowed.refused is None and allowed.context is not None and allowed.context.spec.slug == "guide"


async def test_a_door_that_refuses_the_answer_so_far_still_gets_the_final_reply(
    make_services: Callable[..., Services], tmp_path: Path, model_server: RecordingModelServer
) -> None:
    """The answer so far is optional for every door, not only Teams: a failing update stops the
    updates, and the answer is still recorded and sent."""
    services = _services(make_services, tmp_path, model_server, f"sqlite:///{tmp_path / 'a.db'}")
    model_server.reply_for = lambda _body: "Et svar " + "ord " * 30
    model_server.chunk_delay_s = 0.02
    calls: list[str] = []

    async def refuse(text: str) -> None:
        calls.append(text)
        raise ConnectionResetError("the client went away")

    channel = Collected(on_text=refuse)
    incoming = Incoming("Fortæl", User(id="29:bo", name="Bo"), ConversationRef(id="a:chat-3", tenant_id="t1"))
    reply = await services.dispatcher.turn(incoming, channel)
    assert len(calls) == 1 and reply.kind == "answer" and reply.text.startswith("Et svar")
    assert channel.replies == [reply] and reply.message_id is not None
