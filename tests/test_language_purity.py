"""One language at a time: a scripted Builder session, run in Danish and in English through the
conversation core, never shows a word of the other language.

The rule, built from the message catalogue itself (``bot.messages.MESSAGES``): a *Danish word* is a word
that occurs in some Danish text of the catalogue and in no English text; an *English word* the reverse.
Words are runs of letters, compared case-insensitively; ``{fields}``, ``/commands`` and ``code spans`` are
left out, and so are a card field's name as the terminal shows it (``[formål=]``): identifiers a user types
as they are. A Danish reply (its text and its card's text, as Teams
would render it) must hold no English word, an English reply no Danish word. Words both catalogues use
(``team``, ``prompt``, ``Builder``, ``status``) are names and belong to neither. The session's own data
(names, the prompt, file names) is made of words neither catalogue uses, so any hit is the bot's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.app import Services
from bot.conversation.types import ConversationRef, Incoming, IncomingFile, Reply, User
from bot.messages import MESSAGES
from bot.services import Actor
from bot.teams.cards import card_text
from bot.teams.cards import render as render_card

ADMIN, EMPLOYEE = "adm", "emp"
BUILDER = "3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f"  # an Entra object id: a user the roles may name
_IDENTIFIERS = re.compile(r"\{[^{}]*\}|/[^\s:;,.)›»]+|`[^`]*`|\[[^\]\s]+=\]")


def words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[^\W\d_]+", _IDENTIFIERS.sub(" ", text))}


def _catalogue_words(locale: str) -> set[str]:
    found: set[str] = set()
    for entry in MESSAGES.values():
        text = entry[locale]
        for variant in text if isinstance(text, tuple) else (text,):
            found |= words(variant)
    return found


DANISH_ONLY = _catalogue_words("da") - _catalogue_words("en")
ENGLISH_ONLY = _catalogue_words("en") - _catalogue_words("da")
FOREIGN = {"da": ENGLISH_ONLY, "en": DANISH_ONLY}


def test_the_word_lists_hold_the_words_that_leaked() -> None:
    """The lists are not empty by accident: the leaks the issue found are in them."""
    assert {"afsnit", "intern", "personlig", "afdeling", "offentlig", "kilder", "nej"} <= DANISH_ONLY
    assert {"personal", "department", "internal", "public", "sources", "no"} <= ENGLISH_ONLY
    assert not ({"team", "prompt", "builder", "status"} & (DANISH_ONLY | ENGLISH_ONLY))


def foreign_words(text: str, locale: str) -> list[str]:
    return sorted(words(text) & FOREIGN[locale])


def test_the_check_finds_a_mixed_reply() -> None:
    assert foreign_words("**Zeta** er udgivet (personal, intern).", "da") == ["personal"]
    assert foreign_words("Shared with afdeling; see /kilder.", "en") == ["afdeling"]
    assert not foreign_words("Zeta er udgivet (personlig, intern). Se /sources.", "da")


def msg(
    text: str, user: str, locale: str, files: tuple[IncomingFile, ...] = (), conversation: str | None = None
) -> Incoming:
    return Incoming(
        text=text,
        user=User(id=f"29:{user}", name=user, aad_object_id=user),
        conversation=ConversationRef(id=conversation or f"a:{user}", type="personal", tenant_id="t1"),
        locale=locale,
        files=files,
    )


def upload(name: str, data: bytes) -> IncomingFile:
    async def fetch(max_bytes: int) -> bytes:
        return data

    return IncomingFile(name=name, fetch=fetch)


SOURCE = b"# Zork\n\nXyzzy plugh frobozz 42.\n\n## Quux\n\nFrotz gnusto 7.\n"

# (user, Danish text, English text); None stands for the source upload.
SESSION: list[tuple[str, str | None, str | None]] = [
    (BUILDER, "/hjælp", "/help"),
    (ADMIN, "/afdeling opret Qux", "/department create Qux"),
    (ADMIN, "/afdeling", "/department"),
    (ADMIN, f"/rolle tildel {BUILDER} builder qux", f"/role assign {BUILDER} builder qux"),
    (ADMIN, "/rolle", "/role"),
    (ADMIN, f"/rolle vis {BUILDER}", f"/role show {BUILDER}"),
    (BUILDER, "/hjælp", "/help"),
    (BUILDER, "/ny", "/new"),
    (BUILDER, "/ny Zeta afdeling=qux", "/new Zeta department=qux"),
    (BUILDER, "/ny Zeta", "/new Zeta"),
    (BUILDER, "/rediger zeta", "/edit zeta"),
    (BUILDER, "/rediger xyzzy", "/edit xyzzy"),
    (BUILDER, "/indstil navn Zeta", "/set navn Zeta"),
    (BUILDER, "/prompt", "/prompt"),
    (BUILDER, "/prompt Frotz gnusto.", "/prompt Frotz gnusto."),
    (BUILDER, "/prompt historik", "/prompt history"),
    (BUILDER, "/indstil", "/set"),
    (BUILDER, "/indstil top_k 3", "/set top_k 3"),
    (BUILDER, "/indstil top_k 99", "/set top_k 99"),
    (BUILDER, "/indstil farve blå", "/set colour blue"),
    (BUILDER, "/indstil model xyzzy", "/set model xyzzy"),
    (BUILDER, None, None),
    (BUILDER, "/kilder", "/sources"),
    (BUILDER, "/fjern xyzzy.md", "/remove xyzzy.md"),
    (BUILDER, "/genindekser", "/reindex"),
    (BUILDER, "/screening", "/screening"),
    (BUILDER, "/screening formål=x", "/screening purpose=x"),
    (
        BUILDER,
        "/screening formål=zork; data=ingen; kilder=interne; hjemmel=plugh; dpia=nej; ansvarlig=Quux",
        "/screening purpose=zork; data=none; sources=internal; legal=plugh; dpia=no; responsible=Quux",
    ),
    (BUILDER, "/screening", "/screening"),
    (BUILDER, "/del", "/share"),
    (BUILDER, "/del xyzzy", "/share xyzzy"),
    (BUILDER, "/del team", "/share team"),
    (BUILDER, "/del organisation", "/share organisation"),
    (BUILDER, "/test", "/test"),
    (BUILDER, "/test tilføj Xyzzy? | plugh", "/test add Xyzzy? | plugh"),
    (
        BUILDER,
        "/test tilføj Xyzzy? ; indeholder plugh ; citerer zork.md ; sprog da ; højst 40 ord",
        "/test add Xyzzy? ; contains plugh ; cites zork.md ; language en ; at most 40 words",
    ),
    (
        BUILDER,
        "/test tilføj Xyzzy?\nafviser\nindeholder ikke frotz",
        "/test add Xyzzy?\nrefuses\ndoes not contain frotz",
    ),
    (BUILDER, "/test tilføj Xyzzy? ; svarer", "/test add Xyzzy? ; answers"),
    (BUILDER, "/test tilføj Xyzzy? ; gnusto", "/test add Xyzzy? ; gnusto"),
    (BUILDER, "/test tilføj Xyzzy? ; citerer quux.md", "/test add Xyzzy? ; cites quux.md"),
    (BUILDER, "/test tilføj Xyzzy? ; sprog quux", "/test add Xyzzy? ; language quux"),
    (BUILDER, "/test tilføj Xyzzy? ; indeholder", "/test add Xyzzy? ; contains"),
    (BUILDER, "/test tilføj Xyzzy? ; afviser plugh", "/test add Xyzzy? ; refuses plugh"),
    (BUILDER, "/test tilføj Xyzzy? ; højst plugh", "/test add Xyzzy? ; at most plugh"),
    (BUILDER, "/test vis", "/test show"),
    (BUILDER, "/test kør", "/test run"),
    (BUILDER, "/udgiv", "/publish"),
    (BUILDER, "/godkend zeta", "/approve zeta"),
    (ADMIN, "/godkend zeta", "/approve zeta"),
    (BUILDER, "/udgiv", "/publish"),  # no description yet: refused, with a suggestion
    (BUILDER, "/indstil beskrivelse Frobozz", "/set description Frobozz"),
    (BUILDER, "/udgiv", "/publish"),
    (BUILDER, "/udgiv trods-test plugh", "/publish override plugh"),
    (BUILDER, "/statistik", "/stats"),
    (BUILDER, "/modeller", "/models"),
    (EMPLOYEE, "/specialister", "/specialists"),
    (EMPLOYEE, "/brug zeta", "/use zeta"),
    (EMPLOYEE, "Xyzzy plugh frobozz?", "Xyzzy plugh frobozz?"),
    (EMPLOYEE, "/kilde 1", "/source 1"),
    (EMPLOYEE, "/ny Xyzzy", "/new Xyzzy"),
    (EMPLOYEE, "/godkend zeta", "/approve zeta"),
    (EMPLOYEE, "/xyzzy", "/xyzzy"),
    (BUILDER, "/afpubliser", "/unpublish"),
    (BUILDER, "/test slet 1", "/test delete 1"),
    (BUILDER, "/glem", "/forget"),
]


def shown(reply: Reply, services: Services) -> str:
    """The reply's text and, when it has a card, the card as Teams renders it; less the prompts, which
    are data written for the model (the default prompt is Danish whoever reads it), and the command
    ``card_text`` names after a button for the terminal (``→ /brug zeta``)."""
    text = reply.text or ""
    if reply.card:
        attachment = render_card(reply.text, reply.card)
        if attachment is not None:
            content: Any = attachment.content
            text += "\n" + card_text(content)
    spec = services.stores.specialists.get("zeta")
    if spec is not None:
        for version in services.stores.specialists.prompt_history(spec.id):
            for data in (version.text, version.text.splitlines()[0][:80]):
                text = text.replace(data, " ")
    return re.sub(r"→ /\S+ \S+\]", "]", text)


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    return make_services(admins=ADMIN)


@pytest.mark.parametrize("locale", ["da", "en"])
async def test_a_builder_session_speaks_one_language(services: Services, locale: str) -> None:
    leaks: list[tuple[str, list[str], str]] = []
    for user, danish, english in SESSION:
        text = danish if locale == "da" else english
        files = (upload("zork.md", SOURCE),) if text is None else ()
        reply = await services.dispatcher.handle(msg(text or "", user, locale, files))
        assert reply.text, text
        seen = shown(reply, services)
        found = foreign_words(seen, locale)
        if found:
            leaks.append((text or "<upload>", found, seen))
    spec = services.stores.specialists.require("zeta")  # the session got as far as it says
    assert (spec.sharing, spec.classification) == ("organisation", "intern")
    assert not leaks, "\n\n".join(f"{cmd}: {found}\n{seen}" for cmd, found, seen in leaks)


async def test_usage_placeholders_reach_teams_visibly(make_services: Callable[..., Services]) -> None:
    """Through the HTTP edge and the fake connector: an English usage line arrives as Teams shows it."""
    import aiohttp

    from bot.server import start
    from tests.support.connector import FakeConnector
    from tests.test_http_edge import message_activity

    connector = await FakeConnector().start()
    runner, port = await start(make_services(admins=ADMIN), "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http:
            for text in ("/test what", "/help"):
                activity = message_activity(connector.service_url, text, locale="en-US")
                async with http.post(f"http://127.0.0.1:{port}/api/messages", json=activity) as resp:
                    assert resp.status == 202
        usage, help_text = (m["text"] for m in await connector.wait_for_messages(2))
    finally:
        await runner.cleanup()
        await connector.stop()
    assert "/test add ‹question› ; ‹requirement›" in usage and "`contains ‹text›`" in usage
    assert "<" not in usage and "|" not in usage
    assert "/use ‹specialist› [channel]" in help_text and "<" not in help_text


def test_usage_placeholders_stay_visible_in_teams() -> None:
    """Teams reads ``<question>`` in a message as an HTML tag and shows nothing: the bot's own texts go
    out with ‹question›; an answer is left as the model wrote it (``sanitise`` made it safe)."""
    from bot.teams.render import to_activities

    usage = Reply("Use: /test add <question> | <expected text>, /role show [user]", kind="notice")
    (activity,) = to_activities(usage)
    assert activity.text == "Use: /test add ‹question› | ‹expected text›, /role show [user]"
    answer = Reply("a <b> c", kind="answer")
    assert to_activities(answer)[0].text == "a <b> c"


@pytest.mark.parametrize("locale", ["da", "en"])
async def test_a_failing_run_report_and_the_statistics_speak_one_language(
    make_services: Callable[..., Services], tmp_path: Any, model_server: Any, locale: str
) -> None:
    """What /test run shows of a failing case (expected, got, the passages found) and what /statistik
    shows of what people wrote: in the reader's language only."""
    from tests.conftest import write_catalogue

    model_server.reply = "Xyzzy plugh [1]"
    catalogue = write_catalogue(
        tmp_path / "m.yaml",
        {"id": "quux", "base_url": model_server.base_url, "model": "quux", "max_retries": 0},
    )
    services = make_services(admins=ADMIN, models_file=catalogue)
    danish = locale == "da"
    steps = [
        "/ny Zeta" if danish else "/new Zeta",
        None,
        (
            "/test tilføj Xyzzy? ; citerer zork.md ; sprog en ; afviser ; indeholder frotz ; højst 1 ord"
            if danish
            else "/test add Xyzzy? ; cites zork.md ; language en ; refuses ; contains frotz ; at most 1 word"
        ),
        "/test kør" if danish else "/test run",
    ]
    replies = []
    for text in steps:
        files = (upload("zork.md", SOURCE),) if text is None else ()
        replies.append(await services.dispatcher.handle(msg(text or "", ADMIN, locale, files)))
    run = replies[-1]
    assert run.card is not None and run.card["failures"][0]["passages"][0].startswith("zork.md › Zork")
    store = services.stores.conversations
    asker = msg("?", EMPLOYEE, locale)
    for question, outcome in (("Xyzzy?", "answered"), ("Plugh frobozz?", "no_answer")):
        store.record(
            asker.conversation, asker.user_key, question, "x", model=None, outcome=outcome, specialist="zeta"
        )
        services.app.feedback.vote(Actor.from_incoming(asker), None, "dislike", "Frotz gnusto")
    replies.append(
        await services.dispatcher.handle(msg("/statistik zeta" if danish else "/stats zeta", ADMIN, locale))
    )
    assert "Frotz gnusto" in replies[-1].text and "Plugh frobozz?" in replies[-1].text
    leaks = [(r.text, found) for r in replies if (found := foreign_words(shown(r, services), locale))]
    assert not leaks, leaks
