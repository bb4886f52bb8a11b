"""Running the aiohttp application: bind (port 0 picks a free port), report the address, serve."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from aiohttp import web

from bot.app import Services, create_app
from bot.listen import listen

log = logging.getLogger(__name__)


async def start(services: Services, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving; return the runner and the port actually bound."""
    return await listen(create_app(services), host, port)


async def serve_forever(
    services: Services, host: str, port: int, on_ready: Callable[[int], None] | None = None
) -> None:
    runner, bound = await start(services, host, port)
    if on_ready:
        on_ready(bound)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        services.close()
