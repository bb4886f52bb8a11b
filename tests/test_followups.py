"""Follow-up questions and the question's language, at every door (issue 26).

A follow-up ("Hvor lang tid tager det?") is searched with its conversation: rewritten by the turn's
cleared model when one is connected, else with the previous question. An English question finds Danish
passages through the cross-lingual gate, and the answer is written in the question's language. The
measurements over the Danish test corpus (``bench/followups.py`` prints them) have floors here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from sqlmodel import select

from bot.app import Services, build_services
from bot.config import load_settings
from bot.conversation.types import Exchange
from bot.locale import answer_locale, question_language
from bot.rag import followup
from bot.rag.evaluation import (
    corpus_files,
    followup_hit5,
    gated_hit5,
    read_cases,
    read_followups,
    switch_scores,
)
from bot.services import Actor
from bot.store import migrate
from bot.store.models import Message
from tests.redteam.conftest import ADMIN, CPR, EMPLOYEE, Municipality, municipality

__all__ = ["municipality"]

DATA = Path(__file__).parent / "data"
SOURCE = """# Borgerservice

## Pas

Et pas til et barn under 18 år koster 166 kr. Passet sendes med posten, og leveringstiden er 10 hverdage.

## Affald

Beholderen til restaffald tømmes hver 14. dag. Storskrald hentes efter tilmelding på aarhus.dk.

## Parkering

En beboerlicens koster 720 kr. om året og søges med MitID.

## Sygdom

