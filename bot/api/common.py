"""What the ``/v1`` and ``/mcp`` doors share: the key check, the caller's language, and errors in
OpenAI's shape (``{"error": {"message", "type", "param", "code"}}``), whose message is Danish unless the
caller sends ``Accept-Language: en``."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.errors import AarhusAIError, http_headers, http_status, render_error
from bot.http_body import BodyProblem
from bot.locale import user_locale
from bot.messages import t
from bot.services import Actor, Application

log = logging.getLogger(__name__)

APPLICATION_KEY = web.AppKey("api_application", Application)
PARSE_ERROR_CODE = -32700  # JSON-RPC 2.0
PRM_PATH = "/.well-known/oauth-protected-resource"  # RFC 9728

# HTTP status (``bot.errors.http_status``) -> OpenAI's error type and code
_OPENAI_KIND: dict[int, tuple[str, str | None]] = {
    401: ("invalid_request_error", "invalid_api_key"),
    429: ("requests", "rate_limit_exceeded"),
    404: ("invalid_request_error", "model_not_found"),
    403: ("invalid_request_error", "forbidden"),
}


def locale_of(request: web.Request) -> str:
    """The caller's language: its ``Accept-Language``, else the installation's (``bot.locale``)."""
    return user_locale(request.headers.get("Accept-Language"), request.app[APPLICATION_KEY].default_locale)


def error_response(
    status: int,
    message: str,
    type_: str = "invalid_request_error",
    code: str | None = None,
    headers: dict[str, str] | None = None,
    param: str | None = None,
) -> web.Response:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return web.json_response(body, status=status, headers=headers)


def body_problem_response(problem: BodyProblem, locale: str) -> web.Response:
    """A refused body (``bot.http_body``) in OpenAI's shape and the caller's language."""
    code = {408: "request_timeout", 413: "request_too_large"}.get(problem.status)
    return error_response(
        problem.status, t("api_bad_request", locale, detail=problem.render(locale)), code=code
    )


def jsonrpc_refused(problem: BodyProblem, locale: str) -> web.Response:
    """A refused body on a JSON-RPC door (``/mcp``, ``/a2a``): JSON-RPC's parse error, in the caller's
    language, with the status ``bot.http_body`` chose."""
    log.info("refused JSON-RPC request: %s", problem.reason)
    message = t("api_bad_request", locale, detail=problem.render(locale))
    error = {"jsonrpc": "2.0", "id": None, "error": {"code": PARSE_ERROR_CODE, "message": message}}
    return web.json_response(error, status=problem.status)


def app_error_response(exc: AarhusAIError, locale: str) -> web.Response:
    """Any error in OpenAI's shape: status, headers and words from ``bot.errors``."""
    status = http_status(exc)
    default = ("server_error", None) if status >= 500 else ("invalid_request_error", None)
    type_, code = _OPENAI_KIND.get(status, default)
    return error_response(status, render_error(exc, locale), type_, code, http_headers(exc) or None)


def public_base(request: web.Request) -> str:
    """This service's address as clients reach it: ``AARHUSAI_PUBLIC_URL``, else the request's own
    scheme and host (fine on one host; behind a proxy, set the variable)."""
    configured = request.app[APPLICATION_KEY].settings.public_url
    return configured.rstrip("/") if configured else f"{request.scheme}://{request.host}"


def unauthenticated_response(request: web.Request, exc: AarhusAIError, locale: str) -> web.Response:
    """Like ``app_error_response``; a 401 also points at the protected-resource metadata (RFC 9728), so a
    client such as the MCP Inspector learns to send the key as a Bearer token instead of trying OAuth."""
    response = app_error_response(exc, locale)
    if response.status == 401:
        metadata = f"{public_base(request)}{PRM_PATH}{request.path.rstrip('/')}"
        error = ', error="invalid_token"' if request.headers.get("Authorization") else ""
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="aarhusai", resource_metadata="{metadata}"{error}'
        )
    return response


async def authorised(request: web.Request, endpoint: str) -> Actor:
    """The key's actor, with one request spent from its budget; ``AppError`` for 401 and 429."""
    integrations = request.app[APPLICATION_KEY].integrations
    return await integrations.aauthorise(request.headers.get("Authorization"), locale_of(request), endpoint)
