"""The notification sender: one background task per serving process posts the outbox into people's
personal chats with the bot (a proactive message: ``POST {serviceUrl}/v3/conversations/{id}/activities``
with the bot's token).

Each message goes through the adapter's pipeline like a reply: the connector client factory that
sends the bot's token only to the reply hosts, the send budgets all replicas share and the retries of
429/502/504 (``SendPolicy``). Rows are claimed in the database, so several replicas send each one once;
a failed send is reported back and tried again later, with a growing pause, until the service gives up.
The task looks at once when this process writes a notification or first hears from someone, when a
failed send is due again, and otherwise every ``AARHUSAI_NOTIFY_INTERVAL_S`` (for rows another replica
left: it died holding them, or wrote them for someone who has since written to this one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from microsoft_agents.activity import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from microsoft_agents.hosting.core import ClaimsIdentity, TurnContext

from bot import metrics
from bot.conversation.types import Reply
from bot.services.notifications import NotificationService, Outgoing
from bot.teams.agent import TeamsBot
from bot.teams.render import to_activities

log = logging.getLogger(__name__)

BATCH = 20  # notifications claimed at a time; more are claimed at once when a batch was full


class NotificationSender:
    def __init__(self, bot: TeamsBot, notifications: NotificationService, interval_s: float) -> None:
        self.bot = bot
        self.notifications = notifications
        self.interval_s = interval_s
        self._wake = asyncio.Event()
        self._retry_in: float | None = None  # the soonest retry of a send that failed in this round

    async def run(self) -> None:
        """Until cancelled: send what is due, then wait for the interval or a wake-up."""
        loop = asyncio.get_running_loop()
        listener = self.notifications.on_new(lambda: loop.call_soon_threadsafe(self._wake.set))
        try:
            await self._loop()
        finally:
            self.notifications.off_new(listener)

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            self._retry_in = None
            try:
                if await self.send_due() >= BATCH:
                    continue
            except Exception:  # the database is away: the rows wait in it
                log.warning("could not look for notifications to send", exc_info=True)
            wait = min(self.interval_s, self._retry_in or self.interval_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def send_due(self) -> int:
        """Claim due notifications, post each and report how it went; the number claimed."""
        due = await self.notifications.claim_due(BATCH)
        for outgoing in due:
            try:
                await self.post(outgoing)
            except asyncio.CancelledError:  # shutting down: the claim runs out and another sends it
                raise
            except Exception as exc:
                pause = await self.notifications.failed(outgoing, _describe(exc))
                metrics.NOTIFICATIONS.labels("given_up" if pause is None else "failed").inc()
                if pause is not None:
                    self._retry_in = min(pause, self._retry_in or pause)
                continue
            await self.notifications.sent(outgoing.id)
            metrics.NOTIFICATIONS.labels("sent").inc()
        return len(due)

    async def post(self, outgoing: Outgoing) -> None:
        """Post one notification into its recipient's personal chat; raises when it did not arrive."""
        if not self.bot.tenant_allowed(outgoing.tenant_id):  # the allow-list changed since they wrote
            raise PermissionError(f"tenant {outgoing.tenant_id} is not allowed")
        continuation = Activity(
            type=ActivityTypes.event,
            name="continueConversation",
            channel_id="msteams",
            service_url=outgoing.service_url,
            conversation=ConversationAccount(
                id=outgoing.conversation_id, conversation_type="personal", tenant_id=outgoing.tenant_id
            ),
            recipient=ChannelAccount(id=outgoing.bot_id) if outgoing.bot_id else None,
            locale=outgoing.locale,
        )
        activities = to_activities(Reply(outgoing.text, kind="notice", card=outgoing.card))
        failures: list[Exception] = []

        async def send(context: TurnContext) -> None:
            try:  # the adapter would answer an error with a message of its own: keep it here instead
                for activity in activities:
                    await context.send_activity(activity)
            except Exception as exc:
                failures.append(exc)

        adapter = self.bot.adapter
        if self.bot.app_id:
            await adapter.continue_conversation(self.bot.app_id, continuation, send)
        else:  # local mode: the Playground, a test connector (anonymous, loopback only)
            await adapter.continue_conversation_with_claims(ClaimsIdentity(), continuation, send)
        if failures:
            raise failures[0]


def _describe(exc: BaseException) -> str:
    """One line for the outbox's ``last_error``: the kind of failure and, for HTTP, the status."""
    status = getattr(exc, "status", None)
    detail = f"HTTP {status}" if isinstance(status, int) else str(exc)
    return f"{type(exc).__name__}: {' '.join(detail.split())}"[:500]
