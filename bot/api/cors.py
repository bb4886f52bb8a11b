"""CORS for ``/v1`` and ``/mcp``: a browser page from an origin in ``AARHUSAI_CORS_ORIGINS`` (Open WebUI
talking straight from the browser, say) may call them with its key; any other origin gets no CORS
header, and its preflight is refused. Keys travel in ``Authorization``, never in cookies, so no
credentials are allowed."""

from __future__ import annotations

from aiohttp import web

from bot.api.common import APPLICATION_KEY, error_response, locale_of
from bot.messages import t

ALLOWED_METHODS = "GET, HEAD, POST, DELETE, OPTIONS"
ALLOWED_HEADERS = (
    "Authorization, Content-Type, Accept, Accept-Language, Mcp-Session-Id, Mcp-Protocol-Version, "
    "Last-Event-Id"
)
EXPOSED_HEADERS = "Retry-After, WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version"
MAX_AGE_S = "600"


def covered(path: str) -> bool:
    return path.startswith("/v1/") or path in ("/mcp", "/mcp/")


def _allowed(request: web.Request) -> str | None:
    """The request's origin when it may call, else None."""
    origin = request.headers.get("Origin")
    if not origin or not covered(request.path):
        return None
    origins = request.app[APPLICATION_KEY].settings.cors_origins
    return origin if origin.lower() in origins else None


@web.middleware
async def preflight(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """``OPTIONS`` with ``Access-Control-Request-Method`` on a covered path: answered here (204 for an
    allowed origin, 403 otherwise), before any route or key check."""
    if (
        request.method == "OPTIONS"
        and covered(request.path)
        and "Access-Control-Request-Method" in request.headers
    ):
        origin = _allowed(request)
        if origin is None:
            text = t("api_cors_refused", locale_of(request), origin=request.headers.get("Origin", "")[:100])
            return error_response(403, text, code="cors_origin_not_allowed")
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": MAX_AGE_S,
                "Vary": "Origin",
            },
        )
    return await handler(request)


async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """Every response to an allowed origin (streams too: this runs as their headers go out)."""
    if not covered(request.path):
        return
    response.headers.add("Vary", "Origin")
    origin = _allowed(request)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS


def install(app: web.Application) -> None:
    app.middlewares.append(preflight)
    app.on_response_prepare.append(on_prepare)
