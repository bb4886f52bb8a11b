"""Attacks on the one-statement turn path (issue 22): who answers a question and with what history,
the claims that order a conversation's turns, the shared connector clients, the personal-data scan's
cache and the reply channel. Each case asserts on what the core decided or stored, on SQLite and
PostgreSQL (``db_url``), never on wording.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from microsoft_agents.activity import Activity, ChannelAccount, ConversationAccount, ResourceResponse
from sqlalchemy import text

from bot.app import Services
from bot.conversation.channel import Collected
from bot.conversation.types import ConversationRef, Incoming, Reply, User
from bot.domain import GENERAL_SLUG, AppError, Outcome, Role
from bot.llm.pii import find_pii
from bot.services import Actor
from bot.store.claims import ClaimStore
from bot.store.models import ActivityClaim, Message
from bot.teams import connector_sessions, streaming
from bot.teams.connector_sessions import ConnectorSessions
from bot.teams.streaming import TeamsStream

ADMIN, OWNER_A, BUILDER_A, MEMBER_A, BUILDER_B, EMPLOYEE = "adm", "own-a", "bld-a", "mem-a", "bld-b", "emp"
TEAM = "19:team@thread.tacv2"  # a channel; its threads are TEAM;messageid=<root>
OTHER_TEAM = "19:other@thread.tacv2"
LONG = "a:" + "x" * 500


def thread(channel: str, root: int) -> str:
    return f"{channel};messageid={root}"


@dataclass
class World:
    services: Services

    def spec(self, slug: str, **fields: Any) -> int:
        store = self.services.stores.specialists
        department = self.services.stores.roles.department("afdeling-a").id
        spec = store.create(slug.title(), BUILDER_A, slug=slug, department_id=department)
        store.update(spec.id, **fields)
        assert spec.id is not None
        return spec.id

    def select(self, where: str, slug: str) -> None:
        store = self.services.stores.specialists
        store.select(where, store.require(slug).id, BUILDER_A)  # type: ignore[arg-type]

    async def who_answers(self, user: str, conversation: str) -> str:
        """The slug that answers ``user`` in ``conversation``, or ``forbidden:<key>``."""
        kind = "channel" if conversation.startswith("19:") else "groupChat"
        actor = Actor(user, conversation=ConversationRef(id=conversation, type=kind, tenant_id="t1"))
        try:
            ctx = await self.services.app.answering.context(actor)
        except AppError as exc:
            assert exc.outcome == Outcome.FORBIDDEN, exc
            return f"forbidden:{exc.key}"
        return ctx.spec.slug

    def record(self, conversation: str, question: str, specialist: str = GENERAL_SLUG) -> None:
        self.services.stores.conversations.record(
            ConversationRef(id=conversation),
            "29:someone",
            question,
            f"svar på {question}",
            model=None,
            outcome="answered",
            specialist=specialist,
        )


@pytest.fixture
def world(make_services: Callable[..., Services], db_url: str) -> World:
    services = make_services(database_url=db_url, admins=ADMIN)
    roles = services.stores.roles
    a, b = (roles.create_department(name).id for name in ("Afdeling A", "Afdeling B"))
    for user, role, department in (
        (OWNER_A, Role.OWNER, a),
        (BUILDER_A, Role.BUILDER, a),
        (MEMBER_A, Role.MEMBER, a),
        (BUILDER_B, Role.BUILDER, b),
    ):
        roles.assign(user, role, department, ADMIN)  # type: ignore[arg-type]
    w = World(services)
    published = {"status": "published"}
    w.spec("kladde", sharing="organisation")  # a draft, shared organisation-wide once published
    w.spec("privat", owner=BUILDER_A, department_id=None, **published)  # personal
    w.spec("afdeling", sharing="department", **published)
    w.spec("team", sharing="team", shared_with=TEAM, **published)
    w.spec("alle", sharing="organisation", **published)
    return w


DRAFT_ONLY, NOT_SHARED = "forbidden:draft_only_builders", "forbidden:not_shared_with_you"

# (specialist, selected where, asked by, asked where, who answers): one line per case
SELECTIONS = [
    ("kladde", "a:group", EMPLOYEE, "a:group", DRAFT_ONLY),  # a Builder's draft chosen in a shared chat
    ("kladde", "a:group", BUILDER_B, "a:group", DRAFT_ONLY),  # a Builder of another department
    ("kladde", "a:group", OWNER_A, "a:group", "kladde"),  # its department's owner may try it
    ("privat", "a:group", EMPLOYEE, "a:group", NOT_SHARED),  # someone's personal specialist
    ("privat", "a:group", BUILDER_A, "a:group", "privat"),  # its creator
    ("afdeling", "a:group", EMPLOYEE, "a:group", NOT_SHARED),  # no department
    ("afdeling", "a:group", BUILDER_B, "a:group", NOT_SHARED),  # another department
    ("afdeling", "a:group", MEMBER_A, "a:group", "afdeling"),  # a member of its department
    ("team", thread(TEAM, 1), EMPLOYEE, thread(TEAM, 1), "team"),  # its team's thread
    ("team", TEAM, EMPLOYEE, thread(TEAM, 2), "team"),  # its team's channel default, in a thread
    ("team", thread(OTHER_TEAM, 1), EMPLOYEE, thread(OTHER_TEAM, 1), NOT_SHARED),  # another team
    ("team", TEAM + "x", EMPLOYEE, thread(TEAM + "x", 1), NOT_SHARED),  # a team whose id extends it
    ("team", "a:group", EMPLOYEE, "a:group", NOT_SHARED),  # a group chat is not the team
    ("afdeling", "a:x", MEMBER_A, "a:x2", GENERAL_SLUG),  # another conversation's choice
    ("afdeling", "a:x2", MEMBER_A, "a:x", GENERAL_SLUG),  # a conversation whose id extends this one
    ("alle", "a:%", EMPLOYEE, "a:abc", GENERAL_SLUG),  # a LIKE pattern as an id
    ("alle", "a:_", EMPLOYEE, "a:b", GENERAL_SLUG),
    ("alle", "19:%", EMPLOYEE, thread(TEAM, 3), GENERAL_SLUG),  # ... as a channel default
    ("alle", thread(TEAM, 1), EMPLOYEE, thread(TEAM, 2), GENERAL_SLUG),  # a sibling thread's choice
    ("alle", thread(TEAM, 1), EMPLOYEE, TEAM, GENERAL_SLUG),  # a thread's choice is not the channel's
    ("alle", "", EMPLOYEE, "a:emp", GENERAL_SLUG),  # a choice made where no conversation was named
    ("alle", "", EMPLOYEE, "19:plain@thread.tacv2", GENERAL_SLUG),
    ("alle", LONG, EMPLOYEE, LONG + "y", GENERAL_SLUG),  # a long id and a longer one
    ("alle", LONG, EMPLOYEE, LONG, "alle"),
]


@pytest.mark.parametrize(("slug", "selected_in", "user", "asked_in", "expected"), SELECTIONS)
async def test_who_answers_where(
    world: World, slug: str, selected_in: str, user: str, asked_in: str, expected: str
) -> None:
    world.select(selected_in, slug)
    assert await world.who_answers(user, asked_in) == expected


async def test_a_thread_choice_is_not_widened_by_a_usable_channel_default(world: World) -> None:
    """The thread's own choice decides (and is checked), even when the channel's default is usable."""
    world.select(TEAM, "alle")
    world.select(thread(TEAM, 1), "afdeling")
    assert await world.who_answers(EMPLOYEE, thread(TEAM, 1)) == NOT_SHARED
    assert await world.who_answers(EMPLOYEE, thread(TEAM, 2)) == "alle"


async def test_roles_are_read_at_each_turn(world: World) -> None:
    world.select("a:group", "afdeling")
    assert await world.who_answers(MEMBER_A, "a:group") == "afdeling"
    roles = world.services.stores.roles
    a, b = (roles.department(d).id for d in ("afdeling-a", "afdeling-b"))
    roles.remove(MEMBER_A, Role.MEMBER, a)  # type: ignore[arg-type]
    assert await world.who_answers(MEMBER_A, "a:group") == NOT_SHARED
    roles.assign(MEMBER_A, Role.BUILDER, b, ADMIN)  # type: ignore[arg-type]
    assert await world.who_answers(MEMBER_A, "a:group") == NOT_SHARED  # another department's role
    world.services.stores.specialists.update(
        world.services.stores.specialists.require("afdeling").id,  # type: ignore[arg-type]
        status="draft",
    )
    roles.assign(MEMBER_A, Role.MEMBER, a, ADMIN)  # type: ignore[arg-type]
    assert await world.who_answers(MEMBER_A, "a:group") == DRAFT_ONLY  # unpublished meanwhile


async def test_a_role_whose_text_looks_like_json_grants_nothing(world: World) -> None:
    """The roles travel as a JSON array: a role string that closes it must stay one string."""
    department = world.services.stores.roles.department("afdeling-b").id
    with world.services.db.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO role_assignments (user_id, role, department_id, assigned_by, assigned_at) "
                "VALUES (:u, :r, :d, 'x', :t)"
            ),
            {"u": EMPLOYEE, "r": '"],["owner', "d": department, "t": datetime.now(UTC)},
        )
    ctx = await world.services.app.answering.context(
        Actor(EMPLOYEE, conversation=ConversationRef(id="a:emp"))
    )
    assert ctx.roles == (('"],["owner', department),)
    roles = world.services.app.answering._roles(Actor(EMPLOYEE), ctx)
    assert not roles.owner_of and not roles.builds
    world.select("a:emp", "kladde")
    assert await world.who_answers(EMPLOYEE, "a:emp") == DRAFT_ONLY


async def test_a_deleted_choice_falls_back_to_the_channel_then_the_assistant(world: World) -> None:
    gone = world.spec("snart-vaek", sharing="organisation", status="published")
    world.select(TEAM, "alle")
    world.select(thread(TEAM, 1), "snart-vaek")
    world.select("a:group", "snart-vaek")
    with world.services.db.engine.begin() as c:
        c.execute(text("DELETE FROM specialists WHERE id = :id"), {"id": gone})
    assert await world.who_answers(EMPLOYEE, thread(TEAM, 1)) == "alle"
    assert await world.who_answers(EMPLOYEE, "a:group") == GENERAL_SLUG


async def test_without_the_general_assistant_a_question_gets_a_notice(world: World) -> None:
    with world.services.db.engine.begin() as c:
        c.execute(text("DELETE FROM specialists WHERE slug = :s"), {"s": GENERAL_SLUG})
    with pytest.raises(AppError) as refused:
        await world.services.app.answering.context(Actor(EMPLOYEE, conversation=ConversationRef(id="a:e")))
    assert refused.value.outcome == Outcome.NOT_FOUND
    channel = Collected()
    reply = await world.services.dispatcher.turn(
        Incoming("Hej", User(id="29:emp", aad_object_id=EMPLOYEE), ConversationRef(id="a:e", tenant_id="t1")),
        channel,
    )
    assert reply.kind == "notice" and channel.progress_texts == []  # worded, no progress, no crash


async def test_history_stays_with_its_conversation_and_specialist(world: World) -> None:
    """Exact ids only: a prefix, a LIKE pattern, a sibling thread or another specialist shares none."""
    for conversation in ("a:1", "a:10", "a:1%", "a:_", thread(TEAM, 1), thread(TEAM, 2), TEAM, LONG + "y"):
        world.record(conversation, f"spurgt i {conversation}")
    world.record("a:1", "spurgt alle i a:1", specialist="alle")
    world.record("a:1", 'et "],["spørgsmål', specialist=GENERAL_SLUG)  # JSON-looking text stays text

    async def history(conversation: str) -> list[str]:
        actor = Actor(EMPLOYEE, conversation=ConversationRef(id=conversation))
        ctx = await world.services.app.answering.context(actor)
        return [q for q, _a in ctx.history]

    assert await history("a:1") == ["spurgt i a:1", 'et "],["spørgsmål']
    assert await history("a:%") == []
    assert await history("a:_") == ["spurgt i a:_"]
    assert await history(thread(TEAM, 1)) == [f"spurgt i {thread(TEAM, 1)}"]
    assert await history(TEAM) == [f"spurgt i {TEAM}"]
    assert await history(thread(TEAM, 3)) == []
    assert await history(LONG) == []
    world.select("a:1", "alle")
    assert await history("a:1") == ["spurgt alle i a:1"]  # the other specialist's exchanges stay out


# -- claims ----------------------------------------------------------------------------------------
def test_two_claims_at_the_same_instant_are_still_ordered(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Turns of one conversation claimed at the same microsecond (two replicas): they still wait
    for each other in one order (none waiting would run them at once, out of order)."""
    claims, at = ClaimStore(world.services.db), datetime.now(UTC)
    with world.services.db.session() as s:
        for key in ("c|b", "c|a", "c|c", "d|b"):
            s.add(ActivityClaim(key=key, conversation=key[0], replica="r1", claimed_at=at))
        s.commit()
    assert sorted(claims.earlier_unfinished(k) for k in ("c|b", "c|a", "c|c")) == [0, 1, 2]

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:  # type: ignore[override]
            return cls.fromtimestamp(at.timestamp(), tz)

    monkeypatch.setattr("bot.store.claims.datetime", Frozen)  # the claim's own timestamp (PostgreSQL)
    for key in ("d|a", "d|c"):
        claimed, earlier = claims.claim_in_order(key, "r2", conversation="d")
        assert claimed
        if claims.postgres:  # the one-statement claim stamps ``at`` itself
            assert earlier + claims.earlier_unfinished("d|b") == 1, key
        claims.finish(key)


