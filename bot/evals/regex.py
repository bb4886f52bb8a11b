"""Regular expressions that mean the same in Python's ``re`` and in JavaScript (promptfoo runs a
case file's ``regex`` as ``new RegExp(value)``: no flags, not Unicode mode).

A case file is run by ``aarhusai eval run`` and by promptfoo; a pattern that one of them reads
differently would pass in one and fail in the other. So a pattern is refused at load time when it
uses what only one dialect has (inline flags such as ``(?i)``, ``(?P<n>…)``, atomic groups,
possessive quantifiers, ``\\A``/``\\Z``, ``{,n}``, ``[]``), and the rest is translated to the Python
pattern that matches what JavaScript matches: ``\\w``, ``\\d`` and ``\\b`` are ASCII there
(``re.ASCII``), ``\\s`` is JavaScript's whitespace set, ``.`` stops at ``\\r`` and the line
separators too, and ``$`` is the very end (Python's also matches before a final newline).
"""

from __future__ import annotations

import re

from bot.errors import ConfigError

JS_SPACE = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
JS_DOT = "[^\\n\\r\\u2028\\u2029]"
SAME_ESCAPES = set("dDwWsSbBnrtfvxu0123456789")
GROUP_STARTS = ("?:", "?=", "?!", "?<=", "?<!")
QUANTIFIER = re.compile(r"\{\d+(,\d*)?\}")


class RegexDialectError(ConfigError, ValueError):
    """The pattern is not read the same way by Python and JavaScript; ``str()`` says why, in Danish."""


def python_pattern(pattern: str) -> str:
    """The Python pattern (compile it with ``re.ASCII``) that matches exactly what ``new
    RegExp(pattern)`` matches in JavaScript; raises :class:`RegexDialectError` when there is none."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_escapes: set[str] = set()
    quantified = False  # the previous token was a quantifier (a following + would be possessive)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise RegexDialectError("udtrykket slutter med \\")
            e = pattern[i + 1]
            if e.isalpha() and e not in SAME_ESCAPES:
                raise RegexDialectError(f"\\{e} betyder ikke det samme i Python og JavaScript")
            if e == "s" and not in_class:
                out.append(f"[{JS_SPACE}]")
            elif e == "S" and not in_class:
                out.append(f"[^{JS_SPACE}]")
            elif e in "sS":  # [\s\S] is everything in both; \S alone in a class is not the same set
                if pattern.startswith("-", i + 2) and not pattern.startswith("-]", i + 2):
                    raise RegexDialectError(
                        f"\\{e}- i en tegnklasse betyder ikke det samme i Python og JavaScript"
                    )
                out.append(JS_SPACE if e == "s" else "\\S")
                class_escapes.add(e)
            else:
                out.append(pattern[i : i + 2])
            i += 2
            quantified = False
            continue
        if in_class:
            if c == "]":
                in_class = False
                if "S" in class_escapes and "s" not in class_escapes:
                    raise RegexDialectError(
                        "\\S i en tegnklasse betyder ikke det samme i Python og JavaScript"
                    )
            elif c == "[" and pattern.startswith("[:", i):
                raise RegexDialectError("[: i en tegnklasse betyder ikke det samme i Python og JavaScript")
            out.append(c)
            i += 1
            continue
        if c == "[":
            rest = pattern[i + 1 :]
            if rest.startswith("]") or rest.startswith("^]"):
                raise RegexDialectError("[] og [^] betyder ikke det samme i Python og JavaScript")
            in_class = True
            class_escapes = set()
            out.append(c)
            i += 1
            quantified = False
            continue
        if c == "(" and pattern.startswith("(?", i):
            rest = pattern[i + 1 :]
            if not rest.startswith(GROUP_STARTS):
                raise RegexDialectError(
                    "(?…) er kun tilladt som (?:…), (?=…), (?!…), (?<=…) og (?<!…): indlejrede flag som "
                    "(?i), navngivne grupper og atomare grupper findes ikke i begge sprog (skriv fx [Pp]as "
                    "i stedet for (?i)pas)"
                )
            start = next(s for s in GROUP_STARTS if rest.startswith(s))
            out.append("(" + start)
            i += 1 + len(start)
            quantified = False
            continue
        if c in "*+?" or (c == "{" and QUANTIFIER.match(pattern, i)):
            if c == "+" and quantified:
                raise RegexDialectError("possessive kvantorer (*+, ++, ?+, {n}+) findes ikke i JavaScript")
            if c == "?" and quantified:  # lazy: still a quantifier, so a + after it is possessive too
                out.append(c)
                i += 1
                continue
            if c == "{":
                end = pattern.index("}", i) + 1
                out.append(pattern[i:end])
                i = end
            else:
                out.append(c)
                i += 1
            quantified = True
            continue
        if c == "{" and pattern.startswith("{,", i):
            raise RegexDialectError(
                "{,n} er en kvantor i Python, men bogstavelig tekst i JavaScript: skriv {0,n}"
            )
        quantified = False
        if c == ".":
            out.append(JS_DOT)
        elif c == "$":
            out.append("\\Z")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def compile_shared(pattern: str) -> re.Pattern[str]:
    """The compiled Python twin of a JavaScript pattern; :class:`RegexDialectError` or ``re.error``."""
    if not isinstance(pattern, str) or not pattern:
        raise RegexDialectError("et regulært udtryk skal være en ikke-tom tekst")
    re.compile(pattern)  # Python's own syntax first: its error message names the position
    return re.compile(python_pattern(pattern), re.ASCII)
