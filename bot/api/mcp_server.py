"""``/mcp``: the specialists as MCP tools and resources (Streamable HTTP), on the official MCP SDK.

Tools: ``list_specialists``, ``ask_specialist(specialist, question)``, ``search_sources(specialist,
query, k)``. Resources: ``specialist://{slug}/description`` and ``specialist://{slug}/sources``.

The same Bearer keys as ``/v1``: every HTTP request is authenticated and counted against the key's
budget here (401/429 before the SDK sees it), and every tool call authenticates again from the headers
the SDK hands it, so nothing runs without a live key. Stateless with JSON responses: any replica can
answer any request, with no session to keep. DNS-rebinding protection (Host/Origin checks) is off: it
guards servers that trust ambient credentials, and this one trusts only the key in each request.

The SDK is ASGI; the service is aiohttp. ``_asgi`` hands one aiohttp request to the SDK's session
manager and streams its answer back, so MCP shares the port, limits and shutdown of everything else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import PARSE_ERROR
from pydantic import BaseModel, Field

from bot import __version__
from bot.api.common import app_error_response, authorised, locale_of
from bot.api.openai_compat import CitationOut
from bot.domain import AnswerOutcome, AppError
from bot.errors import render_error
from bot.http_body import BodyProblem, decode_json, encode_json, read_body
from bot.locale import user_locale
from bot.messages import t
from bot.services import Actor, Application

log = logging.getLogger(__name__)

MAX_MCP_BODY = 1024 * 1024
MANAGER_KEY = web.AppKey("mcp_manager", StreamableHTTPSessionManager)


class SpecialistInfo(BaseModel):
    slug: str
    name: str
    description: str
    kind: str = Field(description="sources (answers from its documents) or general")
    classification: str


class SpecialistList(BaseModel):
    specialists: list[SpecialistInfo]


class AskResult(BaseModel):
    answer: str = Field(description="The answer, with [n] markers for its citations.")
    outcome: str
    generated: bool
    citations: list[CitationOut]


class PassageOut(BaseModel):
    source: str
    page: int | None = None
    heading: str | None = None
    text: str
    score: float


class SearchResult(BaseModel):
    passages: list[PassageOut]


def build_mcp(application: Application) -> MCPServer[Any]:
    integrations = application.integrations
    default_locale = application.default_locale

    async def actor_of(ctx: Context[Any, Any]) -> Actor:
        headers = ctx.headers or {}
        auth = headers.get("authorization") or headers.get("Authorization")
        locale = user_locale(headers.get("accept-language") or headers.get("Accept-Language"), default_locale)
        try:
            return await integrations.aauthenticate(auth, locale)
        except AppError as exc:
            raise ToolError(render_error(exc, locale)) from None

    server: MCPServer[Any] = _keeping_logging(
        lambda: MCPServer(
            "aarhusai",
            title="AarhusAI specialists",
            version=__version__,
            instructions=(
                "Municipal specialists that answer from their own documents with citations. Call "
                "list_specialists first; ask_specialist gives a cited answer, search_sources the passages."
            ),
        )
    )

    @server.tool(description="The specialists this key may use (slug, name, description, classification).")
    async def list_specialists(ctx: Context[Any, Any]) -> SpecialistList:
        actor = await actor_of(ctx)
        specs = await integrations.aspecialists(actor)
        return SpecialistList(
            specialists=[
                SpecialistInfo(
                    slug=s.slug,
                    name=s.name,
                    description=s.description,
                    kind=s.kind,
                    classification=s.classification,
                )
                for s in specs
            ]
        )

    @server.tool(description="Ask a specialist; a cited answer from its sources ([n] markers + citations).")
    async def ask_specialist(specialist: str, question: str, ctx: Context[Any, Any]) -> AskResult:
        actor = await actor_of(ctx)
        try:
            answer = await integrations.ask(actor, specialist, question, [], "mcp.ask")
        except AppError as exc:
            raise ToolError(render_error(exc, actor.locale)) from None
        if answer.outcome == AnswerOutcome.MODEL_ERROR:
            raise ToolError(answer.text)
        return AskResult(
            answer=answer.text,
            outcome=answer.outcome,
            generated=answer.generated,
            citations=[CitationOut.of(c) for c in answer.citations],
        )

    @server.tool(description="The passages of a specialist's sources that best match a query (k ≤ 20).")
    async def search_sources(specialist: str, query: str, ctx: Context[Any, Any], k: int = 5) -> SearchResult:
        actor = await actor_of(ctx)
        try:
            found = await integrations.search(actor, specialist, query, k, "mcp.search")
        except AppError as exc:
            raise ToolError(render_error(exc, actor.locale)) from None
        return SearchResult(
            passages=[
                PassageOut(source=p.source, page=p.page, heading=p.heading, text=p.text, score=p.score)
                for p in found
            ]
        )

    @server.resource(
        "specialist://{slug}/description", mime_type="text/markdown", description="What a specialist is for."
    )
    async def description(slug: str, ctx: Context[Any, Any]) -> str:
        actor = await actor_of(ctx)
        try:
            spec = await integrations.alisted(actor, slug, "mcp.resource")
        except AppError as exc:
            raise ResourceError(render_error(exc, actor.locale)) from None
        return f"# {spec.name}\n\n{spec.description}\n\nKlassifikation: {spec.classification}\n"

    @server.resource(
        "specialist://{slug}/sources",
        mime_type="text/markdown",
        description="The documents a specialist uses.",
    )
    async def sources(slug: str, ctx: Context[Any, Any]) -> str:
        actor = await actor_of(ctx)
        try:
            spec, rows = await integrations.asources(actor, slug, "mcp.resource")
        except AppError as exc:
            raise ResourceError(render_error(exc, actor.locale)) from None
        lines = [f"# {spec.name}: kilder", ""]
        lines += [
            f"- {r.name}" + (f" ({r.title})" if r.title else "") + f", {r.chunk_count} uddrag" for r in rows
        ]
        return "\n".join(lines) + "\n"

    return server


def _keeping_logging(build: Callable[[], MCPServer[Any]]) -> MCPServer[Any]:
    """``MCPServer()`` calls ``logging.basicConfig`` (a Rich handler on the root logger, at INFO); the
    service configures its own logs (``bot.logs``), so whatever the root logger had is put back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return build()
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def add_routes(app: web.Application, application: Application) -> None:
    server = build_mcp(application)
    server.streamable_http_app(
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        max_request_body_size=MAX_MCP_BODY,
    )
    app[MANAGER_KEY] = server.session_manager
    app.cleanup_ctx.append(_run_manager)
    app.router.add_route("*", "/mcp", _handle)
    app.router.add_route("*", "/mcp/", _handle)


