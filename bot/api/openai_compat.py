"""``/v1``: the specialists as OpenAI-compatible "models", for case systems and tools such as Open WebUI.

- ``GET /v1/models``: the specialists the key may use (``id`` = slug).
- ``POST /v1/chat/completions``: ``model`` = a specialist's slug; streamed (SSE) or not. Stateless like
  OpenAI's API: the history is the request's ``messages``. The specialist's own prompt, model and
  settings govern, so the caller's ``system``/``developer`` messages and sampling parameters are
  ignored. Citations travel as ``[n]`` markers in the text and in ``message.citations`` (streamed: in
  the last chunk's ``delta.citations``); ``aarhusai`` says how the answer ended.
- ``GET /v1/openapi.json``: this contract (asked with a key, ``model`` is an enum of its specialists).

Another method on these paths is 405 with ``Allow``. The body is read by ``bot.http_body`` (limits,
strict UTF-8, control characters stripped) and validated strictly against the same models the contract
is built from; everything else is ``IntegrationsService``'s.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.api.common import (
    APPLICATION_KEY,
    app_error_response,
    authorised,
    body_problem_response,
    error_response,
    locale_of,
)
from bot.api.openapi import document
from bot.api.streaming import DeltaStream
from bot.conversation.types import Citation, Exchange
from bot.domain import SLUG_PATTERN, AnswerOutcome, AppError, Outcome
from bot.http_body import MAX_STRING_CHARS, BodyProblem, read_json_object
from bot.messages import t
from bot.services import Actor, Answer, Application

MAX_REQUEST_BYTES = 1024 * 1024
MAX_MESSAGES = 200

Handler = Callable[[web.Request], Awaitable[web.Response]]


class ContentPart(BaseModel):
    """Only text parts: an image or audio part is refused by the schema, not silently dropped."""

    model_config = ConfigDict(extra="ignore", strict=True)
    type: Literal["text"]
    text: str = Field("", max_length=MAX_STRING_CHARS)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    role: Literal["system", "developer", "user", "assistant"] = Field(
        description="system and developer messages are accepted and ignored; tool messages are refused."
    )
    content: Annotated[str, Field(max_length=MAX_STRING_CHARS)] | list[ContentPart] | None = None

    def text(self) -> str:
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        return "\n".join(p.text for p in self.content)


class ChatRequest(BaseModel):
    """The fields read; others (temperature, max_tokens, …) are accepted and ignored. Strict: a
    field of the wrong JSON type is refused, as the schema says, never coerced."""

    model_config = ConfigDict(extra="ignore", strict=True)
    model: str = Field(
        min_length=1, max_length=64, pattern=SLUG_PATTERN, description="A specialist's slug (see /v1/models)."
    )
    messages: list[ChatMessage] = Field(
        min_length=1,
        max_length=MAX_MESSAGES,
        description=(
            "The conversation; the last message is the question (role user, with text). Consecutive user "
            "messages at the end form one question of at most AARHUSAI_MAX_QUESTION_CHARS characters "
            "(default 4000): a longer one is answered with aarhusai.outcome too_long."
        ),
    )
    stream: bool = False
    n: int = Field(1, ge=1, le=1)


class CitationOut(BaseModel):
    n: int
    source: str
    page: int | None = None
    heading: str | None = None
    text: str
    url: str | None = Field(None, description="Sources are files, so this is null for now.")

    @classmethod
    def of(cls, c: Citation) -> CitationOut:
        return cls(n=c.n, source=c.source, page=c.page, heading=c.heading, text=c.text)


class AnswerInfo(BaseModel):
    outcome: str = Field(
        description="answered, sources_only, no_answer, refused, pii_blocked, model_error, too_long, withheld"
    )
    generated: bool = Field(description="True when a language model wrote the text.")
    model: str | None = Field(None, description="The catalogue model that wrote it.")
    replaced: bool = Field(False, description="Streamed only: the final text is the last paragraph sent.")


class ChatCompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    citations: list[CitationOut] = []


class ChatChoice(BaseModel):
    index: int = 0
    message: ChatCompletionMessage
    finish_reason: str = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    aarhusai: AnswerInfo


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    citations: list[CitationOut] | None = Field(None, description="In the last chunk only.")


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChunkDelta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    """One Server-Sent Event of a streamed answer (``data: <this JSON>``); the stream ends with
    ``data: [DONE]``."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    aarhusai: AnswerInfo | None = Field(None, description="In the last chunk only.")


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "aarhusai"
    name: str
    description: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


def conversation(messages: list[ChatMessage]) -> tuple[str, list[Exchange]]:
    """The question (the last user message) and the history before it as question/answer pairs."""
    *before, last = messages
    if last.role != "user" or not last.text().strip():
        raise AppError(Outcome.INVALID, "api_no_question")
    history: list[Exchange] = []
    asked: list[str] = []
    for m in before:
        if m.role == "user":
            asked.append(m.text())
        elif m.role == "assistant" and asked:
            history.append(Exchange("\n".join(asked), m.text()))
            asked = []
    if asked:  # user messages without an answer in between belong to the question
        return "\n".join([*asked, last.text()]), history
    return last.text(), history


async def list_models(request: web.Request) -> web.Response:
    app = request.app[APPLICATION_KEY]
    locale = locale_of(request)
    try:
        actor = await authorised(request, "v1.models")
        specs = await app.integrations.aspecialists(actor)
    except AppError as exc:
        return app_error_response(exc, locale)
    data = [
        ModelOut(id=s.slug, created=int(s.created_at.timestamp()), name=s.name, description=s.description)
        for s in specs
    ]
    return web.json_response(ModelList(data=data).model_dump())


