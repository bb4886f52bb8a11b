"""Insights (issue 25): themes of what went unanswered or got a 👎, grouped in-process with the bundled
embedder and measured on a Danish fixture; /indsigt through the HTTP edge, scoped per role and
department, masked, with a button that makes a real question a /test case; the weekly digest written
once with two replicas over one PostgreSQL database; ``aarhusai insights`` writing report.html and
insights.json, and the report opened from disk in headless Chromium fetching nothing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import col, select, update

from bot.app import Services
from bot.conversation.types import Reach
from bot.governance import themes
from bot.governance.insights import reasons_of
from bot.rag.embeddings import make_embedder
from bot.server import start
from bot.services import Actor
from bot.store.models import JobRun, Message, VerifiedAnswer
from bot.store.outbox import remember
from bot.teams.cards import card_text
from bot.teams.cards import render as render_card
from tests.support.connector import FakeConnector
from tests.test_governance import ADMIN, BUILDER_A, BUILDER_B, EMPLOYEE, MEMBER_A, OWNER_A, Org, msg
from tests.test_http_edge import message_activity
from tests.test_language_purity import foreign_words

FIXTURE = Path(__file__).parent / "data" / "themes.jsonl"
CPR_QUESTION = "Hvornår udløber passet for 010190-1234?"


# -- the clustering, measured --------------------------------------------------------------------
def test_themes_of_the_danish_fixture_are_pure_with_the_bundled_embedder() -> None:
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    labels = [r["topic"] for r in rows]
    assert len(rows) >= 60 and len(set(labels)) >= 5
    vectors = make_embedder(None).encode_queries([r["question"] for r in rows])
    groups = themes.group(vectors)
    purity = themes.purity(groups, labels)
    print(f"\nthemes: {len(groups)} for {len(set(labels))} topics, purity {purity:.3f}")  # the figures
    assert purity >= 0.8
    assert len(set(labels)) <= len(groups) <= 2 * len(set(labels))  # not one blob, not all singletons
    assert sorted(i for g in groups for i in g) == list(range(len(rows)))  # every question, once
    # a theme is named by a real question of its own group
    for g in groups:
        assert themes.central(g, vectors) in g


def test_few_questions_group_only_near_paraphrases() -> None:
    """Below MIN_CENTRED questions raw cosine decides: paraphrases together, other topics apart."""
    texts = [
        "Hvad koster et nyt pas?",
        "Hvad er prisen på et nyt pas?",
        "Hvornår bliver mit storskrald hentet?",
        "Hvordan søger jeg om byggetilladelse til en carport?",
    ]
    groups = themes.group(make_embedder(None).encode_queries(texts))
    assert [0, 1] in groups and [2] in groups and [3] in groups


def test_the_clustering_is_average_linkage_with_a_threshold() -> None:
    import numpy as np

    v = np.array([[1, 0], [0.99, 0.14], [0, 1], [0.1, 0.99]], dtype=np.float64)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    assert themes.cluster(v, 0.9) == [[0, 1], [2, 3]]
    assert themes.cluster(v, 0.999) == [[0], [1], [2], [3]]
    assert themes.cluster(v, -1.0) == [[0, 1, 2, 3]]
    assert themes.purity([[0, 1], [2, 3]], ["a", "a", "b", "a"]) == 0.75


@pytest.mark.parametrize(
    ("stored", "text", "expected"),
    [
        (None, '{"feedbackText": "Forkert pris", "reason": "wrong"}', ("wrong",)),
        (None, '{"reasons": ["outdated", "source_missing"]}', ("outdated", "source_missing")),
        ("wrong", "", ("wrong",)),
        ("wrong, Other", "", ("wrong", "other")),
        ('["not_asked"]', "fri tekst", ("not_asked",)),
        (["outdated"], "", ("outdated",)),
        (None, "Bare en kommentar", ()),
        (None, '{"feedbackText": "uden grund"}', ()),
        (None, "{ikke json", ()),
    ],
)
def test_a_reason_is_read_from_a_column_or_the_forms_json_and_never_guessed(
    stored: object, text: str, expected: tuple[str, ...]
) -> None:
    assert reasons_of(stored, text) == expected


# -- helpers -----------------------------------------------------------------------------------------
def asked(
    services: Services,
    specialist: str,
    question: str,
    outcome: str = "no_answer",
    days_ago: float = 0,
    user: str = EMPLOYEE,
) -> int:
    inc = msg(question, user, conversation=f"a:{user}:{uuid.uuid4().hex[:6]}")
    message = services.stores.conversations.record(
        inc.conversation, inc.user_key, inc.text, "svar", model=None, outcome=outcome, specialist=specialist
    )
    if days_ago:
        with services.db.session() as s:
            s.exec(  # type: ignore[call-overload]
                update(Message)
                .where(col(Message.id) == message.id)
                .values(created_at=datetime.now(UTC) - timedelta(days=days_ago))
            )
            s.commit()
    return int(message.id)  # type: ignore[arg-type]


def disliked(services: Services, message_id: int, text: str) -> None:
    from bot.store.models import Feedback

    with services.db.session() as s:
        s.add(Feedback(message_id=message_id, user_id=EMPLOYEE, reaction="dislike", text=text))
        s.commit()


PAS = [
    "Hvad koster et nyt pas til en voksen?",
    "Hvad er prisen for et pas til voksne?",
    "Hvor meget koster det at få et nyt pas?",
    "Hvad skal jeg betale for et voksenpas?",
    "Hvad koster et pas?",
]
AFFALD = [
    "Hvornår bliver mit storskrald hentet?",
    "Hvornår kommer storskraldet?",
    "Hvilken dag afhentes storskrald?",
]


@pytest.fixture
async def org(make_services: Callable[..., Services], db_url: str) -> Org:
    return await Org(make_services(database_url=db_url, admins=ADMIN)).setup()


# -- /indsigt ------------------------------------------------------------------------------------------
async def test_insights_are_scoped_per_role_and_department_and_masked(org: Org) -> None:
    services = org.services
    a = await org.specialist(BUILDER_A, "Guide A", data="cpr")
    b = await org.specialist(BUILDER_B, "Guide B")
    for q in PAS:
        asked(services, a, q)
    asked(services, a, CPR_QUESTION)
    for q in AFFALD:
        asked(services, b, q, days_ago=9)  # last week only
    asked(services, b, "Hvornår åbner genbrugspladsen?")
    expected = {
        BUILDER_A: (True, False),
        OWNER_A: (True, False),
        BUILDER_B: (False, True),
        ADMIN: (True, True),
        MEMBER_A: (None, None),
        EMPLOYEE: (None, None),
    }
    for user, (sees_a, sees_b) in expected.items():
        reply = await org.say(user, "/indsigt")
        if sees_a is None:
            assert "kræver rollen" in reply.text and "pas" not in reply.text.lower(), user
            continue
        assert ("Guide A" in reply.text) is sees_a, user
        assert ("Guide B" in reply.text) is sees_b, user
        assert "1234" not in reply.text and "010190" not in reply.text  # masked
        assert reply.card is not None and reply.card["type"] == "insights"
        for slug, visible in ((a, sees_a), (b, sees_b)):
            named = await org.say(user, f"/indsigt {slug}")
            assert ("kræver rollen" in named.text) is not visible, (user, slug)
    # in English, in English only (the masked questions are data, Danish as written)
    english = await services.dispatcher.handle(replace(msg("/insights", BUILDER_A), locale="en"))
    assert english.text.startswith("Insights: all specialists") and english.card is not None
    shown = "\n".join([english.text, card_text(render_card(english.text, english.card).content)])
    for q in [*PAS, CPR_QUESTION.replace("010190-1234", "[cpr]")]:
        shown = shown.replace(q.replace("[", "\\[").replace("]", "\\]"), "").replace(q, "")
    assert foreign_words(shown, "en") == [], shown
    assert (
        "[Make a test case → /insights test" in shown and "[See the questions → /insights questions" in shown
    )
    # the counts: this week and the change since the week before
    [guide_b] = services.app.insights.themes(Actor(BUILDER_B))
    assert guide_b.count == 1 and guide_b.before == 3
    assert sum(t.count for t in guide_b.themes) == 1 and sum(t.before for t in guide_b.themes) == 3
    [guide_a] = services.app.insights.themes(Actor(BUILDER_A))
    assert guide_a.count == 6 and guide_a.before == 0
    price = next(t for t in guide_a.themes if "koster" in t.label or "pris" in t.label)
    assert price.count >= 3, guide_a.themes  # the price questions are one theme
    assert all("1234" not in q for t in guide_a.themes for q in t.questions)
    assert any("[cpr]" in q for t in guide_a.themes for q in t.questions)
    # a Builder of B cannot open a theme, nor make a test case, of department A by its number
    other = await org.say(BUILDER_B, f"/indsigt spørgsmål {price.message_id}")
    assert "findes ikke længere" in other.text and "koster" not in other.text
    refused = await org.say(BUILDER_B, f"/indsigt test {price.message_id}")
    assert "findes ikke længere" in refused.text
    assert services.app.evaluation.cases(Actor.cli(), a)[1] == []


async def test_the_insights_card_reaches_teams_and_its_button_makes_a_test_case(
    make_services: Callable[..., Services], db_url: str
) -> None:
    services = make_services(database_url=db_url)
    roles = services.stores.roles
    dep_a, dep_b = roles.create_department("Borgerservice"), roles.create_department("Teknik")
    from bot.domain import Role

    roles.assign("aad-anne", Role.BUILDER, dep_a.id, "test")  # type: ignore[arg-type]
    roles.assign("aad-bo", Role.BUILDER, dep_b.id, "test")  # type: ignore[arg-type]
    spec = services.app.specialists.create(Actor("aad-anne"), "Pasguide", description="Priser på pas.")
    ids = [asked(services, spec.slug, q) for q in PAS]
    asked(services, spec.slug, CPR_QUESTION)
    disliked(services, ids[0], json.dumps({"feedbackText": "Prisen er gammel", "reason": "outdated"}))
    connector = await FakeConnector().start()
    runner, port = await start(services, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{port}/api/messages"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=message_activity(connector.service_url, "/indsigt")) as resp:
                assert resp.status == 202
            [message] = await connector.wait_for_messages(1, wait_s=60)
            [attachment] = message["attachments"]
            card = attachment["content"]
            text = json.dumps(card, ensure_ascii=False)
            assert "Indsigt: alle specialister" in text and "Pasguide" in text
            assert "1234" not in text and "010190" not in text and "begrundelser: outdated 1" in text
            buttons = [a for el in card["body"] if el["type"] == "ActionSet" for a in el["actions"]]
            test_button = next(b for b in buttons if b["title"] == "Gør til testcase")
            assert {b["title"] for b in buttons} >= {"Gør til testcase", "Se spørgsmålene"}
            # pressing the button: Teams sends its data as the message's value
            pressed = message_activity(connector.service_url, "", value=test_button["data"])
            pressed.pop("text")
            async with http.post(url, json=pressed) as resp:
                assert resp.status == 202
            messages = await connector.wait_for_messages(2, wait_s=60)
            assert "Testcase 1 er tilføjet til **Pasguide**" in messages[1]["text"]
            # another department's Builder pressing the same button gets nothing of it
            other = message_activity(connector.service_url, "", value=test_button["data"])
            other.pop("text")
            other["from"] = {"id": "29:bo", "name": "Bo", "aadObjectId": "aad-bo"}
            other["conversation"] = {"id": "a:bo-chat", "conversationType": "personal", "tenantId": "t1"}
            async with http.post(url, json=other) as resp:
                assert resp.status == 202
            messages = await connector.wait_for_messages(3, wait_s=60)
            assert "findes ikke længere" in messages[2]["text"]
    finally:
        await runner.cleanup()
        await connector.stop()
    _spec, cases = services.app.evaluation.cases(Actor("aad-anne"), spec.slug)
    assert len(cases) == 1 and cases[0].question in [*PAS, CPR_QUESTION.replace("010190-1234", "[cpr]")]
    assert "1234" not in cases[0].question
    assert json.loads(cases[0].asserts) == [{"type": "not-refuses"}]


async def test_statistics_show_feedback_by_reason_and_the_busiest_day(org: Org) -> None:
    a = await org.specialist(BUILDER_A, "Guide A")
    first = asked(org.services, a, "Hvad koster et pas?", outcome="answered")
    disliked(org.services, first, json.dumps({"reason": "wrong"}))
    asked(org.services, a, "Hvornår åbner rådhuset?")
    text = (await org.say(BUILDER_A, f"/statistik {a}")).text
    assert "👎 efter begrundelse: wrong 1" in text
    assert f"flest spørgsmål på en dag: 2 ({datetime.now(UTC):%Y-%m-%d})" in text
    assert "wrong" not in (await org.say(BUILDER_B, "/statistik")).text


async def test_a_verified_answer_is_written_from_a_theme(org: Org) -> None:
    """A theme's "write a verified answer" button opens a form with its (masked) question; submitted, the
    feedback loop's verified-answer service keeps it as a source of the specialist, by its own Builder."""
    services = org.services
    a = await org.specialist(BUILDER_A, "Guide A", data="cpr")
    asked(services, a, CPR_QUESTION)
    [guide] = services.app.insights.themes(Actor(BUILDER_A))
    n = guide.themes[0].message_id
    card = json.dumps((await org.say(BUILDER_A, "/indsigt")).card, ensure_ascii=False)
    assert '"title": "Skriv et verificeret svar"' in card and f'"args": "verificer {n}"' in card
    form = (await org.say(BUILDER_A, f"/indsigt verificer {n}")).card
    assert form is not None and form["type"] == "form"
    [question] = [f["value"] for f in form["fields"] if f["id"] == "question"]
    assert "[cpr]" in question and "1234" not in question
    assert "findes ikke længere" in (await org.say(BUILDER_B, f"/indsigt verificer {n}")).text
    values = form["submit"]["data"] | {"question": question, "answer": "Passet gælder i 10 år."}
    submitted = replace(msg("", BUILDER_A), form=values | {"review": "2027-06-30"})
    reply = await services.dispatcher.handle(submitted)
    assert "er gemt i" in reply.text and "2027-06-30" in reply.text
    wrong_date = await services.dispatcher.handle(
        replace(msg("", BUILDER_A), form=values | {"review": "30/6"})
    )
    assert "ÅÅÅÅ-MM-DD" in wrong_date.text
    # another department's Builder cannot write one into this specialist with a crafted submit
    stolen = await services.dispatcher.handle(replace(msg("", BUILDER_B), form=values | {"answer": "Nej."}))
    assert "er gemt i" not in stolen.text
    with services.db.session() as s:
        [row] = s.exec(select(VerifiedAnswer)).all()
    assert (row.question, row.answer, row.author_id) == (question, "Passet gælder i 10 år.", BUILDER_A)
    assert row.review_at.date() == date(2027, 6, 30)


