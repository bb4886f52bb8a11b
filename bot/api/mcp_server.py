"""``/mcp``: the specialists as MCP tools and resources (Streamable HTTP), on the official MCP SDK.

Tools: ``list_specialists``, ``ask_specialist(specialist, question, history)``, ``search_sources(specialist,
query, k)``, each with a title, read-only annotations and a described, bounded schema. Resources: the
templates ``specialist://{slug}/description`` and ``specialist://{slug}/sources``, and ``resources/list``
names them concretely for each specialist the calling key may read.

The same Bearer keys as ``/v1``: every HTTP request is authenticated and counted against the key's
budget here (401/429 before the SDK sees it; the 401 points at ``/.well-known/oauth-protected-resource``,
which says "send the key as a Bearer token", so a client does not start an OAuth flow), and every tool
call authenticates again from the headers the SDK hands it, so nothing runs without a live key.
Stateless with JSON responses: any replica can answer any request, with no session to keep; so there is
no server-to-client stream and ``GET /mcp`` is answered at once with 405 (the spec's choice for a server
without one). DNS-rebinding protection (Host/Origin checks) is off: it guards servers that trust ambient
credentials, and this one trusts only the key in each request.

Errors are one sentence from the catalogue, in the caller's language: arguments are checked against
the published schema first (``bot.api.arguments``), so no pydantic dump reaches an agent.
"""

# No ``from __future__ import annotations``: the tools' annotations name a limit read from the settings
# (a local of ``build_mcp``), and the SDK evaluates them to publish the schema.
import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Annotated, Any, Literal

from aiohttp import web
from mcp.server.context import CallNext, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INVALID_REQUEST,
    CallToolResult,
    ListResourcesResult,
    Resource,
    TextContent,
    ToolAnnotations,
)
from pydantic import BaseModel, ConfigDict, Field

from bot import __version__
from bot.api.arguments import argument_problem
from bot.api.asgi import call_asgi
from bot.api.common import (
    PRM_PATH,
    authorised,
    error_response,
    jsonrpc_refused,
    locale_of,
    public_base,
    unauthenticated_response,
)
from bot.api.facts import SpecialistFacts, facts_out
from bot.api.openai_compat import CitationOut
from bot.conversation.types import Exchange
from bot.domain import SLUG_PATTERN, AnswerOutcome, AppError
from bot.errors import render_error
from bot.http_body import MAX_STRING_CHARS, BodyProblem, decode_json, encode_json, read_body
from bot.locale import user_locale
from bot.messages import t
from bot.services import Actor, Application
from bot.services.integrations import MAX_SEARCH_K

MAX_MCP_BODY = 1024 * 1024
MAX_HISTORY = 50  # earlier turns a caller may send; the specialist's own setting decides how many are used
MANAGER_KEY = web.AppKey("mcp_manager", StreamableHTTPSessionManager)
_TOOL_PREFIX = "Error executing tool "  # the SDK's English prefix on a tool's own error text

Slug = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=SLUG_PATTERN,
        description="The specialist's slug, as list_specialists gives it (e.g. 'pas').",
    ),
]
Text = Annotated[str, Field(max_length=MAX_STRING_CHARS)]


class SpecialistInfo(BaseModel):
    slug: str = Field(description="Pass this as `specialist` to the other tools.")
    name: str
    description: str = Field(description="What the specialist answers about (its Builder's words).")
    kind: str = Field(description="sources (answers from its documents) or general")
    classification: str = Field(description="The highest data classification its answers may draw on.")
    about: SpecialistFacts = Field(
        description="Om specialisten: purpose, owner, sources, classification, model and where it runs, "
        "last screening."
    )


class SpecialistList(BaseModel):
    specialists: list[SpecialistInfo]


class AskResult(BaseModel):
    answer: str = Field(description="The answer, with [n] markers for its citations.")
    outcome: str = Field(
        description="answered, sources_only, no_answer, refused, pii_blocked, too_long, withheld, …"
    )
    generated: bool = Field(description="True when a language model wrote the text.")
    citations: list[CitationOut] = Field(description="The passages behind the [n] markers.")


class PassageOut(BaseModel):
    source: str = Field(description="The document's file name.")
    page: int | None = None
    heading: str | None = None
    text: str
    score: float = Field(description="Relevance from 0 to 1.")


class SearchResult(BaseModel):
    passages: list[PassageOut]


class QuestionAnswer(BaseModel):
    """An earlier exchange as a question and its answer."""

    model_config = ConfigDict(extra="forbid")
    question: Text
    answer: Text


