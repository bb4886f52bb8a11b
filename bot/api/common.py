"""What the ``/v1`` and ``/mcp`` doors share: the key check, the caller's language, and errors in
OpenAI's shape (``{"error": {"message", "type", "param", "code"}}``), whose message is Danish unless the
caller sends ``Accept-Language: en``."""

from __future__ import annotations

from aiohttp import web

from bot.errors import AarhusAIError, http_headers, http_status, render_error
from bot.http_body import BodyProblem
from bot.locale import user_locale
from bot.messages import t
from bot.services import Actor, Application

APPLICATION_KEY = web.AppKey("api_application", Application)

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


def app_error_response(exc: AarhusAIError, locale: str) -> web.Response:
    """Any error in OpenAI's shape: status, headers and words from ``bot.errors``."""
    status = http_status(exc)
    default = ("server_error", None) if status >= 500 else ("invalid_request_error", None)
    type_, code = _OPENAI_KIND.get(status, default)
    return error_response(status, render_error(exc, locale), type_, code, http_headers(exc) or None)


async def authorised(request: web.Request, endpoint: str) -> Actor:
    """The key's actor, with one request spent from its budget; ``AppError`` for 401 and 429."""
    integrations = request.app[APPLICATION_KEY].integrations
    return await integrations.aauthorise(request.headers.get("Authorization"), locale_of(request), endpoint)
