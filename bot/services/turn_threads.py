"""Where a turn's own blocking work runs: two threads of its own, not the loop's default executor.

A question's path makes about ten short hops off the event loop (the claim, the turn's context, one
budget per activity sent, the Markdown checks, the answer's record, the finish): each is well under a
millisecond of CPU, mostly SQLAlchemy and psycopg in Python, holding the GIL. With a hundred turns in
flight the loop's default executor (eight threads, sized for the slow jobs: reading and embedding
files, syncing sources, rebuilding indexes) ran eight of them at once, and the event loop, which lets
the GIL go at every socket read and write, competed with them for it and for the two cores: in its
stalls it ran less than half the time, and a 100 ms timer fired 100–200 ms late in almost every round
of ``bench/load.py`` at N=100. On two threads the same hops queue a little instead, and the loop's
lag stays within 50 ms (``bench/README.md``).
Two also keep a database on the network busy enough: a hop that waits on a round trip lets go of the
GIL, so the other thread runs meanwhile. Slow work stays on the default executor, so a file being
embedded never holds up a turn's claim.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

TURN_THREADS = 2

P = ParamSpec("P")
R = TypeVar("R")

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def turn_pool() -> ThreadPoolExecutor:
    """The process's pool for turns (made on first use: a forked worker makes its own)."""
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=TURN_THREADS, thread_name_prefix="aarhusai-turn")
    return _pool


def _forget_after_fork() -> None:
    """A forked child has none of its parent's threads: a pool it inherited would never run anything."""
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


async def on_turn_thread(func: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``asyncio.to_thread`` on the turn's pool: ``func`` runs with the caller's context variables (the
    turn's log id, the database unit of work)."""
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(turn_pool(), call)
