"""Reading a JSON request body as every HTTP door must: bounded in size, depth, number length, string
length and time, strictly UTF-8, and cleaned (``bot.clean_text``) before anything reads it.

A hostile client can send a Content-Length larger than what it sends (a slow read), a body past the
limit, JSON nested deep enough to exhaust the parser, a 5,000-digit number (Python's ``int`` refuses
those with a ``ValueError``), ``NaN``, or a lone surrogate (``"\\ud800"``, or its bytes ``ED A0 80``),
which no database can store; each is a 4xx here, never a 500. ``decode_json`` is the one decoder the
Teams door, ``/v1`` and ``/mcp`` share; a ``BodyProblem`` names a catalogue message so each door
refuses in its own shape and the caller's language.
"""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.clean_text import clean_text, has_lone_surrogate
from bot.errors import AarhusAIError, Outcome
from bot.messages import t

MAX_JSON_DEPTH = 32  # real requests nest about 8 deep; deeper is an attack on the parser
MAX_NUMBER_DIGITS = 40  # a 64-bit integer has 20 digits, a double needs 17; more is an attack
MAX_STRING_CHARS = 100_000  # one text in a request (a question, a history message, a card value)
READ_TIMEOUT_S = 10.0  # a body that does not arrive (Content-Length larger than what is sent)


@dataclass(frozen=True)
class BodyProblem:
    status: int  # 400, 408 or 413
    key: str  # catalogue message: a fragment the door puts in its own refusal
    values: dict[str, object] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """English, for the log and the Teams door's 4xx body."""
        return t(self.key, "en", **self.values)

    def render(self, locale: str) -> str:
        return t(self.key, locale, **self.values)


class BodyRefused(AarhusAIError, ValueError):
    """Raised while a body is parsed, to stop at the first limit; ``read_body`` turns it into its problem."""

    outcome = Outcome.INVALID

    def __init__(self, problem: BodyProblem) -> None:
        super().__init__(problem.key)
        self.problem = problem


def too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Nesting depth of JSON text, counted without parsing (strings are skipped)."""
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _digits(text: str) -> None:
    if len(text) > MAX_NUMBER_DIGITS and sum(ch.isdigit() for ch in text) > MAX_NUMBER_DIGITS:
        raise BodyRefused(BodyProblem(400, "body_long_number", {"limit": MAX_NUMBER_DIGITS}))


def _int(text: str) -> int:
    _digits(text)
    return int(text)


def _float(text: str) -> float:
    _digits(text)
    value = float(text)
    if not math.isfinite(value):  # 1e999
        raise BodyRefused(BodyProblem(400, "body_bad_number"))
    return value


def _constant(_name: str) -> Any:  # NaN, Infinity, -Infinity: Python's json reads them, JSON has none
    raise BodyRefused(BodyProblem(400, "body_bad_number"))


def _cleaned(value: Any) -> Any:
    """``value`` with every string (object keys included) checked and cleaned."""
    if isinstance(value, str):
        if len(value) > MAX_STRING_CHARS:
            raise BodyRefused(BodyProblem(400, "body_long_string", {"limit": MAX_STRING_CHARS}))
        if has_lone_surrogate(value):  # a "\ud800" escape: json.loads decodes it, UTF-8 cannot hold it
            raise BodyRefused(BodyProblem(400, "body_bad_unicode"))
        return clean_text(value)
    if isinstance(value, dict):
        return {_cleaned(k): _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value


def decode_json(raw: bytes) -> Any | BodyProblem:
    """Any JSON value in ``raw`` (UTF-8), checked and cleaned; a ``BodyProblem`` for what is refused.
    The caller has bounded ``len(raw)``; depth is checked before parsing, so recursion is bounded."""
    if too_deep(raw):
        return BodyProblem(400, "body_too_deep")
    try:
        text = raw.decode("utf-8")  # strict: encoded surrogates (ED A0 80) and overlong forms refused
    except UnicodeDecodeError:
        return BodyProblem(400, "body_bad_unicode")
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
        return _cleaned(value)
    except BodyRefused as refused:
        return refused.problem
    except (json.JSONDecodeError, RecursionError, ValueError):
        return BodyProblem(400, "body_not_json")


async def read_body(
    request: web.Request, max_bytes: int, timeout_s: float = READ_TIMEOUT_S
) -> bytes | BodyProblem:
    """The raw body, at most ``max_bytes``, arriving within ``timeout_s``."""
    too_large = BodyProblem(413, "body_too_large", {"limit": max_bytes})
    if request.content_length is not None and request.content_length > max_bytes:
        return too_large
    try:
        async with asyncio.timeout(timeout_s):
            raw = await request.read()  # raises 413 itself past client_max_size
    except web.HTTPRequestEntityTooLarge:
        return too_large
    except TimeoutError:
        return BodyProblem(408, "body_timeout", {"seconds": f"{timeout_s:g}"})
    if len(raw) > max_bytes:
        return too_large
    return raw


async def read_json_object(
    request: web.Request, max_bytes: int, timeout_s: float = READ_TIMEOUT_S
) -> dict[str, Any] | BodyProblem:
    """The body as a checked, cleaned JSON object. The request then holds the cleaned body, so a
    library that reads it again (the Agents SDK does, for invokes) sees the same clean text."""
    raw = await read_body(request, max_bytes, timeout_s)
    if isinstance(raw, BodyProblem):
        return raw
    body = decode_json(raw)
    if isinstance(body, BodyProblem):
        return body
    if not isinstance(body, dict):
        return BodyProblem(400, "body_not_object")
    _replace_read_body(request, encode_json(body))
    return body


def encode_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _replace_read_body(request: web.Request, cleaned: bytes) -> None:
    """aiohttp keeps the bytes ``read()`` returned and answers every later ``read``/``text``/``json``
    from them; the cleaned body takes their place (``tests/redteam/test_bodies.py`` proves it holds)."""
    if getattr(request, "_read_bytes", None) is not None:
        request._read_bytes = cleaned  # aiohttp has no public way to hand on a cleaned body