# -- the weekly digest ----------------------------------------------------------------------------------
async def test_the_weekly_digest_is_sent_once_per_builder_with_two_replicas_on_postgresql(
    make_services: Callable[..., Services], pg_url: str, tmp_path: Path
) -> None:
    fast = {"notify_interval_s": 0.05, "notify_retry_s": 0.05, "database_url": pg_url, "admins": ADMIN}
    first = make_services(data_dir=tmp_path / "a", index_dir=tmp_path / "ia", **fast)
    second = make_services(data_dir=tmp_path / "b", index_dir=tmp_path / "ib", **fast)
    connector = await FakeConnector().start()
    runners = [(await start(services, "127.0.0.1", 0))[0] for services in (first, second)]
    try:
        for person, chat in (
            (BUILDER_A, "a:chat-a"),
            (BUILDER_B, "a:chat-b"),
        ):  # both have written to the bot
            remember(first.db, Reach((person,), chat, connector.service_url, "t1", "28:bot"))
        town = await Org(first).setup()
        a = await town.specialist(BUILDER_A, "Guide A", data="cpr")
        b = await town.specialist(BUILDER_B, "Guide B")
        for q in PAS:
            asked(first, a, q)
        asked(first, a, CPR_QUESTION)
        for q in AFFALD:
            asked(first, b, q)

        async def both() -> list[int]:
            return list(
                await asyncio.gather(
                    asyncio.to_thread(first.app.insights.digest_if_due, "replica-1"),
                    asyncio.to_thread(second.app.insights.digest_if_due, "replica-2"),
                )
            )

        assert await both() == [0, 0]  # the first look starts the weeks: nothing the moment replicas start
        assert first.app.notifications.of("insights.digest") == []
        with first.db.session() as s:  # a week passes
            s.exec(
                update(JobRun)
                .where(col(JobRun.name) == "insights.digest")
                .values(ran_at=datetime.now(UTC) - timedelta(days=8))
            )  # type: ignore[call-overload]
            s.commit()
        written = await both()
        assert sorted(written) == [0, 2]  # one replica wrote it: one message per Builder
        rows = first.app.notifications.of("insights.digest")
        assert sorted(r.recipient for r in rows) == [BUILDER_A, BUILDER_B]
        to_a = next(r.text for r in rows if r.recipient == BUILDER_A)
        to_b = next(r.text for r in rows if r.recipient == BUILDER_B)
        assert "Guide A" in to_a and "Guide B" not in to_a and "storskrald" not in to_a.lower()
        assert "Guide B" in to_b and "Guide A" not in to_b and "koster" not in to_b
        assert "1234" not in to_a
        # the same week again, on either replica: nothing more
        again = await both()
        assert again == [0, 0] and len(first.app.notifications.of("insights.digest")) == 2
        # the two servers' senders post it: once to each Builder, with the button to /indsigt
        await connector.wait_for_messages(2, wait_s=30)
        await asyncio.sleep(0.5)  # anything sent twice would arrive meanwhile
        sent = connector.messages()
        assert sorted(m["conversation"]["id"] for m in sent) == ["a:chat-a", "a:chat-b"]
        to_chat_a = next(m for m in sent if m["conversation"]["id"] == "a:chat-a")
        assert "Ugens indsigt" in json.dumps(to_chat_a, ensure_ascii=False) and "Guide A" in json.dumps(
            to_chat_a, ensure_ascii=False
        )
    finally:
        for runner in runners:
            await runner.cleanup()
        await connector.stop()