async def _run_manager(app: web.Application) -> AsyncIterator[None]:
    """The SDK's task group lives in its own task: aiohttp may start and stop apps from different tasks."""
    manager = app[MANAGER_KEY]
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with manager.run():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    await started.wait()
    yield
    stop.set()
    await task


async def _handle(request: web.Request) -> web.StreamResponse:
    locale = locale_of(request)
    try:
        await authorised(request, "mcp")
    except AppError as exc:
        return app_error_response(exc, locale)
    return await _asgi(request, request.app[MANAGER_KEY])


def _refused(request: web.Request, problem: BodyProblem) -> web.Response:
    """A refused body as a JSON-RPC parse error (the SDK's own shape), in the caller's language."""
    locale = locale_of(request)
    log.info("refused MCP request: %s", problem.reason)
    message = t("api_bad_request", locale, detail=problem.render(locale))
    error = {"jsonrpc": "2.0", "id": None, "error": {"code": PARSE_ERROR, "message": message}}
    return web.json_response(error, status=problem.status)


async def _asgi(request: web.Request, manager: StreamableHTTPSessionManager) -> web.StreamResponse:
    """One request through an ASGI callable, its response streamed back through aiohttp. A body is
    read, checked and cleaned here (``bot.http_body``), and the SDK parses the cleaned body: its own
    parser would pass on NUL characters and ``NaN``."""
    body = b""
    if request.method == "POST" or request.can_read_body:
        raw = await read_body(request, MAX_MCP_BODY)
        value = decode_json(raw) if not isinstance(raw, BodyProblem) else raw
        if isinstance(value, BodyProblem):
            return _refused(request, value)
        body = encode_json(value)
    done = asyncio.Event()
    sent_body = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    response: web.StreamResponse | None = None
    status, headers = 500, []

    async def send(message: dict[str, Any]) -> None:
        nonlocal response, status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], message.get("headers", [])
            return
        if message["type"] != "http.response.body":
            return
        if response is None:
            response = web.StreamResponse(status=status)
            for name, value in headers:
                key = name.decode("latin-1")
                if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                    response.headers.add(key, value.decode("latin-1"))
            await response.prepare(request)
        chunk = message.get("body", b"")
        if chunk:
            await response.write(chunk)
        if not message.get("more_body", False):
            await response.write_eof()
            done.set()

    peer = request.transport.get_extra_info("peername") if request.transport else None
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": f"{request.version.major}.{request.version.minor}",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.raw_path.split("?", 1)[0].encode("latin-1"),
        "query_string": request.query_string.encode("latin-1"),
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.raw_headers],
        "client": tuple(peer[:2]) if peer else None,
        "server": None,
        "state": {},
    }
    try:
        await manager.handle_request(scope, receive, send)
    finally:
        done.set()
    if response is None:
        return web.Response(status=status)
    return response
