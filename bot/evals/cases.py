"""Test cases as code, in promptfoo's shape so existing configs can be pointed at this runner::

    description: Borgerservice, release-tests
    tests:
      - vars: {question: "Hvad koster et nyt pas til en voksen?"}
        assert:
          - {type: icontains, value: "688"}
          - {type: cites, value: "pas.md"}
      - vars: {question: "Hvad koster en sofa i IKEA?"}
        assert:
          - {type: refuses}

``defaultTest.assert`` applies to every case. Every error names the file and line; an unknown
assertion type is an error, never a silently passing case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import ConfigError

# type -> what its value must be (None: takes no value)
ASSERTION_TYPES: dict[str, type | None] = {
    "icontains": str,
    "not-icontains": str,
    "regex": str,
    "cites": str,
    "refuses": None,
    "not-refuses": None,
    "citations-valid": None,
    "max-words": int,
    "language": str,
    "llm-rubric": str,
    "latency-ms": int,
}
LANGUAGES = ("da", "en")
MAX_CASES = 2000
MAX_QUESTION_CHARS = 4000


class CaseFileError(ConfigError, ValueError):
    """The file is not a valid case file; ``str()`` names the file and line, in Danish."""


@dataclass(frozen=True)
class Assertion:
    type: str
    value: Any = None
    line: int = 0


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
    return parse_case_file(text, str(path))


def parse_case_file(text: str, name: str = "<tekst>") -> CaseFile:
    try:
        raw = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        raise CaseFileError(f"{where}: ikke gyldig YAML") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("tests"), list):
        raise CaseFileError(f"{name}: filen skal have en liste 'tests:'")
    defaults = _asserts(name, (raw.get("defaultTest") or {}).get("assert", []), raw.get("__line__", 1))
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
        asserts = _asserts(name, item.get("assert", []), line)
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


def _asserts(name: str, items: Any, line: int) -> tuple[Assertion, ...]:
    if not isinstance(items, list):
        raise CaseFileError(f"{name}:{line}: 'assert:' skal være en liste")
    found = []
    for item in items:
        at = int(item.get("__line__", line)) if isinstance(item, dict) else line
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise CaseFileError(f"{name}:{at}: en assert skal have en 'type'")
        kind, value = item["type"], item.get("value")
        if kind not in ASSERTION_TYPES:
            known = ", ".join(ASSERTION_TYPES)
            raise CaseFileError(f"{name}:{at}: ukendt assert-type '{kind}' (kendte: {known})")
        wanted = ASSERTION_TYPES[kind]
        if wanted is None:
            value = None
        elif wanted is int:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise CaseFileError(f"{name}:{at}: '{kind}' skal have et helt tal som value")
        elif not isinstance(value, str) or not value.strip():
            raise CaseFileError(f"{name}:{at}: '{kind}' skal have en tekst som value")
        if kind == "regex":
            try:
                re.compile(value)
            except re.error as exc:
                raise CaseFileError(f"{name}:{at}: ugyldigt regulært udtryk ({exc})") from None
        if kind == "language" and value not in LANGUAGES:
            raise CaseFileError(f"{name}:{at}: 'language' skal være {' eller '.join(LANGUAGES)}")
        found.append(Assertion(kind, value, at))
    return tuple(found)
