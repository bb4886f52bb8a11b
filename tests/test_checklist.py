"""The Builder's checklist: one service result (SQLite and PostgreSQL), its card through the HTTP edge
after /rediger and after a change, the CLI's ``specialist show``, and asking the owner for approval."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import Services
from bot.commands import checklist as rendering
from bot.domain import AuditAction, Role
from bot.services import Actor
from bot.services.base import NO_MODEL
from bot.services.sources import Refused
from tests.conftest import write_catalogue
from tests.support.openai_server import RecordingModelServer
from tests.test_cli import run
from tests.test_specialist_commands import msg
from tests.test_teams_features import BUILDER, Bot, _actions, bot  # noqa: F401 (fixtures)

CORPUS = Path(__file__).parent / "data" / "corpus"
SCREENING = (
    "/screening formål=vejledning; data=ingen; kilder=interne; hjemmel=intern vejledning; dpia=nej; "
    "ansvarlig=Bo"
)
OWNER, MAKER = "aad-olga", "aad-mads"


@pytest.fixture
def services(make_services: Callable[..., Services], db_url: str, tmp_path: Path) -> Services:
    catalogue = write_catalogue(
        tmp_path / "m.yaml", {"id": "lokal", "base_url": "http://127.0.0.1:9/v1", "model": "lokal"}
    )
    return make_services(database_url=db_url, admins="aad-admin", models_file=catalogue)


def _department(services: Services) -> int:
    """A department with an owner (Olga) and a Builder (Mads)."""
    department = services.stores.roles.create_department("Personale")
    assert department.id is not None
    services.stores.roles.assign(OWNER, Role.OWNER, department.id, "aad-admin")
    services.stores.roles.assign(MAKER, Role.BUILDER, department.id, "aad-admin")
    return department.id


async def test_a_fresh_specialist_shows_every_step_open(services: Services) -> None:
    _department(services)
    maker = Actor(MAKER)
    spec = services.app.specialists.create(maker, "Personaleguiden")
    c = services.app.specialists.checklist(maker)
    assert c.spec.slug == spec.slug
    assert (c.described, c.sources, c.refused, c.screened, c.published) == (False, 0, (), False, False)
    assert (c.prompt_version, c.prompt_default, c.sharing, c.approval) == (1, True, "personal", "not_needed")
    assert (c.tests, c.tests_passed, c.tests_total, c.tests_model) == ("none", 0, 0, "lokal")
    assert c.owners == (OWNER,) and c.missing == 4  # description, sources, screening, publishing
    shown = rendering.text(c, "da", markdown=False)
    assert "✗ Beskrivelse: mangler (kræves for at udgive) → /indstil beskrivelse <tekst>" in shown
    assert "✗ Screening: ikke udfyldt → /screening" in shown and "4 trin mangler." in shown
    english = rendering.text(c, "en", markdown=False)
    assert "✗ Description: missing (needed to publish) → /set description <text>" in english
    assert "Beskrivelse" not in english


async def test_a_complete_specialist_has_every_step_done(services: Services) -> None:
    _department(services)
    maker, owner = Actor(MAKER), Actor(OWNER)
    app = services.app
    spec = app.specialists.create(maker, "Personaleguiden", description="Svar om sygefravær.")
    await app.sources.add(maker, spec, "sygefravaer.md", (CORPUS / "sygefravaer.md").read_bytes())
    refused = await app.sources.add(maker, spec, "tom.txt", b"")
    assert isinstance(refused, Refused)
    app.specialists.set_prompt(maker, "Du svarer kort om sygefravær.")
    app.publishing.screen(maker, SCREENING.removeprefix("/screening "))
    app.publishing.share(maker, "afdeling")
    assert app.specialists.checklist(maker).approval == "missing"
    asked = app.specialists.request_approval(maker)
    assert asked.owners == (OWNER,)
    assert app.specialists.checklist(maker).approval == "requested"
    app.publishing.approve(owner, spec.slug)
    app.evaluation.add_case(maker, "Hvornår skal jeg sygemelde mig?", "kl. 8")
    c = app.specialists.checklist(maker)
    assert (c.tests, c.tests_total) == ("not_run", 1)
    fresh = services.stores.specialists.require(spec.slug)
    services.stores.cases.record_run(
        fresh, services.stores.cases.fingerprint(fresh, "lokal"), "lokal", 1, 1, MAKER
    )
    app.publishing.publish(maker)
    c = app.specialists.checklist(maker)
    assert (c.described, c.sources, c.refused, c.screened, c.published) == (True, 1, ("tom.txt",), True, True)
    assert (c.prompt_version, c.prompt_default, c.sharing) == (2, False, "department")
    assert (c.approval, c.approved_by) == ("approved", OWNER)
    assert (c.tests, c.tests_passed, c.tests_total, c.tests_model) == ("passed", 1, 1, "lokal")
    assert c.missing == 0
    assert "Alt er klaret." in rendering.text(c, "da")
    # a refused file added later is no longer listed; a new prompt makes the passing run stale
    await app.sources.add(maker, spec, "tom.txt", b"Nu med indhold om ferie.")
    app.specialists.set_prompt(maker, "Du svarer meget kort.")
    c = app.specialists.checklist(maker)
    assert c.refused == () and (c.tests, c.tests_passed, c.tests_total) == ("stale", 1, 1)


async def test_cases_without_a_cleared_model_are_not_testable(make_services: Callable[..., Services]) -> None:
    services = make_services(admins="aad-admin")  # no model catalogue: the passages alone test nothing
    admin = Actor("aad-admin")
    services.app.specialists.create(admin, "Regler")
    services.app.evaluation.add_case(admin, "Hvad koster en licens?", "kr.")
    c = services.app.specialists.checklist(admin)
    assert (c.tests, c.tests_model) == ("not_testable", NO_MODEL)
    [tests_line] = [line for line in rendering.lines(c, "da") if line.label == "Test"]
    assert (
        tests_line.mark == "missing" and tests_line.button is None and "kan ikke køres" in tests_line.detail
    )


async def test_request_approval_is_recorded_and_shown_to_the_owner(services: Services) -> None:
    _department(services)
    dispatch = services.dispatcher.handle
    await dispatch(msg("/ny Personaleguiden", user=MAKER))
    refused = await dispatch(msg("/anmod-godkendelse", user=MAKER))
    assert refused.kind == "notice" and "skal ikke godkendes" in refused.text  # shared personally
    await dispatch(msg(SCREENING, user=MAKER))
    await dispatch(msg("/del afdeling", user=MAKER))
    nobody_yet = await dispatch(msg("/status", user=OWNER))
    assert nobody_yet.kind == "notice" and "/rediger" in nobody_yet.text

    asked = await dispatch(msg("/anmod-godkendelse", user=MAKER))
    assert asked.kind == "command" and "er registreret" in asked.text and OWNER in asked.text
    assert asked.card is not None and asked.card["type"] == "checklist"
    [approval] = [i for i in asked.card["items"] if i["label"] == "Godkendelse"]
    assert approval["mark"] == "⏳" and OWNER in approval["detail"] and approval["button"] is None
    [event] = services.stores.audit.events(action=AuditAction.APPROVAL_REQUESTED)
    assert (event.actor, event.target) == (MAKER, "personaleguiden")
    assert json.loads(event.details)["owners"] == [OWNER]

    waiting = await dispatch(msg("/status", user=OWNER))
    assert "Venter på din godkendelse" in waiting.text and "`/godkend personaleguiden`" in waiting.text
    assert MAKER in waiting.text
    assert "Venter på din godkendelse" not in (await dispatch(msg("/status", user=MAKER))).text
    assert "godkendt" in (await dispatch(msg("/godkend personaleguiden", user=OWNER))).text
    done = await dispatch(msg("/status", user=OWNER))
    assert "Venter" not in done.text  # nothing waits any more
    status = await dispatch(msg("/status", user=MAKER))
    assert f"✓ Godkendelse: godkendt af {OWNER}" in status.text
    again = await dispatch(msg("/request-approval", user=MAKER))
    assert again.kind == "notice" and "allerede godkendt" in again.text
    # widening the sharing makes the approval (and the request) stale
    await dispatch(msg("/del organisation", user=MAKER))
    assert "✗ Godkendelse: mangler" in (await dispatch(msg("/status", user=MAKER))).text
    assert "Venter" not in (await dispatch(msg("/status", user=OWNER))).text


async def test_only_changes_get_the_checklist(services: Services) -> None:
    dispatch = services.dispatcher.handle
    created = await dispatch(msg("/ny Testguide", user="aad-admin"))
    assert created.card is not None and "er oprettet som kladde" in created.card["intro"]
    assert "Tjekliste: Testguide" in created.text
    for shows in ("/prompt", "/prompt historik", "/kilder", "/test"):
        reply = await dispatch(msg(shows, user="aad-admin"))
        assert "Tjekliste" not in reply.text and reply.card is None, shows
    for form in ("/screening", "/del", "/indstil"):  # shows its form to fill in, not the checklist
        reply = await dispatch(msg(form, user="aad-admin"))
        assert "Tjekliste" not in reply.text and reply.card is not None and reply.card["type"] == "form", form
    changed = await dispatch(msg("/indstil beskrivelse Svar om test.", user="aad-admin"))
    assert "✓ Beskrivelse: Svar om test." in changed.text
    english = await dispatch(replace(msg("/set top_k 3", user="aad-admin"), locale="en"))
    assert english.card is not None and english.card["title"] == "Checklist: Testguide"


async def test_an_upload_and_a_saved_settings_card_get_the_checklist(services: Services) -> None:
    from tests.test_specialist_commands import upload

    dispatch = services.dispatcher.handle
    await dispatch(msg("/ny Filguide", user="aad-admin"))
    added = await dispatch(
        replace(msg("", user="aad-admin"), files=(upload("pas.md", b"# Pas\n\nEt pas koster 688 kr."),))
    )
    assert added.card is not None and added.card["type"] == "checklist"
    assert "pas.md" in added.card["intro"] and "Tjekliste: Filguide" in added.text
    form = {"aarhusai": "save_settings", "top_k": "3"}
    saved = await dispatch(replace(msg("", user="aad-admin"), form=form))
    assert saved.card is not None and saved.card["type"] == "checklist" and "top_k = 3" in saved.card["intro"]
    refused = await dispatch(replace(msg("", user="aad-admin"), form={**form, "top_k": "500"}))
    assert refused.card is None  # nothing saved: no checklist


async def test_the_card_after_rediger_and_after_a_change_through_the_http_edge(
    bot: Bot,  # noqa: F811
    model_server: RecordingModelServer,
) -> None:
    model_server.reply = "En beboerlicens koster 300 kr. om året [1]."
    builder = {"id": "29:anne", "aadObjectId": BUILDER}
    await bot.say("/rediger regler", **{"from": builder})
    [edited] = await bot.connector.wait_for_messages(1)
    card = edited["attachments"][0]["content"]
    assert edited["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = _texts(card)
    assert any("Du redigerer nu" in x for x in texts) and "Tjekliste: Regler" in texts
    assert "**Beskrivelse**: mangler (kræves for at udgive)" in texts and "**Kilder**: 2 kilder" in texts
    assert "/indstil beskrivelse ‹tekst›" in texts  # the placeholder survives Teams
    buttons = {a["title"]: a["data"] for a in _actions(card)}
    assert buttons["Anmod om godkendelse"] == {"aarhusai": "command", "name": "anmod-godkendelse"}

    await bot.say("/indstil beskrivelse Regler om sygefravær og parkering.", **{"from": builder})
    changed = (await bot.connector.wait_for_messages(2))[-1]["attachments"][0]["content"]
    assert "**Beskrivelse**: Regler om sygefravær og parkering." in _texts(changed)

    # the card's button: not screened yet, so the request is refused and says why
    await bot.say(None, value=buttons["Anmod om godkendelse"], **{"from": builder})
    assert "ikke screenet" in (await bot.connector.wait_for_messages(3))[-1]["text"]
    await bot.say(SCREENING, **{"from": builder})
    await bot.connector.wait_for_messages(4)
    await bot.say(None, value=buttons["Anmod om godkendelse"], **{"from": builder})
    asked = (await bot.connector.wait_for_messages(5))[-1]["attachments"][0]["content"]
    assert any("er registreret" in x for x in _texts(asked))
    assert bot.services.stores.audit.events(action=AuditAction.APPROVAL_REQUESTED)

    await bot.say("/test tilføj Hvad koster en beboerlicens? | kr", **{"from": builder})
    added = (await bot.connector.wait_for_messages(6))[-1]["attachments"][0]["content"]
    run_button = next(a for a in _actions(added) if a["title"] == "Kør")
    assert run_button["data"] == {"aarhusai": "command", "name": "test-kør"}
    await bot.say(None, value=run_button["data"], **{"from": builder})
    ran = (await bot.connector.wait_for_messages(7))[-1]
    assert "Regler" in ran["attachments"][0]["content"]["body"][0]["text"]  # the test run's own card
    spec = bot.services.stores.specialists.require("regler")
    assert bot.services.stores.cases.latest_run(spec.id) is not None  # type: ignore[arg-type]
    await bot.say("/status", **{"from": builder})
    status = (await bot.connector.wait_for_messages(8))[-1]["attachments"][0]["content"]
    assert any(x.startswith("**Test**: 1/1 bestået med lokal") for x in _texts(status))


def _texts(card: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def test_specialist_show_prints_the_same_facts(tmp_path: Path) -> None:
    created = run(["specialist", "create", "regler", "--name", "Regelguiden"], tmp_path)
    assert created.returncode == 0, created.stderr
    shown = run(["specialist", "show", "regler"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "Tjekliste: Regelguiden"
    assert "- ✗ Beskrivelse: mangler (kræves for at udgive) → /indstil beskrivelse <tekst>" in lines
    assert "- ✗ Kilder: 0 kilder → send filer her i chatten · /kilder" in lines
    assert "- – Prompt: version 1 (standardprompten) → /prompt <tekst>" in lines
    assert "- ✓ Godkendelse: ikke nødvendig ved deling på niveauet personlig" in lines
    assert "- ✗ Udgivet: nej, kladde → /udgiv" in lines and lines[-1] == "4 trin mangler."
    unknown = run(["specialist", "show", "ukendt"], tmp_path)
    assert unknown.returncode == 2 and "ukendt" in unknown.stderr