Du skal sygemelde dig telefonisk til din leder senest kl. 7.30 på første sygedag. Er du syg i lang tid,
tager lederen kontakt til dig.
"""
FIRST, FOLLOWUP = "Hvad koster et pas til et barn?", "Hvor lang tid tager det?"
ANSWER_1 = "Et pas til et barn koster 166 kr. [1]"


# -- units ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("When must I report sick?", "en"),
        ("Hvornår skal jeg melde mig syg?", "da"),
        ("Og om fredagen?", "da"),
        ("Is window cleaning part of home help?", "en"),
        ("MitID?", None),
        ("", None),
    ],
)
def test_the_language_of_a_question(text: str, language: str | None) -> None:
    assert question_language(text) == language
    assert answer_locale(text, "da") == (language or "da") and answer_locale(text, "en") == (language or "en")


def test_a_rewrite_is_checked_before_it_steers_the_search() -> None:
    history = [Exchange(FIRST, ANSWER_1)]
    assert followup.standalone("Hvor lang tid tager det at få et pas?\n", FOLLOWUP, history) == (
        "Hvor lang tid tager det at få et pas?"
    )
    assert (
        followup.standalone('Omskrevet spørgsmål: "Hvad koster pas?"', FOLLOWUP, history)
        == "Hvad koster pas?"
    )
    assert followup.standalone("Svar fra testmodellen.", FOLLOWUP, history) is None  # shares no word
    assert followup.standalone("", FOLLOWUP, history) is None
    assert followup.standalone("pas " * 200, FOLLOWUP, history) is None  # not a question


def test_the_rewrite_request_holds_the_recent_conversation_only() -> None:
    history = [Exchange(f"spørgsmål {n}", "svar " * 200) for n in range(5)]
    system, human = followup.rewrite_messages(history, FOLLOWUP, "da")
    assert system.content == followup.INSTRUCTIONS["da"]
    text = str(human.content)
    assert "spørgsmål 4" in text and "spørgsmål 3" in text and "spørgsmål 2" not in text
    assert text.count("svar") < 2 * (followup.ANSWER_CHARS // 5 + 2) and text.endswith(FOLLOWUP)
    assert followup.rewrite_messages(history, "How long?", "en")[0].content == followup.INSTRUCTIONS["en"]


# -- the measurements over the Danish test corpus -------------------------------------------------
@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("corpus")
    services = build_services(
        load_settings(
            data_dir=root / "data", index_dir=root / "indexes", database_url=f"sqlite:///{root / 'c.db'}"
        )
    )
    migrate.upgrade(services.db)
    spec = services.stores.specialists.create("Regler", "test", slug="regler")

    async def ingest() -> None:
        for path in corpus_files(DATA / "corpus"):
            await services.stores.ingestor.ingest(
                spec, path.name, path.read_bytes(), "test", rebuild_index=False
            )

    asyncio.run(ingest())
    services.stores.retriever.rebuild(services.stores.specialists.require("regler"))
    yield services
    services.close()


def test_followups_find_their_passage_with_the_conversation(corpus: Services) -> None:
    spec = corpus.stores.specialists.require("regler")
    retriever = corpus.stores.retriever
    pairs = read_followups(DATA / "followups.jsonl")
    assert len(pairs) >= 20
    alone, joined = followup_hit5(retriever, spec, pairs)
    assert alone <= 0.6 and joined >= 0.76  # measured 0.52 -> 0.80 (bench/followups.py)
    # a new, unrelated question keeps its own passage on top, and out-of-scope ones stay refused
    s = switch_scores(
        retriever, spec, read_cases(DATA / "retrieval_cases.jsonl") + read_cases(DATA / "out_of_scope.jsonl")
    )
    assert s.hit1_after >= s.hit1_alone - 0.02 and s.hit5_after >= s.hit5_alone - 0.02
    assert s.refused_after >= s.refused_alone - 0.03


def test_english_questions_find_danish_sources(corpus: Services) -> None:
    spec = corpus.stores.specialists.require("regler")
    retriever = corpus.stores.retriever
    english = read_cases(DATA / "retrieval_cases_en.jsonl") + read_cases(DATA / "out_of_scope_en.jsonl")
    assert len([c for c in english if c.expect]) >= 30
    danish = read_cases(DATA / "retrieval_cases.jsonl") + read_cases(DATA / "out_of_scope.jsonl")
    try:
        retriever.cross_lingual = False
        before, _ = gated_hit5(retriever, spec, english)
        danish_before = gated_hit5(retriever, spec, danish)
    finally:
        retriever.cross_lingual = True
    after, refused = gated_hit5(retriever, spec, english)
    assert before <= 0.2 and after >= 0.6  # measured 0.08 -> 0.67
    assert refused >= 0.65  # English questions the sources do not answer: 0.71 refused (Danish: 0.66)
    assert gated_hit5(retriever, spec, danish) == danish_before  # Danish questions are searched as before


# -- through the doors ----------------------------------------------------------------------------
def _route(services: Services) -> dict[str, Any]:
    with services.db.session() as s:
        message = s.exec(select(Message).order_by(Message.id.desc())).first()  # type: ignore[union-attr]
    assert message is not None
    return json.loads(message.route or "{}")


def _answer_request(server: Any) -> str:
    """What the last answer request carried (passages and question)."""
    return "\n".join(str(m["content"]) for m in server.requests[-1]["messages"])


async def test_a_followup_finds_the_passage_at_the_dispatcher_teams_and_v1(
    municipality: Municipality,
) -> None:
    """No usable rewrite (the test model answers everything the same way): the previous question
    joins the search, at every door."""
    town = municipality
    await town.specialist("Borgerservice", SOURCE, public=True)  # the external model answers
    await town.say(EMPLOYEE, FIRST)
    await town.say(EMPLOYEE, FOLLOWUP)
    assert "10 hverdage" in _answer_request(town.external)
    rewrites = [
        r for r in town.external.requests if r["messages"][0]["content"] == followup.INSTRUCTIONS["da"]
    ]
    assert len(rewrites) == 1 and _route(town.services)["rewrite"] == {"model": "ekstern", "used": False}
    # an unrelated new question in the same conversation keeps its own passage first
    reply = await town.say(EMPLOYEE, "Hvornår skal jeg sygemelde mig?")
    assert reply.citations and "kl. 7.30" in reply.citations[0].text

    # the Teams HTTP edge (the same personal chat): the conversation is the stored one
    await town.teams(EMPLOYEE, FIRST)
    town.external.forget()
    await town.teams(EMPLOYEE, FOLLOWUP)
    assert "10 hverdage" in _answer_request(town.external)

    # /v1: the conversation is the request's messages
    key = town.services.app.integrations.create_key(
        Actor(ADMIN), "sag", ["borgerservice"], "offentlig"
    ).secret
    client = openai.AsyncOpenAI(base_url=f"{town.base}/v1", api_key=key, max_retries=0)
    try:
        town.external.forget()
        reply = await client.chat.completions.create(
            model="borgerservice",
            messages=[
                {"role": "user", "content": FIRST},
                {"role": "assistant", "content": ANSWER_1},
                {"role": "user", "content": FOLLOWUP},
            ],
        )
    finally:
        await client.close()
    assert any("10 hverdage" in c["text"] for c in reply.choices[0].message.model_extra["citations"])


async def test_the_rewrite_goes_only_to_the_cleared_model_without_personal_data(
    municipality: Municipality,
) -> None:
    """A specialist with personal data: its rewrite, like its answer, goes to the internal model only,
    and the CPR number written in the conversation is not in it; the rewritten question is searched."""
    town = municipality

    def internal(body: dict[str, Any]) -> str:
        if body["messages"][0]["content"] == followup.INSTRUCTIONS["da"]:
            return "Hvor lang tid tager det at få et pas til et barn?"
        return "Svar fra den interne model [1]."

    town.internal.reply_for = internal
    await town.specialist("Borgerservice", SOURCE, data="cpr", model="intern")
    await town.say(EMPLOYEE, f"Borgeren har cpr {CPR}. {FIRST}")
    town.internal.forget()
    await town.say(EMPLOYEE, FOLLOWUP)
    rewrite, answer = town.internal.requests
    assert rewrite["messages"][0]["content"] == followup.INSTRUCTIONS["da"]
    assert CPR not in json.dumps(rewrite, ensure_ascii=False)
    assert "10 hverdage" in "\n".join(str(m["content"]) for m in answer["messages"])
    assert town.external.requests == []  # not cleared for the specialist: neither call reached it
    assert _route(town.services)["rewrite"] == {"model": "intern", "used": True}


async def test_the_answer_is_in_the_question_language(municipality: Municipality) -> None:
    town = municipality
    await town.specialist("Borgerservice", SOURCE, public=True)
    # an English question in a Danish client finds the Danish passage, and is answered in English
    await town.say(EMPLOYEE, "When must I report sick?")
    sent = _answer_request(town.external)
    assert "kl. 7.30" in sent and "Answer in English" in sent
    # a Danish question from an English Teams client gets Danish
    reply = await town.say(EMPLOYEE, "Hvad koster en sofa i IKEA?", locale="en")
    assert reply.text.startswith("Jeg fandt ikke noget")
