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
from microsoft_agents.activity import Activity, ActivityTypes
from microsoft_agents.hosting.aiohttp import jwt_authorization_decorator
from pydantic import ValidationError

from bot.teams.agent import TeamsBot

log = logging.getLogger(__name__)

MAX_ACTIVITY_BYTES = 1024 * 1024  # Teams caps activities far below this
KNOWN_TYPES = frozenset(t.value for t in ActivityTypes)
TEAMS_BOT_KEY = web.AppKey("teams_bot", TeamsBot)


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


async def validate_activity(request: web.Request) -> web.Response | None:
    """Return a 4xx response for a request the SDK must not see, else ``None``."""
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
    return None


@jwt_authorization_decorator
async def messages(request: web.Request) -> web.StreamResponse:
    rejected = await validate_activity(request)
    if rejected is not None:
        return rejected
    bot = request.app[TEAMS_BOT_KEY]
    try:
        response = await bot.adapter.process(request, bot.app)
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("activity processing failed (ref %s)", ref)
        return web.json_response({"error": f"internal error {ref}"}, status=500)
    return response or web.Response(status=202)


def add_message_routes(app: web.Application, bot: TeamsBot) -> None:
    app[TEAMS_BOT_KEY] = bot
    with warnings.catch_warnings():  # the SDK's JWT decorator reads this plain string key
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        app["agent_configuration"] = bot.auth
    app.router.add_post("/api/messages", messages)
