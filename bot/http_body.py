"""Reading a JSON request body as every HTTP door must: bounded in size, depth and time.

A hostile client can send a Content-Length larger than what it sends (a slow read), a body past the
limit, or JSON nested deep enough to exhaust the parser; each is a 4xx here, never a 500.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

MAX_JSON_DEPTH = 32  # real requests nest about 8 deep; deeper is an attack on the parser
READ_TIMEOUT_S = 10.0  # a body that does not arrive (Content-Length larger than what is sent)


@dataclass(frozen=True)
class BodyProblem:
    status: int  # 400, 408 or 413
    reason: str  # English, for the log and the 4xx body


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


async def read_json_object(
    request: web.Request, max_bytes: int, timeout_s: float = READ_TIMEOUT_S
) -> dict[str, Any] | BodyProblem:
    if request.content_length is not None and request.content_length > max_bytes:
        return BodyProblem(413, "request too large")
    try:
        async with asyncio.timeout(timeout_s):
            raw = await request.read()  # raises 413 itself past client_max_size
    except web.HTTPRequestEntityTooLarge:
        return BodyProblem(413, "request too large")
    except TimeoutError:
        return BodyProblem(408, f"request body did not arrive within {timeout_s:g} s")
    if len(raw) > max_bytes:
        return BodyProblem(413, "request too large")
    if too_deep(raw):
        return BodyProblem(400, "JSON nested too deeply")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return BodyProblem(400, "body is not valid JSON")
    if not isinstance(body, dict):
        return BodyProblem(400, "body must be a JSON object")
    return body
