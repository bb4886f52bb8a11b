"""The Agents SDK wiring: one ``AgentApplication`` whose handlers translate Teams activities for the
dispatcher.

A message (text, files, card submission) is one ``Dispatcher.turn`` with a ``TeamsStream`` as its
reply channel: streamed in personal chats, placeholder + final message elsewhere. Feedback votes and
installs are handled here too. Nothing below this package sees an activity.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from microsoft_agents.activity import Activity, ActivityTypes, DeliveryModes, InvokeResponse
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
from bot.conversation.types import Reach
from bot.dispatcher import Dispatcher
from bot.messages import t
from bot.teams.activity import answer_in_thread, to_incoming
from bot.teams.cards import render as render_card
from bot.teams.connector_sessions import ConnectorSessions
from bot.teams.files import DownloadPolicy
from bot.teams.hosts import HostAllowList
from bot.teams.identity import ChannelIdentity, GuardedClientFactory, reply_hosts
from bot.teams.outbound import SendPolicy, SharedSendLimiter
from bot.teams.render import to_activities
from bot.teams.streaming import TeamsStream

log = logging.getLogger(__name__)


class Delivery(Protocol):
    """What replicas share about delivery (``bot.services.delivery.DeliveryService``)."""

    async def begin(
        self, conversation_id: str, activity_id: str, reach: Reach | None = None
    ) -> tuple[bool, int]:
        """Whether this replica answers the activity, and the earlier turns still running; ``reach``:
        the sender's personal chat, remembered for notifications."""

    async def finish(self, conversation_id: str, activity_id: str) -> None:
        """The claimed turn is done."""

    async def earlier_turns(self, conversation_id: str, activity_id: str) -> int:
        """Turns of the conversation claimed earlier and still running, on any replica."""

    async def reserve_send(self, budgets: Sequence[tuple[str, Sequence[tuple[int, float]]]]) -> float:
        """One send from every budget: 0.0 when taken, else the seconds to wait."""


@dataclass
class TeamsBot:
    """What the HTTP layer and the local chat need: the app, its adapter and the auth settings."""

    app: AgentApplication[TurnState]
    adapter: CloudAdapter
    auth: AgentAuthConfiguration
    downloads: DownloadPolicy
    delivery: Delivery
    tenant_allowed: Callable[[str | None], bool] = lambda _tenant: True
    identity: ChannelIdentity | None = None  # the production rules; None in local mode
    sessions: ConnectorSessions | None = None  # closed when the server stops
    hosts: HostAllowList | None = None  # where replies (and so notifications) may be sent
    app_id: str = ""  # the bot's app id (proactive sends ask for its token); "" in local mode
    locale: str = "da"  # the installation's language


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """Bot Framework JWTs are required when an app id is set, from the channel's issuers only (the SDK
    checks them only when told to); local mode admits anonymous calls."""
    if settings.local_mode:
        return AgentAuthConfiguration(anonymous_allowed=True)
    return AgentAuthConfiguration(
        client_id=settings.app_id,
        tenant_id=settings.tenant_id,
        client_secret=settings.app_password,
        anonymous_allowed=False,
        issuers=ChannelIdentity.from_settings(settings).issuers,
        validate_issuer=True,
    )


def can_stream(activity: Activity) -> bool:
    """Teams streams only in personal chats; buffered (expectReplies) turns cannot stream at all."""
    conversation_type = activity.conversation.conversation_type if activity.conversation else None
    return (
        activity.channel_id == "msteams"
        and conversation_type in (None, "personal")
        and activity.delivery_mode != DeliveryModes.expect_replies
    )