def test_a_redelivered_or_empty_conversation_claim(world: World) -> None:
    claims = ClaimStore(world.services.db)
    assert claims.claim_in_order("c|1", "r1", conversation="c") == (True, 0)
    assert claims.claim_in_order("c|1", "r2", conversation="c") == (False, 0)  # redelivery, live lease
    assert claims.claim_in_order("c|2", "r2", conversation="c") == (True, 1)  # waits for c|1
    assert claims.claim_in_order("|1", "r1", conversation="") == (True, 0)
    assert claims.claim_in_order("|2", "r1", conversation="") == (True, 0)  # '' orders nothing
    claims.finish("c|1")
    assert claims.claim_in_order("c|1", "r2", lease_s=0.0, conversation="c") == (False, 0)  # done
    assert claims.earlier_unfinished("c|2") == 0


def test_a_takeover_after_the_lease_is_ordered_anew(world: World) -> None:
    """A replica died mid-turn: after the lease another takes the claim over, once, and the
    conversation's later turns no longer wait for the dead one."""
    claims = ClaimStore(world.services.db)
    assert claims.claim_in_order("t|1", "dead", conversation="t") == (True, 0)
    assert claims.claim_in_order("t|2", "r1", conversation="t") == (True, 1)
    assert claims.earlier_unfinished("t|2", lease_s=0.0) == 0  # the dead turn's lease ran out
    claimed, earlier = claims.claim_in_order("t|1", "r2", lease_s=0.0, conversation="t")
    assert claimed and earlier == 0
    assert claims.claim_in_order("t|1", "r3", lease_s=0.0, conversation="t")[0]  # lease 0: again
    assert not claims.claim_in_order("t|1", "r3", lease_s=60.0, conversation="t")[0]  # live: refused


