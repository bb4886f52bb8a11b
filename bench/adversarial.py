"""Inputs built to make the text passes work hard: one place for the benches that time them and the
tests that prove the passes still finish on them (tests never time; the benches print figures)."""

from __future__ import annotations


def pii_inputs(size: int) -> dict[str, str]:
    """Inputs that made the old PII patterns (or their overlap check) work in the square of their length."""
    prose = "Borgeren spørger om boligstøtte, tlf. 22 34 56 78, den 12. maj 2024.\n"
    return {
        "whitespace after a reg.nr.": "1234" + " " * size,
        "no-break spaces and tabs": "1234" + " \t\u00a0" * (size // 3),
        "whitespace after a date": "010190" + " " * size,
        "invisible characters": "1234" + "\u200b " * (size // 2),
        "digit run": "1" * size,
        "digit-space pairs": "1234 " * (size // 5),
        "dash run": "-" * size,
        "digit-dash run": "1-" * (size // 2),
        "@ run": "@" * size,
        "a@ run": "a@" * (size // 2),
        "dotted local part": "a." * (size // 2),
        "many e-mail addresses": "a@b.dk " * (size // 7),
        "many CPR numbers": "010190-1234 " * (size // 12),
        "line-broken digits": "12\n" * (size // 3),
        "markdown between digits": "1*" * (size // 2),
        "Danish prose": (prose * (size // len(prose) + 1))[:size],
    }


def markdown_inputs(size: int = 50_000) -> dict[str, str]:
    """Markdown built against the sanitiser's own passes (emphasis rounds, tag removal, bare URL scan,
    restore's URL-ish words) and markdown-it's known slow spots; each cut to ``size`` characters."""
    n = size // 2
    cases = {
        "nested-emphasis": "*" * n + "a" + "*" * n,
        "alternating-emphasis": "*_" * n,
        "image-openers": "![" * n,
        "brackets": "[" * size,
        "link-openers": "[a](" * (size // 4),
        "table-rows": "|a|\n|-|\n" + "|\n" * n,
        "list-items": "- a\n" * (size // 4),
        "unfinished-tags": "<a " * (size // 3),
        "escaped-tags": "&lt;a " * (size // 6),
        "tag-in-emphasis": "*&lt;b&gt;*" * (size // 11),
        "underscore-punctuation": "_._ " * (size // 4),
        "placeholders-in-urlish-words": "aarhus.dk/⟦CPR-1⟧ x⟦CPR-1⟧ " * (size // 27),
        "trailing-parens": "https://www.aarhus.dk/" + ")" * size,
        "colons": "a:" * n,
        "backslashes": "\\" * size,
    }
    return {name: text[:size] for name, text in cases.items()}
