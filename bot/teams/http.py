"""``POST /api/messages``: authenticate, validate, then hand the activity to the Agents SDK.

The SDK answers a malformed activity with 500; we answer every bad request with a 4xx before it
gets that far, so a broken or hostile client cannot make the service look unhealthy.
"""

from __future__ import annotations

import json
import logging
import uuid
import warnings

from aiohttp import web
from microsoft_agents.activity import Activity, ActivityTypes, DeliveryModes
from microsoft_agents.hosting.aiohttp import jwt_authorization_decorator
from microsoft_agents.hosting.core import ClaimsIdentity
from pydantic import ValidationError

from bot.teams.agent import TeamsBot
from bot.teams.delivery import BackgroundTurns

log = logging.getLogger(__name__)

MAX_ACTIVITY_BYTES = 1024 * 1024  # Teams caps activities far below this
KNOWN_TYPES = frozenset(t.value for t in ActivityTypes)
TEAMS_BOT_KEY = web.AppKey("teams_bot", TeamsBot)
BACKGROUND_KEY = web.AppKey("background_turns", BackgroundTurns)


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


async def validate_activity(request: web.Request) -> web.Response | Activity:
    """The activity, or a 4xx response for a request the SDK must not see."""
    if request.content_length is not None and request.content_length > MAX_ACTIVITY_BYTES:
        return web.json_response({"error": "activity too large"}, status=413)
    try:
        raw = await request.read()  # raises 413 itself past client_max_size
    except web.HTTPRequestEntityTooLarge:
        return web.json_response({"error": "activity too large"}, status=413)
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _bad_request("body is not valid JSON")
    if not isinstance(body, dict):
        return _bad_request("activity must be a JSON object")
    try:
        activity = Activity.model_validate(body)
    except ValidationError as exc:
        return _bad_request(f"invalid activity: {exc.error_count()} field error(s)")
    if activity.type not in KNOWN_TYPES:
        return _bad_request(f"unknown activity type {activity.type!r}")
    if activity.conversation is None or not activity.conversation.id:
        return _bad_request("activity has no conversation.id")
    return activity


@jwt_authorization_decorator
async def messages(request: web.Request) -> web.StreamResponse:
    activity = await validate_activity(request)
    if isinstance(activity, web.Response):
        return activity
    bot = request.app[TEAMS_BOT_KEY]
    if activity.type == ActivityTypes.message and activity.delivery_mode != DeliveryModes.expect_replies:
        claims = request.get("claims_identity") or ClaimsIdentity()
        accepted = request.app[BACKGROUND_KEY].accept(activity, claims)
        return web.Response(status=202 if accepted else 200)
    try:
        response = await bot.adapter.process(request, bot.app)
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("activity processing failed (ref %s)", ref)
        return web.json_response({"error": f"internal error {ref}"}, status=500)
    return response or web.Response(status=202)


def add_message_routes(app: web.Application, bot: TeamsBot) -> None:
    app[TEAMS_BOT_KEY] = bot
    background = app[BACKGROUND_KEY] = BackgroundTurns(bot)

    async def drain(_app: web.Application) -> None:
        await background.drain()

    app.on_shutdown.append(drain)
    with warnings.catch_warnings():  # the SDK's JWT decorator reads this plain string key
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        app["agent_configuration"] = bot.auth
    app.router.add_post("/api/messages", messages)