async def test_history_is_the_latest_turns_oldest_first(world: World) -> None:
    turns = world.services.settings.history_turns
    assert turns > 0
    for n in range(turns + 3):
        world.record("a:h", f"spørgsmål {n}")
    world.record("a:h", "ikke besvaret")
    with world.services.db.engine.begin() as c:
        c.execute(text("UPDATE messages SET outcome = 'no_answer' WHERE question = 'ikke besvaret'"))
    ctx = await world.services.app.answering.context(Actor(EMPLOYEE, conversation=ConversationRef(id="a:h")))
    assert [q for q, _a in ctx.history] == [f"spørgsmål {n}" for n in range(3, turns + 3)]


# -- the personal-data scan's cache ----------------------------------------------------------------
def test_a_cached_scan_cannot_be_poisoned_by_its_caller() -> None:
    sample = "Ring til mig på 20 30 40 50 eller skriv til bo@aarhus.dk, CPR 010190-1234."
    first = find_pii(sample)
    assert {f.kind for f in first} == {"phone", "email", "cpr"}
    first.clear()
    second = find_pii(sample)
    assert len(second) == 3
    second.append(second[0])
    second.reverse()
    with pytest.raises(AttributeError):
        second[0].value = "x"  # type: ignore[misc]
    assert find_pii(sample) == sorted(find_pii(sample), key=lambda f: f.start)
    assert len(find_pii(sample)) == 3
    assert find_pii(sample + " ") != [] and find_pii(sample.replace("1234", "12")) != first


