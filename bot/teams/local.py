"""Talk to the real Teams handler in-process, without Teams: the engine of ``aarhusai chat``.

Each message becomes a Teams-shaped personal-chat activity with ``deliveryMode: expectReplies``, so
the Agents SDK runs exactly the turn it runs for Teams and hands the replies back instead of
posting them to a connector.
"""

from __future__ import annotations

import uuid

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    DeliveryModes,
)
from microsoft_agents.hosting.core import ClaimsIdentity

from bot.teams.agent import TeamsBot

LOCAL_TENANT = "00000000-0000-0000-0000-000000000000"


class LocalTeamsChat:
    """A personal chat between one local user and the bot."""

    def __init__(self, bot: TeamsBot, user: str, locale: str = "da") -> None:
        self.bot = bot
        self.user = ChannelAccount(id=f"local:{user}", name=user, aad_object_id=f"local-{user}")
        self.conversation = ConversationAccount(
            id=f"local-chat:{user}", conversation_type="personal", tenant_id=LOCAL_TENANT
        )
        self.locale = locale

    async def send(self, text: str) -> list[str]:
        """Send ``text`` as the user; return the texts of the bot's message replies."""
        activity = Activity(
            type=ActivityTypes.message,
            id=uuid.uuid4().hex,
            text=text,
            channel_id="msteams",
            service_url="http://localhost/local-chat",
            delivery_mode=DeliveryModes.expect_replies,
            from_property=self.user,
            recipient=ChannelAccount(id="aarhusai-bot", name="AarhusAI"),
            conversation=self.conversation,
            locale=self.locale,
        )
        response = await self.bot.adapter.process_activity(ClaimsIdentity(), activity, self.bot.app.on_turn)
        replies = ((response.body or {}) if response else {}).get("activities", [])
        return [r.get("text") or "" for r in replies if r.get("type") == ActivityTypes.message]
