"""The one cleaning every door applies to text from outside (Teams, ``/v1``, ``/mcp``, ``aarhusai chat``).

C0 control characters other than tab, line feed and carriage return, and DEL, are removed: NUL breaks
PostgreSQL text columns, and the rest are invisible to a reader yet seen by a detector or a model. A
lone surrogate (a ``\\ud800`` JSON escape, or a terminal's undecodable byte) cannot be stored as UTF-8:
an HTTP door refuses it (``has_lone_surrogate``), and ``clean_text`` replaces it for the terminal.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` without control characters (tab and line breaks kept), lone surrogates as U+FFFD."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def has_lone_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None
