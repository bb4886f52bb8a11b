"""Replicas on one database act as one for delivery: an activity that reaches two replicas (Teams'
redelivery behind a load balancer) is answered and stored once; a claim left by a replica that died
mid-turn is taken over once its lease ran out, by exactly one replica, and never after the turn ended."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.app import Services
from bot.server import start
from bot.store.claims import ClaimStore
from bot.store.models import ActivityClaim, Message
from tests.support.connector import FakeConnector
from tests.test_http_edge import message_activity

GUIDE = "# Pas\n\n## Priser\n\nEt pas til en voksen koster 688 kr. og gælder i 10 år."


async def test_the_same_activity_sent_to_two_replicas_is_answered_and_stored_once(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str
) -> None:
    connector = await FakeConnector().start()
    first = make_services(database_url=db_url, data_dir=tmp_path / "a", index_dir=tmp_path / "ia")
    spec = first.stores.specialists.create("Pas", "adm", slug="pas")
    first.stores.specialists.update(spec.id, status="published", sharing="organisation")
    await first.stores.ingestor.ingest(spec, "pas.md", GUIDE.encode(), "adm")
    first.stores.specialists.select("a:personal-chat-1", spec.id, "adm")
    second = make_services(database_url=db_url, data_dir=tmp_path / "b", index_dir=tmp_path / "ib")
    runners = []
    try:
        bases = []
        for services in (first, second):
            runner, port = await start(services, "127.0.0.1", 0)
            runners.append(runner)
            bases.append(f"http://127.0.0.1:{port}")
        activity = message_activity(connector.service_url, "Hvad koster et pas til en voksen?")
        async with aiohttp.ClientSession() as http:
            statuses = await asyncio.gather(
                *(http.post(f"{base}/api/messages", json=activity) for base in bases)
            )
            assert sorted(r.status for r in statuses) == [202, 202]  # each replica acknowledges at once
        await connector.wait_for_messages(1, wait_s=30)
        await asyncio.sleep(1.5)  # time for a second answer, were one coming
        answers = [m for m in connector.messages() if "688 kr." in (m.get("text") or "")]
        assert len(answers) == 1, connector.messages()
        with first.db.session() as s:
            stored = s.exec(select(Message).where(Message.activity_id == activity["id"])).all()
            claim = s.get(ActivityClaim, f"a:personal-chat-1|{activity['id']}")
        assert len(stored) == 1 and claim is not None and claim.done
    finally:
        for runner in runners:
            await runner.cleanup()
        await connector.stop()


def test_a_dead_replicas_claim_is_taken_over_once_after_its_lease(
    make_services: Callable[..., Services], db_url: str
) -> None:
    claims = ClaimStore(make_services(database_url=db_url).db)
    assert claims.claim("c|1", "replica-a") is True
    assert claims.claim("c|1", "replica-b") is False  # a live claim is never shared
    with claims.db.session() as s:  # replica-a died mid-turn two minutes ago
        s.exec(update(ActivityClaim).values(claimed_at=datetime.now(UTC) - timedelta(seconds=130)))  # type: ignore[call-overload]
        s.commit()
    assert claims.claim("c|1", "replica-b") is True  # the redelivery is answered after all
    assert claims.claim("c|1", "replica-c") is False  # and by one replica only
    claims.finish("c|1")
    with claims.db.session() as s:
        s.exec(update(ActivityClaim).values(claimed_at=datetime.now(UTC) - timedelta(days=1)))  # type: ignore[call-overload]
        s.commit()
    assert claims.claim("c|1", "replica-d") is False  # an answered activity is never answered again


def test_old_claims_are_purged_with_the_retention_job(
    make_services: Callable[..., Services], db_url: str
) -> None:
    from bot.governance.retention import purge

    services = make_services(database_url=db_url)
    claims = ClaimStore(services.db)
    claims.claim("c|old", "a")
    claims.claim("c|new", "a")
    with services.db.session() as s:
        s.exec(  # type: ignore[call-overload]
            update(ActivityClaim)
            .where(ActivityClaim.key == "c|old")
            .values(claimed_at=datetime.now(UTC) - timedelta(days=2))
        )
        s.commit()
    purge(services.db, days=30)
    with services.db.session() as s:
        assert [c.key for c in s.exec(select(ActivityClaim)).all()] == ["c|new"]


async def test_the_retention_purge_runs_once_across_replicas(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.conversation.types import ConversationRef
    from bot.governance import retention
    from bot.store.conversations import ConversationStore

    runs: list[str] = []
    real_purge = retention.purge

    def counted(db: Any, days: int) -> tuple[int, int]:
        runs.append(db.url)
        return real_purge(db, days)

    monkeypatch.setattr(retention, "purge", counted)

    replicas = [
        make_services(database_url=db_url, data_dir=tmp_path / n, index_dir=tmp_path / f"i{n}") for n in "ab"
    ]
    store = ConversationStore(replicas[0].db)
    row = store.record(
        ConversationRef(id="a:old"), "u1", "Gammelt spørgsmål", "Gammelt svar", model=None, outcome="answered"
    )
    with replicas[0].db.session() as s:
        s.exec(
            update(Message)
            .where(Message.id == row.id)
            .values(created_at=datetime.now(UTC) - timedelta(days=90))
        )  # type: ignore[call-overload]
        s.commit()
    tasks = [
        asyncio.create_task(
            retention.purge_forever(r.db, r.stores.audit, 30, every_s=3600, replica=f"replica-{n}")
        )
        for n, r in enumerate(replicas)
    ]
    await asyncio.sleep(2)
    for task in tasks:
        task.cancel()
    assert len(runs) == 1  # one replica purged; the other saw the period claimed and skipped it
    assert len(replicas[0].stores.audit.events(action="retention.purge")) == 1
    with replicas[0].db.session() as s:
        assert s.exec(select(Message)).all() == []


def test_a_job_period_is_claimed_by_one_replica(make_services: Callable[..., Services], db_url: str) -> None:
    from bot.store.claims import job_due
    from bot.store.models import JobRun

    db = make_services(database_url=db_url).db
    assert job_due(db, "rapport", 60, "a") is True
    assert job_due(db, "rapport", 60, "b") is False
    with db.session() as s:
        s.exec(update(JobRun).values(ran_at=datetime.now(UTC) - timedelta(seconds=61)))  # type: ignore[call-overload]
        s.commit()
    assert job_due(db, "rapport", 60, "b") is True
    assert job_due(db, "rapport", 60, "a") is False
    with db.session() as s:
        assert s.get(JobRun, "rapport").replica == "b"  # type: ignore[union-attr]


def _most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max((sum(1 for u in times[i:] if u - t < window) for i, t in enumerate(times)), default=0)


async def test_the_send_limit_of_a_conversation_holds_across_replicas(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str
) -> None:
    """Teams allows 7 sends per second per conversation, whichever replica sends them. Each replica's
    own window (the old limiter) lets two replicas send 14 in the same second."""
    from bot.teams.outbound import ConversationRateLimiter, SharedSendLimiter

    replicas = [
        make_services(database_url=db_url, data_dir=tmp_path / n, index_dir=tmp_path / f"i{n}") for n in "ab"
    ]

    async def sends(limiters: list[Any], per_replica: int) -> list[float]:
        times: list[float] = []

        async def one(limiter: Any) -> None:
            for _ in range(per_replica):
                await limiter.acquire("a:personal-chat-1")
                times.append(asyncio.get_running_loop().time())

        await asyncio.gather(*(one(limiter) for limiter in limiters))
        return times

    own = await sends([ConversationRateLimiter() for _ in replicas], 7)
    assert _most_in_any_window(own, 0.9) == 14  # the finding: each replica spends its own budget
    shared = await sends([SharedSendLimiter(r.app.delivery) for r in replicas], 10)
    assert len(shared) == 20
    assert _most_in_any_window(shared, 0.9) <= 7


def test_the_app_wide_send_budget_spans_conversations(
    make_services: Callable[..., Services], db_url: str
) -> None:
    from bot.store.sendlog import SendLogStore

    log = SendLogStore(make_services(database_url=db_url).db)
    per_conversation, app = ((7, 1.0),), ((5, 1.0),)
    taken = [log.reserve(((f"conversation:{n}", per_conversation), ("app", app))) == 0.0 for n in range(8)]
    assert taken == [True] * 5 + [False] * 3  # five conversations used the app's second
    wait = log.reserve((("conversation:9", per_conversation), ("app", app)))
    assert 0.0 < wait <= 1.0
    # a refused send spends nothing: conversation 9 has its whole budget once the app has room
    assert log.reserve((("conversation:9", per_conversation),)) == 0.0


async def test_a_turn_waits_for_an_earlier_turn_of_its_conversation_on_another_replica(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str
) -> None:
    a, b = (
        make_services(database_url=db_url, data_dir=tmp_path / n, index_dir=tmp_path / f"i{n}").app.delivery
        for n in "ab"
    )
    assert await a.begin("c1", "first") == (True, 0)
    assert await b.begin("c1", "second") == (True, 1)  # "first" still runs on replica a: one trip says so
    assert await b.begin("c2", "other") == (True, 0)  # another conversation never waits
    assert await a.begin("c1", "second") == (False, 0)  # claimed by b: a does not answer it
    assert await a.earlier_turns("c1", "first") == 0
    assert await b.earlier_turns("c1", "second") == 1
    await a.finish("c1", "first")
    assert await b.earlier_turns("c1", "second") == 0
    assert (await b.begin("c1", "third"))[1] == 1  # "second" still runs


async def test_answers_keep_their_order_when_a_conversation_spans_two_replicas(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str, model_server: Any
) -> None:
    """A long answer on replica a, then a short question to replica b: b answers after a."""
    from tests.conftest import write_catalogue

    model_server.reply_for = lambda body: (
        "Første svar " + "ord " * 15 if "første" in body["messages"][-1]["content"] else "Andet svar"
    )
    model_server.chunk_delay_s = 0.1
    catalogue = write_catalogue(
        tmp_path / "m.yaml", {"id": "m", "base_url": model_server.base_url, "model": "m"}
    )
    connector = await FakeConnector().start()
    replicas = [
        make_services(
            database_url=db_url, data_dir=tmp_path / n, index_dir=tmp_path / f"i{n}", models_file=catalogue
        )
        for n in "ab"
    ]
    runners = []
    try:
        bases = []
        for services in replicas:
            runner, port = await start(services, "127.0.0.1", 0)
            runners.append(runner)
            bases.append(f"http://127.0.0.1:{port}")
        conversation = {"id": "a:group-1", "conversationType": "groupChat", "tenantId": "t1"}
        first = message_activity(connector.service_url, "Det første spørgsmål", conversation=conversation)
        second = message_activity(connector.service_url, "Det andet spørgsmål", conversation=conversation)
        async with aiohttp.ClientSession() as http:
            assert (await http.post(f"{bases[0]}/api/messages", json=first)).status == 202
            await asyncio.sleep(0.4)
            assert (await http.post(f"{bases[1]}/api/messages", json=second)).status == 202
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:
            texts = [m.get("text") or "" for m in connector.messages()]
            finals = [t for t in texts if t.startswith(("Første svar", "Andet svar"))]
            if len(finals) >= 2:
                break
            await asyncio.sleep(0.1)
        assert [t.split()[0] for t in finals] == ["Første", "Andet"], connector.messages()
    finally:
        for runner in runners:
            await runner.cleanup()
        await connector.stop()


async def test_a_burst_in_one_conversation_is_answered_in_arrival_order_without_waiting_on_itself(
    make_services: Callable[..., Services], db_url: str
) -> None:
    """Claims finish in any order on the thread pool; a turn must never hold the conversation while
    it waits for an earlier claim that waits for the conversation (that would stall it for a lease)."""
    connector = await FakeConnector().start()
    runner, port = await start(make_services(database_url=db_url), "127.0.0.1", 0)
    try:
        commands = ["/hjælp", "/specialister", "/hjælp", "/specialister", "/hjælp", "/specialister"]
        async with aiohttp.ClientSession() as http:
            for text in commands:
                activity = message_activity(connector.service_url, text)
                assert (await http.post(f"http://127.0.0.1:{port}/api/messages", json=activity)).status == 202
        replies = await connector.wait_for_messages(len(commands), wait_s=20)
        kinds = ["hjælp" if "Kommandoer" in (r.get("text") or "") else "specialister" for r in replies]
        assert kinds == [c.strip("/") for c in commands]
    finally:
        await runner.cleanup()
        await connector.stop()


async def test_a_stream_update_never_waits_for_a_send_budget(
    make_services: Callable[..., Services], db_url: str
) -> None:
    """Updates are superseded by the next one: with the conversation's second spent, an update is
    skipped at once, while the final message waits for its slot."""
    from bot.teams.outbound import SharedSendLimiter

    limiter = SharedSendLimiter(make_services(database_url=db_url).app.delivery)
    for _ in range(7):
        assert await limiter.acquire("a:chat", "t1")
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await limiter.acquire("a:chat", "t1", wait=False) is False
    assert loop.time() - started < 0.5
    assert await limiter.acquire("a:other", "t1", wait=False) is True  # another conversation has room
    assert await limiter.acquire("a:chat", "t1") is True
    assert loop.time() - started >= 0.5  # the final message waited for the window to move