def build_teams_bot(settings: Settings, core: Dispatcher, delivery: Delivery) -> TeamsBot:
    auth = auth_configuration(settings)
    downloads = DownloadPolicy.from_setting(settings.download_hosts)
    sessions = ConnectorSessions()  # one HTTP session per Teams endpoint, shared by the turns
    # MsalAuth builds its msal clients on first use, so nothing here touches the network.
    connections = MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": auth})
    # every connector client (and so the bot's connector token) goes to a Teams service host only
    hosts = reply_hosts(settings)
    adapter = CloudAdapter(
        connection_manager=connections,
        channel_service_client_factory=GuardedClientFactory(connections, hosts, sessions),
    )
    adapter.use(SendPolicy(SharedSendLimiter(delivery)))
    app = AgentApplication[TurnState](
        storage=MemoryStorage(),
        connection_manager=connections,
        bot_app_id=settings.app_id or "",
        start_typing_timer=False,  # we send our own informative updates
    )

    async def on_message(context: TurnContext, _state: TurnState) -> None:
        answer_in_thread(context.activity)
        incoming = to_incoming(context.activity, settings.locale, downloads)
        await core.turn(incoming, TeamsStream(context, streaming=can_stream(context.activity)))

    async def on_feedback(context: TurnContext, _state: TurnState) -> None:
        value = context.activity.value if isinstance(context.activity.value, dict) else {}
        action = value.get("actionValue") if isinstance(value.get("actionValue"), dict) else {}
        if value.get("actionName") == "feedback":
            incoming = to_incoming(context.activity, settings.locale)
            reaction = str(action.get("reaction", ""))
            form = _form_values(action.get("feedback"))
            if form is not None:  # our own form (feedbackLoop "custom"): reason, comment, ask a person
                reply = await core.feedback_form(incoming, context.activity.reply_to_id, reaction, form)
                stored = reply is not None
            else:  # Teams' default form: the text only
                stored = await core.feedback(
                    incoming, context.activity.reply_to_id, reaction, str(action.get("feedback", ""))
                )
                reply = None
            if not stored:
                log.info("feedback on an unknown answer ignored (replyToId %s)", context.activity.reply_to_id)
            await context.send_activity(
                Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body={}))
            )
            if reply is not None:  # after the invoke's answer: Teams closes the dialog first
                for out in to_activities(reply):
                    await context.send_activity(out)
            return
        await context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body={}))
        )

    async def on_fetch_task(context: TurnContext, _state: TurnState) -> None:
        """A 👍/👎 on an answer with ``feedbackLoop: custom``: the dialog with the bot's own form."""
        value = context.activity.value if isinstance(context.activity.value, dict) else {}
        action = value.get("actionValue") if isinstance(value.get("actionValue"), dict) else {}
        locale = to_incoming(context.activity, settings.locale).locale
        data = core.feedback_dialog(locale, str(action.get("reaction", "")))
        card = render_card("", data)
        body = {
            "task": {
                "type": "continue",
                "value": {
                    "title": str(data.get("title") or t("feedback_form_title", locale)),
                    "height": "medium",
                    "width": "medium",
                    "card": {"contentType": card.content_type, "content": card.content} if card else None,
                },
            }
        }
        await context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
        )

    async def on_install(context: TurnContext, _state: TurnState) -> None:
        activity = context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = activity.type == ActivityTypes.installation_update and activity.action in (None, "add")
        added = added or any(m.id == bot_id for m in activity.members_added or [])
        if not added or activity.conversation is None:
            return
        where = to_incoming(activity, settings.locale)
        welcome = await core.welcome(where.conversation, where.locale)
        if welcome is not None:
            personal = where.conversation.type == "personal"
            for out in to_activities(welcome, personal=personal, reader=where.user.id or None):
                await context.send_activity(out)

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        ref = uuid.uuid4().hex[:8]
        log.error("turn failed (ref %s)", ref, exc_info=error)
        try:
            await context.send_activity(t("internal_error", settings.locale, ref=ref))
        except Exception:  # the connector itself may be what failed
            log.warning("could not tell the user about error %s", ref, exc_info=True)

    app.activity(ActivityTypes.message)(on_message)
    app.invoke("message/submitAction")(on_feedback)
    app.invoke("message/fetchTask")(on_fetch_task)
    app.activity(ActivityTypes.conversation_update)(on_install)
    app.activity(ActivityTypes.installation_update)(on_install)
    app.error(on_turn_error)
    adapter.on_turn_error = on_turn_error
    identity = None if settings.local_mode else ChannelIdentity.from_settings(settings)
    return TeamsBot(
        app=app,
        adapter=adapter,
        auth=auth,
        downloads=downloads,
        delivery=delivery,
        tenant_allowed=settings.tenant_allowed,
        identity=identity,
        sessions=sessions,
        hosts=hosts,
        app_id="" if settings.local_mode else settings.app_id or "",
        locale=settings.locale,
    )


def _form_values(feedback: object) -> dict[str, object] | None:
    """The bot's own form arrives as the ``feedback`` text holding its values as JSON (Teams' default
    form sends ``{"feedbackText": …}``, which is not ours)."""
    if isinstance(feedback, dict):
        data: object = feedback
    else:
        try:
            data = json.loads(str(feedback or ""))
        except ValueError:
            return None
    if isinstance(data, dict) and (data.get("aarhusai") == "feedback_form" or "reason" in data):
        return dict(data)
    return None
