"""The door for case systems and tools: ``/v1`` (OpenAI-compatible), ``/mcp`` (MCP, Streamable
HTTP) and ``/a2a/{slug}`` (A2A agents), all with scoped Bearer keys. Like ``bot/teams`` it only
translates: every rule — which key reaches which specialist, the budget, the audit, the answer itself —
is ``IntegrationsService``'s."""

from __future__ import annotations

from aiohttp import web

from bot.api import a2a_server, cors, mcp_server, openai_compat
from bot.api.common import APPLICATION_KEY
from bot.services import Application


def add_api_routes(app: web.Application, application: Application) -> None:
    app[APPLICATION_KEY] = application
    cors.install(app)
    openai_compat.add_routes(app)
    mcp_server.add_routes(app, application)
    a2a_server.add_routes(app, application)


__all__ = ["add_api_routes"]
