"""The Builder's way, part two: /test as rich as the case files (cites, refuses, contains, language)
in a syntax Teams does not mangle, a run report that shows the passages a failing case found, a
description before publishing (suggested from the prompt and sources, by a cleared model where there
is one), /statistik with what people wrote, and the small language faults (plurals, "s." for page)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import Services
from bot.conversation.types import Citation, Reply
from bot.domain import AppError
from bot.evals.cases import Assertion
from bot.evals.phrases import parse_case
from bot.rag.grounding import no_answer_text, settle_markers, sources_only_text
from bot.server import start
from bot.services import Actor
from bot.teams.render import citation_title, to_activities
from tests.conftest import write_catalogue
from tests.support.connector import FakeConnector, shown
from tests.support.openai_server import RecordingModelServer
from tests.test_http_edge import message_activity
from tests.test_specialist_commands import BUILDER, EMPLOYEE, msg, say, upload

SCREEN = (
    "/screening formål=test; data=ingen; kilder=interne; hjemmel=intern vejledning; dpia=nej; ansvarlig=Bo"
)
PAS = "# Pas\n\n## Priser\n\nEt pas til en voksen koster 688 kr. og gælder i 10 år."


# -- the syntax ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "question", "asserts"),
    [
        (
            "Hvad koster et pas? ; indeholder 688 kr. ; citerer pas.md ; sprog da",
            "Hvad koster et pas?",
            [Assertion("icontains", "688 kr."), Assertion("cites", "pas.md"), Assertion("language", "da")],
        ),
        (  # English keywords, one requirement per line, quotes around a value
            'What does a passport cost?\ncontains "688"\ncites pas.md\nin English\nat most 40 words',
            "What does a passport cost?",
            [
                Assertion("icontains", "688"),
                Assertion("cites", "pas.md"),
                Assertion("language", "en"),
                Assertion("max-words", 40),
            ],
        ),
        (  # as Teams may deliver it: HTML line breaks and entities
            "Er 3 &lt; 4?<br>indeholder ikke &quot;nej&quot;<br>svarer",
            "Er 3 < 4?",
            [Assertion("not-icontains", "nej"), Assertion("not-refuses")],
        ),
        ("Hvad koster en sofa? ; Afviser", "Hvad koster en sofa?", [Assertion("refuses")]),
        ("Hvad koster en sofa? | afvis", "Hvad koster en sofa?", [Assertion("refuses")]),  # the old form
        ("Hvad koster et pas? | 688 kr.", "Hvad koster et pas?", [Assertion("icontains", "688 kr.")]),
        ("Hvor længe? | på 10 år", "Hvor længe?", [Assertion("icontains", "på 10 år")]),
    ],
)
def test_a_case_is_a_question_and_requirements_in_danish_or_english(
    typed: str, question: str, asserts: list[Assertion]
) -> None:
    assert parse_case(typed) == (question, tuple(asserts))


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Hvad koster et pas?", "test_usage"),
        ("Hvad koster et pas? ; 688 kr.", "test_phrase_unknown"),
        ("Hvad koster et pas? ; citer pas.md", "test_phrase_unknown"),
        ("Hvad koster et pas? ; afviser høfligt", "test_phrase_no_value"),
        ("Hvad koster et pas? ; indeholder", "test_phrase_needs_value"),
        ("Hvad koster et pas? ; sprog tysk", "test_phrase_language"),
        ("Hvad koster et pas? ; højst mange ord", "test_phrase_number"),
        ("Hvad? " + "; afviser" * 11, "test_too_many_asserts"),
    ],
)
def test_a_requirement_that_is_not_understood_is_refused_never_guessed(typed: str, key: str) -> None:
    with pytest.raises(AppError) as refused:
        parse_case(typed)
    assert refused.value.key == key


async def _guide(services: Services, describe: bool = True) -> None:
    for command in ("/ny Pasguide", SCREEN, *(["/indstil beskrivelse Priser på pas."] if describe else [])):
        await say(services, command)
    reply = await services.dispatcher.handle(msg("", files=(upload("pas.md", PAS.encode()),)))
    assert "pas.md" in reply.text


async def test_cases_with_every_kind_of_requirement_are_stored_and_listed_in_each_language(
    make_services: Callable[..., Services], db_url: str
) -> None:
    services = make_services(admins=BUILDER, database_url=db_url)
    await _guide(services)
    added = await say(
        services, "/test tilføj Hvad koster et pas? ; indeholder 688 kr. ; citerer pas.md ; sprog da"
    )
    assert added.text.startswith("Testcase 1 er tilføjet til **Pasguide**")
    english = replace(
        msg("/test add Where is the sofa?\nrefuses\ndoes not contain IKEA\nat most 30 words"), locale="en"
    )
    assert (await services.dispatcher.handle(english)).text.startswith("Test case 2 is added")
    unknown = (await say(services, "/test tilføj Hvad koster et pas? ; citerer kørekort.pdf")).text
    assert "ingen kilde ved navn «kørekort.pdf»" in unknown and "pas.md" in unknown
    not_understood = (await say(services, "/test tilføj Hvad koster et pas? ; 688 kr.")).text
    assert "forstår ikke kravet «688 kr.»" in not_understood and "`indeholder`" in not_understood
    listing = (await say(services, "/test vis")).text.splitlines()
    assert listing[1:] == [
        "1. Hvad koster et pas? → svaret skal indeholde «688 kr.»; skal citere pas.md; skal svare på dansk",
        "2. Where is the sofa? → skal afvise; svaret må ikke indeholde «IKEA»; højst 30 ord",
    ]
    shown_en = (await services.dispatcher.handle(replace(msg("/test show"), locale="en"))).text.splitlines()
    assert shown_en[1:] == [
        "1. Hvad koster et pas? → the answer must contain «688 kr.»; must cite pas.md; must answer in Danish",
        "2. Where is the sofa? → must refuse; the answer must not contain «IKEA»; at most 30 words",
    ]
    _spec, rows = services.app.evaluation.cases(Actor.cli(), "pasguide")
    assert [json.loads(r.asserts) for r in rows] == [
        [
            {"type": "icontains", "value": "688 kr."},
            {"type": "cites", "value": "pas.md"},
            {"type": "language", "value": "da"},
        ],
        [{"type": "refuses"}, {"type": "not-icontains", "value": "IKEA"}, {"type": "max-words", "value": 30}],
    ]
    usage = (await say(services, "/test hvad")).text
    assert "/test tilføj <spørgsmål> ; <krav>" in usage and "|" not in usage


def _with_model(
    make_services: Callable[..., Services],
    tmp_path: Path,
    server: RecordingModelServer,
    db_url: str | None,
    **kw: Any,
) -> Services:
    catalogue = write_catalogue(
        tmp_path / "m.yaml",
        {
            "id": "lokal",
            "base_url": server.base_url,
            "model": "lokal",
            "max_retries": 0,
            "max_classification": "fortrolig",
        },
    )
    if db_url is not None:
        kw["database_url"] = db_url
    return make_services(models_file=catalogue, **kw)


async def test_a_failing_case_shows_what_it_got_and_the_passages_it_found(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str, model_server: RecordingModelServer
) -> None:
    model_server.reply = "Et pas til en voksen koster 688 kr. [1]"
    services = _with_model(make_services, tmp_path, model_server, db_url, admins=BUILDER)
    await _guide(services)
    await say(
        services, "/test tilføj Hvad koster et pas til en voksen? ; indeholder 688 ; sprog en ; afviser"
    )
    run = await say(services, "/test kør")
    assert run.text.startswith("**Pasguide** på lokal: 0 af 1 testcase bestod.")
    [failure] = run.card["failures"]  # type: ignore[index]
    assert failure["expected"] == "skal svare på engelsk; skal afvise"
    assert failure["detail"] == "svarede på dansk; svarede i stedet for at afvise"
    [passage] = failure["passages"]
    assert passage.startswith("pas.md › Pas › Priser: «") and "688 kr." in passage
    assert "Fundne uddrag:\n- pas.md › Pas › Priser" in run.text and "(fik: svarede på dansk" in run.text
    english = await services.dispatcher.handle(replace(msg("/test run"), locale="en"))
    assert english.text.startswith("**Pasguide** on lokal: 0 of 1 test case passed.")
    assert "Passages found:\n- pas.md › Pas › Priser" in english.text
    assert "(got: answered in Danish; answered instead of refusing)" in english.text


async def test_the_run_report_reaches_teams_through_the_http_edge_in_english(
    make_services: Callable[..., Services], tmp_path: Path, model_server: RecordingModelServer
) -> None:
    """The card as Teams gets it: the failure, what the run got and the passages found."""
    model_server.reply = "A passport costs 688 kr. [1]"
    services = _with_model(make_services, tmp_path, model_server, None, admins="aad-anne")
    app, anne = services.app, Actor("aad-anne")
    spec = app.specialists.create(anne, "Pasguide", description="Priser på pas.")
    app.publishing.screen(anne, SCREEN.removeprefix("/screening "))
    await app.sources.add(anne, spec, "pas.md", PAS.encode())
    app.evaluation.add_case(anne, "Hvad koster et pas?", [Assertion("cites", "pas.md"), Assertion("refuses")])
    connector = await FakeConnector().start()
    runner, port = await start(services, "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http:
            activity = message_activity(connector.service_url, "/test run", locale="en-US")
            async with http.post(f"http://127.0.0.1:{port}/api/messages", json=activity) as resp:
                assert resp.status == 202
        [message] = await connector.wait_for_messages(1, wait_s=30)
    finally:
        await runner.cleanup()
        await connector.stop()
    text = shown(message)
    assert "0 of 1 test case passed" in text and "Expected: must refuse" in text
    assert "Got: answered instead of refusing" in text
    assert "Passages found: pas.md › Pas › Priser: «Et pas til en voksen koster 688 kr." in text


# -- a description before publishing ---------------------------------------------------------------
async def test_publishing_asks_for_a_description_and_suggests_one_without_a_model(
    make_services: Callable[..., Services], db_url: str
) -> None:
    services = make_services(admins=BUILDER, database_url=db_url)
    await _guide(services, describe=False)
    checklist = (await say(services, "/status")).text
    assert "✗ Beskrivelse: mangler (kræves for at udgive)" in checklist
    refused = (await say(services, "/udgiv")).text
    assert "**Pasguide** mangler en beskrivelse, før den kan udgives" in refused
    assert "Forslag: `/indstil beskrivelse Svarer ud fra: Pas.`" in refused  # the default prompt: titles only
    await say(services, "/prompt Du hjælper borgere med priser på pas og kørekort. Svar kort.")
    refused = (await services.dispatcher.handle(replace(msg("/publish"), locale="en"))).text
    assert "**Pasguide** needs a description before it can be published" in refused
    assert (
        "Suggestion: `/set description Hjælper borgere med priser på pas og kørekort. Based on: Pas.`"
        in refused
    )
    assert services.stores.specialists.require("pasguide").status == "draft"
    await say(services, "/indstil beskrivelse Priser på pas.")
    assert "er udgivet" in (await say(services, "/udgiv")).text


async def test_with_a_cleared_model_the_suggestion_is_written_by_it_through_the_router(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str, model_server: RecordingModelServer
) -> None:
    model_server.reply = "«Svarer medarbejdere om priser på pas.»"
    services = _with_model(make_services, tmp_path, model_server, db_url, admins=BUILDER)
    await _guide(services, describe=False)
    refused = (await say(services, "/udgiv")).text
    assert "Forslag: `/indstil beskrivelse Svarer medarbejdere om priser på pas.`" in refused
    [request] = model_server.requests
    sent = json.dumps(request["messages"], ensure_ascii=False)
    assert "Pasguide" in sent and "Pas" in sent and request["model"] == "lokal"


async def test_without_a_cleared_model_nothing_is_sent_for_a_suggestion(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str, model_server: RecordingModelServer
) -> None:
    """A specialist classified above what the only model may see: the heuristic, not the model."""
    services = _with_model(make_services, tmp_path, model_server, db_url, admins=BUILDER)
    for command in ("/ny Pasguide", SCREEN.replace("data=ingen", "data=cpr")):
        await say(services, command)
    refused = (await say(services, "/udgiv")).text
    assert "mangler en beskrivelse" in refused and "Forslag" not in refused  # nothing to go on
    assert model_server.requests == []


# -- /statistik: what people wrote -----------------------------------------------------------------
async def test_statistics_show_the_latest_comments_and_unanswered_questions_masked_and_scoped(
    make_services: Callable[..., Services], db_url: str
) -> None:
    from bot.domain import Role

    services = make_services(admins=BUILDER, database_url=db_url)
    await _guide(services)
    store = services.stores.conversations
    asker = msg("?", user=EMPLOYEE)

    def asked(question: str, outcome: str, specialist: str = "pasguide") -> None:
        store.record(
            asker.conversation,
            asker.user_key,
            question,
            "svar",
            model=None,
            outcome=outcome,
            specialist=specialist,
        )

    asked("Hvad koster et pas?", "answered")
    services.app.feedback.vote(
        Actor.from_incoming(asker), None, "dislike", '{"feedbackText": "Prisen er fra 2023"}'
    )
    asked("Gælder det for 010190-1234?", "no_answer")
    asked("Hvornår åbner Borgerservice?", "no_answer")
    services.app.feedback.vote(
        Actor.from_incoming(asker), None, "dislike", "Skriv til anne.hansen@aarhus.dk i stedet"
    )
    services.app.feedback.vote(Actor.from_incoming(asker), None, "like", "Fint")
    asked("Hemmeligt andet sted", "no_answer", specialist="andet")
    text = (await say(services, "/statistik pasguide")).text
    assert "Seneste kommentarer med 👎 (personoplysninger skjult):" in text
    comments = [line for line in text.splitlines() if line.startswith("- «") and " om «" in line]
    assert comments[0].startswith("- «Skriv til \\[email\\] i stedet» om «Hvornår åbner Borgerservice?»")
    assert comments[1].startswith("- «Prisen er fra 2023» om «Hvad koster et pas?»") and len(comments) == 2
    assert "Fint" not in text and "anne.hansen" not in text and "010190" not in text
    latest = text.split("Seneste spørgsmål uden svar i kilderne:\n")[1].splitlines()
    assert latest == ["- «Hvornår åbner Borgerservice?»", "- «Gælder det for \\[cpr\\]?»"]  # Markdown-escaped
    english = (await services.dispatcher.handle(replace(msg("/stats pasguide"), locale="en"))).text
    assert "Latest comments with 👎 (personal data masked):" in english and "about «Hvad koster" in english
    # scoped as before: a Builder of another department sees none of it
    other = services.stores.roles.create_department("Andet")
    services.stores.roles.assign("aad-ib", Role.BUILDER, other.id, BUILDER)  # type: ignore[arg-type]
    theirs = (await services.dispatcher.handle(msg("/statistik", user="aad-ib"))).text
    assert "Prisen" not in theirs and "Borgerservice" not in theirs and "Hemmeligt" not in theirs


# -- small language faults ---------------------------------------------------------------------------
async def test_one_test_case_is_singular_in_both_languages(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str, model_server: RecordingModelServer
) -> None:
    services = _with_model(make_services, tmp_path, model_server, db_url, admins=BUILDER)
    await _guide(services)
    await say(services, "/test tilføj Hvad koster et pas? ; indeholder 688")
    assert "1 testcase, som ikke er kørt" in (await say(services, "/udgiv")).text
    english = (await services.dispatcher.handle(replace(msg("/publish"), locale="en"))).text
    assert "1 test case that has not run" in english
    status = (await say(services, "/status")).text
    assert "1 testcase, ikke kørt" in status and "testcases" not in status
    hint = (await say(services, "/prompt Svar kort.")).text
    assert "Specialisten har 1 testcase: kør den igen" in hint


def test_page_labels_and_grounding_texts_come_from_the_catalogue_in_the_readers_language() -> None:
    cited = Citation(n=2, source="b.pdf", text="Tekst", page=3)
    assert citation_title(cited, "da") == "b.pdf (s. 3)" and citation_title(cited, "en") == "b.pdf (p. 3)"
    reply = Reply("Svar [2]", citations=[cited], generated=True, locale="en")
    [activity] = to_activities(reply)
    sent = json.dumps(activity.model_dump(mode="json", by_alias=True, exclude_none=True))
    assert '"name": "b.pdf (p. 3)"' in sent and "s. 3" not in sent
    listed = [Citation(n=1, source="a.md", text="x"), cited]
    assert settle_markers("Svar.", listed, "en") == "Svar.\n\nSources: [1] a.md; [2] b.pdf, p. 3"
    assert settle_markers("Svar.", listed) == "Svar.\n\nKilder: [1] a.md; [2] b.pdf, s. 3"
    assert no_answer_text("Pasguide", "en").startswith(
        "I found nothing about that in the sources of Pasguide"
    )
    assert no_answer_text("Pasguide", "da").startswith("Jeg fandt ikke noget om det i kilderne for Pasguide")
    assert sources_only_text([], "Pasguide", "en").startswith("No language model is connected, so Pasguide")
