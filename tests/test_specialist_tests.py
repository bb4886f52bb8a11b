"""Builders test in Teams: /test cases round-trip through the database and tests.yaml, /test kør
replies with a card, publishing waits for a passing run of the cases as they are now (or an audited
override), and a prompt change offers to run them again."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import yaml

from bot.app import Services
from bot.services import Actor
from bot.skills import export_skill, sync_skill
from tests.conftest import write_catalogue
from tests.support.openai_server import RecordingModelServer
from tests.test_specialist_commands import BUILDER, msg, say, upload

SCREEN = (
    "/screening formål=test; data=ingen; kilder=interne; hjemmel=intern vejledning; dpia=nej; ansvarlig=Bo"
)
PAS = "# Pas\n\n## Priser\n\nEt pas til en voksen koster 688 kr. og gælder i 10 år."


async def _guide(services: Services) -> None:
    for command in ("/ny Pasguide", "/indstil beskrivelse Priser på pas.", SCREEN):
        await say(services, command)
    reply = await services.dispatcher.handle(msg("", files=(upload("pas.md", PAS.encode()),)))
    assert "pas.md" in reply.text


async def test_test_commands_round_trip_through_the_database_and_tests_yaml(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str
) -> None:
    services = make_services(admins=BUILDER, database_url=db_url)
    await _guide(services)
    assert "ingen testcases" in (await say(services, "/test vis")).text
    added = await say(services, "/test tilføj Hvad koster et pas til en voksen? | 688 kr.")
    assert added.text.startswith("Testcase 1 er tilføjet til **Pasguide**")
    await say(services, "/test tilføj Hvad koster en sofa i IKEA? | afvis")
    await say(services, "/test tilføj Hvornår lukker svømmehallen? | 21.00")
    assert "Brug: /test tilføj" in (await say(services, "/test tilføj uden forventning")).text
    assert "ingen testcase 7 (der er 3)" in (await say(services, "/test slet 7")).text
    assert "(«Hvornår lukker svømmehallen?») er slettet" in (await say(services, "/test slet 3")).text
    listing = (await say(services, "/test vis")).text.splitlines()
    assert listing[1:] == [
        "1. Hvad koster et pas til en voksen? → svaret skal indeholde «688 kr.»",
        "2. Hvad koster en sofa i IKEA? → skal afvise",
    ]
    events = [e.action for e in services.stores.audit.events() if e.action.startswith("test.")]
    assert events == ["test.added", "test.added", "test.added", "test.removed"]
    folder = export_skill(Actor.cli(), "pasguide", tmp_path / "skills", services.app)
    exported = yaml.safe_load((folder / "tests.yaml").read_text(encoding="utf-8"))
    assert exported == [  # the list promptfoo loads as `tests: file://tests.yaml`
        {
            "vars": {"question": "Hvad koster et pas til en voksen?"},
            "assert": [{"type": "icontains", "value": "688 kr."}],
        },
        {"vars": {"question": "Hvad koster en sofa i IKEA?"}, "assert": [{"type": "refuses"}]},
    ]
    other = make_services(admins=BUILDER, data_dir=tmp_path / "andet", index_dir=tmp_path / "andet-ix")
    report = await sync_skill(folder, other.app)
    assert report.tests_synced == 2
    _spec, rows = other.app.evaluation.cases(Actor.cli(), "pasguide")
    assert [(r.question, json.loads(r.asserts)) for r in rows] == [
        (t["vars"]["question"], t["assert"]) for t in exported
    ]
    assert (await sync_skill(folder, other.app)).tests_synced == 0  # idempotent


def _with_model(
    make_services: Callable[..., Services], tmp_path: Path, server: RecordingModelServer, db_url: str
) -> Services:
    """A cleared model that answers from the passage it is given (the pass case) or not at all."""
    server.reply_for = lambda body: "Et pas til en voksen koster 688 kr. [1]"
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
    return make_services(admins=BUILDER, database_url=db_url, models_file=catalogue)


async def test_publishing_waits_for_passing_cases_and_a_prompt_change_offers_a_rerun(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str, model_server: RecordingModelServer
) -> None:
    services = _with_model(make_services, tmp_path, model_server, db_url)
    await _guide(services)
    assert "er udgivet" in (await say(services, "/udgiv")).text  # no cases: as before
    await say(services, "/afpubliser")
    await say(services, "/test tilføj Hvad koster et pas til en voksen? | 673 kr.")  # the source says 688
    await say(services, "/test tilføj Hvad koster en sofa i IKEA? | afvis")
    refused = (await say(services, "/udgiv")).text
    assert "2 testcases, som ikke er kørt på prompt version 1" in refused and "modellen lokal" in refused
    assert "/test kør" in refused
    run = await say(services, "/test kør")
    assert run.text.startswith("**Pasguide** på lokal: 1 af 2 testcases bestod.")
    assert run.card is not None and run.card["type"] == "tests"
    [failure] = run.card["failures"]
    assert failure["question"] == "1. Hvad koster et pas til en voksen?" and "688 kr." in failure["answer"]
    assert failure["expected"] == "svaret skal indeholde «673 kr.»"
    failing = (await say(services, "/udgiv")).text
    assert "1 af 2 testcases bestod ved sidste kørsel (modellen lokal, prompt version 1)" in failing
    assert services.stores.specialists.require("pasguide").status == "draft"
    await say(services, "/test slet 1")
    await say(services, "/test tilføj Hvad koster et pas til en voksen? | 688 kr.")
    assert "ikke er kørt" in (await say(services, "/udgiv")).text  # the cases changed since the run
    assert "2 af 2 testcases bestod" in (await say(services, "/test kør")).text
    assert "er udgivet" in (await say(services, "/udgiv")).text
    await say(services, "/afpubliser")
    saved = (await say(services, "/prompt Svar meget kort.")).text
    assert "2 testcases: kør dem igen med /test kør" in saved
    assert "ikke er kørt" in (await say(services, "/udgiv")).text  # a new prompt makes the run stale
    assert "kræver en begrundelse" in (await say(services, "/udgiv trods-test")).text
    assert "er udgivet" in (await say(services, "/udgiv trods-test Prompten er kun gjort kortere")).text
    event = services.stores.audit.events(action="specialist.published")[-1]
    details = json.loads(event.details)
    assert details["tests_overridden"] is True and details["tests_reason"] == "Prompten er kun gjort kortere"


async def test_without_a_cleared_model_the_cases_are_not_testable_and_never_pass(
    make_services: Callable[..., Services], db_url: str
) -> None:
    """Sources only (no model, or none cleared for the data): a run would judge raw passages, so it is
    refused, nothing is recorded, and publishing says why (an audited override is the only way)."""
    services = make_services(admins=BUILDER, database_url=db_url)
    await _guide(services)
    await say(services, "/test tilføj Hvad koster et pas til en voksen? | 688 kr.")  # the passage says it
    run = (await say(services, "/test kør")).text
    assert "kan ikke testes" in run and "aldrig som bestået" in run
    assert services.stores.cases.latest_run(services.stores.specialists.require("pasguide").id) is None
    refused = (await say(services, "/udgiv")).text
    assert "ingen sprogmodel er godkendt" in refused and "trods-test" in refused
    assert services.stores.specialists.require("pasguide").status == "draft"
    english = (await services.dispatcher.handle(replace(msg("/test run"), locale="en"))).text
    assert "cannot be tested" in english
    published = (await say(services, "/udgiv trods-test Ingen model er godkendt endnu")).text
    assert "er udgivet" in published


def test_the_test_card_renders_for_teams() -> None:
    from bot.teams.cards import card_text, render

    card = render(
        "",
        {
            "type": "tests",
            "title": "Testcases: Pasguide",
            "summary": "**Pasguide** på lokal: 1 af 2 testcases bestod.",
            "all_passed": "",
            "labels": {"answer": "Svar", "expected": "Forventet"},
            "failures": [
                {"question": "1. Pris?", "answer": "688 kr.", "expected": "«673 kr.»", "detail": ""}
            ],
        },
    )
    assert card is not None and card.content_type == "application/vnd.microsoft.card.adaptive"
    text = card_text(card.content)
    assert "1 af 2 testcases bestod" in text and "688 kr." in text and "«673 kr.»" in text
