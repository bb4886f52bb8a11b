"""``/v1`` as a drop-in for real OpenAI clients, each asserting on what the client itself exposes:
the ``openai`` package (usage, ``url_citation`` annotations, errors with ``param``), LangChain's
``ChatOpenAI`` (``usage_metadata``) and simonw's ``llm`` run as a program with its own config dir
(its exit status, its logged token counts). Also: CORS, ``GET /v1/models/{id}``, the passage a
citation links to, and Open WebUI's background tasks answered without retrieval and not stored.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import openai
import pytest
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from sqlmodel import select

from bot.app import Services
from bot.config import Settings
from bot.server import start
from bot.services import Actor
from bot.services.client_tasks import ClientTask, clean_title, recognise, title_from
from bot.store.models import Message
from tests.conftest import write_catalogue
from tests.support.openai_server import RecordingModelServer

ADMIN = "adm"
PUBLIC = "formål=vejledning; data=ingen; kilder=offentlige; hjemmel=lov; dpia=nej; ansvarlig=Bo"
SOURCE = "# Pas\n\nEt nyt pas til en voksen koster 688 kr. Du bestiller tid i Borgerservice."
QUESTION = "Hvad koster et nyt pas til en voksen?"
REPLY = "Et nyt pas koster 688 kr. [1]"
ORIGIN = "https://chat.aarhus.dk"

# Open WebUI's templates (backend/open_webui/config.py), filled as it fills them
TITLE_TASK = """### Task:
Generate a concise, 3-5 word title with an emoji summarizing the chat history.
### Guidelines:
- The title should clearly represent the main theme or subject of the conversation.
### Output:
JSON format: { "title": "your concise title here" }
### Chat History:
<chat_history>
USER: Hvad koster et nyt pas til en voksen? Jeg skal rejse.
ASSISTANT: Et nyt pas koster 688 kr. [1]
</chat_history>"""
TAGS_TASK = (
    "### Task:\nGenerate 1-3 broad tags categorizing the main themes of the chat history, along with 1-3 "
    "more specific subtopic tags.\n\n### Output:\n"
    'JSON format: { "tags": ["tag1", "tag2", "tag3"] }\n\n'
    "### Chat History:\n<chat_history>\nUSER: Hvad koster et nyt pas?\nASSISTANT: 688 kr. [1]\n"
    "</chat_history>"
)
FOLLOW_UP_TASK = (
    "### Task:\nSuggest 3-5 relevant follow-up questions or prompts that the user might naturally ask next "
    "in this conversation as a **user**, based on the chat history, to help continue or deepen the "
    "discussion.\n"
    '### Output:\nJSON format: { "follow_ups": ["Question 1?", "Question 2?", "Question 3?"] }\n'
    "### Chat History:\n<chat_history>\nUSER: Hvad koster et nyt pas?\nASSISTANT: 688 kr. [1]\n"
    "</chat_history>"
)


@dataclass
class Town:
    services: Services
    base: str
    key: str  # reaches "pas"
    other_key: str  # reaches "skat" only
    model: RecordingModelServer | None

    def client(self, key: str | None = None) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=f"{self.base}/v1", api_key=key or self.key, max_retries=0)

    def stored_questions(self) -> list[str]:
        with self.services.db.session() as s:
            return [m.question for m in s.exec(select(Message)).all()]


async def _town(make_services: Callable[..., Services], tmp_path: Path, pg_url: str, model: bool) -> Any:
    server = await RecordingModelServer(reply=REPLY).start() if model else None
    extra: dict[str, Any] = {}
    if server is not None:
        extra["models_file"] = write_catalogue(
            tmp_path / "models.yaml", {"id": "m", "base_url": server.base_url, "model": "m", "max_retries": 0}
        )
    services = make_services(database_url=pg_url, admins=ADMIN, cors_origins=ORIGIN, **extra)
    app, admin = services.app, Actor(ADMIN)
    for name, text in (("Pas", SOURCE), ("Skat", "# Skat\n\nSkat betales hvert år.")):
        spec = app.specialists.create(admin, name, description=f"Svar om {name.lower()}.")
        app.publishing.screen(admin, PUBLIC, spec.slug)
        app.publishing.share(admin, "organisation", spec.slug)
        app.publishing.approve(admin, spec.slug)
        await app.sources.add(admin, spec, f"{spec.slug}.md", text.encode())
        app.publishing.publish(admin, spec.slug)
    key = app.integrations.create_key(admin, "klient", ["pas"], "offentlig", per_minute=100_000).secret
    other = app.integrations.create_key(admin, "anden", ["skat"], "offentlig", per_minute=100_000).secret
    runner, port = await start(services, "127.0.0.1", 0)
    return Town(services, f"http://127.0.0.1:{port}", key, other, server), runner


@pytest.fixture
async def town(make_services: Callable[..., Services], tmp_path: Path, pg_url: str) -> AsyncIterator[Town]:
    live, runner = await _town(make_services, tmp_path, pg_url, model=True)
    yield live
    await runner.cleanup()
    assert live.model is not None
    await live.model.stop()


@pytest.fixture
async def sources_only(
    make_services: Callable[..., Services], tmp_path: Path, pg_url: str
) -> AsyncIterator[Town]:
    live, runner = await _town(make_services, tmp_path, pg_url, model=False)
    yield live
    await runner.cleanup()


def counted(town: Town) -> dict[str, int]:
    """What the model server counted for the last request it got (one token per word)."""
    assert town.model is not None
    return RecordingModelServer.usage_of(town.model.requests[-1], REPLY)


async def get(url: str, key: str | None, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    async with aiohttp.ClientSession() as http, http.get(url, headers={**auth, **(headers or {})}) as r:
        return r.status, await r.json(), r.headers


# -- the openai package ---------------------------------------------------------------------------
async def test_openai_usage_and_annotations(town: Town) -> None:
    async with town.client() as client:
        reply = await client.chat.completions.create(
            model="pas", messages=[{"role": "user", "content": QUESTION}]
        )
    usage, message = reply.usage, reply.choices[0].message
    assert usage is not None
    expected = counted(town)
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
        expected["prompt_tokens"],
        expected["completion_tokens"],
        expected["total_tokens"],
    )
    assert usage.model_extra == {"estimated": False}  # the server counted
    assert message.content == REPLY
    assert message.annotations is not None and len(message.annotations) == 1
    note = message.annotations[0]
    assert note.type == "url_citation"
    span = note.url_citation
    assert message.content[span.start_index : span.end_index] == "[1]"
    assert span.title == "[1] pas.md › Pas"
    assert span.url.startswith(f"{town.base}/v1/passages/")
    assert message.model_extra["citations"][0]["n"] == 1  # kept as it was

    # the link leads to the passage, for this key only
    status, body, _ = await get(span.url, town.key)
    assert status == 200 and body["model"] == "pas" and "688 kr" in body["text"]
    assert body["source"] == "pas.md" and body["heading"] == "Pas"
    status, body, _ = await get(span.url, town.other_key)
    assert (
        status == 404 and body["error"]["code"] == "model_not_found" and "pas" not in body["error"]["message"]
    )
    status, body, _ = await get(f"{town.base}/v1/passages/999999999", town.key)
    assert status == 404
    status, _, _ = await get(span.url, None)
    assert status == 401


async def test_openai_stream_with_usage_as_openai_sends_it(town: Town) -> None:
    async with town.client() as client:
        stream = await client.chat.completions.create(
            model="pas",
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [c async for c in stream]
        plain = await client.chat.completions.create(
            model="pas", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
        plain_chunks = [c async for c in plain]
    assert town.model is not None and town.model.requests[-2]["stream_options"] == {"include_usage": True}
    last, final = chunks[-1], chunks[-2]
    assert last.choices == [] and last.usage is not None
    expected = counted(town)
    assert last.usage.total_tokens == expected["total_tokens"] and last.usage.model_extra == {
        "estimated": False
    }
    assert all(c.usage is None for c in chunks[:-1])
    assert final.choices[0].finish_reason == "stop"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == REPLY
    annotations = final.choices[0].delta.model_extra["annotations"]
    span = annotations[0]["url_citation"]
    assert annotations[0]["type"] == "url_citation" and text[span["start_index"] : span["end_index"]] == "[1]"
    # not asked for: no usage chunk, as OpenAI
    assert all(c.usage is None and c.choices for c in plain_chunks)


async def test_usage_is_estimated_and_said_so_when_the_server_does_not_count(town: Town) -> None:
    assert town.model is not None
    town.model.counts_usage = False
    async with town.client() as client:
        reply = await client.chat.completions.create(
            model="pas", messages=[{"role": "user", "content": QUESTION}]
        )
    assert reply.usage is not None and reply.usage.model_extra == {"estimated": True}
    # the whole payload (prompt, passages, question) was sent: far more than the question alone
    assert reply.usage.prompt_tokens > len(QUESTION) // 3
    assert reply.usage.completion_tokens == -(-len(REPLY) // 3)


async def test_sources_only_answers_carry_an_estimated_usage(sources_only: Town) -> None:
    async with sources_only.client() as client:
        reply = await client.chat.completions.create(
            model="pas", messages=[{"role": "user", "content": QUESTION}]
        )
        stream = await client.chat.completions.create(
            model="pas",
            messages=[{"role": "user", "content": QUESTION}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [c async for c in stream]
    assert reply.model_extra["aarhusai"]["outcome"] == "sources_only"
    usage = reply.usage
    assert usage is not None and usage.model_extra == {"estimated": True}
    assert usage.completion_tokens == -(-len(reply.choices[0].message.content or "") // 3) > 0
    assert (
        reply.choices[0].message.annotations
        and reply.choices[0].message.annotations[0].type == "url_citation"
    )
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    # no model: the title is the first question's first words, made in code
    async with sources_only.client() as client:
        titled = await client.chat.completions.create(
            model="pas", messages=[{"role": "user", "content": TITLE_TASK}]
        )
    assert json.loads(titled.choices[0].message.content or "") == {"title": "Hvad koster et nyt pas"}
    assert sources_only.stored_questions() == [QUESTION, QUESTION]  # the two real questions only


async def test_unsupported_parameters_are_refused_with_param(town: Town) -> None:
    asks: list[tuple[str, dict[str, Any]]] = [
        ("response_format", {"response_format": {"type": "json_object"}}),
        (
            "response_format",
            {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}},
        ),
        ("tools", {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}),
        ("tool_choice", {"tool_choice": "auto"}),
        ("n", {"n": 2}),
        ("logprobs", {"logprobs": True}),
        ("top_logprobs", {"top_logprobs": 3}),
    ]
    messages: Any = [{"role": "user", "content": QUESTION}]
    async with town.client() as client:
        for param, extra in asks:
            with pytest.raises(openai.BadRequestError) as caught:
                await client.chat.completions.create(model="pas", messages=messages, **extra)
            error = caught.value
            assert (error.param, error.code) == (param, "unsupported_parameter"), extra
            assert "understøttes ikke" in error.message
        # English when asked in English
        with pytest.raises(openai.BadRequestError) as caught:
            await client.chat.completions.create(
                model="pas",
                messages=messages,
                response_format={"type": "json_object"},
                extra_headers={"Accept-Language": "en"},
            )
        assert "is not supported" in caught.value.message
        # harmless ones are still accepted
        reply = await client.chat.completions.create(
            model="pas",
            messages=messages,
            temperature=0.9,
            top_p=0.5,
            max_tokens=50,
            user="sagsbehandler",
            seed=7,
            stop=["\n\n"],
            presence_penalty=0.1,
            frequency_penalty=0.1,
            response_format={"type": "text"},
            n=1,
            logprobs=False,
            tools=[],
            tool_choice="none",
            parallel_tool_calls=False,
        )
    assert reply.choices[0].message.content == REPLY
    assert town.model is not None and len(town.model.requests) == 1  # the refused ones reached no model


async def test_retrieve_a_model_scoped_like_the_list(town: Town) -> None:
    async with town.client() as client:
        model = await client.models.retrieve("pas")
        assert (model.id, model.object, model.owned_by) == ("pas", "model", "aarhusai")
        for unknown in ("skat", "findes-ikke", "Pas"):  # another key's, unknown, not a slug
            with pytest.raises(openai.NotFoundError) as caught:
                await client.models.retrieve(unknown)
            assert caught.value.code == "model_not_found"
    async with town.client(town.other_key) as other:
        assert (await other.models.retrieve("skat")).id == "skat"


# -- LangChain ------------------------------------------------------------------------------------
async def test_langchain_chat_openai_sees_usage(town: Town) -> None:
    llm = ChatOpenAI(model="pas", base_url=f"{town.base}/v1", api_key=town.key, max_retries=0)  # type: ignore[arg-type]
    result = await llm.ainvoke([HumanMessage(QUESTION)])
    expected = counted(town)
    assert result.content == REPLY
    assert result.usage_metadata is not None
    assert (result.usage_metadata["input_tokens"], result.usage_metadata["output_tokens"]) == (
        expected["prompt_tokens"],
        expected["completion_tokens"],
    )
    streaming = ChatOpenAI(
        model="pas",
        base_url=f"{town.base}/v1",
        api_key=town.key,
        max_retries=0,
        stream_usage=True,  # type: ignore[arg-type]
    )
    whole = None
    async for chunk in streaming.astream([HumanMessage(QUESTION)]):
        whole = chunk if whole is None else whole + chunk
    assert whole is not None and whole.content == REPLY
    assert (
        whole.usage_metadata is not None and whole.usage_metadata["total_tokens"] == expected["total_tokens"]
    )


# -- simonw's llm, as a program -------------------------------------------------------------------
def _llm_env(town: Town, home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "extra-openai-models.yaml").write_text(
        f"- model_id: pas\n  model_name: pas\n  api_base: {town.base}/v1\n  api_key_name: aarhusai\n",
        encoding="utf-8",
    )
    (home / "keys.json").write_text(json.dumps({"aarhusai": town.key}), encoding="utf-8")
    return {**os.environ, "LLM_USER_PATH": str(home)}


async def _run(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


LLM = shutil.which("llm", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(LLM is None, reason="the llm program is in the [test] extra")
async def test_llm_program_streamed_and_not(town: Town, tmp_path: Path) -> None:
    assert LLM is not None
    env = _llm_env(town, tmp_path / "llm")
    rc, out, err = await _run(LLM, "-m", "pas", "--no-stream", QUESTION, env=env)
    assert rc == 0, err
    assert out.strip() == REPLY
    rc, out, err = await _run(LLM, "-m", "pas", QUESTION, env=env)
    assert rc == 0, err
    assert out.strip() == REPLY
    # llm's own log (``llm logs``) holds the server's counts, streamed and not
    rc, out, err = await _run(LLM, "logs", "-n", "2", "--json", env=env)
    assert rc == 0, err
    expected = counted(town)
    logged = [(r["input_tokens"], r["output_tokens"]) for r in json.loads(out)]
    assert logged == [(expected["prompt_tokens"], expected["completion_tokens"])] * 2


# -- CORS -----------------------------------------------------------------------------------------
async def test_cors_for_configured_origins_only(town: Town) -> None:
    async def preflight(path: str, origin: str) -> aiohttp.ClientResponse:
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        }
        async with aiohttp.ClientSession() as http, http.options(f"{town.base}{path}", headers=headers) as r:
            await r.read()
            return r

    for path in ("/v1/chat/completions", "/v1/models", "/mcp"):
        allowed = await preflight(path, ORIGIN)
        assert allowed.status == 204, path
        assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
        allowed_headers = allowed.headers["Access-Control-Allow-Headers"].lower()
        assert "authorization" in allowed_headers and "content-type" in allowed_headers
        assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
        refused = await preflight(path, "https://evil.example")
        assert refused.status == 403 and "Access-Control-Allow-Origin" not in refused.headers
    # actual responses, a stream included
    status, _, headers = await get(f"{town.base}/v1/models", town.key, {"Origin": ORIGIN})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == ORIGIN
    status, _, headers = await get(f"{town.base}/v1/models", town.key, {"Origin": "https://evil.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    body = {"model": "pas", "messages": [{"role": "user", "content": QUESTION}], "stream": True}
    auth = {"Authorization": f"Bearer {town.key}", "Origin": ORIGIN}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{town.base}/v1/chat/completions", json=body, headers=auth) as r,
    ):
        await r.read()
        assert r.status == 200 and r.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_cors_origins_setting() -> None:
    assert Settings().cors_origins == []  # none by default: no CORS at all
    parsed = Settings(cors_origins="https://Chat.Aarhus.dk/, http://localhost:8080")  # type: ignore[arg-type]
    assert parsed.cors_origins == ["https://chat.aarhus.dk", "http://localhost:8080"]
    for bad in ("*", "chat.aarhus.dk", "https://chat.aarhus.dk/sti", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            Settings(cors_origins=bad)  # type: ignore[arg-type]
    assert Settings(public_url="https://ai.aarhus.dk/").public_url == "https://ai.aarhus.dk/"
    assert Settings(public_url=" ").public_url is None
    for bad in ("ai.aarhus.dk", "https://ai.aarhus.dk/?x=1", "ftp://ai.aarhus.dk"):
        with pytest.raises(ValueError):
            Settings(public_url=bad)


async def test_links_start_at_the_public_url(town: Town) -> None:
    town.services.settings.public_url = "https://ai.aarhus.dk/"
    async with town.client() as client:
        reply = await client.chat.completions.create(
            model="pas", messages=[{"role": "user", "content": QUESTION}]
        )
    notes = reply.choices[0].message.annotations or []
    assert notes and notes[0].url_citation.url.startswith("https://ai.aarhus.dk/v1/passages/")


# -- Open WebUI's background tasks ----------------------------------------------------------------
async def test_open_webui_tasks_are_not_questions(town: Town) -> None:
    """The title by the specialist's model (through the router: it sees the first question only, not
    the chat or its sources), tags and follow-ups empty; no retrieval, nothing stored or audited."""
    assert town.model is not None
    town.model.reply_for = lambda body: (
        '"Pris på nyt pas."' if "titel" in body["messages"][0]["content"] else REPLY
    )
    async with town.client() as client:
        answers = {}
        for name, task in (("title", TITLE_TASK), ("tags", TAGS_TASK), ("follow_ups", FOLLOW_UP_TASK)):
            reply = await client.chat.completions.create(
                model="pas", messages=[{"role": "user", "content": task}]
            )
            assert reply.model_extra["aarhusai"]["outcome"] == "client_task"
            assert reply.model_extra["aarhusai"]["generated"] is (name == "title")
            assert reply.choices[0].message.annotations == []
            assert reply.usage is not None and reply.usage.model_extra == {"estimated": name != "title"}
            answers[name] = json.loads(reply.choices[0].message.content or "")
        stream = await client.chat.completions.create(
            model="pas", messages=[{"role": "user", "content": TITLE_TASK}], stream=True
        )
        streamed = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        # still scoped: a task for a specialist the key does not reach is 404 like a question
        with pytest.raises(openai.NotFoundError):
            await client.chat.completions.create(
                model="skat", messages=[{"role": "user", "content": TITLE_TASK}]
            )
    assert answers == {
        "title": {"title": "Pris på nyt pas"},
        "tags": {"tags": []},
        "follow_ups": {"follow_ups": []},
    }
    assert json.loads(streamed) == answers["title"]
    assert len(town.model.requests) == 2  # the two titles, nothing else
    sent = [m["content"] for m in town.model.requests[0]["messages"]]
    assert sent[1:] == ["Hvad koster et nyt pas til en voksen? Jeg skal rejse."]  # not the chat, no sources
    assert "688" not in "".join(sent)
    assert town.stored_questions() == []  # and nothing was stored as a question
    calls = town.services.stores.audit.events(action="api.call")
    assert calls == []  # nor counted as an answer


def test_recognition_needs_the_whole_shape() -> None:
    found = recognise(TITLE_TASK)
    assert found is not None and found.task == ClientTask.TITLE
    assert found.first_question() == "Hvad koster et nyt pas til en voksen? Jeg skal rejse."
    assert recognise(TAGS_TASK).task == ClientTask.TAGS  # type: ignore[union-attr]
    assert recognise(FOLLOW_UP_TASK).task == ClientTask.FOLLOW_UPS  # type: ignore[union-attr]
    newer = TITLE_TASK.replace("Generate a concise, 3-5 word title with an emoji", "Generate a concise title")
    assert recognise(newer).task == ClientTask.TITLE  # type: ignore[union-attr]
    # a real question that mentions the words is a question
    assert recognise("Hvordan skriver jeg ### Task: Generate a concise title til en sag?") is None
    assert recognise(TITLE_TASK.replace("<chat_history>", "")) is None
    assert recognise(TITLE_TASK.replace('"title"', '"overskrift"')) is None
    assert recognise("Hej " + TITLE_TASK) is None  # the header opens the prompt


def test_a_models_title_is_cleaned() -> None:
    assert clean_title('"**Pris på pas**."\nForklaring: ...') == "Pris på pas"
    assert clean_title("[Pas](https://x.dk)") == "Pas https://x.dk"
    assert len(clean_title("ord " * 100)) <= 60


def test_titles_are_short_and_from_the_first_question() -> None:
    assert title_from("hvad koster et nyt pas til en voksen?") == "Hvad koster et nyt pas"
    assert title_from("  Pas.  Og kørekort? ") == "Pas"
    assert len(title_from("x" * 500)) <= 60
    assert title_from("") == ""
