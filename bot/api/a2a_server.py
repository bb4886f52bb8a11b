"""``/a2a/{slug}``: each specialist as an A2A agent, on the official ``a2a-sdk``.

- ``GET /a2a/{slug}/.well-known/agent-card.json``: the card — the specialist's name and description, one
  skill, the Bearer scheme, streaming. A card is shown only with a key that reaches the specialist (404
  otherwise, like ``/v1/models``): a card names a specialist, and a key must not learn which others exist.
- ``POST /a2a/{slug}``: JSON-RPC — ``SendMessage``/``SendStreamingMessage``/``GetTask``/``CancelTask``/
  ``ListTasks`` (A2A 1.0) and their 0.3 names ``message/send``, ``message/stream``, ``tasks/get``,
  ``tasks/cancel``. The question is the message's text; earlier completed tasks in the same
  ``contextId`` are its history. The answer is a text artifact ``answer`` (streamed in pieces, then
  replaced by the final, sanitised text) and a data artifact ``citations``.

The door only translates: the key, its budget and scope (``authorised``, ``alisted``), the answer, the
audit and the re-check of the scope at answer time are ``IntegrationsService``'s, as on ``/v1``.

Why an ASGI mount and not a hand-written JSON-RPC adapter: the SDK's request handler, task life cycle
and JSON-RPC dispatcher (method names of two protocol versions, SSE framing, error codes) are the
protocol; re-implementing the dispatcher over aiohttp would drift from it. The SDK's Starlette routes
are mounted through ``bot.api.asgi`` (as MCP is), after this door has checked the key and the body.

Tasks live in memory per replica (``BoundedTaskStore``): ``tasks/get`` and ``tasks/cancel`` must reach
the replica that ran the task (sticky sessions, or one replica for A2A), and a restart forgets them.
Each task belongs to one key and one specialist: another key, or another specialist's path, finds none.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from a2a.helpers import get_artifact_text, get_message_text
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.context import ServerCallContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.server.routes import DefaultServerCallContextBuilder, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types.a2a_pb2 import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentProvider,
    AgentSkill,
    HTTPAuthSecurityScheme,
    ListTasksRequest,
    Part,
    Role,
    SecurityRequirement,
    SecurityScheme,
    StringList,
    Task,
    TaskState,
    TaskStatus,
)
from a2a.utils.constants import PROTOCOL_VERSION_CURRENT, TransportProtocol
from aiohttp import web
from google.protobuf.json_format import ParseDict
from google.protobuf.struct_pb2 import Value
from starlette.applications import Starlette
from starlette.requests import Request

from bot import __version__
from bot.api.asgi import call_asgi
from bot.api.common import (
    APPLICATION_KEY,
    PRM_PATH,
    authorised,
    error_response,
    jsonrpc_refused,
    locale_of,
    public_base,
    unauthenticated_response,
)
from bot.api.openai_compat import CitationOut
from bot.api.streaming import DeltaStream
from bot.conversation.types import Exchange
from bot.domain import SLUG_RE, AnswerOutcome, AppError
from bot.errors import render_error
from bot.http_body import BodyProblem, decode_json, encode_json, read_body
from bot.messages import t
from bot.services import Actor, Application
from bot.services.integrations import IntegrationsService, Listed

log = logging.getLogger(__name__)

MAX_A2A_BODY = 1024 * 1024
MAX_TASKS = 10_000  # per replica; the oldest are forgotten first
MAX_HISTORY_TASKS = 50  # earlier tasks of a context read as history (the specialist uses its last few)
CARD_PATH = "/.well-known/agent-card.json"
ANSWER, CITATIONS = "answer", "citations"
DOOR_KEY = web.AppKey("a2a_door", Starlette)


def owner_of(context: ServerCallContext) -> str:
    """A task's owner: the key and the specialist it was asked through (set by ``_KeyContext``)."""
    return str(context.state.get("owner", ""))


class BoundedTaskStore(InMemoryTaskStore):
    """The SDK's in-memory store, owner-scoped, forgetting the oldest tasks past ``limit``."""

    def __init__(self, limit: int = MAX_TASKS) -> None:
        super().__init__(owner_resolver=owner_of)
        self.limit = limit
        self._order: OrderedDict[tuple[str, str], None] = OrderedDict()

    async def save(self, task: Task, context: ServerCallContext) -> None:
        await super().save(task, context)
        self._order[(owner_of(context), task.id)] = None
        self._order.move_to_end((owner_of(context), task.id))
        while len(self._order) > self.limit:
            (owner, task_id), _ = self._order.popitem(last=False)
            await super().delete(task_id, ServerCallContext(state={"owner": owner}))


