"""EvalOps: case files in promptfoo's shape, every assertion type (each passing and failing on a case
built for it), two models side by side through the same answering path as Teams, the HTML report,
the release gate, and the data policy: a model not cleared for a specialist receives nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import Services
from bot.conversation.types import Citation
from bot.domain import AppError
from bot.evals.assertions import Observed, check
from bot.evals.cases import Assertion, CaseFileError, parse_case_file
from bot.evals.report import gate, render_html
from bot.services import Actor
from tests.conftest import write_catalogue
from tests.support.openai_server import RecordingModelServer
from tests.test_cli import run

SCREEN = "formål=vejledning; data={data}; kilder={kilder}; hjemmel=intern vejledning; dpia=nej; ansvarlig=Bo"
PAS = (
    "# Pas\n\n## Priser\n\nEt pas til en voksen koster 688 kr., og et pas til et barn koster 166 kr.\n\n"
    "## Bestilling\n\nBestil tid til pas hos Borgerservice på aarhus.dk."
)
CASES = """
description: Borgerservice, release-tests
tests:
  - vars: {question: "Hvad koster et pas til en voksen?"}
    assert:
      - {type: icontains, value: "688"}
      - {type: cites, value: "pas.md"}
      - {type: not-refuses}
      - {type: citations-valid}
      - {type: llm-rubric, value: "Svaret nævner prisen"}
  - vars: {question: "Hvad koster en sofa i IKEA?"}
    assert:
      - {type: refuses}
