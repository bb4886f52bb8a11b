"""End-to-end: the bot's Teams features through Microsoft's Teams emulator, with a real (tiny) model.

One bot + Playground for the module, with a published specialist "Regelguiden" (``regler``) built
from two corpus files by the operator CLI before the bot starts, and llama.cpp serving SmolLM2-135M
(session fixture ``llama_server``). SmolLM2 writes poor Danish: these tests check plumbing (streaming,
placeholders, citations, feedback, cards, permissions), never the wording of an answer.

Everything goes through the Playground's own APIs (the ones its web UI calls) and is checked on its
raw activity log, plus one test in its web UI. See tests/e2e/README.md for the Playground facts.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.messages import t
from bot.teams.render import visible_placeholders
from tests.conftest import write_catalogue
from tests.support.playground import (
    E2E_OUTPUT_DIR,
    REPO_ROOT,
    Exchange,
    MissingPrerequisite,
    Playground,
    PlaygroundStack,
    Sent,
    check_playground_installed,
    is_loopback_url,
    open_ui,
    running_stack,
)

pytestmark = pytest.mark.e2e

CORPUS = REPO_ROOT / "tests" / "data" / "corpus"
SOURCES = ("parkering.md", "sygefravaer.md")
SLUG, NAME = "regler", "Regelguiden"
# The Playground's default signed-in user is "user-id-0" (Alex Wilber) with this Entra object id; the
# bot keys users by their aadObjectId, and AARHUSAI_ADMINS takes object ids. Checked after start.
ADMIN_AAD = "00000000-0000-0000-0000-0000000000020"
# Another default Playground user (a member of the group chat and the team), not an administrator.
OTHER_USER = {
    "id": "user-id-1",
    "name": "Megan Bowen",
    "aadObjectId": "00000000-0000-0000-0000-0000000000021",
}
QUESTION = "Hvad koster en beboerlicens?"
# Asked like this, SmolLM2 (without conversation memory) starts its answer with a [n] marker in a
# paragraph (12 of 12 tries when this was written): the web UI renders a citation pill only for a
# [n] marker that has a citation and sits in a paragraph, not in a list item.
CITING_QUESTION = "Skriv en sætning med [2] om hvad en beboerlicens koster."
SCHEMA_MESSAGE = "https://schema.org/Message"
# The Playground sends everything with locale en-US, so the bot's own texts are English.
SEARCHING = t("searching", "en")
BOT_ERROR = ("Beklager, der skete en fejl hos AarhusAI", "Sorry, something went wrong in AarhusAI")


# --------------------------------------------------------------------------- helpers


def streaminfo(exchange: Exchange) -> dict[str, Any] | None:
    found = [e for e in exchange.entities if e.get("type") == "streaminfo"]
    assert len(found) <= 1, f"more than one streaminfo entity: {exchange.entities}"
    return found[0] if found else None


def ai_message_entity(exchange: Exchange) -> dict[str, Any] | None:
    found = [e for e in exchange.entities if e.get("type") == SCHEMA_MESSAGE]
    assert len(found) <= 1, f"more than one {SCHEMA_MESSAGE} entity: {exchange.entities}"
    return found[0] if found else None


def assert_2xx(exchange: Exchange) -> None:
    assert exchange.status is not None and 200 <= exchange.status < 300, (
        f"HTTP {exchange.status} for {exchange.name}: {exchange.response_body!r}"
    )


def assert_cited_answer(playground: Playground, final: Exchange) -> list[dict[str, Any]]:
    """The final answer carries the AI label, Claim citations within Teams' limits naming a corpus file,
    and the feedback buttons. Returns the citations."""
    entity = ai_message_entity(final)
    assert entity is not None, f"no {SCHEMA_MESSAGE} entity: {final.entities}\n{playground.explain(final)}"
    assert entity.get("@type") == "Message" and entity.get("@context") == "https://schema.org"
    assert "AIGeneratedContent" in (entity.get("additionalType") or []), entity
    citations = entity.get("citation") or []
    assert citations, f"no citations on the answer: {entity}\n{playground.explain(final)}"
    for claim in citations:
        appearance = claim["appearance"]
        assert claim.get("@type") == "Claim" and isinstance(claim.get("position"), int), claim
        assert appearance["name"].startswith(SOURCES), f"citation does not name a corpus file: {claim}"
        assert 0 < len(appearance["name"]) <= 80, claim
        assert 0 < len(appearance["abstract"]) <= 160, claim
    assert (final.activity.get("channelData") or {}).get("feedbackLoopEnabled") is True, final.activity
    # the bot's own form; the Playground shows its built-in dialog for it and never asks message/fetchTask
    assert (final.activity.get("channelData") or {}).get("feedbackLoop") == {"type": "custom"}, final.activity
    return citations


def card_of(exchange: Exchange) -> dict[str, Any]:
    cards = [
        a["content"]
        for a in exchange.activity.get("attachments") or []
        if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
    ]
    assert len(cards) == 1, f"expected one Adaptive Card: {exchange.activity}"
    return cards[0]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def specialist_rows(card: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The specialists card as {slug: (row title, the row's "Brug" Action.Submit)}. Each row has two
    buttons, found by their titles: "Brug" and "Om" (which shows that same specialist's facts)."""
    use_titles = {t("use_button", locale) for locale in ("da", "en")}
    about_titles = {t("about_short_button", locale) for locale in ("da", "en")}
    rows: dict[str, tuple[str, dict[str, Any]]] = {}
    for column_set in (n for n in walk(card.get("body")) if n.get("type") == "ColumnSet"):
        titles = [n["text"] for n in walk(column_set) if n.get("type") == "TextBlock" and n.get("weight")]
        actions = [n for n in walk(column_set) if n.get("type") == "Action.Submit"]
        uses = [a for a in actions if a["title"] in use_titles]
        abouts = [a for a in actions if a["title"] in about_titles]
        assert len(titles) == 1 and len(actions) == 2 and len(uses) == 1 and len(abouts) == 1, column_set
        slug = uses[0]["data"]["slug"]
        assert abouts[0]["data"] == {"aarhusai": "command", "name": "om", "args": slug}, column_set
        rows[slug] = (titles[0], uses[0])
    return rows


