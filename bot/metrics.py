"""What a replica counts, for Prometheus (``GET /metrics``).

The metrics are module-level, as prometheus-client intends; with ``serve --workers`` every worker
writes its values to files in ``PROMETHEUS_MULTIPROC_DIR`` (``use_multiprocess``, called by the
parent before it forks) and ``/metrics`` on any worker reports the sum over all of them.
Labels take only values from closed sets (outcomes, catalogue model ids, audit actions): never user
input, which would let a caller grow the series without bound.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LATENCY = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 60.0, 120.0)
_WAIT = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)

TURNS: Counter
TURN_SECONDS: Histogram
ANSWERS: Counter
FIRST_TEXT_SECONDS: Histogram
ANSWER_SECONDS: Histogram
MODEL_CALLS: Counter
POLICY_EVENTS: Counter
QUEUE_WAIT_SECONDS: Histogram
SENDS: Counter
THROTTLED: Counter
CLAIMS: Counter
INDEX_CACHE_BYTES: Gauge
INDEX_CACHE_LOADS: Counter
LOOP_LAG_SECONDS: Histogram
NOTIFICATIONS: Counter
SYNC_SECONDS: Histogram
SYNC_DOCUMENTS: Counter
SYNC_REQUESTS: Counter


def _define() -> None:
    """Create the metrics (again, after ``use_multiprocess``: values then live in files)."""
    global \
        TURNS, \
        TURN_SECONDS, \
        ANSWERS, \
        FIRST_TEXT_SECONDS, \
        ANSWER_SECONDS, \
        MODEL_CALLS, \
        POLICY_EVENTS, \
        QUEUE_WAIT_SECONDS, \
        SENDS, \
        THROTTLED, \
        CLAIMS, \
        INDEX_CACHE_BYTES, \
        INDEX_CACHE_LOADS, \
        LOOP_LAG_SECONDS, \
        NOTIFICATIONS, \
        SYNC_SECONDS, \
        SYNC_DOCUMENTS, \
        SYNC_REQUESTS
    TURNS = Counter("aarhusai_turns", "Teams turns run, by kind and outcome.", ["kind", "outcome"])
    TURN_SECONDS = Histogram(
        "aarhusai_turn_seconds", "A Teams turn, from its start to the final message.", buckets=_LATENCY
    )
    ANSWERS = Counter(
        "aarhusai_answers", "Questions answered, by outcome (answered, no_answer, refused, ...).", ["outcome"]
    )
    FIRST_TEXT_SECONDS = Histogram(
        "aarhusai_answer_first_text_seconds", "From a question to the first streamed text.", buckets=_LATENCY
    )
    ANSWER_SECONDS = Histogram(
        "aarhusai_answer_seconds", "From a question to its final answer.", buckets=_LATENCY
    )
    MODEL_CALLS = Counter(
        "aarhusai_model_calls", "Calls to language models, by model and outcome.", ["model", "outcome"]
    )
    POLICY_EVENTS = Counter(
        "aarhusai_policy_events",
        "Policy decisions (personal data redacted/blocked, refusals, ...).",
        ["event"],
    )
    QUEUE_WAIT_SECONDS = Histogram(
        "aarhusai_queue_wait_seconds",
        "Time spent waiting for a turn's turn or a send slot.",
        ["queue"],
        buckets=_WAIT,
    )
    SENDS = Counter(
        "aarhusai_teams_sends", "Activities sent to Teams, by outcome (ok, retried, failed).", ["outcome"]
    )
    THROTTLED = Counter(
        "aarhusai_teams_throttled", "Teams answers that asked us to slow down, by status.", ["status"]
    )
    CLAIMS = Counter(
        "aarhusai_activity_claims", "Incoming activities by claim result across replicas.", ["result"]
    )
    INDEX_CACHE_BYTES = Gauge(
        "aarhusai_index_cache_bytes", "Memory held by the loaded search indexes.", multiprocess_mode="livesum"
    )
    LOOP_LAG_SECONDS = Histogram(
        "aarhusai_event_loop_lag_seconds",
        "How late a 100 ms timer on the event loop fires: time the loop could not serve anyone.",
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
    )
    INDEX_CACHE_LOADS = Counter("aarhusai_index_cache_loads", "Search indexes loaded, by reason.", ["reason"])
    NOTIFICATIONS = Counter(
        "aarhusai_notifications",
        "Notifications posted to Teams, by outcome (sent, failed, given_up).",
        ["outcome"],
    )
    SYNC_SECONDS = Histogram(
        "aarhusai_sync_seconds",
        "A connected source's sync, from its start to its state saved, by connector kind.",
        ["kind"],
        buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
    )
    SYNC_DOCUMENTS = Counter(
        "aarhusai_sync_documents",
        "Documents of connected sources by sync outcome (added, changed, unchanged, removed, refused, ...).",
        ["outcome"],
    )
    SYNC_REQUESTS = Counter(
        "aarhusai_sync_requests",
        "Requests a connector made to a connected source, by HTTP status.",
        ["status"],
    )


_define()


def use_multiprocess(path: str) -> None:
    """Keep every metric in files under ``path`` from now on, so that the workers of ``serve
    --workers`` (forked after this) report as one. prometheus-client picks its storage when it is
    imported, and the CLI has imported it by then: the storage is picked again and the metrics,
    still empty, are created anew."""
    os.environ[MULTIPROC_ENV] = path
    values.ValueClass = values.get_value_class()
    for name in _define.__code__.co_names:
        collector = globals().get(name)
        if isinstance(collector, Counter | Gauge | Histogram):
            REGISTRY.unregister(collector)
    _define()


@contextmanager
def timed(histogram: Histogram) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        histogram.observe(time.perf_counter() - start)


async def watch_loop_lag(every_s: float = 0.1) -> None:
    """Runs for as long as the service serves: one cheap timer, ten times a second."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(every_s)
        LOOP_LAG_SECONDS.observe(max(0.0, loop.time() - start - every_s))


def render() -> tuple[bytes, str]:
    """The exposition text: this process's metrics, or every worker's summed when there are many."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