# -- the reply channel -----------------------------------------------------------------------------
@dataclass
class Numbered(Collected):
    """A channel that gives every final message an id of its own, after a pause."""

    prefix: str = "reply"

    async def send(self, reply: Reply) -> str | None:
        await asyncio.sleep(0.01)
        self.replies.append(reply)
        return f"{self.prefix}-{len(self.replies)}"


async def test_each_reply_id_lands_on_its_own_answer(world: World) -> None:
    async def ask(user: str, n: int) -> tuple[Reply, Numbered]:
        channel = Numbered(prefix=f"{user}-{n}")
        incoming = Incoming(
            f"Spørgsmål {n}",
            User(id=f"29:{user}", aad_object_id=user),
            ConversationRef(id=f"a:{user}", tenant_id="t1"),
        )
        return await world.services.dispatcher.turn(incoming, channel), channel

    results = await asyncio.gather(*(ask(user, n) for n in range(3) for user in (EMPLOYEE, MEMBER_A)))
    with world.services.db.session() as s:
        for reply, channel in results:
            assert reply.message_id is not None
            stored = s.get(Message, reply.message_id)
            assert stored is not None
            assert stored.reply_activity_id == f"{channel.prefix}-1"
            assert stored.user_id == channel.prefix.rsplit("-", 1)[0]