"""
GOOD = "Et pas til en voksen koster 688 kr. [1]"
BAD = "Det ved jeg desværre ikke, men spørg [7]."


# -- case files -------------------------------------------------------------------------------------
def test_a_case_file_in_promptfoos_shape_is_read_with_its_defaults() -> None:
    text = CASES.replace("tests:", "defaultTest:\n  assert:\n    - {type: language, value: da}\ntests:")
    parsed = parse_case_file(text, "tests.yaml")
    assert parsed.description == "Borgerservice, release-tests"
    assert [c.question for c in parsed.cases] == [
        "Hvad koster et pas til en voksen?",
        "Hvad koster en sofa i IKEA?",
    ]
    assert [a.type for a in parsed.cases[1].asserts] == ["language", "refuses"]
    assert parsed.cases[0].asserts[2] == Assertion("cites", "pas.md", 10)  # the line in the file


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "tests:\n  - vars: {question: q}\n    assert:\n      - {type: contains-ish, value: x}\n",
            ":4: ukendt assert-type 'contains-ish'",
        ),
        (
            "tests:\n  - vars: {spørgsmål: q}\n    assert: [{type: refuses}]\n",
            ":2: testen mangler vars.question",
        ),
        (
            "tests:\n  - vars: {question: q}\n    assert:\n      - {type: regex, value: '(['}\n",
            ":4: ugyldigt regulært udtryk",
        ),
        (
            "tests:\n  - vars: {question: q}\n    assert:\n      - {type: max-words, value: mange}\n",
            ":4: 'max-words' skal have et helt tal",
        ),
        (
            "tests:\n  - vars: {question: q}\n    assert:\n      - {type: language, value: sv}\n",
            ":4: 'language' skal være da eller en",
        ),
        ("tests:\n  - vars: {question: q}\n", ":2: testen har ingen assert"),
        ("tests: [\n", ":2: ikke gyldig YAML"),
        ("prompts: []\n", ": filen skal have en liste 'tests:'"),
    ],
)
def test_a_bad_case_file_is_an_error_naming_the_line(text: str, error: str) -> None:
    with pytest.raises(CaseFileError) as caught:
        parse_case_file(text, "tests.yaml")
    assert str(caught.value).startswith("tests.yaml") and error in str(caught.value)


# -- every assertion type, passing and failing ------------------------------------------------------
CITED = (Citation(1, "kilder/pas.md", "688 kr."), Citation(2, "tider.md", "Åbent 10-17"))


def seen(answer: str, outcome: str = "answered", latency: float = 900.0) -> Observed:
    return Observed("Hvad koster et pas?", answer, outcome, CITED, latency)


async def judge(question: str, answer: str, rubric: str) -> tuple[bool, str]:
    return "688" in answer, "dommer"


@pytest.mark.parametrize(
    ("assertion", "passes", "fails"),
    [
        (Assertion("icontains", "688 KR"), seen("Prisen er 688 kr. [1]"), seen("Prisen er 673 kr. [1]")),
        (Assertion("not-icontains", "IKEA"), seen("688 kr. [1]"), seen("Køb den i Ikea.")),
        (Assertion("regex", r"\b688 kr\."), seen("Det er 688 kr. [1]"), seen("Det er 6880 kr.")),
        (Assertion("cites", "pas.md"), seen("688 kr. [1]"), seen("Åbent 10-17 [2]")),
        (Assertion("refuses"), seen("Intet fundet", "no_answer"), seen("688 kr. [1]")),
        (Assertion("refuses"), seen("Kilderne dækker ikke spørgsmålet."), seen("688 kr. [1]")),
        (Assertion("not-refuses"), seen("688 kr. [1]"), seen("Jeg fandt ikke noget om det.")),
        (Assertion("citations-valid"), seen("688 kr. [1][2]"), seen("688 kr. [3]")),
        (
            Assertion("max-words", 5),
            seen("Et pas koster 688 kr."),
            seen("Et pas til en voksen koster 688 kr."),
        ),
        (
            Assertion("language", "da"),
            seen("Et pas til en voksen koster 688 kr."),
            seen("An adult passport costs 688 kr. and is valid for ten years."),
        ),
        (
            Assertion("language", "en"),
            seen("The passport costs 688 kr. for an adult."),
            seen("Det koster 688 kr."),
        ),
        (Assertion("latency-ms", 1000), seen("x", latency=999), seen("x", latency=1001)),
        (Assertion("llm-rubric", "Nævner prisen"), seen("688 kr. [1]"), seen("Ingen pris her.")),
    ],
)
async def test_every_assertion_type_passes_and_fails(
    assertion: Assertion, passes: Observed, fails: Observed
) -> None:
    assert (await check(assertion, passes, judge)).passed is True
    assert (await check(assertion, fails, judge)).passed is False


async def test_a_rubric_without_a_cleared_judge_is_skipped_with_a_note_not_passed() -> None:
    result = await check(Assertion("llm-rubric", "x"), seen("688 kr."), None, "sprunget over: ingen dommer")
    assert result.passed is None and result.detail == "sprunget over: ingen dommer"


# -- runs through the answering path ----------------------------------------------------------------
@pytest.fixture
async def servers() -> AsyncIterator[tuple[RecordingModelServer, RecordingModelServer]]:
    good, bad = await RecordingModelServer().start(), await RecordingModelServer().start()
    yield good, bad
    await good.stop()
    await bad.stop()


def _judge_or(answer: str) -> Callable[[dict[str, Any]], str]:
    """Answer questions with ``answer``; as the judge, pass answers that name the price."""

    def reply(body: dict[str, Any]) -> str:
        if "Du bedømmer" in body["messages"][0]["content"]:
            passed = "688" in body["messages"][-1]["content"].split("Kriterium:")[0]
            return json.dumps({"pass": passed, "reason": "prisen" if passed else "ingen pris"})
        return answer

    return reply


async def _specialist(services: Services, data: str, kilder: str) -> str:
    app, who = services.app, Actor("adm")
    app.specialists.create(who, "Pas", slug="pas")
    app.publishing.screen(who, SCREEN.format(data=data, kilder=kilder), "pas")
    outcome = await app.sources.add(who, app.specialists.lookup(who, "pas"), "pas.md", PAS.encode())
    assert type(outcome).__name__ == "Added", outcome
    return "pas"


async def test_two_models_side_by_side_make_the_matrix_and_a_self_contained_report(
    make_services: Callable[..., Services],
    servers: tuple[RecordingModelServer, RecordingModelServer],
    tmp_path: Path,
    db_url: str,
) -> None:
    good, bad = servers
    good.reply_for, bad.reply = _judge_or(GOOD), BAD
    catalogue = write_catalogue(
        tmp_path / "models.yaml",
        {"id": "god", "base_url": good.base_url, "model": "m"},
        {"id": "kort", "base_url": bad.base_url, "model": "m"},
        default="god",
    )
    services = make_services(database_url=db_url, admins="adm", models_file=catalogue)
    slug = await _specialist(services, "ingen", "offentlige")
    seen_progress: list[tuple[int, int]] = []
    results = await services.app.evaluation.run(
        Actor("adm"), slug, parse_case_file(CASES), progress=lambda d, t: seen_progress.append((d, t))
    )
    assert list(results["models"]) == ["god", "kort"] and results["judge"] == "god"
    assert results["models"]["god"]["pass_rate"] == 1.0 and results["models"]["kort"]["pass_rate"] == 0.5
    first, second = results["cases"]
    assert first["results"]["god"]["passed"] and not first["results"]["kort"]["passed"]
    failed = {a["type"] for a in first["results"]["kort"]["assertions"] if a["passed"] is False}
    assert failed == {"icontains", "llm-rubric"}  # cites: the shown passage is pas.md
    assert "[7]" not in first["results"]["kort"]["answer"]  # the answering path drops invented markers
    assert second["results"]["god"]["outcome"] == "no_answer" and second["results"]["kort"]["passed"]
    assert seen_progress[-1] == (4, 4)
    assert len(bad.requests) == 1  # the out-of-scope question never reached a model
    with services.db.session() as s:  # an evaluation is not a conversation
        from sqlmodel import select

        from bot.store.models import Message

        assert s.exec(select(Message)).all() == []
    assert services.stores.audit.events(action="eval.run")[-1].target == "pas"
    page = render_html(results)
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "data:image/png;base64," in page and "god" in page and "kort" in page
    results["cases"][0]["results"]["kort"]["answer"] = "<img src=x onerror=alert(1)>"
    assert "<img src=x" not in render_html(results)  # what a model wrote is shown, never rendered


async def test_a_model_not_cleared_for_the_data_receives_nothing_during_an_eval(
    make_services: Callable[..., Services],
    servers: tuple[RecordingModelServer, RecordingModelServer],
    tmp_path: Path,
    db_url: str,
) -> None:
    local, cloud = servers
    local.reply_for = _judge_or(GOOD)
    catalogue = write_catalogue(
        tmp_path / "models.yaml",
        {"id": "sky", "base_url": cloud.base_url, "model": "m", "max_classification": "offentlig"},
        {"id": "lokal", "base_url": local.base_url, "model": "m"},
        default="sky",
    )
    services = make_services(database_url=db_url, admins="adm", models_file=catalogue)
    slug = await _specialist(services, "almindelige", "interne")
    assert services.stores.specialists.require(slug).classification == "fortrolig"
    with pytest.raises(AppError) as refused:
        await services.app.evaluation.run(Actor("adm"), slug, parse_case_file(CASES), ("lokal", "sky"))
    assert "'sky' er ikke godkendt til fortrolig data" in refused.value.render("da")
    assert local.requests == [] and cloud.requests == []  # refused before anything was sent
    results = await services.app.evaluation.run(Actor("adm"), slug, parse_case_file(CASES))
    assert list(results["models"]) == ["lokal"] and results["judge"] == "lokal"
    assert cloud.requests == [] and local.requests  # neither the answers nor the judging went to it
    with pytest.raises(AppError) as judged:  # a named judge sees the answers and passages too
        await services.app.evaluation.run(Actor("adm"), slug, parse_case_file(CASES), judge="sky")
    assert "'sky' er ikke godkendt" in judged.value.render("da") and cloud.requests == []


# -- the release gate -------------------------------------------------------------------------------
def _results(**passes: list[bool]) -> dict[str, Any]:
    models = list(passes)
    n = len(next(iter(passes.values())))
    cases = [
        {"question": f"q{i}", "results": {m: {"passed": passes[m][i]} for m in models}} for i in range(n)
    ]
    return {
        "models": {m: {"pass_rate": sum(passes[m]) / n} for m in models},
        "cases": cases,
    }


def test_the_gate_fails_a_regression_and_passes_a_repeat() -> None:
    baseline = _results(lokal=[True, True, False], sky=[True, False, False])
    assert gate(baseline, baseline) == []
    worse = _results(lokal=[True, False, True], sky=[True, False, False])  # same rate, one case broke
    assert gate(worse, baseline) == ["lokal: «q1» bestod før og fejler nu"]
    dropped = _results(lokal=[False, False, False], sky=[True, False, False])
    assert gate(dropped, baseline, max_drop=0.5) == [
        "lokal: bestået faldt fra 67% til 0%",
        "lokal: «q0» bestod før og fejler nu",
        "lokal: «q1» bestod før og fejler nu",
    ]
    assert gate(_results(ny=[True]), _results(gammel=[True]))[0].startswith("ingen fælles modeller")


def test_eval_run_and_gate_from_the_command_line(tmp_path: Path) -> None:
    """The product owner's release test on the embedded default (cited passages, no model)."""
    sources = tmp_path / "kilder"
    sources.mkdir()
    (sources / "pas.md").write_text(PAS, encoding="utf-8")
    cases = tmp_path / "tests.yaml"
    cases.write_text(CASES.replace('      - {type: llm-rubric, value: "Svaret nævner prisen"}\n', ""))
    assert run(["specialist", "create", "pas", "--name", "Pas"], tmp_path).returncode == 0
    assert run(["ingest", "pas", str(sources)], tmp_path, timeout=120).returncode == 0
    result = run(["eval", "run", "pas", "--cases", str(cases), "--out", "ud"], tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "ingen-model: 2/2 bestået (100%)" in result.stdout
    written = json.loads((tmp_path / "ud" / "results.json").read_text())
    assert written["specialist"] == "pas" and written["cases"][0]["results"]["ingen-model"]["passed"]
    assert (tmp_path / "ud" / "report.html").read_text().startswith("<!doctype html>")
    shutil.copytree(tmp_path / "ud", tmp_path / "før")
    same = run(["eval", "gate", "ud/results.json", "--baseline", "før/results.json"], tmp_path)
    assert same.returncode == 0 and "Ingen regressioner (ingen-model)" in same.stdout
    written["cases"][0]["results"]["ingen-model"]["passed"] = False
    written["models"]["ingen-model"]["pass_rate"] = 0.5
    (tmp_path / "ud" / "results.json").write_text(json.dumps(written))
    worse = run(["eval", "gate", "ud/results.json", "--baseline", "før/results.json"], tmp_path)
    assert worse.returncode == 1 and "«Hvad koster et pas til en voksen?» bestod før" in worse.stdout
    broken = run(["eval", "run", "pas", "--cases", str(tmp_path / "mangler.yaml"), "--out", "x"], tmp_path)
    assert broken.returncode == 2 and "mangler.yaml: kan ikke læses" in broken.stderr


# -- the model catalogue with evidence ----------------------------------------------------------------
async def test_the_catalogue_runs_every_model_and_builders_see_it_with_modeller(
    make_services: Callable[..., Services],
    servers: tuple[RecordingModelServer, RecordingModelServer],
    tmp_path: Path,
    db_url: str,
) -> None:
    from bot.evals.report import render_catalogue
    from tests.test_specialist_commands import msg

    good, bad = servers
    good.reply, bad.reply = GOOD, "A passport costs 688 kr. for an adult [1]"
    catalogue_file = write_catalogue(
        tmp_path / "models.yaml",
        {"id": "lokal", "base_url": good.base_url, "model": "mistral-small"},
        {"id": "sky", "base_url": bad.base_url, "model": "gpt", "max_classification": "offentlig"},
        default="lokal",
    )
    services = make_services(database_url=db_url, admins="adm", models_file=catalogue_file)
    slug = await _specialist(services, "ingen", "offentlige")
    cases = parse_case_file(CASES.replace('      - {type: llm-rubric, value: "Svaret nævner prisen"}\n', ""))
    with pytest.raises(AppError):  # the platform owner's job
        await services.app.evaluation.catalogue(Actor("bo"), slug, cases)
    assert good.requests == [] and bad.requests == []
    _results, catalogue = await services.app.evaluation.catalogue(Actor("adm"), slug, cases)
    lokal, sky = catalogue["models"]["lokal"], catalogue["models"]["sky"]
    assert (lokal["max_classification"], sky["max_classification"]) == ("personfølsom", "offentlig")
    assert lokal["danish_share"] == 1.0 and sky["danish_share"] == 0.5  # the refusal is Danish either way
    assert lokal["pass_rate"] == 1.0 and lokal["served_model"] == "mistral-small"
    page = render_catalogue(catalogue)
    assert "http://" not in page and "https://" not in page and "personfølsom" in page
    reply = await services.dispatcher.handle(msg("/modeller", user="adm"))
    assert reply.text.startswith("Modelkatalog (benchmark med 2 danske spørgsmål")
    assert "- **lokal** (må se op til personfølsom): 100 % bestået, 100 % svar på dansk" in reply.text
    assert "- **sky** (må se op til offentlig)" in reply.text
    employee = await services.dispatcher.handle(msg("/modeller", user="eva"))
    assert "Builder" in employee.text and "lokal" not in employee.text


def test_the_shipped_benchmark_and_red_team_pack_run_from_the_command_line(tmp_path: Path) -> None:
    """evals/ as shipped: the benchmark skill and its 48 cases make a catalogue page, and the red-team
    skill and pack give a pass rate (here on the embedded default: cited passages, no model)."""
    repo = Path(__file__).resolve().parents[1]
    synced = run(["skills", "sync", str(repo / "evals" / "benchmark")], tmp_path, timeout=300)
    assert synced.returncode == 0, synced.stderr
    assert "48 testcases fra tests.yaml" in synced.stdout
    cases = str(repo / "evals" / "benchmark" / "tests.yaml")
    made = run(["eval", "catalogue", "--out", "katalog", "--cases", cases], tmp_path, timeout=300)
    assert made.returncode == 0, made.stderr
    catalogue = json.loads((tmp_path / "katalog" / "catalogue.json").read_text())
    assert catalogue["cases"] == 48 and list(catalogue["models"]) == ["ingen-model"]
    assert catalogue["models"]["ingen-model"]["pass_rate"] >= 0.5  # passages alone answer many of them
    assert "https://" not in (tmp_path / "katalog" / "catalogue.html").read_text()
    assert run(["skills", "sync", str(repo / "evals" / "redteam")], tmp_path, timeout=120).returncode == 0
    pack = str(repo / "evals" / "redteam.yaml")
    red = run(["eval", "run", "redteam", "--cases", pack, "--out", "rød"], tmp_path, timeout=120)
    assert red.returncode == 0, red.stderr
    results = json.loads((tmp_path / "rød" / "results.json").read_text())
    assert len(results["cases"]) == 13
    answers = " ".join(c["results"]["ingen-model"]["answer"] for c in results["cases"])
    assert (
        "angriber.example" not in answers and "BLÅBÆR" not in answers
    )  # links out and the prompt never shown


@pytest.mark.llm
async def test_an_eval_runs_against_the_real_llama_cpp_server(
    make_services: Callable[..., Services], llama_server: str, tmp_path: Path
) -> None:
    """Plumbing, not wording: SmolLM2 through llama.cpp answers each case, the judge's reply is parsed
    (a verdict or a failure that says why), and the results and report are written."""
    from bot.evals.report import write

    catalogue = write_catalogue(
        tmp_path / "models.yaml",
        {"id": "smol", "base_url": llama_server, "model": "smollm2", "max_output_tokens": 24},
    )
    services = make_services(admins="adm", models_file=catalogue)
    slug = await _specialist(services, "ingen", "offentlige")
    results = await services.app.evaluation.run(Actor("adm"), slug, parse_case_file(CASES), concurrency=2)
    first = results["cases"][0]["results"]["smol"]
    assert first["outcome"] == "answered" and first["answer"].strip() and first["latency_ms"] > 0
    assert first["model"] == "smol" and {c["source"] for c in first["citations"]} == {"pas.md"}
    rubric = next(a for a in first["assertions"] if a["type"] == "llm-rubric")
    assert rubric["passed"] in (True, False) and rubric["detail"]  # judged by smol itself, or said why not
    assert results["cases"][1]["results"]["smol"]["outcome"] == "no_answer"
    results_path, report_path = write(results, tmp_path / "ud")
    assert json.loads(results_path.read_text())["models"]["smol"]["total"] == 2
    assert "smol" in report_path.read_text()
