"""``/metrics`` (Prometheus) counts what replicas do, and stays closed to the internet; JSON logs
name the replica and the turn of every line."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

import aiohttp
import pytest

from bot import logs
from bot.app import Services
from bot.server import start
from tests.support.connector import FakeConnector
from tests.test_http_edge import message_activity


def metric(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}(?:\{{(.*)\}})? (\S+)$", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            total += float(match.group(2))
    return total


async def test_metrics_appear_and_move_with_turns(make_services: Callable[..., Services]) -> None:
    connector = await FakeConnector().start()
    runner, port = await start(make_services(), "127.0.0.1", 0)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/metrics") as resp:
                assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
                before = await resp.text()
            for name in ("aarhusai_turns_total", "aarhusai_teams_sends_total", "aarhusai_index_cache_bytes"):
                assert f"# TYPE {name.removesuffix('_total')}" in before
            for text in ("/hjælp", "Hvad koster et pas?"):
                activity = message_activity(connector.service_url, text)
                assert (await http.post(f"{base}/api/messages", json=activity)).status == 202
            await connector.wait_for_messages(2, wait_s=30)
            async with http.get(f"{base}/metrics") as resp:
                after = await resp.text()
    finally:
        await runner.cleanup()
        await connector.stop()

    def moved(name: str, **labels: str) -> float:
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert moved("aarhusai_turns_total", kind="command") == 1
    assert moved("aarhusai_turns_total", kind="question") == 1
    assert moved("aarhusai_answers_total") == 1  # the general assistant without a model: no_model
    assert moved("aarhusai_activity_claims_total", result="claimed") == 2
    assert moved("aarhusai_teams_sends_total", outcome="ok") >= 2
    assert moved("aarhusai_turn_seconds_count") == 2
    assert moved("aarhusai_queue_wait_seconds_count", queue="send") >= 2


@pytest.mark.parametrize(
    ("header", "status"), [(None, 404), ("Bearer forkert", 404), ("Bearer hemmelig-123", 200)]
)
async def test_metrics_need_the_token_outside_local_mode(
    make_services: Callable[..., Services], header: str | None, status: int
) -> None:
    """The port also faces Teams: usage figures are not for anyone who finds it."""
    services = make_services(app_id="app", app_password="x", tenant_id="t", metrics_token="hemmelig-123")
    runner, port = await start(services, "127.0.0.1", 0)
    try:
        headers = {"Authorization": header} if header else {}
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/metrics", headers=headers) as r,
        ):
            assert r.status == status
    finally:
        await runner.cleanup()


async def test_metrics_are_closed_outside_local_mode_without_a_token(
    make_services: Callable[..., Services],
) -> None:
    runner, port = await start(make_services(app_id="app", app_password="x", tenant_id="t"), "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http:
            for header in ({}, {"Authorization": "Bearer "}):
                async with http.get(f"http://127.0.0.1:{port}/metrics", headers=header) as resp:
                    assert resp.status == 404
    finally:
        await runner.cleanup()


def test_json_logs_carry_the_replica_and_the_turn(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logs.configure("INFO", "json")
        with logs.turn("abc123"):
            logging.getLogger("bot.test").info("svar sendt til %s", "Anne")
        logging.getLogger("bot.test").warning("uden tur")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("bot.test").exception("fejl")
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    first, second, third = lines
    assert first["message"] == "svar sendt til Anne" and first["turn"] == "abc123"
    assert re.fullmatch(r".+:\d+", first["replica"]) and first["level"] == "INFO"
    assert "turn" not in second
    assert "ValueError: boom" in third["exception"]


async def test_local_mode_metrics_refuse_a_name_rebound_to_loopback(
    make_services: Callable[..., Services],
) -> None:
    """Open on loopback in local mode, but not to a web page whose name now points at 127.0.0.1."""
    runner, port = await start(make_services(), "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http:
            for host, status in (("rebound.evil.example", 404), (f"127.0.0.1:{port}", 200), ("[::1]", 200)):
                async with http.get(f"http://127.0.0.1:{port}/metrics", headers={"Host": host}) as resp:
                    assert resp.status == status, host
    finally:
        await runner.cleanup()
