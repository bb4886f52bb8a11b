"""Teams' delivery rules for incoming messages: acknowledge at once, work afterwards, answer once.

Teams waits at most 15 s for the HTTP answer and redelivers when it gets none, so a message is
acknowledged (202) as soon as it is validated and answered in a background task through its
conversation reference; a redelivered activity id is recognised and not answered twice: at once by
this replica's memory of recent ids, and across replicas by a claim in the shared database taken
before the turn runs (``bot.services.delivery``). The same claims keep a conversation's turns in
arrival order when they reach different replicas.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import ClaimsIdentity

from bot import logs, metrics
from bot.teams.activity import reach_of
from bot.teams.agent import TeamsBot

log = logging.getLogger(__name__)

ORDER_POLL_MAX_S = 0.5


class RecentIds:
    """Activity ids seen in the last ``ttl_s`` seconds (bounded)."""

    def __init__(self, ttl_s: float = 3600, max_size: int = 50_000) -> None:
        self.ttl_s = ttl_s
        self.max_size = max_size
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, key: str) -> bool:
        now = time.monotonic()
        while self._seen and (
            now - next(iter(self._seen.values())) > self.ttl_s or len(self._seen) > self.max_size
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True

    def forget(self, key: str) -> None:
        """Another replica holds the claim: a later redelivery must be able to try again (the
        holder may die before it answers)."""
        self._seen.pop(key, None)


class BackgroundTurns:
    """Runs turns after the HTTP acknowledgement and lets shutdown wait for them."""

    def __init__(self, bot: TeamsBot) -> None:
        self.bot = bot
        self.recent = RecentIds()
        self._tasks: set[asyncio.Task[None]] = set()
        self._queues: dict[str, tuple[asyncio.Lock, list[int]]] = {}  # lock and its number of users

    def accept(self, activity: Activity, claims: ClaimsIdentity) -> bool:
        """Schedule the turn; False when this activity was already accepted (a redelivery)."""
        key = f"{activity.conversation.id if activity.conversation else ''}|{activity.id}"
        if activity.id and not self.recent.first_time(key):
            log.info("redelivered activity %s ignored", activity.id)
            return False
        with logs.turn(uuid.uuid4().hex[:12]):  # the task keeps it: every line of this turn names it
            task = asyncio.create_task(self._run(activity, claims, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(self, activity: Activity, claims: ClaimsIdentity, key: str) -> None:
        """Turns of one conversation run one at a time, in arrival order, so answers keep their
        order: on this replica by a lock taken first (tasks reach it in arrival order), across
        replicas by waiting for earlier claims to finish. The claim is taken and finished inside
        the lock, so a turn only ever waits for claims older than its own: no two turns can wait
        for each other."""
        conversation = activity.conversation.id if activity.conversation else ""
        delivery = self.bot.delivery
        lock, users = self._queues.setdefault(conversation, (asyncio.Lock(), [0]))
        users[0] += 1
        queued = time.monotonic()
        try:
            async with lock:
                claimed_in_db, earlier = False, 0
                if activity.id:
                    try:
                        reach = (
                            reach_of(activity, self.bot.hosts, self.bot.locale) if self.bot.hosts else None
                        )
                        claimed, earlier = await delivery.begin(conversation, activity.id, reach)
                        claimed_in_db = claimed
                    except Exception:  # the database is down: answering twice beats not answering
                        log.exception("claim of activity %s failed; answering anyway", activity.id)
                        claimed = True
                    metrics.CLAIMS.labels("claimed" if claimed else "duplicate").inc()
                    if not claimed:
                        log.info("activity %s already claimed by another replica", activity.id)
                        self.recent.forget(key)
                        return
                try:
                    if earlier and activity.id:
                        await self._after_earlier_turns(conversation, activity.id)
                    metrics.QUEUE_WAIT_SECONDS.labels("conversation").observe(time.monotonic() - queued)
                    await self.bot.adapter.process_activity(claims, activity, self.bot.app.on_turn)
                except asyncio.CancelledError:  # shutting down: the claim is handed back (lease)
                    claimed_in_db = False
                    raise
                finally:  # a failed turn has ended too: the conversation's next turn must not wait for it
                    if claimed_in_db and activity.id:
                        await delivery.finish(conversation, activity.id)
        except Exception:
            log.exception("background turn for activity %s failed", activity.id)
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._queues[conversation]

    async def _after_earlier_turns(self, conversation: str, activity_id: str) -> None:
        """Wait while another replica still runs an earlier turn of this conversation (bounded by
        the claims' lease: a replica that died does not hold the conversation for longer). Called
        when the claim already counted some, so it waits before it asks again."""
        delay = 0.05
        try:
            while True:
                await asyncio.sleep(delay)
                delay = min(delay * 1.5, ORDER_POLL_MAX_S)
                if not await self.bot.delivery.earlier_turns(conversation, activity_id):
                    return
        except Exception:
            log.warning("could not ask for earlier turns of a conversation; answering now", exc_info=True)

    async def drain(self, timeout_s: float = 30.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)
