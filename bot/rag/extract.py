"""Reading a file in a separate process that can be stopped: a time limit and a memory limit per file.

A crafted file can make a parser loop for minutes or allocate gigabytes. ``load_isolated`` runs
``loaders.load`` in a child of a small fork server (it never copies the service's memory), limits the
child's address space, waits at most ``timeout_s``, and kills it otherwise. The service process itself
never parses an untrusted file.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.spawn
import resource
import threading
from typing import Any

from bot.rag.errors import IngestError
from bot.rag.loaders import LoadedSource, load

TIMEOUT_S = 60.0
MEMORY_BYTES = 1024 * 1024 * 1024  # address space of the reading process
_context: Any = None
_lock = threading.Lock()


def _ctx() -> Any:
    global _context
    with _lock:
        if _context is None:
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload(["bot.rag.loaders"])
        return _context


def _without_main(name: str) -> dict[str, Any]:
    """The child needs only ``bot.rag.loaders``: do not make it re-import the parent's ``__main__``
    (for ``aarhusai serve`` that is the whole CLI, seconds per file, and side effects in general)."""
    data = _get_preparation_data(name)
    data.pop("init_main_from_path", None)
    data.pop("init_main_from_name", None)
    return data


_get_preparation_data = multiprocessing.spawn.get_preparation_data


def _child(
    conn: multiprocessing.connection.Connection, name: str, data: bytes, kind: str | None, memory: int
) -> None:
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass

    def peak() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB

    try:
        loaded = load(name, data, kind)
        conn.send(("ok", loaded, peak()))
    except IngestError as exc:
        conn.send(("refused", (exc.reason, exc.values), peak()))
    except MemoryError:
        conn.send(("refused", ("too_complex", {}), peak()))
    except BaseException:
        conn.send(("refused", ("corrupt", {}), peak()))
    finally:
        conn.close()


def load_isolated(
    name: str,
    data: bytes,
    timeout_s: float = TIMEOUT_S,
    memory_bytes: int = MEMORY_BYTES,
    kind: str | None = None,
    stats: dict[str, int] | None = None,
) -> LoadedSource:
    """``loaders.load`` in a stoppable child process. Blocking: call it from a worker thread.
    ``stats`` (optional) receives the reading process's peak RSS as ``peak_rss_kib``."""
    ctx = _ctx()
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, name, data, kind, memory_bytes), daemon=True)
    with _lock:
        multiprocessing.spawn.get_preparation_data = _without_main  # type: ignore[assignment]
        try:
            proc.start()
        finally:
            multiprocessing.spawn.get_preparation_data = _get_preparation_data
    send.close()
    try:
        if not receive.poll(timeout_s):
            raise IngestError(name, "timeout", seconds=timeout_s)
        try:
            status, payload, peak_kib = receive.recv()
        except (EOFError, OSError):  # the child died: killed for memory, or crashed in C code
            raise IngestError(name, "too_complex") from None
    finally:
        receive.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if stats is not None:
        stats["peak_rss_kib"] = peak_kib
    if status == "ok":
        return payload  # type: ignore[no-any-return]
    reason, values = payload
    raise IngestError(name, reason, **values)
