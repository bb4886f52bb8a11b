"""The feedback loop through the real HTTP edge and a loopback connector: the bot's own feedback form
(``feedbackLoop: custom`` → ``message/fetchTask`` → dialog → ``message/submitAction``) stored with its
reason and comment; a hand-off to the specialist's experts whose answer reaches the employee's
conversation with a byline, also when the server restarts in between; the answer kept as a verified
answer and cited first for a paraphrased question; who may answer; an expert channel of another
department told nothing; personal data masked for a specialist not cleared for it; verified answers
past their review date not served and listed in the Builder's /status."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.app import Services
from bot.domain import Role
from bot.services import Actor
from bot.store.models import Feedback, Handoff, VerifiedAnswer
from tests.support.connector import FakeConnector
from tests.test_http_edge import message_activity
from tests.test_notifications import FAST, Edge, _chat, _from, _shown, _until
from tests.test_specialist_commands import msg

CORPUS = Path(__file__).parent / "data" / "corpus"
MAKER, EXPERT, EMPLOYEE, OTHER = "aad-mads", "aad-erik", "aad-emma", "aad-otto"
MAKER_CHAT, EXPERT_CHAT, EMPLOYEE_CHAT, OTHER_CHAT = "a:mads", "a:erik", "a:emma", "a:otto"
CHANNEL = "19:fagfolk@thread.tacv2"
QUESTION = "Hvad koster en beboerlicens?"


@pytest.fixture
async def edge() -> AsyncIterator[Edge]:
    connector = await FakeConnector().start()
    e = Edge(connector)
    yield e
    for runner in e.runners:
        await runner.cleanup()
    await connector.stop()


async def _setup(services: Services, classification: str = "intern") -> int:
    """A department (Teknik) with a Builder (Mads) and a published specialist with two sources."""
    department = services.stores.roles.create_department("Teknik")
    assert department.id is not None
    services.stores.roles.assign(MAKER, Role.BUILDER, department.id, "aad-admin")
    spec = services.stores.specialists.create("Regler", MAKER, slug="regler")
    services.stores.specialists.update(
        spec.id,
        status="published",
        sharing="organisation",
        classification=classification,
        department="Teknik",
        department_id=department.id,
    )
    for name in ("parkering.md", "sygefravaer.md"):
        await services.stores.ingestor.ingest(spec, name, (CORPUS / name).read_bytes(), MAKER)
    for conversation in (EMPLOYEE_CHAT, "a:emma-2", "a:e1", "a:e2"):
        services.stores.specialists.select(conversation, spec.id, MAKER)
    return department.id


async def _invoke(edge: Edge, name: str, value: dict[str, Any], person: str, chat: str, **extra: Any) -> Any:
    activity = message_activity(
        edge.connector.service_url,
        None,
        type="invoke",
        name=name,
        value=value,
        conversation=_chat(chat),
        **{"from": _from(person, "Emma End")},
    )
    activity.update(extra)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{edge.bases[0]}/api/messages", json=activity) as resp:
            assert resp.status == 200
            return await resp.json() if resp.content_type == "application/json" else None


def _feedback(services: Services) -> list[Feedback]:
    with services.db.session() as s:
        return list(s.exec(select(Feedback).order_by(Feedback.id)).all())  # type: ignore[arg-type]


def _stream_id(message: dict[str, Any]) -> str | None:
    info = next((e for e in message.get("entities") or [] if e.get("type") == "streaminfo"), None)
    return info["streamId"] if info else None


async def test_the_custom_form_opens_as_a_dialog_and_its_reason_and_comment_are_stored(
    make_services: Callable[..., Services], db_url: str, edge: Edge
) -> None:
    services = make_services(database_url=db_url, admins="aad-admin", **FAST)
    await _setup(services)
    await edge.serve(services)
    await edge.say(QUESTION, EMPLOYEE, "Emma End", EMPLOYEE_CHAT)
    answer = (await edge.wait_for(EMPLOYEE_CHAT, 1))[-1]
    assert answer["channelData"]["feedbackLoop"] == {"type": "custom"}  # the bot's own form

    # 👎: Teams asks for the dialog
    dialog = await _invoke(
        edge,
        "message/fetchTask",
        {"actionName": "feedback", "actionValue": {"reaction": "dislike"}},
        EMPLOYEE,
        EMPLOYEE_CHAT,
    )
    task = dialog["task"]
    assert task["type"] == "continue" and task["value"]["title"] == "Hvad var der galt med svaret?"
    card = task["value"]["card"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    inputs = {el["id"]: el for el in card["content"]["body"] if el.get("id")}
    assert [c["title"] for c in inputs["reason"]["choices"]] == [
        "Forkert",
        "Forældet",
        "Kilde mangler",
        "Ikke det, jeg spurgte om",
        "Andet",
    ]
    assert inputs["comment"]["type"] == "Input.Text" and inputs["ask_person"]["type"] == "Input.Toggle"
    submit = card["content"]["actions"][0]["data"]

    # the form submitted: Teams sends its values as JSON in the feedback text, with the answer's id
    values = {**submit, "reason": "outdated", "comment": "Prisen er steget", "ask_person": "false"}
    body = await _invoke(
        edge,
        "message/submitAction",
        {"actionName": "feedback", "actionValue": {"reaction": "dislike", "feedback": json.dumps(values)}},
        EMPLOYEE,
        EMPLOYEE_CHAT,
        replyToId=_stream_id(answer),
    )
    assert body == {}
    thanks = (await edge.wait_for(EMPLOYEE_CHAT, 2))[-1]
    assert thanks["text"] == "Tak for din tilbagemelding."
    [row] = _feedback(services)
    assert (row.reaction, row.reason, row.text, row.asked_person) == (
        "dislike",
        "outdated",
        "Prisen er steget",
        False,
    )
    # Teams' default form (its own JSON) is still read as before
    default = {"reaction": "like", "feedback": json.dumps({"feedbackText": "Fint"})}
    await _invoke(
        edge,
        "message/submitAction",
        {"actionName": "feedback", "actionValue": default},
        EMPLOYEE,
        EMPLOYEE_CHAT,
    )
    assert [(r.reaction, r.reason) for r in _feedback(services)] == [("dislike", "outdated"), ("like", None)]

    # in English for an English reader
    english = await _invoke(
        edge,
        "message/fetchTask",
        {"actionName": "feedback", "actionValue": {"reaction": "dislike"}},
        EMPLOYEE,
        EMPLOYEE_CHAT,
        locale="en-GB",
    )
    assert english["task"]["value"]["title"] == "What was wrong with the answer?"
    content = english["task"]["value"]["card"]["content"]
    assert "Out of date" in json.dumps(content) and "Forældet" not in json.dumps(content)


async def test_an_expert_answers_after_a_restart_and_the_answer_is_verified_and_cited_first(
    make_services: Callable[..., Services], pg_url: str, edge: Edge, tmp_path: Path
) -> None:
    first = make_services(database_url=pg_url, admins="aad-admin", **FAST)
    await _setup(first)
    await edge.serve(first)
    await edge.say("/hjælp", EXPERT, "Erik Ekspert", EXPERT_CHAT)  # the expert has written to the bot once
    await edge.wait_for(EXPERT_CHAT, 1)
    # the Builder names the expert with an @mention
    await edge.say("/rediger regler", MAKER, "Mads Madsen", MAKER_CHAT)
    await edge.wait_for(MAKER_CHAT, 1)
    mention = {
        "type": "mention",
        "text": "<at>Erik Ekspert</at>",
        "mentioned": {"id": "29:x", "aadObjectId": EXPERT},
    }
    await edge.say(
        "/indstil fagpersoner <at>Erik Ekspert</at>", MAKER, "Mads Madsen", MAKER_CHAT, entities=[mention]
    )
    set_reply = (await edge.wait_for(MAKER_CHAT, 2))[-1]
    assert "Fagpersoner for Regler: Erik Ekspert." in _shown(set_reply)

    # the employee asks, is not helped, and asks for a person from the form
    await edge.say(QUESTION, EMPLOYEE, "Emma End", EMPLOYEE_CHAT)
    await edge.wait_for(EMPLOYEE_CHAT, 1)
    values = {
        "aarhusai": "feedback_form",
        "reason": "outdated",
        "comment": "Er prisen ændret?",
        "ask_person": "true",
    }
    await _invoke(
        edge,
        "message/submitAction",
        {"actionName": "feedback", "actionValue": {"reaction": "dislike", "feedback": json.dumps(values)}},
        EMPLOYEE,
        EMPLOYEE_CHAT,
    )
    asked = (await edge.wait_for(EMPLOYEE_CHAT, 2))[-1]
    assert "Jeg har sendt dit spørgsmål til fagpersonerne for Regler (Erik Ekspert)" in _shown(asked)
    card = (await edge.wait_for(EXPERT_CHAT, 2))[-1]
    shown = _shown(card)
    assert "**Emma End** spurgte **Regler**" in shown and QUESTION in shown
    assert "parkering.md" in shown and "Forældet" in shown and "Er prisen ændret?" in shown
    [send] = card["attachments"][0]["content"]["actions"]
    assert send["data"]["aarhusai"] == "expert_answer"
    [row] = _feedback(first)
    assert row.asked_person and row.reason == "outdated"

    # the server goes away; the expert answers days later, on another replica
    await edge.stop()
    second = make_services(
        database_url=pg_url, admins="aad-admin", data_dir=tmp_path / "b", index_dir=tmp_path / "ib", **FAST
    )
    await edge.serve(second)
    # someone who is neither expert nor Builder cannot answer with the same card
    await edge.say(None, OTHER, "Otto Other", OTHER_CHAT, value={**send["data"], "svar": "Gæt"})
    refused = (await edge.wait_for(OTHER_CHAT, 1))[-1]
    assert "Kun fagpersonerne for Regler" in _shown(refused)

    reply_text = "En beboerlicens koster 800 kr. om året fra 1. januar 2027."
    await edge.say(
        None,
        EXPERT,
        "Erik Ekspert",
        EXPERT_CHAT,
        value={**send["data"], "svar": reply_text, "verificer": "true"},
    )
    thanks = (await edge.wait_for(EXPERT_CHAT, 3))[-1]
    assert "Dit svar er sendt til Emma End" in _shown(thanks) and "gemt som verificeret svar" in _shown(
        thanks
    )
    answered = (await edge.wait_for(EMPLOYEE_CHAT, 3))[-1]
    today = datetime.now(UTC).date().isoformat()
    assert "**Erik Ekspert** (fagperson for Regler) har svaret" in answered["text"]
    assert reply_text in answered["text"] and f"_Skrevet af Erik Ekspert, {today}_" in answered["text"]
    # once: a second answer is refused
    await edge.say(None, EXPERT, "Erik Ekspert", EXPERT_CHAT, value={**send["data"], "svar": "Igen"})
    again = (await edge.wait_for(EXPERT_CHAT, 4))[-1]
    assert "allerede besvaret af Erik Ekspert" in _shown(again)
    await _until(lambda: len(edge.to(EMPLOYEE_CHAT)) == 3)

    # the verified answer is cited first for a paraphrased question, with its author and date
    reply = await second.dispatcher.handle(
        msg("Hvor meget skal jeg betale for en beboerlicens?", user=EMPLOYEE, conversation="a:emma-2")
    )
    assert reply.citations[0].source == f"Verificeret af Erik Ekspert, {today}"
    assert "800 kr." in reply.citations[0].text
    with second.db.session() as s:
        [verified] = s.exec(select(VerifiedAnswer)).all()
    assert verified.review_at.date() >= date.today() + timedelta(days=180)
    assert verified.author_id == EXPERT and verified.handoff_id is not None


async def test_an_expert_channel_of_another_department_is_told_nothing_and_the_command_asks(
    make_services: Callable[..., Services], db_url: str, edge: Edge
) -> None:
    services = make_services(database_url=db_url, admins="aad-admin", **FAST)
    await _setup(services)
    await edge.serve(services)
    channel = {"id": f"{CHANNEL};messageid=1", "conversationType": "channel", "tenantId": "t1"}
    await edge.say("/rediger regler", MAKER, "Mads Madsen", MAKER_CHAT)
    await edge.wait_for(MAKER_CHAT, 1)
    # a channel post reaches the bot with its @mention, as Teams sends it (the bot ignores it otherwise)
    at_bot = {
        "type": "mention",
        "mentioned": {"id": "28:bot", "name": "AarhusAI"},
        "text": "<at>AarhusAI</at>",
    }
    activity_extra = {"conversation": channel, "entities": [at_bot]}
    async with aiohttp.ClientSession() as http:
        activity = message_activity(
            edge.connector.service_url,
            "<at>AarhusAI</at> /indstil fagpersoner kanal",
            **{"from": _from(MAKER, "Mads Madsen")},
            **activity_extra,
        )
        async with http.post(f"{edge.bases[0]}/api/messages", json=activity) as resp:
            assert resp.status == 202
    set_reply = (await edge.wait_for(f"{CHANNEL};messageid=1", 1))[-1]
    assert "kanalen fagpersoner for Regler" in _shown(set_reply)

    # the command asks about the latest answer here: a new post in the expert channel
    await edge.say(QUESTION, EMPLOYEE, "Emma End", EMPLOYEE_CHAT)
    await edge.wait_for(EMPLOYEE_CHAT, 1)
    await edge.say("/spørg-en-fagperson Gælder det også firmabiler?", EMPLOYEE, "Emma End", EMPLOYEE_CHAT)
    asked = (await edge.wait_for(EMPLOYEE_CHAT, 2))[-1]
    assert "kanalen fagpersoner for Regler" in _shown(asked)
    post = (await edge.wait_for(CHANNEL, 1))[-1]
    assert "Gælder det også firmabiler?" in _shown(post)
    [send] = post["attachments"][0]["content"]["actions"]
    # a member of the channel answers in it (a reply in the post's thread)
    thread = {"id": f"{CHANNEL};messageid=77", "conversationType": "channel", "tenantId": "t1"}
    async with aiohttp.ClientSession() as http:
        activity = message_activity(
            edge.connector.service_url,
            None,
            conversation=thread,
            value={**send["data"], "svar": "Ja, med erklæring fra arbejdsgiveren."},
            **{"from": _from("aad-kim", "Kim Kanal")},
        )
        async with http.post(f"{edge.bases[0]}/api/messages", json=activity) as resp:
            assert resp.status == 202
    answered = (await edge.wait_for(EMPLOYEE_CHAT, 3))[-1]
    assert "**Kim Kanal** (fagperson for Regler)" in answered["text"]

    # the specialist moves to another department: its old department's channel gets nothing
    other = services.stores.roles.create_department("Kultur")
    spec = services.app.specialists.lookup(Actor("aad-admin"), "regler")
    assert spec is not None
    services.stores.specialists.update(spec.id, department_id=other.id)
    before = len(edge.to(CHANNEL))
    refused = await services.dispatcher.handle(
        msg("/spørg-en-fagperson", user=EMPLOYEE, conversation=EMPLOYEE_CHAT)
    )
    assert "Regler har ingen fagpersoner endnu" in refused.text
    assert len(edge.to(CHANNEL)) == before
    with services.db.session() as s:
        assert len(s.exec(select(Handoff)).all()) == 1


async def test_personal_data_is_masked_for_experts_unless_the_specialist_is_cleared(
    make_services: Callable[..., Services], edge: Edge
) -> None:
    services = make_services(admins="aad-admin", **FAST)
    await _setup(services)
    await edge.serve(services)
    await edge.say("/hjælp", EXPERT, "Erik Ekspert", EXPERT_CHAT)
    await edge.wait_for(EXPERT_CHAT, 1)
    services.app.handoffs.set_experts(Actor(MAKER), "", (("Erik Ekspert", EXPERT),), ref="regler")
    cpr = "070761-4285"
    for classification, count in (("intern", 2), ("fortrolig", 3)):
        spec = services.app.specialists.lookup(Actor("aad-admin"), "regler")
        assert spec is not None
        services.stores.specialists.update(spec.id, classification=classification)
        await edge.say(
            f"Mit CPR-nummer er {cpr}, hvad koster en beboerlicens?", EMPLOYEE, "Emma End", EMPLOYEE_CHAT
        )
        await edge.wait_for(EMPLOYEE_CHAT, count * 2 - 3)
        await edge.say("/spørg-en-fagperson", EMPLOYEE, "Emma End", EMPLOYEE_CHAT)
        card = (await edge.wait_for(EXPERT_CHAT, count))[-1]
        if classification == "intern":
            assert cpr not in _shown(card), _shown(card)
            assert "[cpr]" in _shown(card).replace("\\", "")
        else:
            assert cpr in _shown(card)
    # /glem: what the employee asked a person about goes with their messages
    with services.db.session() as s:
        assert len(s.exec(select(Handoff)).all()) == 2
    await services.dispatcher.handle(msg("/glem", user=EMPLOYEE, conversation=EMPLOYEE_CHAT))
    with services.db.session() as s:
        assert s.exec(select(Handoff)).all() == []


async def test_a_verified_answer_past_its_review_date_is_not_served_and_is_listed_in_status(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(admins="aad-admin")
    await _setup(services)
    maker = Actor(MAKER, name="Mads Madsen")
    services.app.specialists.edit(maker, "regler")
    saved = await services.app.verified.save_verified(
        maker,
        "regler",
        "Hvad koster en beboerlicens?",
        "Den koster 900 kr.",
        date.today() + timedelta(days=1),
    )
    question = msg("Hvor meget koster en beboerlicens?", user=EMPLOYEE, conversation="a:e1")
    first = await services.dispatcher.handle(question)
    assert first.citations[0].source.startswith("Verificeret af Mads Madsen")
    # a stranger may not save one
    stranger = Actor(OTHER)
    try:
        await services.app.verified.save_verified(stranger, "regler", "Spørgsmål?", "Svar.")
    except Exception as exc:
        assert getattr(exc, "key", "") == "verified_not_allowed"
    else:
        raise AssertionError("a stranger saved a verified answer")
    with services.db.session() as s:
        row = s.get(VerifiedAnswer, saved.id)
        assert row is not None
        row.review_at = datetime.now(UTC) - timedelta(days=1)
        s.add(row)
        s.commit()
    later = await services.dispatcher.handle(
        msg("Hvor meget koster en beboerlicens?", user=EMPLOYEE, conversation="a:e2")
    )
    assert all(not c.source.startswith("Verificeret") for c in later.citations)
    status = await services.dispatcher.handle(msg("/status", user=MAKER, conversation=MAKER_CHAT))
    assert "forbi revisionsdatoen" in status.text and "Hvad koster en beboerlicens?" in status.text
    # the Builder's /verificer, with a review date
    again = await services.dispatcher.handle(
        msg(
            "/verificer Hvad koster en beboerlicens? | Den koster 950 kr. | 2099-01-01",
            user=MAKER,
            conversation=MAKER_CHAT,
        )
    )
    assert "vises indtil revisionsdatoen 2099-01-01" in again.text


async def test_skill_files_name_the_experts_and_export_them(
    make_services: Callable[..., Services], tmp_path: Path
) -> None:
    import shutil

    import yaml

    from bot.skills import export_skill, sync_skill

    services = make_services()
    folder = tmp_path / "skills" / "borgerservice"
    shutil.copytree(Path(__file__).parent.parent / "skills" / "borgerservice", folder)
    skill = yaml.safe_load((folder / "skill.yaml").read_text(encoding="utf-8"))
    skill["fagpersoner"] = ["Erik@Aarhus.dk", "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f"]
    (folder / "skill.yaml").write_text(yaml.safe_dump(skill, allow_unicode=True), encoding="utf-8")
    report = await sync_skill(folder, services.app)
    assert "fagpersoner" in report.settings_changed
    spec = services.stores.specialists.require("borgerservice")
    assert [pid for _name, pid in json_people(spec.experts)] == [
        "erik@aarhus.dk",
        "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f",
    ]
    again = await sync_skill(folder, services.app)
    assert "fagpersoner" not in again.settings_changed  # idempotent
    export_skill(Actor.cli(), "borgerservice", tmp_path / "out", services.app)
    out = yaml.safe_load((tmp_path / "out" / "borgerservice" / "skill.yaml").read_text(encoding="utf-8"))
    assert out["fagpersoner"] == ["erik@aarhus.dk", "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f"]


def json_people(raw: str) -> list[tuple[str, str]]:
    from bot.services.handoffs import Experts

    return list(Experts.parse(raw).people)


def test_the_command_line_names_experts_and_keeps_a_verified_answer(tmp_path: Path) -> None:
    from tests.test_cli import run

    assert run(["specialist", "create", "regler", "--name", "Regler"], tmp_path).returncode == 0
    named = run(["specialist", "experts", "regler", "Erik@Aarhus.dk"], tmp_path)
    assert named.returncode == 0, named.stderr
    assert "Fagpersoner for Regler: Erik@Aarhus.dk" in named.stdout
    kept = run(
        [
            "specialist",
            "verify",
            "regler",
            "--question",
            QUESTION,
            "--answer",
            "900 kr.",
            "--review",
            "2099-01-01",
        ],
        tmp_path,
    )
    assert kept.returncode == 0, kept.stderr
    assert "vises indtil 2099-01-01" in kept.stdout
    wrong = run(
        ["specialist", "verify", "regler", "--question", "A?", "--answer", "B", "--review", "snart"], tmp_path
    )
    assert wrong.returncode != 0 and "ÅÅÅÅ-MM-DD" in wrong.stderr + wrong.stdout


async def test_the_askers_personal_data_never_becomes_a_verified_source(
    make_services: Callable[..., Services], edge: Edge
) -> None:
    """Red team: an employee's question holds their CPR number; the expert answers it and ticks "keep as
    a verified answer". The verified source is served to everyone who asks alike, so the question is
    kept masked, whether or not the specialist is cleared for personal data (cleared: the number would
    reach every other user; not cleared: the content policy refused the source and the expert was shown
    an error after the answer had gone)."""
    services = make_services(admins="aad-admin", **FAST)
    await _setup(services)
    await edge.serve(services)
    await edge.say("/hjælp", EXPERT, "Erik Ekspert", EXPERT_CHAT)
    await edge.wait_for(EXPERT_CHAT, 1)
    services.app.handoffs.set_experts(Actor(MAKER), "", (("Erik Ekspert", EXPERT),), ref="regler")
    cpr = "070761-4285"
    for n, classification in enumerate(("fortrolig", "intern")):
        spec = services.stores.specialists.get("regler")
        assert spec is not None
        services.stores.specialists.update(spec.id, classification=classification)
        await edge.say(
            f"Mit CPR-nummer er {cpr}, hvad koster en beboerlicens?", EMPLOYEE, "Emma", EMPLOYEE_CHAT
        )
        await edge.wait_for(EMPLOYEE_CHAT, 3 * n + 1)
        await edge.say("/spørg-en-fagperson", EMPLOYEE, "Emma End", EMPLOYEE_CHAT)
        card = (await edge.wait_for(EXPERT_CHAT, 2 * n + 2))[-1]
        [send] = card["attachments"][0]["content"]["actions"]
        value = {**send["data"], "svar": f"Den koster {800 + n} kr.", "verificer": "true"}
        await edge.say(None, EXPERT, "Erik Ekspert", EXPERT_CHAT, value=value)
        thanks = (await edge.wait_for(EXPERT_CHAT, 2 * n + 3))[-1]
        assert "Dit svar er sendt til" in _shown(thanks), _shown(thanks)
        assert "gemt som verificeret svar" in _shown(thanks), (classification, _shown(thanks))
        with services.db.session() as s:
            saved = s.exec(select(VerifiedAnswer)).all()
        assert saved and all(cpr not in v.question for v in saved), [v.question for v in saved]
        reply = await services.dispatcher.handle(
            msg("Hvad koster en beboerlicens?", user=OTHER, conversation=f"a:e{n + 1}")
        )
        assert all(cpr not in c.text and cpr not in c.source for c in reply.citations), reply.citations
