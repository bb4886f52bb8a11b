"""``/v1``: the specialists as OpenAI-compatible "models", for case systems and tools such as Open WebUI.

- ``GET /v1/models``: the specialists the key may use (``id`` = slug); ``GET /v1/models/{id}``: one.
- ``POST /v1/chat/completions``: ``model`` = a specialist's slug; streamed (SSE) or not. Stateless like
  OpenAI's API: the history is the request's ``messages``. The specialist's own prompt, model and
  settings govern, so the caller's ``system``/``developer`` messages and sampling parameters are
  ignored, and parameters that would change the answer's shape (JSON output, tools, n > 1, logprobs)
  are refused with ``param`` named. Citations travel as ``[n]`` markers in the text, in
  ``message.citations`` and as OpenAI's ``url_citation`` annotations linking to ``GET
  /v1/passages/{id}`` (streamed: in the last chunk's delta); ``usage`` is the model server's count or an
  estimate (``usage.estimated``), streamed with ``stream_options.include_usage``; ``aarhusai`` says how
  the answer ended. A chat client's own title/tags/follow-up task is answered without sources.
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
from dataclasses import replace
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from bot.api.common import (
    APPLICATION_KEY,
    app_error_response,
    authorised,
    body_problem_response,
    error_response,
    locale_of,
    public_base,
)
from bot.api.facts import SpecialistFacts, facts_out
from bot.api.openapi import document
from bot.api.streaming import DeltaStream
from bot.conversation.types import Citation, Exchange
from bot.domain import SLUG_PATTERN, AnswerOutcome, AppError, Outcome
from bot.http_body import MAX_STRING_CHARS, BodyProblem, read_json_object
from bot.llm import Usage
from bot.messages import t
from bot.services import Actor, Answer, Application
from bot.services.integrations import Listed

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


def _not_true(value: bool) -> bool:
    if value:
        raise ValueError("only false is accepted")
    return value


# false only; a Literal[False] would let 0 through, as 0 == False in Python
NotTrue = Annotated[bool, AfterValidator(_not_true), WithJsonSchema({"type": "boolean", "const": False})]


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    include_usage: bool = Field(
        False, description="A last chunk before [DONE] with empty choices and the answer's usage."
    )


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    type: Literal["text"]


# the request fields that ask for another shape of answer, and what to do instead
UNSUPPORTED: dict[str, str] = {
    "response_format": "api_unsupported_hint_format",
    "tools": "api_unsupported_hint_tools",
    "tool_choice": "api_unsupported_hint_tools",
    "functions": "api_unsupported_hint_tools",
    "function_call": "api_unsupported_hint_tools",
    "n": "api_unsupported_hint_n",
    "logprobs": "api_unsupported_hint_logprobs",
    "top_logprobs": "api_unsupported_hint_logprobs",
}


class ChatRequest(BaseModel):
    """The fields read; harmless others (temperature, top_p, max_tokens, seed, stop, user, penalties, …)
    are accepted and ignored, since the specialist's settings govern. Strict: a field of the wrong JSON
    type is refused, as the schema says, never coerced."""

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
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1, description="One answer per request: any other number is refused.")
    # what would change the answer's shape is refused (400, ``param`` names it), never silently ignored
    response_format: ResponseFormat | None = Field(
        None, description='Text only: {"type": "text"}; json_object and json_schema are refused.'
    )
    tools: list[Any] | None = Field(None, max_length=0, description="Refused unless empty.")
    tool_choice: Literal["none"] | None = Field(None, description='Refused unless "none".')
    functions: list[Any] | None = Field(None, max_length=0, description="Refused unless empty.")
    function_call: Literal["none"] | None = Field(None, description='Refused unless "none".')
    parallel_tool_calls: bool | None = None
    logprobs: NotTrue | None = Field(None, description="Refused when true.")
    top_logprobs: Annotated[int, Field(ge=0, le=0)] | None = Field(None, description="Refused unless 0.")


class CitationOut(BaseModel):
    n: int
    source: str
    page: int | None = None
    heading: str | None = None
    text: str
    url: str | None = Field(None, description="Where a connected document lives (null for an uploaded file).")

    @classmethod
    def of(cls, c: Citation) -> CitationOut:
        return cls(n=c.n, source=c.source, page=c.page, heading=c.heading, text=c.text, url=c.url)


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    estimated: bool = Field(
        description="False: counted by the model server; true: estimated from characters (no model wrote "
        "the answer, or its server did not count)."
    )

    @classmethod
    def of(cls, usage: Usage | None) -> UsageOut:
        u = usage or Usage()
        return cls(
            prompt_tokens=u.prompt_tokens,
            completion_tokens=u.completion_tokens,
            total_tokens=u.total_tokens,
            estimated=not u.counted,
        )


class UrlCitation(BaseModel):
    url: str
    title: str
    start_index: int = Field(description="Where the [n] marker starts in the content (its end if unmarked).")
    end_index: int


class Annotation(BaseModel):
    """A citation as OpenAI's clients read it (Open WebUI shows these as source chips)."""

    type: Literal["url_citation"] = "url_citation"
    url_citation: UrlCitation


