"""The model client against a real OpenAI-compatible server: llama.cpp serving SmolLM2-135M.

The model is far too small to judge answers: these tests prove the plumbing (requests, streaming,
limits, errors), not the wording.
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from bot.llm import ModelRejected, ModelSpec, ModelTimeout, ModelUnavailable, Usage
from bot.llm.providers import OpenAICompatible as ChatModel
from bot.messages import t

pytestmark = pytest.mark.llm

MESSAGES = [SystemMessage("Du er en hjælpsom assistent."), HumanMessage("Fortæl en lang historie om Aarhus.")]


def spec(base_url: str, **kw: object) -> ModelSpec:
    return ModelSpec(id="smol", base_url=base_url, model="smollm2", **kw)  # type: ignore[arg-type]


async def test_complete_returns_text_within_the_token_limit(llama_server: str) -> None:
    model = ChatModel(spec(llama_server, max_output_tokens=8))
    text = await model.complete(MESSAGES)
    assert text.strip()
    assert len(text.split()) <= 8  # the limit reached the server (8 tokens never make 9 words)


async def test_stream_yields_several_chunks_that_make_the_answer(llama_server: str) -> None:
    model = ChatModel(spec(llama_server, max_output_tokens=12, temperature=0))
    chunks = [c async for c in model.stream(MESSAGES)]
    assert len(chunks) >= 3
    whole = await model.complete(MESSAGES)
    assert "".join(chunks) == whole  # temperature 0: the same tokens either way


async def test_the_servers_token_count_is_read(llama_server: str) -> None:
    """A whole answer's ``usage`` is the server's count; llama.cpp's server ignores
    ``stream_options.include_usage`` (the field is sent, and harmless), so a stream's stays uncounted
    and the router estimates it."""
    model = ChatModel(spec(llama_server, max_output_tokens=8))
    usage = Usage()
    await model.complete(MESSAGES, usage)
    assert usage.counted and usage.prompt_tokens > 10 and 0 < usage.completion_tokens <= 8
    streamed = Usage()
    assert [c async for c in model.stream(MESSAGES, streamed)]
    assert streamed == Usage()  # llama-cpp-python's server sends no usage chunk


async def test_health_check_passes_on_a_live_server(llama_server: str) -> None:
    await ChatModel(spec(llama_server)).check()


async def test_endpoint_down_is_model_unavailable_with_a_danish_message() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = ChatModel(spec(f"http://127.0.0.1:{port}/v1", max_retries=1))
    with pytest.raises(ModelUnavailable) as err:
        await model.complete(MESSAGES)
    with pytest.raises(ModelUnavailable):
        [c async for c in model.stream(MESSAGES)]
    with pytest.raises(ModelUnavailable):
        await model.check(timeout_s=1)
    message = t(err.value.message_key, "da", **err.value.values())
    assert "'smol' svarer ikke" in message


async def test_timeout_against_the_real_server(llama_server: str) -> None:
    # 400 tokens cannot be generated in 50 ms on two cores: the deadline must fire.
    model = ChatModel(spec(llama_server, max_output_tokens=400, timeout_s=0.05, max_retries=0))
    started = time.monotonic()
    with pytest.raises(ModelTimeout) as err:
        await model.complete([HumanMessage("Skriv et langt digt om havnen.")])
    assert time.monotonic() - started < 5
    assert "for længe" in t(err.value.message_key, "da", **err.value.values())


async def test_stalled_stream_times_out() -> None:
    """A server that accepts the request and then sends nothing: the stream must not hang."""

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(30)
        writer.close()

    server = await asyncio.start_server(stall, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        model = ChatModel(spec(f"http://127.0.0.1:{port}/v1", timeout_s=0.3, max_retries=0))
        started = time.monotonic()
        with pytest.raises(ModelTimeout):
            [c async for c in model.stream(MESSAGES)]
        assert time.monotonic() - started < 5
    finally:
        server.close()


async def test_unknown_model_name_is_rejected_not_unavailable(model_server) -> None:  # type: ignore[no-untyped-def]
    model_server.status = 404
    model = ChatModel(spec(model_server.base_url, max_retries=0))
    with pytest.raises(ModelRejected):
        await model.complete(MESSAGES)
    model_server.status = 503
    with pytest.raises(ModelUnavailable):
        await model.complete(MESSAGES)


async def test_streamed_answers_fail_and_retry_like_whole_ones(model_server) -> None:  # type: ignore[no-untyped-def]
    """The stream reads the events itself: its errors must mean what the whole answer's do."""
    model_server.status = 404
    with pytest.raises(ModelRejected):
        [c async for c in ChatModel(spec(model_server.base_url, max_retries=2)).stream(MESSAGES)]
    assert len(model_server.requests) == 1  # a rejected request is not retried
    model_server.status = 503
    with pytest.raises(ModelUnavailable):
        [c async for c in ChatModel(spec(model_server.base_url, max_retries=1)).stream(MESSAGES)]
    assert len(model_server.requests) == 3  # one retry before the first token
    model_server.status = 200
    model_server.reply = "Hej fra Aarhus"
    chunks = [c async for c in ChatModel(spec(model_server.base_url)).stream(MESSAGES)]
    assert "".join(chunks).strip() == "Hej fra Aarhus" and len(chunks) == 3
    request = model_server.requests[-1]
    assert request["stream"] is True and request["max_tokens"] == 1024
    assert request["messages"][0] == {"role": "system", "content": "Du er en hjælpsom assistent."}


async def test_an_error_event_in_the_stream_fails_the_answer() -> None:
    """vLLM reports a failure after the headers as a ``data: {"error": ...}`` event."""

    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
            b'data: {"choices": [{"index": 0, "delta": {"content": "Hej "}}]}\n\n'
            b'data: {"error": {"message": "engine died"}}\n\n'
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(broken, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        seen: list[str] = []
        with pytest.raises(ModelUnavailable):
            async for chunk in ChatModel(spec(f"http://127.0.0.1:{port}/v1")).stream(MESSAGES):
                seen.append(chunk)
        assert seen == ["Hej "]  # shown text is never repeated by a retry
    finally:
        server.close()
