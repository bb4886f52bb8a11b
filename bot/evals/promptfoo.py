"""A promptfoo config that runs case files against this service's ``/v1`` (``aarhusai eval
export-promptfoo``), with the same pass/fail per case as ``aarhusai eval run``.

promptfoo's own types are written as they are. The project's checks become ``javascript``
assertions with the semantics of ``bot.evals.assertions`` (same refusal phrases, word lists and
citation rules), reading what the ``http`` provider keeps of the ``/v1`` answer: the text as the
output, ``message.citations`` and ``aarhusai.outcome`` as metadata. Everything from a case file is
written as YAML data (``json.dumps`` inside the JavaScript), never as code.
"""

from __future__ import annotations

import json
from typing import Any

from bot.evals.assertions import ENGLISH_WORDS, REFUSAL_PATTERN, REFUSED_OUTCOMES
from bot.evals.cases import REFUSAL_TYPES, Assertion, CaseFile
from bot.rag.lexical import DANISH_STOPWORDS

KEY_ENV = "AARHUSAI_API_KEY"
NATIVE = {
    "contains",
    "icontains",
    "not-contains",
    "not-icontains",
    "regex",
    "not-regex",
    "word-count",
    "latency",
    "llm-rubric",
    *(f"{neg}{case}contains-{how}" for neg in ("", "not-") for case in ("", "i") for how in ("any", "all")),
}

# the /v1 answer: text as output; citations and how the answer ended as metadata
TRANSFORM = (
    "(json) => ({ output: json.choices[0].message.content, metadata: { "
    "citations: json.choices[0].message.citations || [], outcome: (json.aarhusai || {}).outcome } })"
)
CITED = """const m = context.metadata || {};
const shown = m.citations || [];
const used = new Set([...String(output).matchAll(/\\[([0-9]+)\\]/g)].map((x) => Number(x[1])));
const cited = shown.filter((c) => used.has(c.n));
const sources = (cited.length ? cited : shown).map((c) => String(c.source));
"""


def _cites(value: str | list[str]) -> str:
    wanted = [v.lower() for v in (value if isinstance(value, list) else [value])]
    return (
        CITED
        + f"const wanted = {json.dumps(wanted, ensure_ascii=False)};\n"
        + "const pass = sources.some((s) => wanted.includes(s.toLowerCase()) || "
        + "wanted.includes(s.split('/').pop().toLowerCase()));\n"
        + "return { pass, score: pass ? 1 : 0, reason: 'citerede: ' + (sources.join(', ') || 'ingen') };"
    )


def _refusal(wanted: bool) -> str:
    return (
        "const m = context.metadata || {};\n"
        f"const refused = {json.dumps(list(REFUSED_OUTCOMES))}.includes(m.outcome) || "
        f"new RegExp({json.dumps(REFUSAL_PATTERN, ensure_ascii=False)}, 'i').test(String(output));\n"
        f"const pass = refused === {json.dumps(wanted)};\n"
        "return { pass, score: pass ? 1 : 0, reason: 'udfald ' + m.outcome };"
    )


CITATIONS_VALID = """const m = context.metadata || {};
const shown = new Set((m.citations || []).map((c) => c.n));
const used = [...String(output).matchAll(/\\[([0-9]+)\\]/g)].map((x) => Number(x[1]));
const unknown = [...new Set(used.filter((n) => !shown.has(n)))].sort((a, b) => a - b);
const pass = unknown.length === 0;
const reason = pass ? 'alle [n] findes' : 'ukendte henvisninger: ' + unknown;
return { pass, score: pass ? 1 : 0, reason };"""


def _language(value: str) -> str:
    return (
        f"const danishWords = new Set({json.dumps(sorted(DANISH_STOPWORDS), ensure_ascii=False)});\n"
        f"const englishWords = new Set({json.dumps(sorted(ENGLISH_WORDS))});\n"
        "const text = String(output).toLowerCase();\n"
        "const words = text.match(/[\\p{L}\\p{N}_]+/gu) || [];\n"
        "const danish = words.filter((w) => danishWords.has(w)).length + "
        "2 * [...text].filter((c) => 'æøå'.includes(c)).length;\n"
        "const english = words.filter((w) => englishWords.has(w)).length;\n"
        "const found = danish >= english ? 'da' : 'en';\n"
        f"const pass = found === {json.dumps(value)};\n"
        "return { pass, score: pass ? 1 : 0, reason: 'sprog ' + found };"
    )


def assertion(a: Assertion) -> dict[str, Any]:
    """One assertion as promptfoo runs it; ``metric`` keeps the name it had in the case file."""
    if a.type in NATIVE:
        return a.as_json()
    if a.type == "max-words":
        return {"type": "word-count", "value": {"max": a.value}, "metric": a.type}
    if a.type == "latency-ms":
        return {"type": "latency", "threshold": a.value, "metric": a.type}
    if a.type == "cites":
        code = _cites(a.value)
    elif a.type in REFUSAL_TYPES:
        code = _refusal(REFUSAL_TYPES[a.type])
    elif a.type == "citations-valid":
        code = CITATIONS_VALID
    elif a.type == "language":
        code = _language(a.value)
    else:  # cases.ASSERTION_TYPES and this function change together
        raise ValueError(f"no promptfoo form for {a.type}")
    return {"type": "javascript", "value": code, "metric": a.type}


def config(
    files: list[tuple[str, CaseFile]], specialist: str, base_url: str, key_env: str = KEY_ENV
) -> dict[str, Any]:
    """The config for ``promptfoo eval -c``: the ``http`` provider on ``{base_url}/v1/chat/completions``
    with the key from ``key_env``, the question as the prompt, every case of every file."""
    tests = [
        {
            "description": case.description or f"{name}:{case.line}",
            "vars": {"question": case.question},
            "assert": [assertion(a) for a in case.asserts],
            "metadata": {"file": name, "line": case.line},
        }
        for name, case_file in files
        for case in case_file.cases
    ]
    return {
        "description": f"AarhusAI-specialisten {specialist}: {', '.join(name for name, _ in files)}",
        "prompts": ["{{question}}"],
        "providers": [
            {
                "id": "http",
                "label": specialist,
                "config": {
                    "url": f"{base_url.rstrip('/')}/v1/chat/completions",
                    "method": "POST",
                    "headers": {
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {{{{ env.{key_env} }}}}",
                    },
                    "body": {"model": specialist, "messages": [{"role": "user", "content": "{{prompt}}"}]},
                    "transformResponse": TRANSFORM,
                },
            }
        ],
        "tests": tests,
    }
