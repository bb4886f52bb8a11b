"""Per-key request budgets for the API and MCP doors: a token bucket per key, refilled continuously.

In memory, per process: with several replicas each enforces the budget on its own share of the
traffic (sharing it through PostgreSQL belongs with the send limiter, see the replicas issue).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """``admit(key, per_minute)`` spends one request; it returns 0 when admitted, else the seconds to
    wait until one is (the ``Retry-After``). A burst of up to ``per_minute`` requests is allowed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def admit(self, key: str, per_minute: int) -> int:
        rate = per_minute / 60.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._max_keys:  # keys are few; never let the map grow unbounded
                    self._buckets.clear()
                bucket = self._buckets[key] = _Bucket(float(per_minute), now)
            bucket.tokens = min(float(per_minute), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0
            return max(1, math.ceil((1.0 - bucket.tokens) / rate))
