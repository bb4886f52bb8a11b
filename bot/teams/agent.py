"""The Agents SDK wiring: one ``AgentApplication`` whose handlers hand messages to the core."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from microsoft_agents.activity import ActivityTypes
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    MemoryStorage,
    TurnContext,
    TurnState,
)

from bot.config import Settings
from bot.conversation import ConversationCore, Reply
from bot.i18n import t
from bot.teams.activity import to_activity, to_incoming

log = logging.getLogger(__name__)


@dataclass
class TeamsBot:
    """What the HTTP layer and the local chat need: the app, its adapter and the auth settings."""

    app: AgentApplication[TurnState]
    adapter: CloudAdapter
    auth: AgentAuthConfiguration


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """Bot Framework JWTs are required when an app id is set; local mode admits anonymous calls."""
    if settings.local_mode:
        return AgentAuthConfiguration(anonymous_allowed=True)
    return AgentAuthConfiguration(
        client_id=settings.app_id,
        tenant_id=settings.tenant_id,
        client_secret=settings.app_password,
        anonymous_allowed=False,
    )


def build_teams_bot(settings: Settings, core: ConversationCore) -> TeamsBot:
    auth = auth_configuration(settings)
    # MsalAuth builds its msal clients on first use, so nothing here touches the network.
    connections = MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": auth})
    adapter = CloudAdapter(connection_manager=connections)
    app = AgentApplication[TurnState](
        storage=MemoryStorage(), connection_manager=connections, bot_app_id=settings.app_id or ""
    )

    async def on_message(context: TurnContext, _state: TurnState) -> None:
        incoming = to_incoming(context.activity, settings.locale)

        async def notify(text: str) -> None:
            await context.send_activity(to_activity(Reply(text, kind="notice")))

        reply = await core.handle(incoming, notify=notify)
        await context.send_activity(to_activity(reply))

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        ref = uuid.uuid4().hex[:8]
        log.error("turn failed (ref %s)", ref, exc_info=error)
        try:
            await context.send_activity(t("internal_error", settings.locale, ref=ref))
        except Exception:  # the connector itself may be what failed
            log.warning("could not tell the user about error %s", ref, exc_info=True)

    app.activity(ActivityTypes.message)(on_message)
    app.error(on_turn_error)
    adapter.on_turn_error = on_turn_error
    return TeamsBot(app=app, adapter=adapter, auth=auth)