def stats_dislikes(text: str) -> int:
    match = re.search(r"👎 (\d+)", text)
    assert match, f"no 👎 count in /statistik's answer: {text!r}"
    return int(match.group(1))


def run_cli(workdir: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"`python -m bot {' '.join(args)}` failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, llama_server: str) -> Iterator[PlaygroundStack]:
    """The bot (administrator: the Playground's signed-in user; model: SmolLM2) and the Playground, with
    "Regelguiden" created, published and fed two corpus files by the CLI in the bot's working dir."""
    try:
        check_playground_installed()
    except MissingPrerequisite as exc:
        pytest.fail(f"end-to-end prerequisite missing: {exc}", pytrace=False)
    root = tmp_path_factory.mktemp("e2e-features")
    bot_dir = root / "bot"
    bot_dir.mkdir()
    catalogue = write_catalogue(
        root / "models.yaml",
        {"id": "smol", "base_url": llama_server, "model": "smollm2", "max_output_tokens": 48},
    )
    bot_env = {
        "AARHUSAI_MODELS_FILE": str(catalogue.resolve()),
        "AARHUSAI_ADMINS": ADMIN_AAD,
        # No conversation memory: what SmolLM2 writes then depends on the question alone, not on which
        # tests asked before (the web UI test relies on it copying a [n] marker).
        "AARHUSAI_HISTORY_TURNS": "0",
    }
    # The same settings `running_stack` gives the bot (it runs in root/bot with ./data and ./indexes).
    cli_env = {k: v for k, v in os.environ.items() if not k.startswith("AARHUSAI_")}
    cli_env |= bot_env | {
        "AARHUSAI_DATA_DIR": str(bot_dir / "data"),
        "AARHUSAI_INDEX_DIR": str(bot_dir / "indexes"),
    }
    created = run_cli(
        bot_dir,
        cli_env,
        "specialist",
        "create",
        SLUG,
        "--name",
        NAME,
        "--publish",
        "--force",
        "--reason",
        "e2e",
    )
    assert "udgivet" in created, created
    run_cli(bot_dir, cli_env, "ingest", SLUG, *(str(CORPUS / name) for name in SOURCES))
    with running_stack(root, bot_env=bot_env) as started:
        user = started.playground.user
        assert user.get("aadObjectId") == ADMIN_AAD, f"the Playground's signed-in user changed: {user}"
        yield started


@pytest.fixture
def playground(stack: PlaygroundStack) -> Playground:
    return stack.playground


@pytest.fixture(scope="module")
def personal_chat_uses_regler(stack: PlaygroundStack) -> str:
    playground = stack.playground
    chat = playground.personal_chat_id
    [reply] = playground.wait_for_replies(playground.send(chat, f"/brug {SLUG}"))
    # the Playground writes in en-US, and every reply is in the user's language now
    assert reply.text == t("now_answering_conversation", "en", name=NAME), playground.explain(reply)
    return chat


@dataclass(frozen=True)
class Answered:
    sent: Sent
    question: Exchange  # the message as delivered to the bot
    outgoing: list[Exchange]  # everything the bot posted in reply to it, in order
    final: Exchange


@pytest.fixture(scope="module")
def personal_answer(stack: PlaygroundStack, personal_chat_uses_regler: str) -> Answered:
    """One question in the personal chat, answered by Regelguiden (for the streaming and feedback tests)."""
    playground = stack.playground
    chat = personal_chat_uses_regler
    sent = playground.send(chat, QUESTION)
    [final] = playground.wait_for_replies(sent, timeout=180)  # the first *message* in reply: the final one
    question = playground.wait_for_delivery(chat, QUESTION, since=sent.mark)
    outgoing = [
        e
        for e in playground.exchanges(conversation_id=chat, since=sent.mark, to_bot=False)
        if e.reply_to_id == question.id
    ]
    return Answered(sent=sent, question=question, outgoing=outgoing, final=final)


# --------------------------------------------------------------------------- tests


def test_personal_chat_question_is_streamed_and_cited(
    playground: Playground, personal_answer: Answered
) -> None:
    question, outgoing, final = personal_answer.question, personal_answer.outgoing, personal_answer.final
    assert_2xx(question)
    assert question.activity["conversation"]["conversationType"] == "personal"
    for exchange in outgoing:
        assert_2xx(exchange)
    described = [(e.type, (streaminfo(e) or {}).get("streamType")) for e in outgoing]

    # 1. an informative update first: a typing activity whose id becomes the stream id
    first = outgoing[0]
    assert (first.type, streaminfo(first)) == (
        "typing",
        {"type": "streaminfo", "streamType": "informative", "streamSequence": 1},
    ), described
    assert first.text == SEARCHING
    stream_id = first.id
    assert stream_id, f"the connector gave the informative update no id: {first.response_body!r}"

    # 2. then zero or more streaming updates with the text so far, same stream, rising sequence
    updates = outgoing[1:-1]
    assert all(e.type == "typing" and streaminfo(e)["streamType"] == "streaming" for e in updates), described
    sequences = [streaminfo(e)["streamSequence"] for e in updates]
    assert sequences == list(range(2, 2 + len(updates))), described
    for update in updates:
        assert streaminfo(update)["streamId"] == stream_id
        assert update.text and final.text.startswith(update.text.strip()), (update.text, final.text)

    # 3. and one final message that closes the stream and carries citations, AI label and feedback
    assert outgoing[-1] is final or outgoing[-1].id == final.id, described
    assert final.type == "message" and [e.type for e in outgoing].count("message") == 1, described
    assert streaminfo(final) == {"type": "streaminfo", "streamType": "final", "streamId": stream_id}
    assert final.text.strip(), playground.explain(final)
    assert_cited_answer(playground, final)

    # The Playground treated it as one streamed message: created by the informative update, then
    # updated in place (same message id) until the final text with its citations.
    ui = playground.ui_events(question.conversation_id, since=personal_answer.sent.mark)
    ours = [e for e in ui if e.message.get("messageId") == stream_id]
    assert [e.action for e in ours] == ["createMessage"] + ["updateMessage"] * (len(updates) + 1), ui
    assert ours[0].message["streamEntity"]["streamType"] == "informative"
    assert ours[-1].message["text"] == final.text
    assert ours[-1].message["aiEntity"]["citation"], ours[-1].message
    # At most one update a second (the informative update counts): the Playground stamps each on arrival.
    stamps = [e.message["timestamp"] for e in ours[:-1]]
    assert all(b - a >= 900 for a, b in itertools.pairwise(stamps)), stamps


def test_channel_mention_gets_placeholder_then_cited_answer_in_thread(playground: Playground) -> None:
    channel = playground.channel_id("General")
    choose = playground.send(channel, f"/brug {SLUG}", mention_bot=True)
    thread = choose.conversation_id
    assert thread.startswith(f"{channel};messageid=")
    [chosen] = playground.wait_for_replies(choose)
    # as Teams shows the bot's own texts: usage placeholders as ‹name›, not eaten as HTML
    expected = visible_placeholders(t("now_answering_thread", "en", name=NAME))
    assert chosen.text == expected, playground.explain(chosen)

    sent = playground.send(thread, QUESTION, mention_bot=True)
    question = playground.wait_for_delivery(thread, sent.text, since=sent.mark, timeout=180)
    assert question.activity["conversation"]["conversationType"] == "channel"
    placeholder, final, about = playground.wait_for_replies(sent, count=3, timeout=180)

    # Channels cannot stream: no typing/streaminfo at all, a plain placeholder, then the answer.
    outgoing = [
        e for e in playground.exchanges(since=sent.mark, to_bot=False) if e.reply_to_id == question.id
    ]
    # the placeholder, the answer in its place, then the answer's "Om specialisten" button (Teams cannot
    # replace one message by a text and a card)
    assert [e.type for e in outgoing] == ["message"] * 3, [(e.type, e.text) for e in outgoing]
    assert [e.id for e in outgoing] == [placeholder.id, final.id, about.id]
    for exchange in outgoing:
        assert_2xx(exchange)
        assert exchange.activity["conversation"]["id"] == thread
        assert streaminfo(exchange) is None, exchange.entities
    assert placeholder.text == SEARCHING
    assert ai_message_entity(placeholder) is None
    assert not (placeholder.activity.get("channelData") or {}).get("feedbackLoopEnabled")
    assert final.text.strip() and final.text != SEARCHING, playground.explain(final)
    assert_cited_answer(playground, final)
    assert not final.activity.get("attachments"), final.activity
    [button] = card_of(about)["actions"]
    assert button["data"] == {"aarhusai": "command", "name": "om", "args": SLUG}
    assert playground.bot_messages(channel, since=choose.mark) == []  # nothing at the channel's top level


def test_specialist_card_use_button_switches_the_specialist(playground: Playground) -> None:
    chat = playground.group_chat_id
    [listing] = playground.wait_for_replies(playground.send(chat, "/specialister", mention_bot=True))
    rows = specialist_rows(card_of(listing))
    assert SLUG in rows, rows
    title, use = rows[SLUG]
    assert use["title"] == t("use_button", "en") and use["data"] == {"aarhusai": "use", "slug": SLUG}
    assert f"({t('answers_here', 'en')})" not in title  # a group chat starts with the general assistant

    # Press "Brug" as the web UI does: the Playground sends a message with the action's data as value.
    assert listing.id
    mark = playground.submit_card(chat, listing.id, use["data"])
    submitted = playground._wait(
        lambda: next(
            (e for e in playground.delivered(chat, since=mark) if e.activity.get("value") == use["data"]),
            None,
        ),
        60,
        "the card submit to reach the bot",
    )
    assert submitted.type == "message" and not submitted.text, submitted.activity
    assert submitted.activity["replyToId"] == listing.id
    assert submitted.activity["from"]["id"] == playground.user["id"]
    assert_2xx(submitted)
    [reply] = playground.wait_for_replies_to(submitted.id or "", chat, since=mark)
    assert reply.text == t("now_answering_conversation", "en", name=NAME), playground.explain(reply)

    [again] = playground.wait_for_replies(playground.send(chat, "/specialister", mention_bot=True))
    assert specialist_rows(card_of(again))[SLUG][0] == f"{NAME} ({t('answers_here', 'en')})"


def facts_of(card: dict[str, Any]) -> dict[str, str]:
    """The "Om specialisten" card's facts as {title: value}."""
    [fact_set] = [n for n in walk(card.get("body")) if n.get("type") == "FactSet"]
    return {f["title"]: f["value"] for f in fact_set["facts"]}


def test_channel_settings_and_the_om_card_in_a_thread(playground: Playground) -> None:
    """``/kanal`` in a channel shows its settings in the post's thread, and ``/om`` answers there with the
    card: an Adaptive Card whose message text is a string, never null (the Playground refuses a message
    with a null text in a channel thread with HTTP 400)."""
    channel = playground.channel_id("General")
    asked = playground.send(channel, "/kanal", mention_bot=True)
    thread = asked.conversation_id
    assert thread.startswith(f"{channel};messageid=")
    [settings] = playground.wait_for_replies(asked)
    assert_2xx(settings)
    assert settings.activity["conversation"]["id"] == thread
    assert t("channel_mode_mentioned", "en") in settings.text, playground.explain(settings)

    about = playground.send(thread, f"/om {SLUG}", mention_bot=True)
    [card_reply] = playground.wait_for_replies(about)
    assert_2xx(card_reply)
    assert isinstance(card_reply.activity.get("text"), str), card_reply.activity
    facts = facts_of(card_of(card_reply))
    assert facts[t("about_model", "en")] == "smol", facts
    assert facts[t("about_sources", "en")].startswith("2 sources"), facts
    assert playground.bot_messages(channel, since=asked.mark) == []  # nothing at the channel's top level


def test_the_om_button_under_an_answer_shows_the_specialist(
    playground: Playground, personal_answer: Answered
) -> None:
    card = card_of(personal_answer.final)
    [button] = [a for a in card.get("actions") or [] if a.get("title") == t("about_button", "en")]
    assert button["data"] == {"aarhusai": "command", "name": "om", "args": SLUG}
    chat, final = personal_answer.sent.conversation_id, personal_answer.final
    # a streamed answer is known by its stream's id (the final message keeps it)
    message_id = final.id or (streaminfo(final) or {}).get("streamId")
    assert message_id, final.activity
    mark = playground.submit_card(chat, message_id, button["data"])
    submitted = playground._wait(
        lambda: next(
            (e for e in playground.delivered(chat, since=mark) if e.activity.get("value") == button["data"]),
            None,
        ),
        60,
        "the Om button's submit to reach the bot",
    )
    assert_2xx(submitted)
    [reply] = playground.wait_for_replies_to(submitted.id or "", chat, since=mark)
    assert_2xx(reply)
    assert card_of(reply)["body"][0]["text"] == t("about_title", "en", name=NAME)
    assert facts_of(card_of(reply))[t("about_model", "en")] == "smol"


def test_thumbs_down_is_stored_and_counted(playground: Playground, personal_answer: Answered) -> None:
    chat = playground.personal_chat_id
    assert ai_message_entity(personal_answer.final) is not None  # there is an answer to vote on
    [before] = playground.wait_for_replies(playground.send(chat, f"/statistik {SLUG}"))
    dislikes = stats_dislikes(before.text)

    # The thumbs-down dialog's invoke, as the web UI sends it (Teams would add replyToId; the
    # Playground does not, so the bot links the vote to the latest answer in the conversation).
    value = {"actionName": "feedback", "actionValue": {"reaction": "dislike", "feedback": "Forkert beløb"}}
    _, mark = playground.invoke(chat, "message/submitAction", value)
    vote = playground.wait_for_exchange("invoke", chat, since=mark)
    assert vote.activity["name"] == "message/submitAction" and vote.activity["value"] == value
    assert vote.status == 200, (vote.status, vote.response_body)

    [after] = playground.wait_for_replies(playground.send(chat, f"/statistik {SLUG}"))
    assert stats_dislikes(after.text) == dislikes + 1, (before.text, after.text)


def test_builder_command_is_refused_for_a_non_admin(playground: Playground) -> None:
    chat = playground.group_chat_id
    bot = playground.bot
    at = f"<at>{bot['name']}</at>"
    # The Playground's message API always sends as the signed-in user (an administrator here), so the
    # other user's message goes in as a forwarded activity, shaped like the Playground's own.
    activity_id, mark = playground.send_custom_activity(
        chat,
        type="message",
        text=f"{at} /ny Uautoriseret",
        textFormat="plain",
        locale="en-US",
        entities=[{"type": "mention", "mentioned": {"id": bot["id"], "name": bot["name"]}, "text": at}],
        **{"from": OTHER_USER},
    )
    [reply] = playground.wait_for_replies_to(activity_id, chat, since=mark)
    assert_2xx(reply)
    assert reply.text == t("needs_build", "en", command="ny"), playground.explain(reply)

    # Nothing was created: the administrator's catalogue (drafts included) has no such specialist.
    [listing] = playground.wait_for_replies(playground.send(chat, "/specialister", mention_bot=True))
    assert "uautoriseret" not in specialist_rows(card_of(listing))


@pytest.mark.usefixtures("require_browser")
def test_cited_answer_in_the_web_ui(playground: Playground, personal_chat_uses_regler: str) -> None:
    from playwright.sync_api import expect

    E2E_OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    screenshot = E2E_OUTPUT_DIR / "cited-answer.png"  # badge, pill and thumbs
    hover_shot = E2E_OUTPUT_DIR / "cited-answer-source.png"  # the pill's card (hides the badge)
    for old in (screenshot, hover_shot):
        old.unlink(missing_ok=True)
    chat = personal_chat_uses_regler
    attempts: list[str] = []

    with open_ui(playground) as ui:
        page, blocked, left_loopback = ui.page, ui.blocked, ui.left_loopback
        opened = playground.mark()
        stream = "/_ws_conversation/v1/conversations/stream"
        with page.expect_websocket(lambda ws: ws.url.endswith(stream)):
            page.goto(playground.base_url + "/", wait_until="domcontentloaded")
        playground.wait_for_exchange("installationUpdate", chat, since=opened)
        page.get_by_role("treeitem", name="Personal Chat").click()
        # Remember whether a chat message ever shows the informative update (the final answer replaces
        # it in place within a second). Only message boxes count: the Log Panel lists it too.
        page.evaluate(
            """text => { window.__sawInformative = false;
                const look = () => {
                    for (const header of document.querySelectorAll('[aria-label="Message header"]'))
                        if (header.parentElement.innerText.includes(text)) window.__sawInformative = true;
                };
                new MutationObserver(look)
                    .observe(document.body, {subtree: true, childList: true, characterData: true}); }""",
            SEARCHING,
        )
        assert not page.evaluate("window.__sawInformative")
        compose = page.get_by_role("textbox")
        final: Exchange | None = None
        markers: list[int] = []
        citations: list[dict[str, Any]] = []
        for _ in range(3):  # SmolLM2 does not always write a [n] marker: ask again (rarely needed)
            mark = playground.mark()
            compose.click()
            compose.press_sequentially(CITING_QUESTION)
            compose.press("Enter")
            delivered = playground.wait_for_delivery(chat, CITING_QUESTION, since=mark, timeout=180)
            [final] = playground.wait_for_replies_to(delivered.id or "", chat, since=mark)
            citations = assert_cited_answer(playground, final)
            positions = {c["position"] for c in citations}
            attempts.append(final.text)
            # the UI makes pills of [n] in paragraphs only, not in list items; the sources line the bot
            # adds when the model cites nothing names the files next to its markers, so it proves nothing
            paragraphs = [
                line
                for line in final.text.splitlines()
                if not re.match(r"\s*(\d+\.|[-*+])\s", line) and not re.match(r"\s*(Kilder|Sources):", line)
            ]
            markers = [int(n) for line in paragraphs for n in re.findall(r"\[(\d+)\]", line)]
            markers = [n for n in markers if n in positions]
            if markers:
                break
        assert final is not None
        assert page.evaluate("window.__sawInformative"), "the UI never showed the informative update"

        badge = page.get_by_text("AI generated", exact=True).last
        expect(badge).to_be_visible(timeout=30_000)
        expect(page.get_by_role("button", name="Like").last).to_be_visible()
        expect(page.get_by_role("button", name="Dislike").last).to_be_visible()
        pill = page.locator(".fai-Citation").last
        if markers:  # the newest message is the answer: its last [n] is the last pill on the page
            expect(pill).to_be_visible(timeout=30_000)
            expect(pill).to_have_text(str(markers[-1]))
        page.screenshot(path=str(screenshot))
        if markers:
            # Hovering the pill opens a card with the cited passage and its source's name.
            cited = next(c for c in citations if c["position"] == markers[-1])
            source_name = page.get_by_text(cited["appearance"]["name"], exact=True)
            expect(source_name).not_to_be_visible()
            pill.hover()
            expect(source_name.last).to_be_visible()
            page.wait_for_timeout(700)  # let the card finish fading in
            page.screenshot(path=str(hover_shot))

    assert left_loopback == [], f"requests left loopback: {left_loopback}"
    assert all(not is_loopback_url(url) for url in blocked)
    assert screenshot.stat().st_size > 10_000
    errors = [m.text for m in playground.bot_messages(chat, since=opened) if m.text.startswith(BOT_ERROR)]
    assert errors == [], f"the bot failed a turn: {errors}\n{playground.diagnostics()}"
    if not markers:
        pytest.xfail(
            f"SmolLM2 wrote no usable [n] marker in {len(attempts)} tries, pills unchecked: {attempts}"
        )


def _press(playground: Playground, chat: str, card_message: Exchange, value: dict[str, Any]) -> Exchange:
    """Press a card's button (``value``: its data and the card's inputs) and return the bot's one reply."""
    assert card_message.id
    mark = playground.submit_card(chat, card_message.id, value)
    submitted = playground._wait(
        lambda: next(
            (e for e in playground.delivered(chat, since=mark) if e.activity.get("value") == value),
            None,
        ),
        60,
        "the card submit to reach the bot",
    )
    assert_2xx(submitted)
    [reply] = playground.wait_for_replies_to(submitted.id or "", chat, since=mark)
    return reply


def test_checklist_card_leads_to_the_screening_card_which_is_filled_and_submitted(
    playground: Playground,
) -> None:
    """A new draft's checklist card → its screening button → the screening card, filled in and
    submitted → the checklist again, with the screening done and the classification it set."""
    chat = playground.personal_chat_id
    [created] = playground.wait_for_replies(playground.send(chat, "/new Formguide"))
    checklist = card_of(created)
    buttons = {n["title"]: n for n in walk(checklist) if n.get("type") == "Action.Submit"}
    fill = buttons[t("checklist_fill_button", "en")]
    assert fill["data"] == {"aarhusai": "command", "name": "screening"}, buttons

    shown = _press(playground, chat, created, fill["data"])
    form = card_of(shown)
    inputs = {n["id"]: n for n in walk(form) if str(n.get("type", "")).startswith("Input.")}
    assert set(inputs) == {"formål", "data", "kilder", "hjemmel", "dpia", "ansvarlig"}, inputs
    assert inputs["data"]["isMultiSelect"] is True and inputs["dpia"]["type"] == "Input.Toggle"
    assert inputs["formål"]["label"] == t("screening_field_purpose", "en")  # the Playground writes en-US
    [save] = form["actions"]
    assert save["title"] == t("screening_card_save", "en")

    answers = {
        "formål": "Guidance on forms",
        "data": "ingen",
        "kilder": "interne",
        "hjemmel": "internal guidance",
        "dpia": "nej",
        "ansvarlig": "Alex Wilber",
    }
    saved = _press(playground, chat, shown, {**save["data"], **answers})
    texts = [n["text"] for n in walk(card_of(saved)) if n.get("type") == "TextBlock"]
    done = t("checklist_screened", "en", classification="intern")
    assert any(done in x for x in texts), (texts, playground.explain(saved))


def not_answered_in_time(final: Exchange) -> bool:
    """The answer was cut at the stream's time limit, or the model timed out (a loaded machine): no
    follow-ups are offered then, by design."""
    timeout = t("model_timeout", "en", model="smol", seconds=0).split("'")[0]
    return t("answer_cut", "en") in final.text or final.text.startswith(timeout)


def _suggested(exchange: Exchange) -> list[tuple[str, str, str]]:
    actions = (exchange.activity.get("suggestedActions") or {}).get("actions") or []
    return [(a.get("type"), a.get("title"), a.get("value")) for a in actions]


def _shown_suggestions(playground: Playground, chat: str, message_id: str | None, since: int) -> Any:
    """The suggested actions the Playground's UI holds for a bot message (its conversation stream)."""
    for event in reversed(playground.ui_events(chat, since=since)):
        if event.message.get("messageId") == message_id or event.message.get("id") == message_id:
            found = event.message.get("suggestedActions")
            if found:
                return found
    return None


def test_starters_are_suggested_actions_and_sending_one_asks_it(
    playground: Playground, personal_chat_uses_regler: str
) -> None:
    """A Builder's starters come as suggested actions (imBack) when the specialist is chosen; the
    Playground accepts the message and shows its buttons; sending a button's value (what pressing it
    does) asks the question, and the answer ends with follow-up suggestions. Runs last in the module
    and removes the starters again (the channel and group tests compare /brug's exact text)."""
    chat = personal_chat_uses_regler
    starters = [QUESTION, "Hvornår skal jeg sygemelde mig?"]
    playground.wait_for_replies(playground.send(chat, f"/rediger {SLUG}"))
    try:
        [saved] = playground.wait_for_replies(playground.send(chat, "/startere " + " | ".join(starters)))
        assert_2xx(saved)
        sent = playground.send(chat, f"/brug {SLUG}")
        [chosen] = playground.wait_for_replies(sent)
        assert_2xx(chosen)
        assert chosen.type == "message" and chosen.text, playground.explain(chosen)
        assert _suggested(chosen) == [("imBack", s, s) for s in starters], chosen.activity
        shown = _shown_suggestions(playground, chat, chosen.id, sent.mark)
        assert shown, (
            f"the Playground's UI has no suggested actions: {playground.ui_events(chat, since=sent.mark)}"
        )

        # pressing a button sends its value as the user's message: the same as typing it
        asked = playground.send(chat, starters[0])
        [final] = playground.wait_for_replies(asked, timeout=180)
        assert_2xx(final)
        assert streaminfo(final)["streamType"] == "final" and final.text.strip()
        assert_cited_answer(playground, final)
        followups = _suggested(final)
        if not followups and not_answered_in_time(final):
            pytest.xfail(
                f"SmolLM2 did not finish in time on this machine, follow-ups unchecked: {final.text!r}"
            )
        assert 1 <= len(followups) <= 3 and all(k == "imBack" and t_ == v for k, t_, v in followups), (
            followups
        )
        # only the final message carries them: no typing activity does
        outgoing = playground.exchanges(conversation_id=chat, since=asked.mark, to_bot=False)
        assert all(not _suggested(e) for e in outgoing if e.type == "typing")
    finally:
        playground.wait_for_replies(playground.send(chat, "/startere ryd"))


@pytest.mark.usefixtures("require_browser")
def test_a_suggested_action_in_the_web_ui_asks_its_question(
    playground: Playground, personal_chat_uses_regler: str
) -> None:
    """The Playground's web UI shows a starter as a button under /brug's reply, and clicking it sends the
    question as the user's message, which the bot answers (a streamed, final message)."""
    from playwright.sync_api import expect

    chat = personal_chat_uses_regler
    starter = "Hvornår skal jeg sygemelde mig?"
    playground.wait_for_replies(playground.send(chat, f"/rediger {SLUG}"))
    playground.wait_for_replies(playground.send(chat, f"/startere {starter}"))
    E2E_OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    try:
        with open_ui(playground) as ui:
            page = ui.page
            opened = playground.mark()
            stream = "/_ws_conversation/v1/conversations/stream"
            with page.expect_websocket(lambda ws: ws.url.endswith(stream)):
                page.goto(playground.base_url + "/", wait_until="domcontentloaded")
            playground.wait_for_exchange("installationUpdate", chat, since=opened)
            page.get_by_role("treeitem", name="Personal Chat").click()
            compose = page.get_by_role("textbox")
            compose.click()
            compose.press_sequentially(f"/brug {SLUG}")
            compose.press("Enter")
            button = page.get_by_role("button", name=starter).last
            expect(button).to_be_visible(timeout=60_000)
            page.screenshot(path=str(E2E_OUTPUT_DIR / "suggested-actions.png"))
            pressed = playground.mark()
            button.click()
            delivered = playground.wait_for_delivery(chat, starter, since=pressed, timeout=180)
            assert delivered.activity.get("text") == starter and not delivered.activity.get("value")
            assert_2xx(delivered)
            # asked as a question: the bot starts its answer (the informative update opens the stream)
            informative = playground._wait(
                lambda: next(
                    (
                        e
                        for e in playground.exchanges(conversation_id=chat, since=pressed, to_bot=False)
                        if e.reply_to_id == delivered.id and e.type == "typing"
                    ),
                    None,
                ),
                60,
                "the informative update answering the pressed suggestion",
            )
            assert informative.text == SEARCHING and streaminfo(informative)["streamType"] == "informative"
            # its final message (however SmolLM2 fares on this machine) before the starters are removed
            [final] = playground.wait_for_replies_to(delivered.id or "", chat, since=pressed, timeout=240)
            assert_2xx(final)
    finally:
        playground.wait_for_replies(playground.send(chat, "/startere ryd"))
