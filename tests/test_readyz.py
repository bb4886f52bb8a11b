"""``/readyz`` reports the database and every model endpoint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aiohttp

from bot.app import Services, build_services
from bot.config import Settings
from bot.server import start
from bot.store import migrate
from tests.conftest import free_port, write_catalogue
from tests.support.openai_server import RecordingModelServer


async def _readyz(services: Services) -> tuple[int, dict]:  # type: ignore[type-arg]
    runner, port = await start(services, "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/readyz") as resp:
            return resp.status, await resp.json()
    finally:
        await runner.cleanup()


async def test_ready_with_database_and_live_model(
    make_services: Callable[..., Services], tmp_path: Path, model_server: RecordingModelServer, db_url: str
) -> None:
    catalogue = write_catalogue(
        tmp_path / "m.yaml", {"id": "m", "base_url": model_server.base_url, "model": "m"}
    )
    status, body = await _readyz(make_services(models_file=catalogue, database_url=db_url))
    assert status == 200 and body["checks"] == {"database": "ok", "migrations": "ok", "model:m": "ok"}


async def test_not_ready_when_a_model_is_down(make_services: Callable[..., Services], tmp_path: Path) -> None:
    catalogue = write_catalogue(
        tmp_path / "m.yaml", {"id": "nede", "base_url": f"http://127.0.0.1:{free_port()}/v1", "model": "m"}
    )
    status, body = await _readyz(make_services(models_file=catalogue))
    assert status == 503 and body["checks"]["model:nede"].startswith("fejl")


async def test_not_ready_when_the_database_is_gone(make_settings: Callable[..., Settings]) -> None:
    services = build_services(make_settings(database_url=f"postgresql://nobody@127.0.0.1:{free_port()}/x"))
    status, body = await _readyz(services)
    assert status == 503 and body["checks"]["database"].startswith("fejl")


async def test_ready_without_a_model_in_embedded_mode(make_services: Callable[..., Services]) -> None:
    status, body = await _readyz(make_services())
    assert status == 200 and "ingen sprogmodel" in body["checks"]["models"]


async def test_not_ready_while_a_migration_is_pending(
    make_services: Callable[..., Services], db_url: str
) -> None:
    """A replica whose database is behind its code (the migration Job has not run yet, or the database
    was restored from an older backup) must leave the load balancer until it is upgraded."""
    services = make_services(database_url=db_url)
    migrate.downgrade(services.db, "-1")
    status, body = await _readyz(services)
    assert status == 503 and "aarhusai db upgrade" in body["checks"]["migrations"]
    migrate.upgrade(services.db)
    status, body = await _readyz(services)
    assert status == 200 and body["checks"]["migrations"] == "ok"