class RoleTurn(BaseModel):
    """An earlier message in chat form (OpenAI's roles: a user asks, the assistant answers)."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: Text


Turn = QuestionAnswer | RoleTurn


def exchanges(turns: list[Turn]) -> tuple[list[Exchange], str]:
    """The history as question/answer pairs, and any user messages left without an answer (they belong
    to the question, as on ``/v1``)."""
    history: list[Exchange] = []
    asked: list[str] = []
    for turn in turns:
        if isinstance(turn, QuestionAnswer):
            history.append(Exchange("\n".join([*asked, turn.question]), turn.answer))
            asked = []
        elif turn.role == "user":
            asked.append(turn.content)
        elif asked:
            history.append(Exchange("\n".join(asked), turn.content))
            asked = []
    return history, "\n".join(asked)


def build_mcp(application: Application) -> MCPServer[Any]:
    integrations = application.integrations
    default_locale = application.default_locale
    max_question = application.settings.max_question_chars
    read_only = {"read_only_hint": True, "destructive_hint": False, "open_world_hint": False}

    def locale_from(headers: Mapping[str, str] | None) -> str:
        headers = headers or {}
        return user_locale(headers.get("accept-language") or headers.get("Accept-Language"), default_locale)

    async def actor_from(headers: Mapping[str, str] | None) -> Actor:
        headers = headers or {}
        auth = headers.get("authorization") or headers.get("Authorization")
        return await integrations.aauthenticate(auth, locale_from(headers))

    async def actor_of(ctx: Context[Any, Any]) -> Actor:
        try:
            return await actor_from(ctx.headers)
        except AppError as exc:
            raise ToolError(render_error(exc, locale_from(ctx.headers))) from None

    server: MCPServer[Any] = _keeping_logging(
        lambda: MCPServer(
            "aarhusai",
            title="AarhusAI specialists",
            version=__version__,
            instructions=(
                "Municipal specialists that answer from their own documents with citations. Call "
                "list_specialists first; ask_specialist gives a cited answer, search_sources the passages. "
                "Authenticate with the API key as a Bearer token."
            ),
        )
    )

    @server.tool(
        title="List specialists",
        description="The specialists this key may use (slug, name, description, classification).",
        annotations=ToolAnnotations(title="List specialists", idempotent_hint=True, **read_only),
    )
    async def list_specialists(ctx: Context[Any, Any]) -> SpecialistList:
        actor = await actor_of(ctx)
        specs = await integrations.aspecialists_about(actor)
        return SpecialistList(
            specialists=[
                SpecialistInfo(
                    slug=s.slug,
                    name=s.name,
                    description=s.description,
                    kind=s.kind,
                    classification=s.classification,
                    about=facts_out(about, actor.locale),
                )
                for s, about in specs
            ]
        )

    @server.tool(
        title="Ask a specialist",
        description=(
            "Ask a specialist; a cited answer from its sources ([n] markers + citations). Send earlier "
            "turns of the conversation as `history` to ask a follow-up question."
        ),
        annotations=ToolAnnotations(title="Ask a specialist", idempotent_hint=False, **read_only),
    )
    async def ask_specialist(
        specialist: Slug,
        question: Annotated[
            str,
            Field(
                min_length=1,
                max_length=max_question,
                description="The question, in Danish or English, as a person would ask it.",
            ),
        ],
        ctx: Context[Any, Any],
        history: Annotated[
            list[Turn],
            Field(
                max_length=MAX_HISTORY,
                description=(
                    "Earlier turns, oldest first: {question, answer} pairs or chat messages "
                    "{role: user|assistant, content}. Optional; nothing is remembered between calls."
                ),
            ),
        ] = [],  # noqa: B006 - pydantic copies defaults; the SDK publishes it as the schema's default
    ) -> AskResult:
        actor = await actor_of(ctx)
        earlier, unanswered = exchanges(history)
        asked = f"{unanswered}\n{question}" if unanswered else question
        try:
            answer = await integrations.ask(actor, specialist, asked, earlier, "mcp.ask")
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

    @server.tool(
        title="Search a specialist's sources",
        description="The passages of a specialist's sources that best match a query, best first.",
        annotations=ToolAnnotations(title="Search a specialist's sources", idempotent_hint=True, **read_only),
    )
    async def search_sources(
        specialist: Slug,
        query: Annotated[
            str,
            Field(min_length=1, max_length=max_question, description="What to look for, in plain words."),
        ],
        ctx: Context[Any, Any],
        k: Annotated[
            int, Field(ge=1, le=MAX_SEARCH_K, description=f"How many passages (1 to {MAX_SEARCH_K}).")
        ] = 5,
    ) -> SearchResult:
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
        "specialist://{slug}/description",
        title="Specialist description",
        mime_type="text/markdown",
        description="What a specialist is for.",
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
        title="Specialist sources",
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

    schemas: dict[str, Mapping[str, Any]] = {}

    async def concrete_resources(ctx: ServerRequestContext[Any, Any]) -> ListResourcesResult:
        """One description and one source list per specialist this key may read, titled in its language."""
        headers = getattr(ctx.request, "headers", None)
        locale = locale_from(headers)
        try:
            actor = await actor_from(headers)
        except AppError as exc:
            raise MCPError(code=INVALID_REQUEST, message=render_error(exc, locale)) from None
        listed: list[Resource] = []
        for s in await integrations.aspecialists(actor):
            for part, key, what in (
                ("description", "mcp_resource_description", "What the specialist is for."),
                ("sources", "mcp_resource_sources", "The documents the specialist answers from."),
            ):
                listed.append(
                    Resource(
                        uri=f"specialist://{s.slug}/{part}",
                        name=f"{s.slug}-{part}",
                        title=t(key, locale, name=s.name),
                        description=what,
                        mime_type="text/markdown",
                    )
                )
        return ListResourcesResult(resources=listed)

    async def checked_call(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> Any:
        """A tool call with its arguments checked against the published schema, and the SDK's English
        prefix taken off a tool's own (catalogue) error."""
        locale = locale_from(getattr(ctx.request, "headers", None))
        params = ctx.params or {}
        name = str(params.get("name", ""))[:64]
        if not schemas:
            schemas.update({tool.name: tool.input_schema for tool in await server.list_tools()})
        if name not in schemas:
            return _tool_error(t("mcp_unknown_tool", locale, name=name, tools=", ".join(sorted(schemas))))
        problem = argument_problem(schemas[name], params.get("arguments") or {}, locale)
        if problem is not None:
            return _tool_error(problem)
        result = await call_next(ctx)  # the wire form: a dict
        if isinstance(result, dict) and result.get("isError"):
            for item in result.get("content", []):
                text = item.get("text") if isinstance(item, dict) else None
                if isinstance(text, str) and text.startswith(_TOOL_PREFIX):
                    item["text"] = text.split(": ", 1)[-1]
        return result

    async def guard(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> Any:
        if ctx.method == "resources/list":
            return await concrete_resources(ctx)
        if ctx.method == "tools/call":
            return await checked_call(ctx, call_next)
        return await call_next(ctx)

    server.middleware.append(guard)
    return server


def _tool_error(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


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
    for path in ("/mcp", "/mcp/"):
        resource = app.router.add_resource(path)
        resource.add_route("POST", _handle)
        resource.add_route("*", _post_only)  # stateless: no stream to GET, no session to DELETE
    for path in (PRM_PATH, PRM_PATH + "/mcp"):  # RFC 9728: the root form and the one for /mcp
        resource = app.router.add_resource(path)
        resource.add_route("GET", protected_resource)
        resource.add_route("HEAD", protected_resource)


async def protected_resource(request: web.Request) -> web.Response:
    """RFC 9728 metadata: this resource takes a Bearer token in the header, and names no authorisation
    server: the token is an API key an administrator issues (``aarhusai apikey create``), not OAuth."""
    base = public_base(request)
    locale = locale_of(request)
    return web.json_response(
        {
            "resource": f"{base}/mcp",
            "resource_name": "AarhusAI",
            "bearer_methods_supported": ["header"],
            "authentication": t("api_key_how", locale),
        },
        headers={"Cache-Control": "public, max-age=3600"},
    )


async def _post_only(request: web.Request) -> web.Response:
    """``GET /mcp`` (a client asking for a server-to-client stream), ``DELETE``, …: 405 at once."""
    locale = locale_of(request)
    text = t("api_method_not_allowed", locale, path=request.path, method=request.method[:16], allowed="POST")
    return error_response(405, text, code="method_not_allowed", headers={"Allow": "POST"})


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
        return unauthenticated_response(request, exc, locale)
    raw = await read_body(request, MAX_MCP_BODY)
    value = decode_json(raw) if not isinstance(raw, BodyProblem) else raw
    if isinstance(value, BodyProblem):  # checked and cleaned here: the SDK's parser passes NUL and NaN
        return jsonrpc_refused(value, locale_of(request))
    return await call_asgi(request, request.app[MANAGER_KEY].handle_request, encode_json(value))
