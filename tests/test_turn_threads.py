"""A turn's blocking hops run on two threads of their own: with the caller's context, never behind the
slow jobs of the default executor, and in a forked worker too."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.services.turn_threads import TURN_THREADS, on_turn_thread

marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="")


async def test_hops_run_on_the_turn_threads_with_the_callers_context() -> None:
    seen: set[str] = set()
    barrier = threading.Barrier(TURN_THREADS, timeout=5)

    def hop(i: int) -> str:
        seen.add(threading.current_thread().name)
        if i < TURN_THREADS:
            barrier.wait()  # the first ones run at the same time: the pool has this many threads
        time.sleep(0.01)
        return f"{marker.get()}:{i}"

    marker.set("turn-7")
    results = await asyncio.gather(*(on_turn_thread(hop, i) for i in range(12)))
    assert results == [f"turn-7:{i}" for i in range(12)]
    assert len(seen) == TURN_THREADS and all(name.startswith("aarhusai-turn") for name in seen)


async def test_a_busy_default_executor_does_not_hold_up_a_turn() -> None:
    """A file being embedded, a sync, an index rebuild: each holds a thread of the default executor
    for seconds. A turn's claim must not queue behind them."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=2))
    release = threading.Event()
    slow = [asyncio.to_thread(release.wait, 10) for _ in range(4)]  # every default thread taken
    tasks = [asyncio.ensure_future(s) for s in slow]
    await asyncio.sleep(0.05)
    try:
        started = time.perf_counter()
        assert await asyncio.wait_for(on_turn_thread(lambda: "claimed"), 2) == "claimed"
        assert time.perf_counter() - started < 1.0
    finally:
        release.set()
        await asyncio.gather(*tasks)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
async def test_a_forked_worker_gets_threads_of_its_own() -> None:
    """``serve --workers`` forks: a pool inherited from the parent has no threads in the child."""
    assert await on_turn_thread(lambda: 1) == 1  # the parent's pool exists now
    pid = os.fork()
    if pid == 0:  # the child: a new loop, the same module
        code = 1
        try:
            code = 0 if asyncio.run(asyncio.wait_for(on_turn_thread(lambda: 2), 5)) == 2 else 1
        finally:
            os._exit(code)
    _, status = await asyncio.to_thread(os.waitpid, pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
