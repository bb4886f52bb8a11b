"""The Teams reply channel: the streaming protocol in personal chats, the placeholder pattern elsewhere.

Personal chat: a typing activity with a ``streaminfo`` entity (``informative``) whose id becomes the
stream id, then typing activities with the text so far (``streaming``, at most one a second), then the
final message (``final``) carrying citations, the AI label and the feedback buttons. Teams caps a
stream at two minutes: after ``MAX_STREAM_S`` the answer ends (``AnswerStopped``: the model request is
closed) and the final message follows with what was written and a line saying it was cut. When the
reader presses Stop, Teams answers the next update with 403: the answer ends the same way, and nothing
more is sent in that stream (the core still keeps it, marked stopped).
Group chats and channels cannot stream: they get one informative placeholder, replaced in place by the
answer (a new message only when Teams refuses the update or the answer needs several messages).
"""

from __future__ import annotations

import logging
import time

import aiohttp
from microsoft_agents.activity import Activity, ActivityTypes, Attachment
from microsoft_agents.activity.entity.stream_info import StreamInfo
from microsoft_agents.hosting.core import TurnContext

from bot.conversation.channel import AnswerStopped
from bot.conversation.types import Reply
from bot.teams.outbound import SKIPPED_ID
from bot.teams.render import to_activities

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 1.0
MAX_STREAM_S = 110.0


class TeamsStream:
    """``bot.conversation.channel.ReplyChannel`` for one Teams turn."""

    update_every_s = MIN_INTERVAL_S + 0.1  # what Teams shows (a little late, so it is never too early)

    def __init__(self, context: TurnContext, streaming: bool) -> None:
        self.context = context
        self.streaming = streaming
        self.stream_id: str | None = None
        self.sequence = 0
        self.text = ""
        self.started = time.monotonic()
        self.last_sent = 0.0
        self.sent_updates = 0
        self.started_answer = False  # progress was shown: the final message closes it
        self.updates_refused = False  # Teams refused an update: no more of them, the final still goes
        self.stopped_by_reader = False  # the Stop button: nothing more goes into this stream
        self.placeholder_id: str | None = None  # a group chat's or channel's "searching" message
        conversation = context.activity.conversation
        # suggested actions are shown in personal chats only (elsewhere they become a line of text)
        self.personal = conversation is None or conversation.conversation_type in (None, "personal")
        self.reader = context.activity.from_property.id if context.activity.from_property else None

    async def progress(self, text: str) -> str | None:
        """The informative update; in a personal chat its id is the stream's, which the final
        message keeps (so the answer can be stored with it before it is sent)."""
        self.started_answer = True
        await self.informative(text)
        return self.stream_id

    async def notify(self, text: str) -> None:
        await self.context.send_activity(Activity(type=ActivityTypes.message, text=text))

    async def send(self, reply: Reply) -> str | None:
        if self.stopped_by_reader:  # Teams closed the stream; the reader sees what they stopped
            return self.stream_id
        if self.started_answer:
            return await self.finish(reply)
        reply_id = None
        for activity in to_activities(reply, self.personal, self.reader):
            response = await self.context.send_activity(activity)
            reply_id = response.id if response else None
        return reply_id

    async def informative(self, text: str) -> None:
        if not self.streaming:
            response = await self.context.send_activity(Activity(type=ActivityTypes.message, text=text))
            self.placeholder_id = response.id if response and response.id != SKIPPED_ID else None
            return
        self.sequence += 1
        response = await self.context.send_activity(
            Activity(
                type=ActivityTypes.typing,
                text=text,
                entities=[StreamInfo(stream_type="informative", stream_sequence=self.sequence)],
            )
        )
        self.stream_id = response.id if response else None
        self.last_sent = time.monotonic()

    async def update(self, text: str) -> None:
        """The answer so far (already made safe by the answering service)."""
        self.text = text
        if not self.streaming or self.stream_id is None or self.updates_refused:
            return
        now = time.monotonic()
        if now - self.started > MAX_STREAM_S:
            raise AnswerStopped(by_reader=False)
        if now - self.last_sent < MIN_INTERVAL_S:
            return
        self.sequence += 1
        try:
            response = await self.context.send_activity(
                Activity(
                    type=ActivityTypes.typing,
                    text=self.text,
                    entities=[
                        StreamInfo(
                            stream_type="streaming", stream_sequence=self.sequence, stream_id=self.stream_id
                        )
                    ],
                )
            )
        except aiohttp.ClientResponseError as exc:
            if exc.status == 403:  # the reader pressed Stop (or Teams ended the stream): end it now
                self.stopped_by_reader = True
                raise AnswerStopped(by_reader=True) from exc
            log.warning("Teams refused a stream update (%s); the final message follows", exc.status)
            self.updates_refused = True
            return
        except Exception:  # the answer so far is optional: its failure must not cost the answer
            log.warning("Teams refused a stream update; the final message follows", exc_info=True)
            self.updates_refused = True
            return
        # counted from the end of this send, so a slow one never crowds the next
        self.last_sent = time.monotonic()
        if response is not None and response.id == SKIPPED_ID:  # no budget free: Teams never saw it
            self.sequence -= 1
            return
        self.sent_updates += 1

    async def _replace_placeholder(self, final: Activity) -> str | None:
        """The answer in place of the placeholder (one message in the chat, not two); None when Teams
        refuses the update, and the answer goes as a new message."""
        final.id = self.placeholder_id
        try:
            await self.context.update_activity(final)
        except Exception:
            log.warning(
                "Teams refused to replace the placeholder; the answer goes as a new message", exc_info=True
            )
            final.id = None
            return None
        return self.placeholder_id

    async def finish(self, reply: Reply) -> str | None:
        """Send the final message(s); return the id of the message carrying the answer."""
        activities = to_activities(reply, self.personal, self.reader)
        if self.streaming and self.stream_id is not None and len(activities) == 1:
            final = activities[0]
            final.entities = [
                StreamInfo(stream_type="final", stream_id=self.stream_id),
                *(final.entities or []),
            ]
            await self.context.send_activity(final)
            return self.stream_id  # Teams gives the finished stream the stream's id
        if self.streaming and self.stream_id is not None:
            # too long for one message: close the stream with the first part, send the rest after it
            first = activities[0]
            first.entities = [StreamInfo(stream_type="final", stream_id=self.stream_id)]
            await self.context.send_activity(first)
            activities = activities[1:]
        if self.placeholder_id is not None and len(activities) == 1:
            # Teams cannot replace one message by a text and a card (that would be two messages: HTTP 400
            # "multiple skype activities"): the answer takes the placeholder's place, its buttons follow
            final, cards = _without_cards(activities[0])
            replaced = await self._replace_placeholder(final)
            if replaced:
                if cards:
                    await self.context.send_activity(
                        Activity(type=ActivityTypes.message, text="", attachments=cards)
                    )
                return replaced
        last_id = None
        for activity in activities:
            response = await self.context.send_activity(activity)
            last_id = response.id if response else None
        return last_id


def _without_cards(activity: Activity) -> tuple[Activity, list[Attachment]]:
    """The activity without its attachments (not even a null field: the update must not clear them
    by name), and those attachments."""
    cards = list(activity.attachments or [])
    if not cards:
        return activity, []
    bare = activity.model_copy()
    bare.attachments = None
    bare.__pydantic_fields_set__.discard("attachments")
    return bare, cards
