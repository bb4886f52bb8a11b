"""Running the aiohttp application: bind (port 0 picks a free port), report the address, serve;
stop on SIGTERM/SIGINT after the turns in flight have finished (``BackgroundTurns.drain``)."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from bot.app import Services, create_app
from bot.listen import listen

log = logging.getLogger(__name__)


IO_THREADS = 8  # the slow jobs (files, syncs, indexes): a turn's own hops have two threads of their own
# (``bot.services.turn_threads``), so a file being embedded never holds up a turn


async def start(
    services: Services, host: str, port: int, sock: socket.socket | None = None
) -> tuple[web.AppRunner, int]:
    """Start serving; return the runner and the port actually bound.

    The objects made so far live as long as the service: they are frozen out of the garbage
    collector's way, so a full collection no longer scans them (with ~0.8 M objects one took 0.5 s,
    a pause every turn in flight would share)."""
    served = await listen(create_app(services), host, port, sock)
    gc.collect()
    gc.freeze()
    return served


def tune_process() -> None:
    """For a serving process: a thread pool for blocking work (retrieval and a turn's own hops have
    their own)."""
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=IO_THREADS, thread_name_prefix="aarhusai-io")
    )


async def serve_forever(
    services: Services,
    host: str,
    port: int,
    on_ready: Callable[[int], None] | None = None,
    sock: socket.socket | None = None,
) -> None:
    runner, bound = await start(services, host, port, sock)
    tune_process()
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
