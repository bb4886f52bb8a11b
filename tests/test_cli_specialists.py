"""The specialist CLI as a script would use it: create, ingest, ask --json, index, skills, eval."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import yaml

from tests.test_cli import run

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "corpus"
# the approver named by skills/borgerservice/skill.yaml must really hold approval rights
APPROVER = {"AARHUSAI_ADMINS": "fagkoordinator@aarhus.dk"}


def audit(tmp_path: Path) -> list[dict]:  # type: ignore[type-arg]
    exported = run(["audit", "export", "--format", "jsonl"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    return [json.loads(line) for line in exported.stdout.splitlines()]


def test_create_ingest_ask_and_rebuild(tmp_path: Path) -> None:
    forced = ["--publish", "--force", "--reason", "testdata uden persondata"]
    assert run(["specialist", "create", "regler", "--name", "Regelguiden", *forced], tmp_path).returncode == 0
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
    first = run(["skills", "sync", "skills"], tmp_path, env=APPROVER, timeout=120)
    assert first.returncode == 0, first.stderr
    assert (
        "borgerservice: oprettet" in first.stdout and "kilder indlæst: borgerservice-guide.md" in first.stdout
    )
    again = run(["skills", "sync", "skills"], tmp_path, env=APPROVER, timeout=120)
    assert again.stdout.strip() == "borgerservice: findes; 1 kilde uændret"

    skill_file = skills / "borgerservice" / "skill.yaml"
    skill = yaml.safe_load(skill_file.read_text(encoding="utf-8"))
    skill["prompt"] = "Ny prompt fra Git."
    skill["settings"]["top_k"] = 3
    skill_file.write_text(yaml.safe_dump(skill, allow_unicode=True), encoding="utf-8")
    changed = run(["skills", "sync", "skills"], tmp_path, env=APPROVER, timeout=120)
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


def test_eval_retrieval_prints_the_table_beside_another_embedder(tmp_path: Path) -> None:
    """The specialist's own index, then its sources re-embedded by the English MiniLM in a throwaway
    copy, side by side in one run (the figures of the multilingual-default issue)."""
    run(["specialist", "create", "regler", "--name", "Regler"], tmp_path)
    assert run(["ingest", "regler", str(CORPUS)], tmp_path, timeout=180).returncode == 0
    cases = str(REPO / "tests" / "data" / "retrieval_cases.jsonl")
    # short: the forkserver's socket lives under TMPDIR, and AF_UNIX paths stop at 107 bytes (a
    # pytest-xdist worker's tmp_path is longer than that leaves room for)
    scratch = Path(tempfile.mkdtemp(prefix="ae-"))
    result = run(
        ["eval", "retrieval", "regler", cases, "--embedders", "all-MiniLM-L6-v2"],
        tmp_path,
        env={"TMPDIR": str(scratch)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "regler: 110 spørgsmål med svar, 3 uden"
    assert [line.split()[0] for line in lines[2:]] == [
        "--",
        "dense",
        "lexical",
        "hybrid",
        "--",
        "dense",
        "lexical",
        "hybrid",
    ]
    assert lines[2] == "-- multilingual-e5-small" and lines[6] == "-- all-MiniLM-L6-v2"
    e5_dense, minilm_dense = float(lines[3].split()[1]), float(lines[7].split()[1])
    assert e5_dense >= 0.8 and minilm_dense <= 0.4  # really embedded again, by the other model
    assert lines[4].split()[1:4] == lines[8].split()[1:4]  # lexical search does not depend on it
    assert [
        p.name for p in scratch.iterdir() if p.name.startswith("aarhusai-eval-")
    ] == []  # the copy is gone
    shutil.rmtree(scratch, ignore_errors=True)
    unknown = run(["eval", "retrieval", "regler", cases, "--embedders", "/ingen/model"], tmp_path)
    assert unknown.returncode == 2 and "Embedderen '/ingen/model' kendes ikke" in unknown.stderr


def test_governance_from_the_command_line(tmp_path: Path) -> None:
    assert run(["department", "create", "Borgerservice og Biblioteker"], tmp_path).returncode == 0
    # a person is named by UPN or Entra object id (a name the bot has never met is refused)
    refused = run(["role", "assign", "aad-bo", "builder", "borgerservice-og-biblioteker"], tmp_path)
    assert refused.returncode != 0 and "Jeg kender ingen bruger ved navn 'aad-bo'" in refused.stderr
    assigned = run(["role", "assign", "Bo@Aarhus.dk", "builder", "borgerservice-og-biblioteker"], tmp_path)
    assert assigned.stdout.strip() == "bo@aarhus.dk: Builder i Borgerservice og Biblioteker"
    assert (
        run(["role", "assign", "aad-bo", "konge", "borgerservice-og-biblioteker"], tmp_path).returncode == 2
    )
    chat = run(["chat", "--as", "bo"], tmp_path, stdin="Hej\n/glem\n")
    assert chat.returncode == 0
    exported = run(["audit", "export", "--format", "jsonl"], tmp_path)
    events = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [e["action"] for e in events] == ["department.created", "role.assigned", "user.forgotten"]
    assert events[1]["target"] == "bo@aarhus.dk" and events[1]["details"]["role"] == "builder"
    csv_lines = run(
        ["audit", "export", "--format", "csv", "--since", "2000-01-01"], tmp_path
    ).stdout.splitlines()
    assert csv_lines[0] == "id,at,actor,action,target,details" and len(csv_lines) == 4
    assert run(["audit", "export", "--since", "i går"], tmp_path).returncode == 2
    stats = run(["stats"], tmp_path)
    assert stats.returncode == 0 and "0 spørgsmål fra 0 brugere" in stats.stdout  # /glem removed the one


# -- the CLI is a door like Teams: the same governance, the same audit --------------------------------
def test_publishing_from_the_cli_needs_a_screening_or_an_audited_override(tmp_path: Path) -> None:
    refused = run(["specialist", "create", "hurtig", "--name", "Hurtig", "--publish"], tmp_path)
    assert refused.returncode == 2 and "uden en screening" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert run(["specialist", "publish", "hurtig"], tmp_path).returncode == 2
    no_reason = run(["specialist", "publish", "hurtig", "--force"], tmp_path)
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr
    forced = run(["specialist", "publish", "hurtig", "--force", "--reason", "Akut driftsbesked"], tmp_path)
    assert forced.returncode == 0, forced.stderr
    events = audit(tmp_path)
    published = [e for e in events if e["action"] == "specialist.published"]
    assert len(published) == 1
    assert published[0]["details"]["forced"] is True
    assert published[0]["details"]["reason"] == "Akut driftsbesked"
    assert published[0]["actor"].startswith("cli:")
    assert next(e["action"] for e in events) == "specialist.created"


def test_cli_ingest_audits_every_source(tmp_path: Path) -> None:
    assert run(["specialist", "create", "regler", "--name", "Regler"], tmp_path).returncode == 0
    (tmp_path / "tom.txt").write_text("")
    result = run(["ingest", "regler", str(CORPUS / "parkering.md"), "tom.txt"], tmp_path, timeout=120)
    assert result.returncode == 1
    events = {e["action"]: e for e in audit(tmp_path)}
    assert events["source.added"]["details"]["source"] == "parkering.md"
    assert events["source.added"]["target"] == "regler" and events["source.added"]["actor"].startswith("cli:")
    assert events["source.refused"]["details"] == {"source": "tom.txt", "reason": "empty", "via": "cli"}


def test_skills_sync_audits_each_change_with_its_file(tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    shutil.copytree(REPO / "skills" / "borgerservice", skills / "borgerservice")
    assert run(["skills", "sync", "skills"], tmp_path, env=APPROVER, timeout=120).returncode == 0
    first = audit(tmp_path)
    assert {e["actor"] for e in first} == {"skills-sync"}
    folder = str(Path("skills") / "borgerservice")
    for e in first:  # each change names the file it came from: the skill file, or the source file
        expected = "borgerservice-guide.md" if e["action"].startswith("source.") else "skill.yaml"
        assert e["details"]["file"].startswith(folder) and e["details"]["file"].endswith(expected), e
    actions = [e["action"] for e in first]
    for expected in (
        "department.created",
        "specialist.created",
        "screening.completed",
        "sharing.changed",
        "source.added",
        "specialist.approved",
        "specialist.published",
    ):
        assert actions.count(expected) == 1, (expected, actions)
    approved = next(e for e in first if e["action"] == "specialist.approved")
    assert approved["details"]["approved_by"] == "fagkoordinator@aarhus.dk"

    skill_path = skills / "borgerservice" / "skill.yaml"
    skill = yaml.safe_load(skill_path.read_text(encoding="utf-8"))
    skill["prompt"] = "Ny prompt fra Git."
    skill["screening"]["data"] = ["almindelige"]
    (skills / "borgerservice" / "kilder" / "borgerservice-guide.md").write_text(
        "# Pas\n\nEt pas koster 688 kr.\n", encoding="utf-8"
    )
    skill_path.write_text(yaml.safe_dump(skill, allow_unicode=True), encoding="utf-8")
    run(["skills", "sync", "skills"], tmp_path, env=APPROVER, timeout=120)
    second = [e for e in audit(tmp_path)[len(first) :]]
    assert {e["actor"] for e in second} == {"skills-sync"}
    actions = [e["action"] for e in second]
    assert actions.count("screening.completed") == 1 and actions.count("prompt.changed") == 1
    assert actions.count("source.added") == 1 and "source.removed" not in actions
    assert next(e for e in second if e["action"] == "screening.completed")["details"]["classification"] == (
        "fortrolig"
    )


def test_a_skill_cannot_approve_itself(tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    shutil.copytree(REPO / "skills" / "borgerservice", skills / "borgerservice")
    result = run(["skills", "sync", "skills"], tmp_path, timeout=120)  # the approver holds no role
    assert result.returncode == 0, result.stderr
    assert "ikke udgivet" in result.stdout and "fagkoordinator@aarhus.dk må ikke godkende" in result.stdout
    actions = [e["action"] for e in audit(tmp_path)]
    assert "specialist.approved" not in actions and "specialist.published" not in actions
