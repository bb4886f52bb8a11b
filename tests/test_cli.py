"""The ``aarhusai`` command as a newcomer runs it: real processes, real databases."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import __version__
from tests.conftest import write_catalogue

AARHUSAI = [sys.executable, "-m", "bot"]
HEAD = sorted(
    p.name[:4] for p in (Path(__file__).parents[1] / "bot/store/migrations/versions").glob("0*.py")
)[-1]


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AARHUSAI_")}
    full_env.update(env or {})
    return subprocess.run(
        [*AARHUSAI, *args],
        cwd=cwd,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_version(tmp_path: Path) -> None:
    result = run(["--version"], tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"aarhusai {__version__}"


def test_scripted_chat_on_embedded_defaults(tmp_path: Path) -> None:
    result = run(["chat", "--as", "anne"], tmp_path, stdin="/hjælp\nHvad kan du?\n\n/findesikke\n")
    assert result.returncode == 0, result.stderr
    replies = result.stdout.strip().split("\n\n")
    assert "Kommandoer" in replies[0]
    assert any("ikke forbundet nogen sprogmodel til AarhusAI" in r for r in replies)
    assert "findes ikke" in replies[-1]
    assert (tmp_path / "data" / "aarhusai.db").exists()  # embedded database created and migrated
    assert "Traceback" not in result.stderr and "WARNING" not in result.stderr


@pytest.mark.llm
def test_scripted_chat_with_a_real_model_remembers_the_conversation(
    tmp_path: Path, llama_server: str
) -> None:
    write_catalogue(
        tmp_path / "models.yaml",
        {"id": "smol", "base_url": llama_server, "model": "smollm2", "max_output_tokens": 16},
    )
    result = run(
        ["chat"],
        tmp_path,
        env={"AARHUSAI_MODELS_FILE": "models.yaml"},
        stdin="Hej, jeg hedder Anne.\nHvad hedder jeg?\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() and "sprogmodel" not in result.stdout
    with sqlite3.connect(tmp_path / "data" / "aarhusai.db") as db:
        rows = db.execute("SELECT question, model, outcome, answer FROM messages ORDER BY id").fetchall()
    assert [r[:3] for r in rows] == [
        ("Hej, jeg hedder Anne.", "smol", "answered"),
        ("Hvad hedder jeg?", "smol", "answered"),
    ]
    assert all(r[3].strip() and r[3].strip() in result.stdout for r in rows)


def test_invalid_setting_fails_with_one_line(tmp_path: Path) -> None:
    result = run(["chat"], tmp_path, env={"AARHUSAI_LOCALE": "fr"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "AARHUSAI_LOCALE" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_catalogue_fails_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "models.yaml").write_text("models:\n  - id: x\n    base_url: ftp://nope\n")
    result = run(["chat"], tmp_path, env={"AARHUSAI_MODELS_FILE": "models.yaml"})
    assert result.returncode == 2 and "Modelkataloget" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_serve_refuses_a_public_interface_in_local_mode(tmp_path: Path) -> None:
    result = run(["serve", "--host", "0.0.0.0", "--port", "0"], tmp_path)
    assert result.returncode == 2 and "lokal tilstand" in result.stderr


def test_db_upgrade_on_postgresql_then_serve_uses_it(tmp_path: Path, pg_url: str) -> None:
    env = {"AARHUSAI_DATABASE_URL": pg_url}
    first = run(["db", "upgrade"], tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert f"version {HEAD} (var tom)" in first.stdout
    again = run(["db", "upgrade"], tmp_path, env=env)
    assert again.stdout.strip() == f"Databasen er på version {HEAD}"


def test_serve_refuses_an_unmigrated_external_database(tmp_path: Path, pg_url: str) -> None:
    result = run(["serve", "--port", "0"], tmp_path, env={"AARHUSAI_DATABASE_URL": pg_url})
    assert result.returncode == 2 and "aarhusai db upgrade" in result.stderr


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = run(
        ["db", "upgrade"], tmp_path, env={"AARHUSAI_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    )
    assert result.returncode == 2 and "kan ikke migrere databasen" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AARHUSAI_")}
    proc = subprocess.Popen(
        [*AARHUSAI, "serve", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()  # type: ignore[union-attr]
    match = re.search(r"http://127\.0\.0\.1:(\d+)/api/messages", line)
    assert match, line + proc.stderr.read()  # type: ignore[union-attr]
    yield proc, int(match.group(1))
    proc.terminate()
    proc.wait(10)


def test_serve_on_port_zero_prints_the_port_and_is_ready(served: tuple[subprocess.Popen[str], int]) -> None:
    _proc, port = served
    assert port > 0
    deadline = time.monotonic() + 10
    while True:
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            break
        except httpx.ConnectError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert health.json() == {"status": "ok"}
    ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


def test_builder_in_chat_creates_uploads_tunes_and_an_employee_gets_cited_answers(tmp_path: Path) -> None:
    (tmp_path / "syg.md").write_text(
        "# Sygefravær\n\n## Sygemelding\n\nDu skal sygemelde dig til din leder før klokken 8 på første "
        "sygedag.\n",
        encoding="utf-8",
    )
    env = {"AARHUSAI_ADMINS": "local-bo"}
    builder = run(
        ["chat", "--as", "bo"],
        tmp_path,
        env=env,
        timeout=120,
        stdin=(
            "/ny Personaleguiden\n/fil syg.md\n/prompt Svar kort om personaleforhold.\n/indstil top_k 3\n"
            "/indstil beskrivelse Svar om sygefravær.\n"
            "/screening formål=personaleforhold; data=ingen; kilder=interne; hjemmel=intern vejledning; "
            "dpia=nej; ansvarlig=Bo\n/del organisation\n/godkend personaleguiden\n/udgiv\n"
        ),
    )
    assert builder.returncode == 0, builder.stderr
    assert "✅ syg.md er tilføjet: 1 uddrag" in builder.stdout and "version 2" in builder.stdout
    employee = run(
        ["chat", "--as", "eva"],
        tmp_path,
        env=env,
        timeout=120,
        stdin="/brug personaleguiden\nHvornår skal jeg sygemelde mig?\n/ny Min egen\n",
    )
    assert "Nu svarer **Personaleguiden**" in employee.stdout
    assert "[1] **syg.md, afsnit «Sygefravær › Sygemelding»**: Du skal sygemelde dig" in employee.stdout
    assert "kræver rollen Builder" in employee.stdout


def test_chat_shows_cards_as_text(tmp_path: Path) -> None:
    """What Teams shows as an Adaptive Card, the terminal shows as a list."""
    result = run(["chat", "--as", "anne"], tmp_path, stdin="/specialister\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "Specialister"
    assert lines[1].startswith("- Generel assistent (svarer her) — Svarer på generelle spørgsmål")
    assert lines[1].endswith("[Brug → /brug assistent] [Om → /om assistent]")  # use it, or read about it
    english = run(["chat", "--as", "anne"], tmp_path, env={"AARHUSAI_LOCALE": "en"}, stdin="/specialists\n")
    assert "- General assistant (answers here) — Answers general questions" in english.stdout


def test_the_readme_role_walkthrough_names_users_before_they_write(tmp_path: Path) -> None:
    """README "Specialists": the administrator gives bo and ole their roles by UPN before either has
    written anything; bo then builds as a Builder (a plain local name would be refused as unknown)."""
    env = {"AARHUSAI_ADMINS": "local-admin"}
    admin = run(
        ["chat", "--as", "admin"],
        tmp_path,
        env=env,
        stdin=(
            "/afdeling opret Sociale Forhold og Beskæftigelse\n"
            "/rolle tildel bo@aarhusai.local builder sociale-forhold-og-beskaeftigelse\n"
            "/rolle tildel ole@aarhusai.local ejer sociale-forhold-og-beskaeftigelse\n"
            "/rolle tildel local-nogen builder sociale-forhold-og-beskaeftigelse\n"
        ),
    )
    assert admin.returncode == 0, admin.stderr
    assert "bo@aarhusai.local har nu rollen Builder" in admin.stdout
    assert "ole@aarhusai.local har nu rollen faglig systemejer" in admin.stdout
    assert "Jeg kender ingen bruger ved navn 'local-nogen', så intet er gemt" in admin.stdout
    builder = run(["chat", "--as", "bo"], tmp_path, env=env, stdin="/ny Personaleguiden\n")
    assert "Personaleguiden" in builder.stdout and "kræver rollen Builder" not in builder.stdout


DOORS = ("microsoft_agents", "mcp", "a2a", "fastapi", "langsmith")
MODEL_CLIENT = ("langchain_openai", "openai")
HEAVY = (*DOORS, *MODEL_CLIENT, "alembic")  # Alembic: only the commands that migrate, and off the event loop
IMPORTS_PROBE = """
import json, sys
from bot.cli import app
from bot.app import build_services, create_app
from bot.config import load_settings
at_start = sorted(m for m in {heavy!r} if m in sys.modules)
models = {{"models_file": sys.argv[2]}} if len(sys.argv) > 2 else {{}}
services = build_services(load_settings(data_dir=sys.argv[1], index_dir=sys.argv[1], **models))
create_app(services)
print(json.dumps([at_start, sorted(m for m in {heavy!r} if m in sys.modules and m != "alembic")]))
"""


@pytest.mark.parametrize("with_model", [False, True], ids=["no model", "a model"])
def test_a_command_starts_without_the_doors_sdks_and_a_server_loads_them_before_it_serves(
    tmp_path: Path, with_model: bool
) -> None:
    """The CLI started in 5.4 s when every command imported the Agents SDK, MCP, A2A, FastAPI, the
    OpenAI client, LangSmith and Alembic (2.0 s without them); a server imports them before it serves,
    so that no first question or title holds the event loop while they load: the model client only
    when the catalogue has a model (it is read once, at start): a server on the embedded defaults
    never calls one (``create_app`` 1.4–1.6 s instead of 1.7–2.0 s, 20 MB less RSS)."""
    probe = IMPORTS_PROBE.format(heavy=HEAVY)
    args = [sys.executable, "-c", probe, str(tmp_path)]
    if with_model:
        model = {"id": "m", "base_url": "http://127.0.0.1:9/v1", "model": "m"}
        args.append(str(write_catalogue(tmp_path / "models.yaml", model)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AARHUSAI_")}
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    at_start, at_serve = json.loads(result.stdout.strip().splitlines()[-1])
    assert at_start == []
    served = DOORS + MODEL_CLIENT if with_model else DOORS
    assert at_serve == sorted(served)
