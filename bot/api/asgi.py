"""One aiohttp request through an ASGI callable (the MCP and A2A SDKs are Starlette-based), its answer
streamed back through aiohttp, so both protocols share the port, limits and shutdown of everything else.

The body is read, checked and cleaned by the caller (``bot.http_body``) and handed over whole. The
response's status and headers are sent as soon as the ASGI app starts it: a Server-Sent Events stream
shows its headers at once, before its first event, so a client never waits on a silent socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from aiohttp import web

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]
_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection"})


async def call_asgi(
    request: web.Request, app: ASGIApp, body: bytes, state: dict[str, Any] | None = None
) -> web.StreamResponse:
    """``app``'s answer to ``request`` with ``body``; ``state`` becomes the ASGI scope's ``state``
    (Starlette's ``request.state``): how the door hands the authenticated actor to the SDK's handlers."""
    done = asyncio.Event()
    sent_body = False

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    response: web.StreamResponse | None = None
    gone = False

    async def send(message: Message) -> None:
        nonlocal response, gone
        if gone:
            return
        try:
            if message["type"] == "http.response.start":
                response = web.StreamResponse(status=message["status"])
                for name, value in message.get("headers", []):
                    key = name.decode("latin-1")
                    if key.lower() not in _HOP_BY_HOP:
                        response.headers.add(key, value.decode("latin-1"))
                await response.prepare(request)  # headers now, not with the first chunk
                return
            if message["type"] != "http.response.body" or response is None:
                return
            chunk = message.get("body", b"")
            if chunk:
                await response.write(chunk)
            if not message.get("more_body", False):
                await response.write_eof()
                done.set()
        except (ConnectionError, RuntimeError):  # the caller went away; the app is told at its next receive
            gone = True
            done.set()

    peer = request.transport.get_extra_info("peername") if request.transport else None
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": f"{request.version.major}.{request.version.minor}",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.raw_path.split("?", 1)[0].encode("latin-1"),
        "query_string": request.query_string.encode("latin-1"),
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.raw_headers],
        "client": tuple(peer[:2]) if peer else None,
        "server": None,
        "state": dict(state or {}),
    }
    try:
        await app(scope, receive, send)
    finally:
        done.set()
    if response is None:
        return web.Response(status=500)
    return response
