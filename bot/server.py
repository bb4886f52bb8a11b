"""Running the aiohttp application: bind (port 0 picks a free port), report the address, serve;
stop on SIGTERM/SIGINT after the turns in flight have finished (``BackgroundTurns.drain``)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable

from aiohttp import web

from bot.app import Services, create_app
from bot.listen import listen

log = logging.getLogger(__name__)


async def start(
    services: Services, host: str, port: int, sock: socket.socket | None = None
) -> tuple[web.AppRunner, int]:
    """Start serving; return the runner and the port actually bound."""
    return await listen(create_app(services), host, port, sock)


async def serve_forever(
    services: Services,
    host: str,
    port: int,
    on_ready: Callable[[int], None] | None = None,
    sock: socket.socket | None = None,
) -> None:
    runner, bound = await start(services, host, port, sock)
    if on_ready:
        on_ready(bound)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
        log.info("stopping: no new connections; finishing the turns in flight")
    finally:
        await runner.cleanup()  # closes the listener, then waits for the background turns
        services.close()