async def test_a_refused_question_shows_no_progress_and_stores_nothing(world: World) -> None:
    world.select("a:group", "privat")
    channel = Collected()
    reply = await world.services.dispatcher.turn(
        Incoming(
            "Hej", User(id="29:emp", aad_object_id=EMPLOYEE), ConversationRef(id="a:group", tenant_id="t1")
        ),
        channel,
    )
    assert reply.kind == "notice" and reply.message_id is None
    assert channel.progress_texts == [] and channel.replies == [reply]
    with world.services.db.session() as s:
        assert s.execute(text("SELECT count(*) FROM messages")).scalar_one() == 0


async def test_a_failing_channel_raises_and_the_next_turn_is_answered(world: World) -> None:
    class Broken(Collected):
        async def send(self, reply: Reply) -> str | None:
            raise ConnectionError("Teams is down")

    incoming = Incoming(
        "Hej", User(id="29:emp", aad_object_id=EMPLOYEE), ConversationRef(id="a:e", tenant_id="t1")
    )
    with pytest.raises(ConnectionError):
        await world.services.dispatcher.turn(incoming, Broken())
    channel = Collected()
    await world.services.dispatcher.turn(incoming, channel)
    assert len(channel.replies) == 1 and channel.progress_texts


# -- the shared connector clients ------------------------------------------------------------------
ENDPOINT = "https://smba.trafficmanager.net/emea/"


