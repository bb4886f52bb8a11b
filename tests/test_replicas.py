"""Replicas on one database act as one for delivery: an activity that reaches two replicas (Teams'
redelivery behind a load balancer) is answered and stored once; a claim left by a replica that died
mid-turn is taken over once its lease ran out, by exactly one replica, and never after the turn ended."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
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
