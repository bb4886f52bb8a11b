"""Replicas as real processes on one PostgreSQL database: ``serve --workers 2`` shares one port and
stops cleanly, metrics add up over workers, and a replica killed mid-answer leaves the others
answering and its redelivered turn answered exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import select

from bot.store import Database
from bot.store.models import Message
from tests.conftest import write_catalogue
from tests.support.connector import FakeConnector
from tests.support.openai_server import RecordingModelServer
from tests.support.playground import aarhusai_executable, start_bot
from tests.test_http_edge import message_activity
from tests.test_metrics import metric

pytestmark = pytest.mark.timeout(240)


def _upgrade(database_url: str, workdir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AARHUSAI_")}
    env["AARHUSAI_DATABASE_URL"] = database_url
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([aarhusai_executable(), "db", "upgrade"], cwd=workdir, env=env, check=True, timeout=120)


async def _until(done: Callable[[], bool], timeout_s: float, every_s: float = 0.05) -> None:
    """Poll ``done`` (state in another process) until it holds; TimeoutError after ``timeout_s``."""
    async with asyncio.timeout(timeout_s):
        while True:
            if done():
                return
            await asyncio.sleep(every_s)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


async def test_two_workers_share_one_port_add_up_their_metrics_and_stop_cleanly(
    tmp_path: Path, pg_url: str
) -> None:
    _upgrade(pg_url, tmp_path / "bot")
    connector = await FakeConnector().start()
    proc, port = await asyncio.to_thread(
        start_bot, tmp_path / "bot", {"AARHUSAI_WORKERS": "2", "AARHUSAI_DATABASE_URL": pg_url}
    )
    try:
        workers = _children(proc.pid)
        assert len(workers) == 2, proc.tail()
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            for n in range(8):  # new connections: the kernel spreads them over the workers
                conv = {"id": f"a:chat-{n}", "conversationType": "personal", "tenantId": "t1"}
                activity = message_activity(connector.service_url, "/hjælp", conversation=conv)
                assert (await http.post(f"{base}/api/messages", json=activity)).status == 202
            await connector.wait_for_messages(8, wait_s=60)
            await asyncio.sleep(0.5)
            # whichever worker answers the scrape reports every worker's turns
            async with http.get(f"{base}/metrics") as resp:
                assert resp.status == 200
                text = await resp.text()
        assert metric(text, "aarhusai_turns_total", kind="command") == 8, text
        assert len(connector.messages()) == 8
        # a worker that dies is replaced, and the port keeps answering meanwhile
        os.kill(workers[0], signal.SIGKILL)
        await _until(lambda: len(_children(proc.pid)) == 2 and workers[0] not in _children(proc.pid), 30)
        workers = _children(proc.pid)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            for _ in range(4):
                async with http.get(f"{base}/healthz") as resp:
                    assert resp.status == 200
        os.kill(proc.pid, signal.SIGTERM)
        await _until(lambda: not proc.running(), 60, every_s=0.1)
        assert proc._proc is not None and proc._proc.returncode == 0, proc.tail()
        assert not await asyncio.to_thread(lambda: any(Path(f"/proc/{w}").exists() for w in workers))
    finally:
        await asyncio.to_thread(proc.stop)
        await connector.stop()


async def test_a_replica_killed_mid_answer_leaves_the_others_answering_and_its_turn_answered_once(
    tmp_path: Path, pg_url: str
) -> None:
    _upgrade(pg_url, tmp_path / "a")
    model = await RecordingModelServer(
        reply="Et langt svar " + "med mange ord " * 20, chunk_delay_s=0.1
    ).start()
    connector = await FakeConnector().start()
    catalogue = write_catalogue(
        tmp_path / "models.yaml", {"id": "m", "base_url": model.base_url, "model": "m"}
    )
    env = {
        "AARHUSAI_DATABASE_URL": pg_url,
        "AARHUSAI_MODELS_FILE": str(catalogue),
        "AARHUSAI_CLAIM_LEASE_S": "4",
    }
    (a, port_a), (b, port_b) = await asyncio.gather(
        asyncio.to_thread(start_bot, tmp_path / "a", env), asyncio.to_thread(start_bot, tmp_path / "b", env)
    )
    try:
        activity = message_activity(connector.service_url, "Skriv et langt svar")

        def answers() -> list[dict[str, object]]:  # final messages only (stream updates are typing)
            return [m for m in connector.messages() if "Et langt svar" in (m.get("text") or "")]

        async with aiohttp.ClientSession() as http:
            assert (await http.post(f"http://127.0.0.1:{port_a}/api/messages", json=activity)).status == 202
            await _until(lambda: bool(model.requests and connector.activities), 30)  # a is streaming
            await asyncio.sleep(0.5)
            os.killpg(a.pid, signal.SIGKILL)
            # the other replica keeps answering
            other = message_activity(
                connector.service_url, "/hjælp", conversation={"id": "a:other", "tenantId": "t1"}
            )
            assert (await http.post(f"http://127.0.0.1:{port_b}/api/messages", json=other)).status == 202
            await _until(lambda: any(m["conversation"]["id"] == "a:other" for m in connector.messages()), 30)
            # Teams redelivers the killed turn: not answered while the dead replica's lease runs...
            assert (await http.post(f"http://127.0.0.1:{port_b}/api/messages", json=activity)).status == 202
            await asyncio.sleep(5)
            assert not answers()
            # ...answered by the next redelivery once it ran out...
            assert (await http.post(f"http://127.0.0.1:{port_b}/api/messages", json=activity)).status == 202
            await _until(answers, 30)
            # ...and not again
            assert (await http.post(f"http://127.0.0.1:{port_b}/api/messages", json=activity)).status == 200
        await asyncio.sleep(1.5)  # time for a second answer, were one coming
        assert len(answers()) == 1
        db = Database(pg_url)
        try:
            with db.session() as s:
                stored = s.exec(select(Message).where(Message.activity_id == activity["id"])).all()
        finally:
            db.dispose()
        assert len(stored) == 1 and stored[0].answer.startswith("Et langt svar")
    finally:
        for proc in (a, b):
            await asyncio.to_thread(proc.stop)
        await connector.stop()
        await model.stop()
