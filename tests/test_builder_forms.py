"""The Builder's forms as cards: screening, sharing and every setting, submitted through the same
services with the same validation and audit as the commands (the dispatcher, SQLite and PostgreSQL;
and once through the HTTP edge with the fake connector)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import Services
from bot.conversation.types import Reply
from bot.domain import AuditAction, Role
from bot.governance import screening
from bot.services import Actor
from bot.teams.cards import card_text, render
from tests.conftest import write_catalogue
from tests.test_checklist import _texts
from tests.test_specialist_commands import msg
from tests.test_teams_features import BUILDER, Bot, _actions, bot  # noqa: F401 (fixtures)

MAKER, OWNER = "aad-mads", "aad-olga"
SCREENING_FORM = {
    "formål": "Vejledning om sygefravær",
    "data": "almindelige",
    "kilder": "interne",
    "hjemmel": "Persondataforordningen art. 6",
    "dpia": "nej",
    "ansvarlig": "Mads",
}


@pytest.fixture
def services(make_services: Callable[..., Services], db_url: str, tmp_path: Path) -> Services:
    catalogue = write_catalogue(
        tmp_path / "m.yaml",
        {"id": "lokal", "name": "Kommunens Mistral", "base_url": "http://127.0.0.1:9/v1", "model": "m"},
        {"id": "sky", "base_url": "http://127.0.0.1:9/v1", "model": "s", "max_classification": "offentlig"},
    )
    services = make_services(database_url=db_url, admins="aad-admin", models_file=catalogue)
    department = services.stores.roles.create_department("Personale")
    assert department.id is not None
    services.stores.roles.assign(OWNER, Role.OWNER, department.id, "aad-admin")
    services.stores.roles.assign(MAKER, Role.BUILDER, department.id, "aad-admin")
    return services


async def _new(services: Services, name: str = "Personaleguiden") -> Callable[..., Any]:
    dispatch = services.dispatcher.handle
    await dispatch(msg(f"/ny {name}", user=MAKER))
    return dispatch


def _submit(form: dict[str, Any], user: str = MAKER, locale: str = "da", kind: str = "personal") -> Any:
    conversation = "a:personal" if kind == "personal" else "19:team@thread.tacv2"
    return replace(msg("", user=user, conversation=conversation, kind=kind), form=form, locale=locale)


def _fields(reply: Reply) -> dict[str, dict[str, Any]]:
    assert reply.card is not None and reply.card["type"] == "form", reply
    return {f.get("id", f["kind"]): f for f in reply.card["fields"]}


async def test_the_screening_card_saves_like_the_command_and_is_audited(services: Services) -> None:
    dispatch = await _new(services)
    shown = await dispatch(msg("/screening", user=MAKER))
    fields = _fields(shown)
    assert set(fields) == {"formål", "data", "kilder", "hjemmel", "dpia", "ansvarlig"}
    assert [c["value"] for c in fields["data"]["choices"]] == list(screening.DATA_CATEGORIES)
    assert fields["data"]["multi"] and "ikke screenet" in shown.card["intro"]  # type: ignore[index]
    submit = shown.card["submit"]["data"]  # type: ignore[index]
    assert submit == {"aarhusai": "screening", "slug": "personaleguiden"}

    # the same checks as the command: nothing chosen under data, "ingen" with another category
    missing = await dispatch(_submit({**submit, **SCREENING_FORM, "data": ""}))
    assert missing.kind == "notice" and "mangler: data" in missing.text
    mixed = await dispatch(_submit({**submit, **SCREENING_FORM, "data": "ingen,cpr"}))
    assert mixed.kind == "notice" and "ingen kan ikke kombineres" in mixed.text
    assert services.app.publishing.screening(Actor(MAKER))[1] is None

    saved = await dispatch(_submit({**submit, **SCREENING_FORM}))
    assert saved.kind == "command" and "klassificeret som **fortrolig**" in saved.text
    assert saved.card is not None and saved.card["type"] == "checklist"  # the checklist under it
    assert "✓ Screening" in saved.text
    spec = services.stores.specialists.require("personaleguiden")
    assert spec.classification == "fortrolig"
    [event] = services.stores.audit.events(action=AuditAction.SCREENING_COMPLETED)
    assert event.actor == MAKER and json.loads(event.details)["via"] == "card"

    again = _fields(await dispatch(msg("/screening", user=MAKER)))  # filled in with what was saved
    assert again["formål"]["value"] == SCREENING_FORM["formål"] and again["data"]["value"] == "almindelige"
    assert again["dpia"]["value"] == "nej" and again["kilder"]["value"] == "interne"


async def test_the_screening_card_in_english_and_as_text(services: Services) -> None:
    dispatch = await _new(services)
    shown = await dispatch(replace(msg("/screening", user=MAKER), locale="en"))
    fields = _fields(shown)
    assert fields["formål"]["label"] == "Purpose: what is the specialist for?"
    assert [c["title"] for c in fields["kilder"]["choices"]] == ["public", "internal"]
    rendered = render(shown.text, shown.card or {})
    assert rendered is not None
    text = card_text(rendered.content)  # type: ignore[arg-type]
    assert "Screening of Personaleguiden" in text and "Save screening" in text
    assert "Formål" not in text and "Gem" not in text


async def test_the_sharing_card_offers_team_only_in_a_team(services: Services) -> None:
    dispatch = await _new(services)
    shown = await dispatch(msg("/del", user=MAKER))
    field = _fields(shown)["deling"]
    assert [c["value"] for c in field["choices"]] == ["personal", "department", "organisation"]
    assert field["value"] == "personal" and "teamets kanal" in field["help"]
    submit = shown.card["submit"]["data"]  # type: ignore[index]
    team = await dispatch(_submit({**submit, "deling": "team"}))
    assert team.kind == "notice" and "/del team" in team.text  # in a personal chat: where to do it
    in_team = await dispatch(
        replace(msg("/del", user=MAKER, conversation="19:t@thread.tacv2", kind="channel"))
    )
    assert "team" in [c["value"] for c in _fields(in_team)["deling"]["choices"]]

    shared = await dispatch(_submit({**submit, "deling": "organisation"}))
    assert shared.kind == "command" and "organisation" in shared.text and "godkendes" in shared.text
    assert services.stores.specialists.require("personaleguiden").sharing == "organisation"
    [event] = services.stores.audit.events(action=AuditAction.SHARING_CHANGED)
    assert json.loads(event.details)["via"] == "card"
    nonsense = await dispatch(_submit({**submit, "deling": "<script>"}))
    assert nonsense.kind == "notice" and "/del" in nonsense.text


async def test_the_settings_card_shows_every_setting_and_only_cleared_models_by_name(
    services: Services,
) -> None:
    dispatch = await _new(services)
    await dispatch(
        msg("/screening " + ";".join(f"{k}={v}" for k, v in _text_screening().items()), user=MAKER)
    )
    shown = await dispatch(msg("/indstil", user=MAKER))
    fields = _fields(shown)
    assert set(fields) == {
        "navn",
        "beskrivelse",
        "prompt",
        "model",
        "temperatur",
        "top_k",
        "chunk_size",
        "chunk_overlap",
        "cpr_i_kilder",
    }
    assert (fields["top_k"]["min"], fields["top_k"]["max"], fields["top_k"]["label"]) == (
        1,
        20,
        "Kildeuddrag pr. svar (1–20)",
    )
    # fortrolig: the cloud model (cleared for offentlig) is not offered; the local one by its name
    assert [c["title"] for c in fields["model"]["choices"]] == [
        "Standard (katalogets)",
        "Kommunens Mistral (lokal)",
    ]
    assert "fortrolig" in fields["model"]["help"]

    refused = await dispatch(msg("/indstil model sky", user=MAKER))
    assert (
        refused.kind == "notice"
        and "ikke godkendt" in refused.text
        and "Kommunens Mistral (lokal)" in refused.text
    )
    submit = shown.card["submit"]["data"]  # type: ignore[index]
    by_card = await dispatch(_submit({**submit, "model": "sky", "top_k": "4"}))
    assert by_card.kind == "notice" and "Intet er gemt" in by_card.text
    assert services.stores.specialists.require("personaleguiden").top_k != 4  # nothing saved

    saved = await dispatch(
        _submit(
            {
                **submit,
                "navn": "Personaleguiden",
                "beskrivelse": "Svar om sygefravær og ferie.",
                "model": "lokal",
                "chunk_size": "300",
                "chunk_overlap": "250",  # checked against the new size, not the old one
                "cpr_i_kilder": "skjul",
            }
        )
    )
    assert saved.kind == "command" and "/genindekser" in saved.text, saved.text
    spec = services.stores.specialists.require("personaleguiden")
    assert (spec.description, spec.model_id, spec.chunk_size, spec.chunk_overlap, spec.source_cpr) == (
        "Svar om sygefravær og ferie.",
        "lokal",
        300,
        250,
        "redact",
    )
    [event] = services.stores.audit.events(action=AuditAction.SETTING_CHANGED)
    assert json.loads(event.details)["chunk_overlap"] == 250
    overlap = await dispatch(_submit({**submit, "chunk_size": "250", "chunk_overlap": "260"}))
    assert overlap.kind == "notice" and "chunk_overlap" in overlap.text


def _text_screening() -> dict[str, str]:
    return {
        "formål": "vejledning",
        "data": "almindelige",
        "kilder": "interne",
        "hjemmel": "art. 6",
        "dpia": "nej",
        "ansvarlig": "Mads",
    }


async def test_a_card_for_another_specialist_or_from_an_employee_changes_nothing(services: Services) -> None:
    dispatch = await _new(services)
    old = (await dispatch(msg("/screening", user=MAKER))).card["submit"]["data"]  # type: ignore[index]
    await dispatch(msg("/ny Andenguide", user=MAKER))  # now editing another specialist
    stale = await dispatch(_submit({**old, **SCREENING_FORM}))
    assert stale.kind == "notice" and "anden specialist" in stale.text and "Andenguide" in stale.text
    employee = await dispatch(_submit({**old, **SCREENING_FORM}, user="aad-eva"))
    assert employee.kind == "notice" and "Builder" in employee.text
    assert not services.stores.audit.events(action=AuditAction.SCREENING_COMPLETED)


async def test_without_a_catalogue_the_model_setting_says_so(make_services: Callable[..., Services]) -> None:
    services = make_services(admins="aad-admin")
    dispatch = services.dispatcher.handle
    await dispatch(msg("/ny Regler", user="aad-admin"))
    refused = await dispatch(msg("/indstil model x", user="aad-admin"))
    assert refused.kind == "notice" and "ingen sprogmodeller i modelkataloget" in refused.text
    assert "Kendte modeller: ." not in refused.text
    fields = _fields(await dispatch(msg("/indstil", user="aad-admin")))
    assert fields["note"]["label"].startswith("Sprogmodel: ingen i modelkataloget")


async def test_screening_card_filled_and_submitted_through_the_http_edge(bot: Bot) -> None:  # noqa: F811
    builder = {"id": "29:anne", "aadObjectId": BUILDER}
    await bot.say("/rediger regler", **{"from": builder})
    [edited] = await bot.connector.wait_for_messages(1)
    buttons = {a["title"]: a["data"] for a in _actions(edited["attachments"][0]["content"])}
    assert buttons["Udfyld"] == {"aarhusai": "command", "name": "screening"}  # the checklist's screening line

    await bot.say(None, value=buttons["Udfyld"], **{"from": builder})
    form = (await bot.connector.wait_for_messages(2))[-1]["attachments"][0]["content"]
    inputs = {b["id"]: b for b in form["body"] if b.get("id")}
    assert inputs["data"]["type"] == "Input.ChoiceSet" and inputs["data"]["isMultiSelect"] is True
    assert inputs["dpia"]["type"] == "Input.Toggle" and inputs["dpia"]["valueOn"] == "ja"
    [save] = form["actions"]
    assert save["title"] == "Gem screening"
    # Teams sends the inputs' values merged into the submit action's data
    await bot.say(
        None, value={**save["data"], **SCREENING_FORM, "data": "almindelige,cpr"}, **{"from": builder}
    )
    saved = (await bot.connector.wait_for_messages(3))[-1]
    texts = _texts(saved["attachments"][0]["content"])
    assert any("klassificeret som **personfølsom**" in x for x in texts)
    assert any(x.startswith("**Screening**: udfyldt") for x in texts)
    spec = bot.services.stores.specialists.require("regler")
    assert spec.classification == "personfølsom" and spec.status == "draft"
