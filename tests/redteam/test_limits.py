"""Finding 5: unbounded input. An 826,000-character question is refused with a clear message and
nothing reaches a model; what is sent is always trimmed to the model's context."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from bot.app import Services
from bot.conversation.types import ConversationRef, Incoming, User
from bot.llm.router import CHARS_PER_TOKEN, fit
from bot.services import Actor
from tests.conftest import write_catalogue
from tests.redteam.conftest import EMPLOYEE, Municipality
from tests.support.openai_server import RecordingModelServer


async def test_a_huge_question_is_refused_before_any_model(municipality: Municipality) -> None:
    await municipality.specialist("Licens", "# Licens\n\nBeboerlicensen koster 800 kr. om året.")
    reply = await municipality.say(EMPLOYEE, "Hvad koster beboerlicensen? " * 30_000)  # ~826,000 characters
    assert reply.kind == "notice" and "for langt (over 4000 tegn)" in reply.text
    assert municipality.external.requests == [] and municipality.internal.requests == []
    assert len((await municipality.say(EMPLOYEE, "x" * 4000)).text) > 0  # the limit itself is allowed


def test_fit_keeps_the_system_prompt_and_the_question_and_drops_old_history_first() -> None:
    messages = [
        SystemMessage("system " * 10),
        HumanMessage("old question " * 100),
        AIMessage("old answer " * 100),
        HumanMessage("recent question"),
        AIMessage("recent answer"),
        HumanMessage("the question"),
    ]
    kept = fit(messages, 300)
    assert kept[0].content == messages[0].content and kept[-1].content == "the question"
    assert "old question" not in " ".join(str(m.content) for m in kept)
    assert sum(len(str(m.content)) for m in kept) <= 300
    squeezed = fit([SystemMessage("s"), HumanMessage("passage " * 10_000 + "the question")], 500)
    assert sum(len(str(m.content)) for m in squeezed) <= 500
    assert str(squeezed[-1].content).endswith("the question")  # the middle went, not the question


async def test_what_reaches_a_small_model_fits_its_context(
    make_services: Callable[..., Services], tmp_path: Path
) -> None:
    server = await RecordingModelServer(reply="Svar [1].").start()
    try:
        catalogue = write_catalogue(
            tmp_path / "m.yaml",
            {
                "id": "lille",
                "base_url": server.base_url,
                "model": "m",
                "max_context": 1024,
                "max_output_tokens": 256,
                "max_retries": 0,
            },
        )
        services = make_services(models_file=catalogue, admins="bld")
        app, builder = services.app, Actor("bld")
        spec = app.specialists.create(builder, "Stor")
        app.specialists.update_settings(
            builder, {"top_k": 20, "chunk_size": 4000, "chunk_overlap": 0}, spec.slug
        )
        big = "\n\n".join(
            f"## Afsnit {i}\n\nBeboerlicensen koster 800 kr. om året. " + "tekst " * 600 for i in range(30)
        )
        await app.sources.add(
            builder, services.stores.specialists.require(spec.slug), "stor.md", big.encode()
        )
        app.specialists.use(Actor("bld", conversation=ConversationRef(id="a:bld")), spec.slug)
        for _ in range(3):
            reply = await services.dispatcher.handle(_incoming("Hvad koster beboerlicensen om året?"))
            assert reply.kind == "answer" and reply.model == "lille", reply.text
        budget = (1024 - 256) * CHARS_PER_TOKEN
        assert server.requests
        for request in server.requests:
            assert sum(len(m["content"]) for m in request["messages"]) <= budget
    finally:
        await server.stop()


def _incoming(text: str) -> Incoming:
    return Incoming(
        text=text, user=User(id="29:bld", aad_object_id="bld"), conversation=ConversationRef(id="a:bld")
    )
