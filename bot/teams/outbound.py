"""Teams' sending rules: per-conversation rate (7 per second, 60 per 30 s) and retries with backoff.

A middleware hooks every turn's sends, so no handler can forget it. 429 (throttled), 502 and 504 are
retried with exponential backoff and full jitter, honouring ``Retry-After``; anything else fails at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

import aiohttp
from microsoft_agents.hosting.core import TurnContext

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 504})


class ConversationRateLimiter:
    """Sliding windows per conversation; ``acquire`` waits until one more send is allowed."""

    def __init__(self, windows: tuple[tuple[int, float], ...] = ((7, 1.0), (60, 30.0))) -> None:
        self.windows = windows
        self._sent: dict[str, deque[float]] = defaultdict(deque)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def acquire(self, conversation_id: str) -> None:
        async with self._locks[conversation_id]:
            sent = self._sent[conversation_id]
            longest = max(w for _, w in self.windows)
            while True:
                now = time.monotonic()
                while sent and now - sent[0] > longest:
                    sent.popleft()
                wait = 0.0
                for limit, window in self.windows:
                    recent = [t for t in sent if now - t < window]
                    if len(recent) >= limit:
                        wait = max(wait, window - (now - recent[-limit]))
                if wait <= 0:
                    sent.append(now)
                    return
                await asyncio.sleep(wait)


class SendPolicy:
    """Agents SDK middleware: rate-limit and retry every outgoing activity."""

    def __init__(
        self,
        limiter: ConversationRateLimiter | None = None,
        retries: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
    ) -> None:
        self.limiter = limiter or ConversationRateLimiter()
        self.retries = retries
        self.base_delay = base_delay
        self.max_delay = max_delay

    async def on_turn(self, context: TurnContext, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        context.on_send_activities(self._send)
        await logic(context)

    async def _send(self, context: TurnContext, activities: list, send: Callable[[], Awaitable]):  # type: ignore[no-untyped-def, type-arg]
        conversation = context.activity.conversation.id if context.activity.conversation else ""
        attempt = 0
        while True:
            for _ in activities:
                await self.limiter.acquire(conversation)
            try:
                return await send()
            except aiohttp.ClientResponseError as exc:
                if exc.status not in RETRY_STATUSES or attempt >= self.retries:
                    raise
                delay = self._delay(attempt, exc.headers.get("Retry-After") if exc.headers else None)
                log.warning("Teams answered %s; retry %d in %.2f s", exc.status, attempt + 1, delay)
                attempt += 1
                await asyncio.sleep(delay)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), 60.0)
            except ValueError:
                pass
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
