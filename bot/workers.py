"""``aarhusai serve --workers N``: N processes behind one port, each a full replica.

The parent binds the port once and forks the workers, which inherit the listening socket; the
kernel hands each connection to a worker that is accepting. Whatever replicas must agree on (the
claim of an activity, a job's period, the send budgets) lives in the database, so a worker is a
replica like any pod. The parent only supervises: it reports the port when every worker is ready,
starts a new worker when one dies, and on SIGTERM/SIGINT passes the signal on and waits while the
workers finish their turns in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

GRACE_S = 60.0  # a worker drains its turns for up to 30 s; then it is killed
RESTART_DELAY_S = 1.0
MAX_EARLY_DEATHS = 5  # workers dying before ever being ready: a broken set-up, not bad luck


def use_multiprocess_metrics() -> str:
    """A fresh directory where every worker writes its metrics, so that ``/metrics`` on any worker
    reports them all; called in the parent, before the workers are forked."""
    from bot import metrics

    path = tempfile.mkdtemp(prefix="aarhusai-metrics-")
    metrics.use_multiprocess(path)
    return path


def _worker_exited(pid: int) -> None:
    """A dead worker's live gauges stop counting; its counters keep counting, as Prometheus expects."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


def bind(host: str, port: int) -> socket.socket:
    """The one listening socket all workers share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


def _worker(sock: socket.socket, host: str, build: Callable[[], Services], ready_fd: int) -> int:
    """The body of one forked worker: its own services, event loop and database connections."""
    from bot.server import serve_forever

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        services = build()
        asyncio.run(
            serve_forever(
                services, host, sock.getsockname()[1], on_ready=lambda _p: os.write(ready_fd, b"."), sock=sock
            )
        )
        return 0
    except BaseException:
        log.exception("worker %d failed", os.getpid())
        return 1


class Supervisor:
    def __init__(self, n: int, host: str, sock: socket.socket, build: Callable[[], Services]) -> None:
        self.n = n
        self.host = host
        self.sock = sock
        self.build = build
        self.children: dict[int, float] = {}  # pid -> started at
        self.ever_ready = False
        self.early_deaths = 0
        self.stopping = False
        self._ready_r, self._ready_w = os.pipe()

    def _spawn(self) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                os.close(self._ready_r)
                code = _worker(self.sock, self.host, self.build, self._ready_w)
            finally:
                logging.shutdown()
                os._exit(code)
        self.children[pid] = time.monotonic()

    def _stop(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def run(self, on_ready: Callable[[int], None]) -> int:
        """Serve until SIGTERM/SIGINT; 0 after a clean stop, 1 when workers cannot start."""
        metrics_dir = use_multiprocess_metrics()  # before the fork: the workers report as one
        try:
            return self._run(on_ready)
        finally:
            shutil.rmtree(metrics_dir, ignore_errors=True)

    def _run(self, on_ready: Callable[[int], None]) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for _ in range(self.n):
            self._spawn()
        ready = 0
        status = 0
        while not self.stopping:
            readable, _, _ = select.select([self._ready_r], [], [], 0.2)
            if readable:
                ready += len(os.read(self._ready_r, 64))
                if ready >= self.n and not self.ever_ready:
                    self.ever_ready = True
                    on_ready(self.sock.getsockname()[1])
            if not self._reap():
                status = 1
                break
        self._shutdown()
        return status

    def _reap(self) -> bool:
        """Replace dead workers; False when they keep dying before they ever served."""
        while True:
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return True
            if pid == 0:
                return True
            self.children.pop(pid, None)
            _worker_exited(pid)
            if self.stopping:
                continue
            log.warning(
                "worker %d stopped (status %s); starting a new one", pid, os.waitstatus_to_exitcode(code)
            )
            if not self.ever_ready:
                self.early_deaths += 1
                if self.early_deaths >= MAX_EARLY_DEATHS:
                    log.error("workers die before they are ready; giving up")
                    return False
            time.sleep(RESTART_DELAY_S)
            self._spawn()

    def _shutdown(self) -> None:
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S
        while self.children and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)
        for pid in list(self.children):
            log.warning("worker %d did not stop within %.0f s; killed", pid, GRACE_S)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self.children.pop(pid, None)
        self.sock.close()