class AnswerInfo(BaseModel):
    outcome: str = Field(
        description="answered, sources_only, no_answer, refused, pii_blocked, model_error, too_long, "
        "withheld, client_task (a chat client's title, tags or follow-ups request: answered without "
        "sources, not stored)"
    )
    generated: bool = Field(description="True when a language model wrote the text.")
    model: str | None = Field(None, description="The catalogue model that wrote it.")
    replaced: bool = Field(False, description="Streamed only: the final text is the last paragraph sent.")


class ChatCompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    citations: list[CitationOut] = []
    annotations: list[Annotation] = []


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
    usage: UsageOut
    aarhusai: AnswerInfo


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    citations: list[CitationOut] | None = Field(None, description="In the last chunk only.")
    annotations: list[Annotation] | None = Field(None, description="In the last chunk only.")


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
    choices: list[ChunkChoice] = Field(description="Empty in the usage chunk only.")
    aarhusai: AnswerInfo | None = Field(None, description="In the last chunk with a choice only.")
    usage: UsageOut | None = Field(
        None, description="Only with stream_options.include_usage: in a last chunk of its own."
    )


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "aarhusai"
    name: str
    description: str
    aarhusai: SpecialistFacts | None = Field(
        None, description='"Om specialisten": its facts (on GET /v1/models/{model} only).'
    )


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


class PassageOut(BaseModel):
    """A cited passage, where a citation's link leads."""

    id: int
    object: Literal["passage"] = "passage"
    model: str = Field(description="The specialist whose source it is.")
    source: str
    page: int | None = None
    heading: str | None = None
    text: str


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
    return web.json_response(ModelList(data=[_model_out(s) for s in specs]).model_dump())


def _model_out(s: Listed) -> ModelOut:
    return ModelOut(id=s.slug, created=int(s.created_at.timestamp()), name=s.name, description=s.description)


async def get_model(request: web.Request) -> web.Response:
    """One specialist the key may use; any other id is 404, as an unknown one."""
    app = request.app[APPLICATION_KEY]
    locale = locale_of(request)
    try:
        actor = await authorised(request, "v1.models")
        ref = request.match_info["model"]
        spec = await app.integrations.alisted(actor, ref, "v1.models")
        about = await app.integrations.aabout(actor, ref, "v1.models")
    except AppError as exc:
        return app_error_response(exc, locale)
    out = _model_out(spec)
    out.aarhusai = facts_out(about, locale)
    return web.json_response(out.model_dump())