class _KeyContext(DefaultServerCallContextBuilder):
    """The SDK's call context, carrying the actor and specialist this door checked (``request.state``)."""

    def build(self, request: Request) -> ServerCallContext:
        context = super().build(request)
        actor: Actor = request.state.actor
        context.state["actor"] = actor
        context.state["slug"] = request.state.slug
        context.state["owner"] = f"{actor.id}|{request.state.slug}"
        context.state["headers"].pop("authorization", None)  # the key is checked; it travels no further
        return context


@dataclass
class SpecialistExecutor(AgentExecutor):
    """One task = one question to the specialist through ``IntegrationsService.ask``."""

    integrations: IntegrationsService
    store: BoundedTaskStore

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        call = context.call_context
        actor: Actor = call.state["actor"]
        slug: str = call.state["slug"]
        task_id, context_id = str(context.task_id), str(context.context_id)
        updater = TaskUpdater(event_queue, task_id, context_id)
        if context.current_task is None and context.message is not None:
            first = Task(
                id=task_id, context_id=context_id, status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED)
            )
            first.history.append(context.message)
            await event_queue.enqueue_event(first)
        question = get_message_text(context.message).strip() if context.message else ""
        if not question:
            await updater.reject(updater.new_agent_message([Part(text=t("a2a_no_text", actor.locale))]))
            return
        history = await self._history(call, context_id, task_id)
        await updater.start_work()
        deltas = DeltaStream()
        streamed = False

        async def on_text(so_far: str) -> None:
            nonlocal streamed
            piece = deltas.update(so_far)
            if piece:
                await updater.add_artifact(
                    [Part(text=piece, media_type="text/markdown")],
                    artifact_id=ANSWER,
                    name=ANSWER,
                    append=streamed,
                    last_chunk=False,
                )
                streamed = True

        try:
            answer = await self.integrations.ask(actor, slug, question, history, "a2a.ask", on_text)
        except AppError as exc:
            await updater.failed(updater.new_agent_message([Part(text=render_error(exc, actor.locale))]))
            return
        if answer.outcome == AnswerOutcome.MODEL_ERROR:
            await updater.failed(updater.new_agent_message([Part(text=answer.text)]))
            return
        await updater.add_artifact(  # the whole final text replaces what was streamed (it may differ)
            [Part(text=answer.text, media_type="text/markdown")],
            artifact_id=ANSWER,
            name=ANSWER,
            append=False,
            last_chunk=True,
            metadata={"outcome": str(answer.outcome), "generated": answer.generated, "model": answer.model},
        )
        citations = [CitationOut.of(c).model_dump() for c in answer.citations]
        await updater.add_artifact(
            [Part(data=ParseDict({"citations": citations}, Value()), media_type="application/json")],
            artifact_id=CITATIONS,
            name=CITATIONS,
            last_chunk=True,
        )
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Stop: the SDK cancels ``execute`` after this, which cancels the model request with it."""
        updater = TaskUpdater(event_queue, str(context.task_id), str(context.context_id))
        await updater.cancel()

    async def _history(self, call: ServerCallContext, context_id: str, task_id: str) -> list[Exchange]:
        """Earlier completed tasks of this context (same key, same specialist), oldest first."""
        page = await self.store.list(
            ListTasksRequest(
                context_id=context_id, status=TaskState.TASK_STATE_COMPLETED, page_size=MAX_HISTORY_TASKS
            ),
            call,
        )
        earlier: list[Exchange] = []
        for task in reversed(page.tasks):  # the store lists newest first
            if task.id == task_id:
                continue
            asked = [get_message_text(m) for m in task.history if m.role == Role.ROLE_USER]
            answered = [get_artifact_text(a) for a in task.artifacts if a.artifact_id == ANSWER]
            if asked and answered:
                earlier.append(Exchange(asked[0], answered[-1]))
        return earlier


def agent_card(spec: Listed, base: str, locale: str) -> AgentCard:
    """The card of one specialist, as the key that asks may see it."""
    url = f"{base}/a2a/{spec.slug}"
    return AgentCard(
        name=spec.name,
        description=spec.description or spec.name,
        supported_interfaces=[
            AgentInterface(
                url=url,
                protocol_binding=TransportProtocol.JSONRPC.value,
                protocol_version=PROTOCOL_VERSION_CURRENT,
            )
        ],
        provider=AgentProvider(organization="AarhusAI", url=base),
        version=__version__,
        capabilities=AgentCapabilities(streaming=True, push_notifications=False),
        security_schemes={
            "bearer": SecurityScheme(
                http_auth_security_scheme=HTTPAuthSecurityScheme(
                    scheme="Bearer", bearer_format="API key", description=t("api_key_how", locale)
                )
            )
        },
        security_requirements=[SecurityRequirement(schemes={"bearer": StringList()})],
        default_input_modes=["text/plain"],
        default_output_modes=["text/markdown", "application/json"],
        skills=[
            AgentSkill(
                id=f"{spec.slug}-answer",
                name=spec.name,
                description=spec.description or spec.name,
                tags=[spec.kind, spec.classification],
                input_modes=["text/plain"],
                output_modes=["text/markdown", "application/json"],
            )
        ],
    )


def _template_card() -> AgentCard:
    """What the SDK's handler checks requests against (streaming on); each specialist's own card is
    built per request."""
    return AgentCard(
        name="AarhusAI",
        description="A municipal specialist",
        version=__version__,
        capabilities=AgentCapabilities(streaming=True, push_notifications=False),
        default_input_modes=["text/plain"],
        default_output_modes=["text/markdown", "application/json"],
        supported_interfaces=[
            AgentInterface(
                url="/a2a",
                protocol_binding=TransportProtocol.JSONRPC.value,
                protocol_version=PROTOCOL_VERSION_CURRENT,
            )
        ],
        skills=[AgentSkill(id="answer", name="answer", description="A cited answer", tags=["answer"])],
    )


def build_door(application: Application) -> Starlette:
    store = BoundedTaskStore()
    handler = DefaultRequestHandler(
        agent_executor=SpecialistExecutor(application.integrations, store),
        task_store=store,
        agent_card=_template_card(),
    )
    routes = create_jsonrpc_routes(
        handler, "/a2a/{slug}", context_builder=_KeyContext(), enable_v0_3_compat=True
    )
    return Starlette(routes=routes)


def add_routes(app: web.Application, application: Application) -> None:
    app[DOOR_KEY] = build_door(application)
    card = app.router.add_resource("/a2a/{slug}" + CARD_PATH)
    card.add_route("GET", get_card)
    card.add_route("*", _only("GET"))
    rpc = app.router.add_resource("/a2a/{slug}")
    rpc.add_route("POST", post_rpc)
    rpc.add_route("*", _only("POST"))
    metadata = app.router.add_resource(PRM_PATH + "/a2a/{slug}")
    metadata.add_route("GET", protected_resource)


async def _reachable(request: web.Request, endpoint: str) -> tuple[Actor, Listed] | web.Response:
    """The key's actor and the specialist of the path, or the refusal (401, 429, 404)."""
    integrations = request.app[APPLICATION_KEY].integrations
    locale = locale_of(request)
    try:
        actor = await authorised(request, endpoint)
    except AppError as exc:
        return unauthenticated_response(request, exc, locale)
    try:
        return actor, await integrations.alisted(actor, request.match_info["slug"], endpoint)
    except AppError as exc:
        return unauthenticated_response(request, exc, locale)


