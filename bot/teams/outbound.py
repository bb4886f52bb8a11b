"""Teams' sending rules: per-conversation rate (7 per second, 60 per 30 s), a rate per app and
tenant (50 per second), and retries with backoff.

A middleware hooks every turn's sends, so no handler can forget it. The budgets are shared by all
replicas through the database (``SharedSendLimiter``); if the database cannot be asked, this
replica's own per-conversation windows apply. A stream update (the answer so far) never waits for a
budget: it is sent when one is free and skipped otherwise, since the next update or the final
message carries the same text; the first and the final message always wait their turn.
429 (throttled), 502 and 504 are retried with exponential backoff and full jitter, honouring
``Retry-After``; anything else fails at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import aiohttp
from microsoft_agents.activity import ResourceResponse
from microsoft_agents.hosting.core import TurnContext

from bot import metrics

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 504})
# Teams: per conversation 7 per second and 60 per 30 s; per app and tenant 50 per second
# (learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit).
CONVERSATION_WINDOWS: tuple[tuple[int, float], ...] = ((7, 1.0), (60, 30.0))
APP_WINDOWS: tuple[tuple[int, float], ...] = ((50, 1.0),)
APP_SCOPE = "app"
SKIPPED_ID = "aarhusai:skipped"  # the response to a stream update that was not sent


class ConversationRateLimiter:
    """Sliding windows per conversation; ``acquire`` waits until one more send is allowed."""

    def __init__(self, windows: tuple[tuple[int, float], ...] = CONVERSATION_WINDOWS) -> None:
        self.windows = windows
        self._sent: dict[str, deque[float]] = defaultdict(deque)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._acquired = 0

    def __len__(self) -> int:
        return len(self._sent)

    def _sweep(self) -> None:
        """Forget conversations with no send in the longest window (the maps would grow forever)."""
        now, longest = time.monotonic(), max(w for _, w in self.windows)
        for key in [k for k, sent in self._sent.items() if not sent or now - sent[-1] > longest]:
            if not self._locks[key].locked():
                del self._sent[key], self._locks[key]

    async def acquire(self, conversation_id: str, tenant_id: str = "", wait: bool = True) -> bool:
        """One send for the conversation; with ``wait=False`` only if one is free now."""
        self._acquired += 1
        if self._acquired % 1000 == 0:
            self._sweep()
        async with self._locks[conversation_id]:
            sent = self._sent[conversation_id]
            longest = max(w for _, w in self.windows)
            while True:
                now = time.monotonic()
                while sent and now - sent[0] > longest:
                    sent.popleft()
                delay = 0.0
                for limit, window in self.windows:
                    recent = [t for t in sent if now - t < window]
                    if len(recent) >= limit:
                        delay = max(delay, window - (now - recent[-limit]))
                if delay <= 0:
                    sent.append(now)
                    return True
                if not wait:
                    return False
                await asyncio.sleep(delay)


class SendBudgets(Protocol):
    async def reserve_send(self, budgets: Sequence[tuple[str, Sequence[tuple[int, float]]]]) -> float: ...


class SharedSendLimiter:
    """The per-conversation and app-wide budgets, spent together by every replica (send log in the
    database); this replica's own windows stand in while the database cannot be asked."""

    def __init__(self, shared: SendBudgets | None, local: ConversationRateLimiter | None = None) -> None:
        self.shared = shared
        self.local = local or ConversationRateLimiter()

    async def acquire(self, conversation_id: str, tenant_id: str = "", wait: bool = True) -> bool:
        """One send from the conversation's and the tenant's budget; with ``wait=False`` only if
        both have one free now (a stream update is worth sending only then)."""
        start = time.monotonic()
        budgets = (
            (f"conversation:{conversation_id}", CONVERSATION_WINDOWS),
            (f"{APP_SCOPE}:{tenant_id}", APP_WINDOWS),
        )
        try:
            while self.shared is not None:
                try:
                    delay = await self.shared.reserve_send(budgets)
                except Exception:
                    log.warning(
                        "shared send budget unavailable; this replica's own limit applies", exc_info=True
                    )
                    break
                if delay <= 0:
                    return True
                if not wait:
                    return False
                await asyncio.sleep(min(delay, 5.0))
            return await self.local.acquire(conversation_id, tenant_id, wait)
        finally:
            metrics.QUEUE_WAIT_SECONDS.labels("send").observe(time.monotonic() - start)


class SendPolicy:
    """Agents SDK middleware: rate-limit and retry every outgoing activity."""

    def __init__(
        self,
        limiter: ConversationRateLimiter | SharedSendLimiter | None = None,
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
        context.on_update_activity(self._update)
        await logic(context)

    async def _update(self, context: TurnContext, activity: object, update: Callable[[], Awaitable]):  # type: ignore[no-untyped-def, type-arg]
        """A replaced message (a group chat's placeholder becoming the answer) costs a send too."""
        conv = context.activity.conversation
        await self.limiter.acquire(conv.id if conv else "", (conv.tenant_id or "") if conv else "")
        return await update()

    async def _send(self, context: TurnContext, activities: list, send: Callable[[], Awaitable]):  # type: ignore[no-untyped-def, type-arg]
        conv = context.activity.conversation
        conversation, tenant = (conv.id, conv.tenant_id or "") if conv else ("", "")
        attempt = 0
        optional = all(_is_stream_update(a) for a in activities)
        while True:
            for _ in activities:
                if not await self.limiter.acquire(conversation, tenant, wait=not optional):
                    metrics.SENDS.labels("skipped").inc()  # the next update or the final message says it
                    return [ResourceResponse(id=SKIPPED_ID)]
            try:
                result = await send()
                metrics.SENDS.labels("retried" if attempt else "ok").inc()
                return result
            except aiohttp.ClientResponseError as exc:
                if exc.status in RETRY_STATUSES:
                    metrics.THROTTLED.labels(str(exc.status)).inc()
                if exc.status not in RETRY_STATUSES or attempt >= self.retries:
                    metrics.SENDS.labels("failed").inc()
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


def _is_stream_update(activity: object) -> bool:
    """A typing activity carrying a ``streaming`` StreamInfo: the answer so far, superseded by the next."""
    for entity in getattr(activity, "entities", None) or []:
        kind = getattr(entity, "stream_type", None)
        if kind is None and isinstance(entity, dict):
            kind = entity.get("streamType")
        if kind == "streaming":
            return True
    return False