async def get_passage(request: web.Request) -> web.Response:
    """A cited passage (the link of a ``url_citation``), if the key may use its specialist."""
    app = request.app[APPLICATION_KEY]
    locale = locale_of(request)
    raw = request.match_info["passage"]
    try:
        actor = await authorised(request, "v1.passages")
        chunk_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0
        slug, passage = await app.integrations.apassage(actor, chunk_id, "v1.passages")
    except AppError as exc:
        return app_error_response(exc, locale)
    out = PassageOut(
        id=chunk_id,
        model=slug,
        source=passage.source,
        page=passage.page,
        heading=passage.heading,
        text=passage.text,
    )
    return web.json_response(out.model_dump())


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
        return _invalid(exc, locale)
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
                        content=answer.text,
                        citations=[CitationOut.of(c) for c in answer.citations],
                        annotations=annotations(answer, public_base(request), chat.model),
                    )
                )
            ],
            usage=UsageOut.of(answer.usage),
            aarhusai=_info(answer),
        )
        return web.json_response(completion.model_dump())
    include_usage = chat.stream_options is not None and chat.stream_options.include_usage
    return await _stream(
        request, app, actor, chat.model, question, history, completion_id, created, locale, include_usage
    )


def _invalid(exc: ValidationError, locale: str) -> web.Response:
    """A refused body in OpenAI's shape, ``param`` naming the field; an unsupported parameter says so
    and what to send instead."""
    first = exc.errors()[0]
    loc = first.get("loc", ())
    param = str(loc[0]) if loc else None
    if param in UNSUPPORTED:
        text = t("api_unsupported_param", locale, param=param, hint=t(UNSUPPORTED[param], locale))
        return error_response(400, text, code="unsupported_parameter", param=param)
    where = ".".join(str(p) for p in loc)
    text = t("api_bad_request", locale, detail=f"{where}: {first.get('msg')}")
    return error_response(400, text, param=where or None)


def annotations(answer: Answer, base: str, model: str) -> list[Annotation]:
    """The citations as ``url_citation`` annotations: titled ``[n] document › section``, spanning the
    first ``[n]`` marker in the text (an unmarked one sits at the end), linking to the passage here."""
    out: list[Annotation] = []
    for c in answer.citations:
        marker = f"[{c.n}]"
        at = answer.text.find(marker)
        start, end = (at, at + len(marker)) if at >= 0 else (len(answer.text), len(answer.text))
        title = f"{marker} {c.source}" + (f" › {c.heading}" if c.heading else "")
        url = f"{base}/v1/passages/{c.chunk_id}" if c.chunk_id else f"{base}/v1/models/{model}"
        out.append(
            Annotation(url_citation=UrlCitation(url=url, title=title, start_index=start, end_index=end))
        )
    return out


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
    include_usage: bool = False,
) -> web.StreamResponse:
    """SSE, started with the first text: a refusal or a model error before it is a plain error."""
    deltas = DeltaStream()
    response: web.StreamResponse | None = None
    gone = False

    def chunk(
        delta: dict[str, Any] | None,
        finish: str | None = None,
        info: AnswerInfo | None = None,
        usage: UsageOut | None = None,
    ) -> bytes:
        choices = (
            []
            if delta is None
            else [ChunkChoice(delta=ChunkDelta.model_validate(delta), finish_reason=finish)]
        )
        event = ChatCompletionChunk(
            id=completion_id,
            object="chat.completion.chunk",
            created=created,
            model=model,
            choices=choices,
            **({"aarhusai": info} if info is not None else {}),
            **({"usage": usage} if usage is not None else {}),
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
    notes = [
        a.model_dump() for a in annotations(replace(answer, text=deltas.sent), public_base(request), model)
    ]
    final = {"citations": citations, "annotations": notes}
    await send(chunk(final, "stop", _info(answer, deltas.replaced)))
    if include_usage:
        await send(chunk(None, usage=UsageOut.of(answer.usage)))
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
        ("/v1/models/{model}", "GET", get_model),
        ("/v1/passages/{passage}", "GET", get_passage),
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