async def test_each_endpoint_and_app_gets_its_own_client_and_token() -> None:
    sessions = ConnectorSessions()
    try:
        emea = sessions.client(ENDPOINT, "token-emea")
        amer = sessions.client("https://smba.trafficmanager.net/amer/", "token-amer")
        assert emea.client is not amer.client
        assert emea.client.headers["Authorization"] == "Bearer token-emea"
        assert amer.client.headers["Authorization"] == "Bearer token-amer"
        one = sessions.user_token_client("app-1", "https://token.botframework.com", "t-1")
        two = sessions.user_token_client("app-2", "https://token.botframework.com", "t-2")
        assert one.client is not two.client and one.client.headers["Authorization"] == "Bearer t-1"
        await emea.client.close()  # a session that died: the next turn gets a fresh one
        again = sessions.client(ENDPOINT, "token-emea")
        assert again is not emea and not again.client.closed
    finally:
        await sessions.close()


async def test_a_turn_still_sending_keeps_its_client_after_the_token_is_renewed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long turn (large files, a slow model) that spans the hourly token renewal must still be
    able to send its reply: the replaced client closes once no turn holds it, not after a timer."""
    monkeypatch.setattr(connector_sessions, "RETIRE_AFTER_S", 0.01)
    monkeypatch.setattr(connector_sessions, "RETIRE_POLL_S", 0.01)
    sessions = ConnectorSessions()
    try:
        long_turn = sessions.client(ENDPOINT, "token-1")
        short_turn = sessions.client(ENDPOINT, "token-1")
        await short_turn.close()
        renewed = sessions.client(ENDPOINT, "token-2")
        await asyncio.sleep(0.1)
        assert not long_turn.client.closed  # the long turn's final message can still go out
        await long_turn.close()
        await asyncio.sleep(0.1)
        assert long_turn.client.closed and not renewed.client.closed
    finally:
        await sessions.close()


class FlakyTeams:
    """A turn's context whose stream updates Teams refuses (the user pressed stop, a 5xx after the
    retries); the informative update and the final message go through."""

    def __init__(self) -> None:
        self.sent: list[Activity] = []
        # the turn's own activity, as a TurnContext has it: a personal chat
        self.activity = Activity(
            type="message",
            conversation=ConversationAccount(id="a:personal-chat-1", conversation_type="personal"),
            from_property=ChannelAccount(id="29:aad-anne"),
        )

    async def send_activity(self, activity: Activity) -> ResourceResponse:
        kinds = [getattr(e, "stream_type", None) for e in activity.entities or []]
        if "streaming" in kinds:
            raise ConnectionError("stream update refused")
        self.sent.append(activity)
        return ResourceResponse(id=f"id-{len(self.sent)}")


async def test_a_refused_stream_update_does_not_lose_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer so far is optional: the final message carries the answer, so a refused update
    stops the updates and the final message still goes out (it used to fail the whole turn)."""
    monkeypatch.setattr(streaming, "MIN_INTERVAL_S", 0.0)
    teams = FlakyTeams()
    stream = TeamsStream(teams, streaming=True)  # type: ignore[arg-type]
    assert await stream.progress("Tænker …") == "id-1"
    await stream.update("Svaret indtil")
    await stream.update("Svaret indtil videre")
    assert await stream.send(Reply("Svaret.", kind="answer")) == "id-1"
    assert [a.text for a in teams.sent] == ["Tænker …", "Svaret."]


def test_the_terminal_chat_closes_its_connector_session(tmp_path: Path) -> None:
    """``aarhusai chat`` runs the Teams handler, whose turns open the shared connector session: it
    must be closed before the loop ends (it logged 'Unclosed client session' as an ERROR at exit)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AARHUSAI_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--as", "anne"],
        cwd=tmp_path,
        env=env,
        input="/hjælp\nHej\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Kommandoer" in result.stdout
    assert "Unclosed" not in result.stderr and "ERROR" not in result.stderr, result.stderr
