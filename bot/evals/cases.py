"""Test cases as code, in the shape promptfoo loads as ``tests: file://tests.yaml`` (a list of tests,
each with ``vars.question`` and ``assert``; the config says ``prompts: ['{{question}}']``)::

    - description: Prisen på et pas
      vars: {question: "Hvad koster et nyt pas til en voksen?"}
      assert:
        - {type: icontains, value: "688"}
        - {type: cites, value: "pas.md"}
    - vars: {question: "Hvad koster en sofa i IKEA?"}
      assert:
        - {type: is-refusal}

The older mapping (``description``, ``defaultTest.assert`` for every case, ``tests:``) is read too.
Assertion types are promptfoo's own (``contains``, ``icontains``, ``-any``/``-all`` with a list,
``regex``, ``word-count``, ``latency`` with ``threshold``, ``is-refusal``, ``llm-rubric``) and the
project's (``cites``, ``refuses``, ``citations-valid``, ``language``, ``max-words``, ``latency-ms``);
``aarhusai eval export-promptfoo`` writes the project's as promptfoo ``javascript`` assertions.

Every error names the file and line; an unknown assertion type is an error, never a silently passing
case. A value promptfoo would read differently is refused here too: a regex that is not the same in
Python and JavaScript (``bot.evals.regex``), a template (``{{``, ``{%``, ``{#``: promptfoo renders
values with Nunjucks), a decimal number (YAML reads ``17.30`` as 17.3), a question starting with
``file://`` (promptfoo would read that file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError
from bot.evals.regex import compile_shared

TEXT, TEXTS, NONE, COUNT, WORDS, LANGUAGE, PATTERN, SOURCES, MS = (
    "text", "texts", "none", "count", "words", "language", "pattern", "sources", "ms"
)  # fmt: skip
# type -> what its value must be
ASSERTION_TYPES: dict[str, str] = {
    **{t: TEXT for t in ("contains", "icontains", "not-contains", "not-icontains", "llm-rubric")},
    **{
        f"{neg}{case}contains-{how}": TEXTS
        for neg in ("", "not-")
        for case in ("", "i")
        for how in ("any", "all")
    },
    "regex": PATTERN,
    "not-regex": PATTERN,
    "cites": SOURCES,
    **{t: NONE for t in ("refuses", "not-refuses", "is-refusal", "not-is-refusal", "citations-valid")},
    "max-words": COUNT,
    "word-count": WORDS,
    "language": LANGUAGE,
    "latency-ms": COUNT,
    "latency": MS,  # promptfoo's: the limit is ``threshold``, in milliseconds
}
REFUSAL_TYPES = {"refuses": True, "is-refusal": True, "not-refuses": False, "not-is-refusal": False}
CODE_TYPES = ("javascript", "python", "ruby", "webhook")
UNSUPPORTED_KEYS = ("transform", "contextTransform", "provider")
TEST_OPTIONS = ("transform", "postprocess", "transformVars", "provider", "rubricPrompt")
LANGUAGES = ("da", "en")
MAX_CASES = 2000
MAX_QUESTION_CHARS = 4000
TEMPLATE = re.compile(r"\{[{%#]")


class CaseFileError(ConfigError, ValueError):
    """The file is not a valid case file; ``str()`` names the file and line, in Danish."""


@dataclass(frozen=True)
class Assertion:
    type: str
    value: Any = None  # latency: the threshold; word-count: an int or {"min": …, "max": …}
    line: int = 0

    def as_json(self) -> dict[str, Any]:
        """As written in a case file (and stored): promptfoo's shape."""
        if self.type == "latency":
            return {"type": self.type, "threshold": self.value}
        return {"type": self.type} if self.value is None else {"type": self.type, "value": self.value}


@dataclass(frozen=True)
class EvalCase:
    question: str
    asserts: tuple[Assertion, ...]
    line: int = 0
    description: str = ""


@dataclass(frozen=True)
class CaseFile:
    description: str
    cases: tuple[EvalCase, ...]