# -- the report ------------------------------------------------------------------------------------------
def test_the_cli_writes_a_self_contained_report_that_chromium_renders_without_the_network(
    make_services: Callable[..., Services], tmp_path: Path
) -> None:
    services = make_services()  # the default SQLite under tmp_path/data, as the CLI finds it
    spec = services.app.specialists.create(Actor.cli(), "Pasguide", description="Priser på pas.")
    ids = [asked(services, spec.slug, q, days_ago=n % 3, user=f"u{n % 2}") for n, q in enumerate(PAS)]
    asked(services, spec.slug, CPR_QUESTION)
    for q in AFFALD:
        asked(services, spec.slug, q, days_ago=8)
    asked(services, spec.slug, "Hvad koster et kørekort?", outcome="answered")
    disliked(services, ids[1], json.dumps({"reason": "wrong"}))
    disliked(services, ids[2], "<img src=https://evil.example/x.png> gammel")
    services.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AARHUSAI_")}
    out = tmp_path / "rapport"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "insights", spec.slug, "--out", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "report.html" in result.stdout and "insights.json" in result.stdout
    data = json.loads((out / "insights.json").read_text(encoding="utf-8"))
    assert data["questions"] == len(PAS) + 1 + len(AFFALD) + 1
    assert data["outcomes"]["no_source"] == len(PAS) + 1 + len(AFFALD)
    assert data["feedback_by_reason"] == {"wrong": 1, "": 1}
    assert len(data["questions_per_day"]) == 30 and data["returning_users"]["within_7_days"] >= 1
    assert isinstance(data["themes"], list) and data["themes"]
    assert all({"label", "count", "questions"} <= set(t) for t in data["themes"])
    assert sum(t["count"] for t in data["themes"]) == len(PAS) + 1
    assert sum(t["last_week"] for t in data["themes"]) == len(AFFALD)
    stats = subprocess.run(
        [sys.executable, "-m", "bot", "stats", "--specialist", spec.slug],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert stats.returncode == 0 and "👎 efter begrundelse: wrong 1, ingen begrundelse 1" in stats.stdout
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "1234" not in page and "<img" not in page and "evil.example" not in page.replace("&lt;", "")

    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            context = browser.new_context()

            def route(r):  # type: ignore[no-untyped-def]
                requested.append(r.request.url)
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    r.abort()

            context.route("**/*", route)
            page_ = context.new_page()
            page_.goto((out / "report.html").as_uri())
            page_.wait_for_load_state("load")
            assert page_.title().startswith("Indsigt: Pasguide")
            assert page_.locator("svg").count() >= 5
            assert page_.locator("svg rect.bar").count() >= 30 + 3 + 3
            assert page_.locator("h2").count() == 5
            assert page_.locator("svg").first.bounding_box()["width"] > 100  # type: ignore[index]
        finally:
            browser.close()
    assert requested == [(out / "report.html").as_uri()]  # the page itself, nothing else
