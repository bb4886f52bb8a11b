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

from bot.llm import ModelRejected, ModelSpec, ModelTimeout, ModelUnavailable
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