async def get_card(request: web.Request) -> web.Response:
    reached = await _reachable(request, "a2a.card")
    if isinstance(reached, web.Response):
        return reached
    actor, spec = reached
    card = agent_card(spec, public_base(request), actor.locale)
    return web.json_response(agent_card_to_dict(card), headers={"Cache-Control": "private, no-store"})


async def post_rpc(request: web.Request) -> web.StreamResponse:
    reached = await _reachable(request, "a2a")
    if isinstance(reached, web.Response):
        return reached
    actor, spec = reached
    raw = await read_body(request, MAX_A2A_BODY)
    value = decode_json(raw) if not isinstance(raw, BodyProblem) else raw
    if isinstance(value, BodyProblem):
        return jsonrpc_refused(value, locale_of(request))
    state = {"actor": actor, "slug": spec.slug}
    return await call_asgi(request, request.app[DOOR_KEY], encode_json(value), state)


async def protected_resource(request: web.Request) -> web.Response:
    """RFC 9728 metadata for one agent: a Bearer API key, no OAuth (see ``mcp_server``)."""
    base = public_base(request)
    slug = request.match_info["slug"]
    if not SLUG_RE.match(slug):
        return error_response(
            404, t("api_not_found", locale_of(request), path=request.path[:100]), code="not_found"
        )
    return web.json_response(
        {
            "resource": f"{base}/a2a/{slug}",
            "resource_name": "AarhusAI",
            "bearer_methods_supported": ["header"],
            "authentication": t("api_key_how", locale_of(request)),
        }
    )


def _only(allowed: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        locale = locale_of(request)
        text = t(
            "api_method_not_allowed",
            locale,
            path=request.path[:100],
            method=request.method[:16],
            allowed=allowed,
        )
        return error_response(405, text, code="method_not_allowed", headers={"Allow": allowed})

    return handler
