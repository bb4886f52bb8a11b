"""Every command answers in the user's language: an English user never gets a Danish sentence, and the
Danish user gets the same words as before. Also the catalogue itself: every key in both languages."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import Services
from bot.commands import default_registry
from bot.conversation.types import ConversationRef, Incoming, User
from bot.locale import user_locale
from bot.messages import MESSAGES, t

ADMIN, BUILDER, EMPLOYEE = "adm", "bld@aarhus.dk", "emp"  # a role is given by UPN (unknown names are refused)

# Words that are Danish and not English; a reply containing one (outside commands, code spans, bold
# names and the Danish parameter vocabulary below) is a Danish sentence.
DANISH_WORDS = re.compile(
    r"(?i)\b(og|ikke|er|du|til|med|kan|skal|har|den|det|af|på|som|fra|kun|eller|hvis|nu|findes|vælg|skriv|"
    r"der|jeg|dig|din|dine|mangler|ukendt|kilderne|specialisten|afdelingen|spørgsmål|svar|fejl)\b|[æøå]"
)
# Fixed vocabulary that stays Danish in English (values a user types, data values, official names).
PARAMETERS = re.compile(
    r"(?i)\b(offentlig|intern|fortrolig|personfølsom|ingen|almindelige|følsomme|cpr|offentlige|interne|"
    r"temperatur|navn|beskrivelse|afdeling|status|kladde|udgivet|personlig|team|organisation|ejer|medlem|"
    r"kanal|formål|kilder|hjemmel|ansvarlig|ja|nej|dpia)\b"
)


def danish_in(text: str) -> list[str]:
    text = re.sub(r"`[^`]*`|\*\*[^*]*\*\*|/[^\s:;,.)]+|<[^>]*>|'[^']*'|«[^»]*»", " ", text)
    text = re.sub(r"\b[\w.+-]+=\S*", " ", text)  # key=value examples
    text = PARAMETERS.sub(" ", text)
    return DANISH_WORDS.findall(text)


def test_the_detector_finds_danish_and_passes_english() -> None:
    assert danish_in("Specialisten findes ikke.")
    assert danish_in("Du skal vælge en specialist.")
    assert not danish_in("The specialist **Borgerservice-guiden** is published (organisation, offentlig).")
    assert not danish_in("/hjælp / /help: show this help")


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    fields = string.Formatter()
    for key, entry in MESSAGES.items():
        assert set(entry) == {"da", "en"}, key
        da, en = (v if isinstance(v, tuple) else (v,) for v in (entry["da"], entry["en"]))
        names = [{f for _, f, _, _ in fields.parse(x) if f} for x in (*da, *en)]
        assert all(n == names[0] for n in names), key
        assert all(not danish_in(x) for x in en), (key, en)


@pytest.mark.parametrize(
    ("wanted", "default", "expected"),
    [
        ("en-US", "da", "en"),  # a Teams client's locale
        ("da-DK", "en", "da"),
        ("en-GB,en;q=0.9,da;q=0.8", "da", "en"),  # an Accept-Language header
        ("  DA ", "en", "da"),
        ("de-DE", "da", "da"),  # neither: the installation's language
        ("de-DE", "en", "en"),
        ("", "en", "en"),
        (None, "da", "da"),
    ],
)
def test_one_function_decides_the_language_for_every_door(
    wanted: str | None, default: str, expected: str
) -> None:
    assert user_locale(wanted, default) == expected


def test_the_doors_read_the_language_through_bot_locale() -> None:
    """Teams, ``/v1`` and MCP use ``user_locale``; none parses a language tag of its own (the same
    caller got a different language from MCP than from ``/v1`` when each door had its own rule)."""
    root = Path(__file__).resolve().parents[1] / "bot"
    for rel in ("teams/activity.py", "api/common.py", "api/mcp_server.py"):
        assert "user_locale(" in (root / rel).read_text(encoding="utf-8"), rel
    for path in [*root.glob("api/*.py"), *root.glob("teams/*.py")]:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"startswith\(\s*[\"'](en|da)[\"']", source), path


def msg(text: str, user: str, locale: str = "en", conversation: str | None = None) -> Incoming:
    return Incoming(
        text=text,
        user=User(id=f"29:{user}", name=user, aad_object_id=user),
        conversation=ConversationRef(id=conversation or f"a:{user}", type="personal", tenant_id="t1"),
        locale=locale,
    )


# Every command with arguments that succeed and arguments that fail, as each role.
WALK = [
    (ADMIN, "/department create Dept A"),
    (ADMIN, "/department create Dept A"),
    (ADMIN, "/department"),
    (ADMIN, f"/role assign {BUILDER} builder dept-a"),
    (ADMIN, f"/role assign {BUILDER} builder dept-a"),
    (ADMIN, "/role assign x king dept-a"),
    (ADMIN, "/role assign x builder nowhere"),
    (ADMIN, "/role"),
    (ADMIN, "/role nonsense"),
    (BUILDER, "/help"),
    (BUILDER, "/prompt"),
    (BUILDER, "/new"),
    (BUILDER, "/new Guide"),
    (BUILDER, "/new Guide"),
    (BUILDER, "/edit nothing"),
    (BUILDER, "/edit assistent"),
    (BUILDER, "/edit guide"),
    (BUILDER, "/prompt"),
    (BUILDER, "/prompt Answer briefly."),
    (BUILDER, "/prompt history"),
    (BUILDER, "/prompt restore 1"),
    (BUILDER, "/prompt restore 99"),
    (BUILDER, "/prompt restore x"),
    (BUILDER, "/set"),
    (BUILDER, "/set top_k 3"),
    (BUILDER, "/set top_k 99"),
    (BUILDER, "/set top_k five"),
    (BUILDER, "/set colour blue"),
    (BUILDER, "/set status udgivet"),
    (BUILDER, "/set chunk_overlap 5000"),
    (BUILDER, "/set model gpt-9"),
    (BUILDER, "/sources"),
    (BUILDER, "/test"),
    (BUILDER, "/test run"),
    (BUILDER, "/test add What does a parking permit cost? | 800 kr."),
    (BUILDER, "/test add Who won the cup? | refuse"),
    (BUILDER, "/test add no bar here"),
    (BUILDER, "/test show"),
    (BUILDER, "/test run"),
    (BUILDER, "/test delete 9"),
    (BUILDER, "/test delete 2"),
    (BUILDER, "/test what"),
    (BUILDER, "/models"),
    (EMPLOYEE, "/models"),
    (BUILDER, "/remove"),
    (BUILDER, "/remove nothing.md"),
    (BUILDER, "/reindex"),
    (BUILDER, "/screening"),
    (BUILDER, "/screening purpose=x"),
    (BUILDER, "/screening purpose=x; data=maybe; sources=interne; legal=y; dpia=no; responsible=z"),
    (BUILDER, "/publish"),
    (
        BUILDER,
        "/screening purpose=guide; data=ingen; sources=interne; legal=internal; dpia=yes; responsible=Bo",
    ),
    (BUILDER, "/screening"),
    (BUILDER, "/share"),
    (BUILDER, "/share team"),
    (BUILDER, "/share organisation"),
    (BUILDER, "/publish"),
    (BUILDER, "/approve guide"),
    (ADMIN, "/approve guide"),
    (BUILDER, "/publish"),
    (BUILDER, "/publish override"),
    (BUILDER, "/publish override checked by hand"),
    (BUILDER, "/unpublish"),
    (BUILDER, "/publish override checked by hand"),
    (BUILDER, "/connect channel"),
    (BUILDER, "/connect sharepoint https://aarhus.sharepoint.com/sites/HR/Delte%20dokumenter"),
    (BUILDER, "/connect sharepoint https://evil.example.com/sites/HR/Docs"),
    (BUILDER, "/connections"),
    (BUILDER, "/sync"),
    (BUILDER, "/disconnect"),
    (BUILDER, "/disconnect web"),
    (BUILDER, "/starters What does a passport cost? | How do I report a move?"),
    (BUILDER, "/starters"),
    (BUILDER, "/verify What does a passport cost? | It costs 688 kr."),
    (EMPLOYEE, "/ask-an-expert Does this also apply to company cars?"),
    (BUILDER, "/stats"),
    (BUILDER, "/stats guide"),
    (BUILDER, "/insights"),
    (BUILDER, "/insights guide"),
    (BUILDER, "/insights questions 1"),
    (BUILDER, "/checklist"),
    (BUILDER, "/request-approval"),
    (BUILDER, "/share personal"),
    (BUILDER, "/request-approval"),
    (ADMIN, "/checklist"),
    (BUILDER, "/test-run"),
    (EMPLOYEE, "/checklist"),
    (EMPLOYEE, "/specialists"),
    (EMPLOYEE, "/use"),
    (EMPLOYEE, "/use guide"),
    (EMPLOYEE, "/use nothing"),
    (EMPLOYEE, "/about guide"),
    (EMPLOYEE, "/about"),
    (EMPLOYEE, "/about nothing"),
    (EMPLOYEE, "/channel"),
    (BUILDER, "/channel answer all"),
    (EMPLOYEE, "What does a parking permit cost?"),
    (EMPLOYEE, "/source 1"),
    (EMPLOYEE, "/source"),
    (EMPLOYEE, "/new Mine"),
    (EMPLOYEE, "/edit guide"),
    (EMPLOYEE, "/prompt"),
    (EMPLOYEE, "/approve guide"),
    (EMPLOYEE, "/stats"),
    (EMPLOYEE, "/insights"),
    (EMPLOYEE, "/department create X"),
    (EMPLOYEE, f"/role show {BUILDER}"),
    (EMPLOYEE, "/role assign x builder dept-a"),
    (EMPLOYEE, "/forget"),
    (EMPLOYEE, "/nothing"),
    (EMPLOYEE, "   "),
]


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    return make_services(admins=ADMIN)


async def test_every_command_answers_in_english(services: Services) -> None:
    covered: set[str] = set()
    registry = default_registry()
    for user, text in WALK:
        reply = await services.dispatcher.handle(msg(text, user))
        assert reply.text, text
        shown = reply.text
        if text == "/prompt" and "(version" in shown:  # the prompt itself is data (Danish for the model)
            shown = shown.split("\n\n")[0]
        if text == "/prompt history":
            shown = re.sub(r"(?m)(· [^·]*)?: .*$", "", shown)
        assert not danish_in(shown), (text, reply.text)
        name = text.strip()[1:].split(" ")[0] if text.strip().startswith("/") else ""
        command = registry.get(name)
        if command is not None:
            covered.add(command.name)
    assert covered == {c.name for c in registry}, {c.name for c in registry} - covered


async def test_danish_is_the_default_and_unchanged(services: Services) -> None:
    reply = await services.dispatcher.handle(msg("/ny Guide", EMPLOYEE, locale="da"))
    assert reply.text == t("needs_build", "da", command="ny")
    assert reply.text.startswith("/ny kræver rollen Builder.")
    english = await services.dispatcher.handle(msg("/new Guide", EMPLOYEE))
    assert english.text.startswith("/new needs the Builder role.")  # named as the user wrote it
