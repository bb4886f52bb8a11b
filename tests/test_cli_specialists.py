"""The specialist CLI as a script would use it: create, ingest, ask --json, index, skills, eval."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.test_cli import run

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "corpus"


def test_create_ingest_ask_and_rebuild(tmp_path: Path) -> None:
    assert (
        run(["specialist", "create", "regler", "--name", "Regelguiden", "--publish"], tmp_path).returncode
        == 0
    )
    dup = run(["specialist", "create", "regler", "--name", "Igen"], tmp_path)
    assert dup.returncode == 2 and "findes allerede" in dup.stderr
    (tmp_path / "docs").mkdir()
    shutil.copy(CORPUS / "parkering.md", tmp_path / "docs")
    shutil.copy(CORPUS / "sygefravaer.md", tmp_path / "docs")
    (tmp_path / "docs" / "tom.txt").write_text("")
    ingest = run(["ingest", "regler", "docs"], tmp_path, timeout=120)
    assert ingest.returncode == 1  # one file failed, and says so
    assert "✅ parkering.md" in ingest.stdout and "✅ sygefravaer.md" in ingest.stdout
    assert "❌ 'tom.txt' blev ikke tilføjet: filen er tom" in ingest.stdout

    asked = run(["ask", "regler", "Hvad koster en beboerlicens?", "--json"], tmp_path, timeout=120)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert set(answer) == {"specialist", "model", "answer", "no_answer", "citations"}
    assert answer["specialist"] == "regler" and answer["model"] is None and answer["no_answer"] is False
    assert answer["answer"].startswith("Der er ikke forbundet nogen sprogmodel")
    first = answer["citations"][0]
    assert set(first) == {"n", "source", "page", "text", "score"}
    assert first["n"] == 1 and first["source"] == "parkering.md" and "beboerlicens" in first["text"].lower()

    nothing = json.loads(run(["ask", "regler", "Hvad koster et fiskekort?", "--json"], tmp_path).stdout)
    assert nothing["no_answer"] is True and nothing["citations"] == []

    shutil.rmtree(tmp_path / "indexes")
    rebuilt = run(["index", "rebuild", "regler"], tmp_path)
    assert rebuilt.returncode == 0 and rebuilt.stdout.startswith("regler: v")
    assert (tmp_path / "indexes" / "regler" / "CURRENT").exists()


def test_skills_sync_is_idempotent_and_export_round_trips(tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    shutil.copytree(REPO / "skills" / "borgerservice", skills / "borgerservice")
    first = run(["skills", "sync", "skills"], tmp_path, timeout=120)
    assert first.returncode == 0, first.stderr
    assert (
        "borgerservice: oprettet" in first.stdout and "kilder indlæst: borgerservice-guide.md" in first.stdout
    )
    again = run(["skills", "sync", "skills"], tmp_path, timeout=120)
    assert again.stdout.strip() == "borgerservice: findes; 1 kilde(r) uændret"

    skill_file = skills / "borgerservice" / "skill.yaml"
    skill = yaml.safe_load(skill_file.read_text(encoding="utf-8"))
    skill["prompt"] = "Ny prompt fra Git."
    skill["settings"]["top_k"] = 3
    skill_file.write_text(yaml.safe_dump(skill, allow_unicode=True), encoding="utf-8")
    changed = run(["skills", "sync", "skills"], tmp_path, timeout=120)
    assert "ny prompt-version" in changed.stdout and "indstillinger: top_k" in changed.stdout

    exported = run(["skills", "export", "borgerservice", "out"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    out = yaml.safe_load((tmp_path / "out" / "borgerservice" / "skill.yaml").read_text(encoding="utf-8"))
    assert out["prompt"] == "Ny prompt fra Git." and out["settings"]["top_k"] == 3
    assert out["sources"] == ["kilder/borgerservice-guide.md"]
    assert (tmp_path / "out" / "borgerservice" / "kilder" / "borgerservice-guide.md").read_bytes() == (
        REPO / "skills" / "borgerservice" / "kilder" / "borgerservice-guide.md"
    ).read_bytes()


def test_skill_with_a_missing_source_fails_clearly(tmp_path: Path) -> None:
    folder = tmp_path / "skills" / "x"
    folder.mkdir(parents=True)
    (folder / "skill.yaml").write_text("slug: x\nname: X\nprompt: p\nsources: [kilder/mangler.md]\n")
    result = run(["skills", "sync", "skills"], tmp_path)
    assert result.returncode == 2 and "kilden kilder/mangler.md findes ikke" in result.stderr


def test_eval_retrieval_prints_the_table(tmp_path: Path) -> None:
    run(["specialist", "create", "regler", "--name", "Regler"], tmp_path)
    assert run(["ingest", "regler", str(CORPUS)], tmp_path, timeout=180).returncode == 0
    result = run(
        ["eval", "retrieval", "regler", str(REPO / "tests" / "data" / "retrieval_cases.jsonl")],
        tmp_path,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "regler: 48 spørgsmål med svar, 3 uden"
    assert [line.split()[0] for line in lines[2:]] == ["dense", "lexical", "hybrid"]


def test_governance_from_the_command_line(tmp_path: Path) -> None:
    assert run(["department", "create", "Borgerservice og Biblioteker"], tmp_path).returncode == 0
    assigned = run(["role", "assign", "aad-bo", "builder", "borgerservice-og-biblioteker"], tmp_path)
    assert assigned.stdout.strip() == "aad-bo: Builder i Borgerservice og Biblioteker"
    assert (
        run(["role", "assign", "aad-bo", "konge", "borgerservice-og-biblioteker"], tmp_path).returncode == 2
    )
    chat = run(["chat", "--as", "bo"], tmp_path, stdin="Hej\n/glem\n")
    assert chat.returncode == 0
    exported = run(["audit", "export", "--format", "jsonl"], tmp_path)
    events = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [e["action"] for e in events] == ["department.created", "role.assigned", "user.forgotten"]
    assert events[1]["target"] == "aad-bo" and events[1]["details"]["role"] == "builder"
    csv_lines = run(
        ["audit", "export", "--format", "csv", "--since", "2000-01-01"], tmp_path
    ).stdout.splitlines()
    assert csv_lines[0] == "id,at,actor,action,target,details" and len(csv_lines) == 4
    assert run(["audit", "export", "--since", "i går"], tmp_path).returncode == 2
    stats = run(["stats"], tmp_path)
    assert stats.returncode == 0 and "0 spørgsmål fra 0 brugere" in stats.stdout  # /glem removed the one