class _Loader(yaml.SafeLoader):
    """Safe YAML that remembers the line of every mapping (as ``__line__``)."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[str, Any]:
    value = loader.construct_mapping(node, deep=True)
    value["__line__"] = node.start_mark.line + 1
    return value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_case_file(path: Path) -> CaseFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"{path}: kan ikke læses ({type(exc).__name__})") from None
    parsed = parse_case_file(text, str(path))
    return parsed if parsed.description else CaseFile(path.name, parsed.cases)  # a list has none


def parse_case_file(text: str, name: str = "<tekst>") -> CaseFile:
    try:
        raw = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        raise CaseFileError(f"{where}: ikke gyldig YAML") from None
    if isinstance(raw, list):  # the shape promptfoo loads with tests: file://…
        raw = {"tests": raw, "__line__": 1}
    if not isinstance(raw, dict) or not isinstance(raw.get("tests"), list):
        raise CaseFileError(f"{name}: filen skal have en liste 'tests:' eller selv være en liste af tests")
    default_test = raw.get("defaultTest") or {}
    if not isinstance(default_test, dict):
        raise CaseFileError(f"{name}: 'defaultTest:' skal være en mapping")
    defaults = _asserts(name, default_test.get("assert", []), raw.get("__line__", 1))
    cases = []
    for item in raw["tests"]:
        if not isinstance(item, dict):
            raise CaseFileError(f"{name}: hvert punkt under 'tests:' skal være en mapping")
        line = int(item.get("__line__", 0))
        question = (item.get("vars") or {}).get("question") if isinstance(item.get("vars"), dict) else None
        if not isinstance(question, str) or not question.strip():
            raise CaseFileError(f"{name}:{line}: testen mangler vars.question")
        if len(question) > MAX_QUESTION_CHARS:
            raise CaseFileError(f"{name}:{line}: spørgsmålet er over {MAX_QUESTION_CHARS} tegn")
        if question.strip().startswith("file://"):
            raise CaseFileError(
                f"{name}:{line}: et spørgsmål må ikke begynde med file:// (promptfoo læser filen)"
            )
        changed = [k for k in ("threshold", "provider", "providerOutput") if k in item] + [
            f"options.{k}" for k in TEST_OPTIONS if k in (item.get("options") or {})
        ]
        if changed:  # each changes what passes in promptfoo; this runner would ignore it
            raise CaseFileError(f"{name}:{line}: '{changed[0]}' understøttes ikke af aarhusai eval run")
        asserts = _asserts(name, item.get("assert", []), line, question.strip())
        if not asserts and not defaults:
            raise CaseFileError(f"{name}:{line}: testen har ingen assert")
        cases.append(EvalCase(question.strip(), defaults + asserts, line, str(item.get("description", ""))))
    if not cases:
        raise CaseFileError(f"{name}: 'tests:' er tom")
    if len(cases) > MAX_CASES:
        raise CaseFileError(f"{name}: over {MAX_CASES} tests")
    return CaseFile(str(raw.get("description", "")), tuple(cases))


def validated(asserts: list[dict[str, Any]], name: str = "test") -> tuple[Assertion, ...]:
    """Assertions as a case file's ``assert:`` list, checked by the same rules (``CaseFileError``)."""
    return _asserts(name, asserts, 0)


def _asserts(name: str, items: Any, line: int, question: str = "") -> tuple[Assertion, ...]:
    if not isinstance(items, list):
        raise CaseFileError(f"{name}:{line}: 'assert:' skal være en liste")
    found = []
    for item in items:
        at = int(item.get("__line__", line)) if isinstance(item, dict) else line
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise CaseFileError(f"{name}:{at}: en assert skal have en 'type'")
        try:
            found.append(assertion_from(item, at))
        except ValueError as exc:
            case = f" (testen «{question[:80]}»)" if question else " (defaultTest)"
            raise CaseFileError(f"{name}:{at}: {exc}{case}") from None
    return tuple(found)


def assertion_from(item: dict[str, Any], line: int = 0) -> Assertion:
    """One assertion as written (a case file's or a stored one); ``ValueError`` says why not, in Danish."""
    kind = item.get("type")
    if kind in CODE_TYPES:
        raise ValueError(
            f"'{kind}' køres ikke af aarhusai (kode fra en testfil afvikles ikke); brug de indbyggede typer. "
            "aarhusai eval export-promptfoo skriver selv projektets tjek som javascript til promptfoo"
        )
    if kind not in ASSERTION_TYPES:
        raise ValueError(f"ukendt assert-type '{kind}' (kendte: {', '.join(ASSERTION_TYPES)})")
    for key in UNSUPPORTED_KEYS:
        if key in item:
            raise ValueError(f"'{key}' understøttes ikke af aarhusai eval run")
    weight = item.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        raise ValueError("'weight' skal være et positivt tal (promptfoo lader weight 0 bestå altid)")
    wanted = ASSERTION_TYPES[kind]
    value = item.get("threshold") if wanted == MS else item.get("value")
    return Assertion(kind, _value(kind, wanted, value), line)


def _value(kind: str, wanted: str, value: Any) -> Any:
    if wanted == NONE:
        return None
    if wanted in (COUNT, MS):
        if not _count(value):
            field = "threshold (millisekunder)" if wanted == MS else "value"
            raise ValueError(f"'{kind}' skal have et helt tal som {field}")
        return value
    if wanted == WORDS:
        if _count(value):
            return value
        bounds = {k: v for k, v in value.items() if k != "__line__"} if isinstance(value, dict) else None
        if not bounds or set(bounds) - {"min", "max"} or not all(_count(v) for v in bounds.values()):
            raise ValueError(f"'{kind}' skal have et helt tal eller {{min: …, max: …}} som value")
        if bounds.get("min", 0) > bounds.get("max", bounds.get("min", 0)):
            raise ValueError(f"'{kind}': min er større end max")
        return bounds
    if wanted in (TEXTS, SOURCES) and isinstance(value, list):
        if not value:
            raise ValueError(f"'{kind}' skal have en ikke-tom liste som value")
        return [_text(kind, v) for v in value]
    if wanted == TEXTS:
        raise ValueError(f"'{kind}' skal have en liste som value")
    text = _text(kind, value)
    if wanted == PATTERN:
        try:
            compile_shared(text)
        except (ValueError, re.error) as exc:
            raise ValueError(f"ugyldigt regulært udtryk ({exc})") from None
    if wanted == LANGUAGE and text not in LANGUAGES:
        raise ValueError(f"'language' skal være {' eller '.join(LANGUAGES)}")
    return text


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(kind: str, value: Any) -> str:
    """A text value; a whole number is its digits (as promptfoo reads it), a decimal is refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        raise ValueError(f"'{kind}': {value} er et decimaltal i YAML; sæt det i anførselstegn")
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'{kind}' skal have en tekst som value")
    if TEMPLATE.search(value):
        raise ValueError(f"'{kind}': {{{{, {{% og {{# er skabeloner i promptfoo; de er ikke tilladt her")
    return value
