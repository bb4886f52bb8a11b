"""Bind an aiohttp application and report the port it got (port 0 picks a free one)."""

from __future__ import annotations

import socket

from aiohttp import web


async def listen(
    app: web.Application, host: str = "127.0.0.1", port: int = 0, sock: socket.socket | None = None
) -> tuple[web.AppRunner, int]:
    """Start serving ``app`` on ``host:port``, or on ``sock`` when a parent already bound it (the
    workers of ``serve --workers``); return its runner (``await runner.cleanup()`` stops it) and the
    bound port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site: web.BaseSite = web.SockSite(runner, sock) if sock is not None else web.TCPSite(runner, host, port)
    await site.start()
    server = site._server  # aiohttp exposes the bound sockets only here
    bound = server.sockets[0].getsockname()[1] if server and server.sockets else port
    return runner, bound