async def chat_completions(request: web.Request) -> web.StreamResponse:
    app = request.app[APPLICATION_KEY]
    locale = locale_of(request)
    try:
        actor = await authorised(request, "v1.chat")
    except AppError as exc:
        return app_error_response(exc, locale)
    body = await read_json_object(request, MAX_REQUEST_BYTES)
    if isinstance(body, BodyProblem):
        return body_problem_response(body, locale)
    try:
        chat = ChatRequest.model_validate(body)
        question, history = conversation(chat.messages)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(400, t("api_bad_request", locale, detail=f"{where}: {first.get('msg')}"))
    except AppError as exc:
        return app_error_response(exc, locale)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if not chat.stream:
        try:
            answer = await app.integrations.ask(actor, chat.model, question, history, "v1.chat")
        except AppError as exc:
            return app_error_response(exc, locale)
        if answer.outcome == AnswerOutcome.MODEL_ERROR:
            return error_response(502, answer.text, "server_error", "model_error")
        completion = ChatCompletion(
            id=completion_id,
            created=created,
            model=chat.model,
            choices=[
                ChatChoice(
                    message=ChatCompletionMessage(
                        content=answer.text, citations=[CitationOut.of(c) for c in answer.citations]
                    )
                )
            ],
            aarhusai=_info(answer),
        )
        return web.json_response(completion.model_dump())
    return await _stream(request, app, actor, chat.model, question, history, completion_id, created, locale)


async def _stream(
    request: web.Request,
    app: Application,
    actor: Actor,
    model: str,
    question: str,
    history: list[Exchange],
    completion_id: str,
    created: int,
    locale: str,
) -> web.StreamResponse:
    """SSE, started with the first text: a refusal or a model error before it is a plain error."""
    deltas = DeltaStream()
    response: web.StreamResponse | None = None
    gone = False

    def chunk(delta: dict[str, Any], finish: str | None = None, info: AnswerInfo | None = None) -> bytes:
        event = ChatCompletionChunk(
            id=completion_id,
            object="chat.completion.chunk",
            created=created,
            model=model,
            choices=[ChunkChoice(index=0, delta=ChunkDelta.model_validate(delta), finish_reason=finish)],
            **({"aarhusai": info} if info is not None else {}),
        )
        data = json.dumps(event.model_dump(exclude_unset=True), ensure_ascii=False)
        return f"data: {data}\n\n".encode()

    async def send(data: bytes) -> None:
        nonlocal response, gone
        if gone:
            return
        try:
            if response is None:
                response = web.StreamResponse(
                    headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
                )
                await response.prepare(request)
                await response.write(chunk({"role": "assistant", "content": ""}))
            await response.write(data)
        except (ConnectionError, RuntimeError):  # the caller went away; the answer is still recorded
            gone = True

    async def on_text(so_far: str) -> None:
        piece = deltas.update(so_far)
        if piece:
            await send(chunk({"content": piece}))

    try:
        answer = await app.integrations.ask(actor, model, question, history, "v1.chat", on_text)
    except AppError as exc:
        if response is None:
            return app_error_response(exc, locale)
        raise
    if response is None and answer.outcome == AnswerOutcome.MODEL_ERROR:
        return error_response(502, answer.text, "server_error", "model_error")
    rest = deltas.finish(answer.text)
    if rest:
        await send(chunk({"content": rest}))
    citations = [CitationOut.of(c).model_dump() for c in answer.citations]
    await send(chunk({"citations": citations}, "stop", _info(answer, deltas.replaced)))
    await send(b"data: [DONE]\n\n")
    if response is not None and not gone:
        try:
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            pass
    return response or web.Response(status=204)


def _info(answer: Answer, replaced: bool = False) -> AnswerInfo:
    return AnswerInfo(
        outcome=answer.outcome, generated=answer.generated, model=answer.model, replaced=replaced
    )


async def openapi(request: web.Request) -> web.Response:
    """The contract; with a key, ``model`` is an enum of the specialists that key may use."""
    if "Authorization" not in request.headers:
        return web.json_response(document())
    app = request.app[APPLICATION_KEY]
    locale = locale_of(request)
    try:
        actor = await authorised(request, "v1.openapi")
        specs = await app.integrations.aspecialists(actor)
    except AppError as exc:
        return app_error_response(exc, locale)
    return web.json_response(document(tuple(s.slug for s in specs)))


async def not_found(request: web.Request) -> web.Response:
    locale = locale_of(request)
    return error_response(404, t("api_not_found", locale, path=request.path[:100]), code="not_found")


def _method_not_allowed(allowed: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        locale = locale_of(request)
        text = t(
            "api_method_not_allowed", locale, path=request.path, method=request.method[:16], allowed=allowed
        )
        return error_response(405, text, code="method_not_allowed", headers={"Allow": allowed})

    return handler


def add_routes(app: web.Application) -> None:
    for path, method, handler in (
        ("/v1/models", "GET", list_models),
        ("/v1/chat/completions", "POST", chat_completions),
        ("/v1/openapi.json", "GET", openapi),
    ):
        resource = app.router.add_resource(path)
        resource.add_route(method, handler)
        if method == "GET":
            resource.add_route("HEAD", handler)
        allowed = "GET, HEAD" if method == "GET" else method
        resource.add_route("*", _method_not_allowed(allowed))  # a known path, another method: 405
    app.router.add_route("*", "/v1/{tail:.*}", not_found)
