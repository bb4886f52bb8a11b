"""``POST /api/messages``: authenticate, validate, then hand the activity to the Agents SDK.

The SDK answers a malformed activity with 500; we answer every bad request with a 4xx before it
gets that far, so a broken or hostile client cannot make the service look unhealthy.
"""

from __future__ import annotations

import logging
import uuid
import warnings

import jwt
from aiohttp import web
from microsoft_agents.activity import Activity, ActivityTypes, DeliveryModes
from microsoft_agents.hosting.aiohttp import jwt_authorization_decorator
from microsoft_agents.hosting.core import ClaimsIdentity
from pydantic import ValidationError

from bot.config import host_header_is_loopback
from bot.http_body import READ_TIMEOUT_S, BodyProblem, read_json_object
from bot.teams.activity import tenant_allowed, tenants_of
from bot.teams.agent import TeamsBot
from bot.teams.delivery import BackgroundTurns
from bot.teams.identity import LoopbackOnly

log = logging.getLogger(__name__)

MAX_ACTIVITY_BYTES = 1024 * 1024  # Teams caps activities far below this
KNOWN_TYPES = frozenset(t.value for t in ActivityTypes)
KNOWN_INVOKES = frozenset({"message/submitAction", "message/fetchTask", "adaptiveCard/action"})
TEAMS_BOT_KEY = web.AppKey("teams_bot", TeamsBot)
BACKGROUND_KEY = web.AppKey("background_turns", BackgroundTurns)


def _bad_request(reason: str) -> web.Response:
    log.info("refused request: %s", reason)
    return web.json_response({"error": reason}, status=400)


async def validate_activity(request: web.Request) -> web.Response | Activity:
    """The activity, or a 4xx response for a request the SDK must not see."""
    body = await read_json_object(request, MAX_ACTIVITY_BYTES, READ_TIMEOUT_S)
    if isinstance(body, BodyProblem):
        if body.status == 408:
            log.info("refused request: %s", body.reason)
            return web.json_response({"error": "request body timed out"}, status=408)
        if body.status == 413:
            return web.json_response({"error": "activity too large"}, status=413)
        return _bad_request("activity must be a JSON object" if "object" in body.reason else body.reason)
    try:
        activity = Activity.model_validate(body)
    except ValidationError as exc:
        return _bad_request(f"invalid activity: {exc.error_count()} field error(s)")
    if activity.type not in KNOWN_TYPES:
        return _bad_request(f"unknown activity type {activity.type!r}")
    if activity.conversation is None or not activity.conversation.id:
        return _bad_request("activity has no conversation.id")
    if activity.from_property is None or not activity.from_property.id:
        return _bad_request("activity has no from.id")
    if not activity.service_url and activity.delivery_mode != DeliveryModes.expect_replies:
        return _bad_request("activity has no serviceUrl")
    if activity.is_agentic_request():  # this bot is no agentic app: never fetch agentic tokens
        return _bad_request("agentic recipient role refused")
    if activity.type == ActivityTypes.invoke and activity.name not in KNOWN_INVOKES:
        return _bad_request(f"unknown invoke {str(activity.name)[:64]!r}")
    return activity


def _token_problem(request: web.Request) -> str | None:
    """Checks the SDK does not make (or makes with a crash): a bearer JWT must name its signing key
    (``kid``) and carry an expiry (``exp``). Signature, issuer and audience stay the SDK's job."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None  # the SDK answers 401 itself
    try:
        if "kid" not in jwt.get_unverified_header(token):
            return "token has no kid"
        if "exp" not in jwt.decode(token, options={"verify_signature": False}):
            return "token has no exp"
    except jwt.PyJWTError:
        return "token is not a JWT"
    return None


def _browser_problem(request: web.Request) -> str | None:
    """Local mode admits anonymous activities on loopback, and a web page the developer visits could
    post one there (a form or ``fetch(..., {mode: "no-cors"})`` needs no preflight; DNS rebinding gives
    it a loopback address under its own name). So a local-mode activity must name a loopback host,
    come from no foreign page (``Origin``), and be declared JSON (which a page cannot send cross-origin
    without a preflight this server never answers)."""
    if not host_header_is_loopback(request.host):
        return f"local mode: Host {(request.host or '')[:64]!r} is not loopback"
    origin = request.headers.get("Origin")
    if origin is not None and not LoopbackOnly().allows(origin):
        return "local mode: request from a web page"
    if request.content_type != "application/json":
        return "local mode: activity is not declared application/json"
    return None


@web.middleware
async def guard_messages(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Before the SDK's JWT check on /api/messages: refuse tokens it would crash on or accept wrongly,
    browsers' requests in local mode, and turn any crash in that check into 401, never 500."""
    if request.path != "/api/messages" or request.method != "POST":
        return await handler(request)
    if request.app[TEAMS_BOT_KEY].identity is None and (problem := _browser_problem(request)):
        log.warning("refused request: %s", problem)
        return web.json_response({"error": "forbidden"}, status=403)
    problem = _token_problem(request)
    if problem:
        log.info("refused request: %s", problem)
        return web.json_response({"error": "unauthorized"}, status=401)
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (KeyError, ValueError, jwt.PyJWTError) as exc:
        log.info("refused request: token check failed (%s)", type(exc).__name__)
        return web.json_response({"error": "unauthorized"}, status=401)


def _unauthorized(reason: str) -> web.Response:
    log.warning("refused request: %s", reason)
    return web.json_response({"error": "unauthorized"}, status=401)


@jwt_authorization_decorator
async def messages(request: web.Request) -> web.StreamResponse:
    bot = request.app[TEAMS_BOT_KEY]
    claims = request.get("claims_identity") or ClaimsIdentity()
    identity = bot.identity
    if identity is not None and (problem := identity.token_problem(claims.claims or {})):
        return _unauthorized(problem)  # before the body is read
    activity = await validate_activity(request)
    if isinstance(activity, web.Response):
        return activity
    if identity is not None and (
        problem := identity.reply_problem(claims.claims or {}, activity.service_url)
    ):
        return _unauthorized(problem)
    if not tenant_allowed(activity, bot.tenant_allowed):
        log.warning("refused %s activity from tenant(s) %s", activity.type, tenants_of(activity) or "–")
        return web.json_response({"error": "tenant not allowed"}, status=403)
    if activity.type == ActivityTypes.message and activity.delivery_mode != DeliveryModes.expect_replies:
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

    async def close_sessions(_app: web.Application) -> None:
        if bot.sessions is not None:
            await bot.sessions.close()

    app.on_shutdown.append(drain)
    app.on_cleanup.append(close_sessions)
    with warnings.catch_warnings():  # the SDK's JWT decorator reads this plain string key
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        app["agent_configuration"] = bot.auth
    app.middlewares.append(guard_messages)
    app.router.add_post("/api/messages", messages)
