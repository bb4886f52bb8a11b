"""End-to-end: the bot (``aarhusai serve``, local mode) through Microsoft's Teams emulator.

Each test talks to the Microsoft 365 Agents Playground as a Teams user would (its HTTP API, or its
web UI in Debian's chromium) and checks what reached the bot and what the bot sent back, on the
Playground's own log of raw activities. See tests/e2e/README.md.
"""

from __future__ import annotations

import re

import pytest

from tests.support.playground import (
    E2E_OUTPUT_DIR,
    Exchange,
    Playground,
    PlaygroundStack,
    UiEvent,
    is_loopback_url,
    listening_addresses,
    open_ui,
)

pytestmark = pytest.mark.e2e

HELP = "/hjælp"
# The line that opens the help text, by the locale of the incoming activity ("Teams' locale wins").
HELP_MARKER = {"da": "Kommandoer:", "en": "Commands:"}
BOT_ERROR = ("Beklager, der skete en fejl hos AarhusAI", "Sorry, something went wrong in AarhusAI")


def help_marker(delivered: Exchange) -> str:
    locale = delivered.activity.get("locale") or "da"
    return HELP_MARKER[locale[:2].lower()]


def rendered(markdown_line: str) -> str:
    """A Markdown line as the UI shows its text (bold, italic and code marks dropped)."""
    return re.sub(r"[*`]{1,2}(\S(?:.*?\S)?)[*`]{1,2}", r"\1", markdown_line)


def assert_2xx(exchange: Exchange) -> None:
    assert exchange.status is not None and 200 <= exchange.status < 300, (
        f"HTTP {exchange.status} for {exchange.name}: {exchange.response_body!r}"
    )


def wait_for_ui_message(playground: Playground, conversation_id: str, text: str, since: int) -> UiEvent:
    """The conversation stream (what the Playground's UI renders) shows ``text`` in the conversation."""

    def find() -> UiEvent | None:
        for event in playground.ui_events(conversation_id, since):
            if event.action == "createMessage" and event.message.get("text") == text:
                return event
        return None

    return playground._wait(find, 30, f"the UI stream to show the reply in {conversation_id!r}")


def test_everything_listens_on_loopback_only(playground_stack: PlaygroundStack) -> None:
    bot = listening_addresses(playground_stack.bot.pid)
    emulator = listening_addresses(playground_stack.playground.process.pid)
    assert ("127.0.0.1", playground_stack.bot_port) in bot
    assert ("127.0.0.1", playground_stack.playground.port) in emulator
    assert {address for address, _ in bot + emulator} == {"127.0.0.1"}, (bot, emulator)


def test_personal_chat_help_is_answered(playground: Playground) -> None:
    chat = playground.personal_chat_id
    sent = playground.send(chat, HELP)

    delivered = playground.wait_for_delivery(chat, HELP, since=sent.mark)
    assert delivered.activity["conversation"]["conversationType"] == "personal"
    assert delivered.activity["from"]["aadObjectId"] == playground.user["aadObjectId"]
    assert_2xx(delivered)

    [reply] = playground.wait_for_replies(sent)
    assert_2xx(reply)  # the Playground's connector accepted it
    assert reply.activity["conversation"]["id"] == chat
    assert help_marker(delivered) in reply.text, playground.explain(reply)
    assert "/specialister" in reply.text
    wait_for_ui_message(playground, chat, reply.text, sent.mark)


def test_personal_chat_help_in_danish(playground: Playground) -> None:
    """The Playground puts ``locale: en-US`` on everything it sends; a Danish Teams client sends da-DK.
    A forwarded custom activity (the UI's "Mock an Activity") carries da-DK to the bot."""
    chat = playground.personal_chat_id
    activity_id, mark = playground.send_custom_activity(
        chat, type="message", text=HELP, textFormat="plain", locale="da-DK"
    )
    [reply] = playground.wait_for_replies_to(activity_id, chat, since=mark)
    assert "Kommandoer:" in reply.text, playground.explain(reply)
    assert "Der er ikke forbundet nogen sprogmodel." in reply.text


def test_group_chat_without_mention_gets_no_reply(playground: Playground) -> None:
    chat = playground.group_chat_id
    quiet = playground.send(chat, HELP)
    playground.assert_silence(chat, since=quiet.mark, quiet_s=3.0)
    assert playground.delivered(chat, since=quiet.mark) == [], (
        "the Playground forwarded an unmentioned message"
    )

    # Control: the chat and the bot are alive, and the only reply is the one to the mentioned message.
    control = playground.send(chat, HELP, mention_bot=True)
    [reply] = playground.wait_for_replies(control)
    assert [m.id for m in playground.bot_messages(chat, since=quiet.mark)] == [reply.id]


def test_group_chat_mention_is_answered_with_the_mention_stripped(playground: Playground) -> None:
    chat = playground.group_chat_id
    sent = playground.send(chat, HELP, mention_bot=True)
    bot_name = playground.bot["name"]

    delivered = playground.wait_for_delivery(chat, sent.text, since=sent.mark)
    assert delivered.text == f"<at>{bot_name}</at> {HELP}"
    assert delivered.activity["conversation"]["conversationType"] == "groupChat"
    mentions = [e for e in delivered.entities if e.get("type") == "mention"]
    assert mentions == [
        {
            "type": "mention",
            "mentioned": {"id": playground.bot["id"], "name": bot_name},
            "text": f"<at>{bot_name}</at>",
        }
    ]

    [reply] = playground.wait_for_replies(sent)
    assert_2xx(reply)
    assert reply.activity["conversation"]["id"] == chat
    # Only with the mention stripped is "/hjælp" a command (otherwise: the general assistant's answer).
    assert help_marker(delivered) in reply.text, playground.explain(reply)
    wait_for_ui_message(playground, chat, reply.text, sent.mark)


def test_channel_mention_is_answered_in_the_same_thread(playground: Playground) -> None:
    channel = playground.channel_id("General")
    sent = playground.send(channel, HELP, mention_bot=True)
    thread = f"{channel};messageid={sent.message_id}"
    assert sent.conversation_id == thread  # a new channel post is the root of a new thread

    delivered = playground.wait_for_delivery(thread, sent.text, since=sent.mark)
    conversation = delivered.activity["conversation"]
    assert (conversation["id"], conversation["conversationType"]) == (thread, "channel")
    assert delivered.activity["channelData"]["channel"]["id"] == channel

    [reply] = playground.wait_for_replies(sent)
    assert_2xx(reply)
    assert reply.activity["conversation"]["id"] == thread
    assert help_marker(delivered) in reply.text, playground.explain(reply)
    assert wait_for_ui_message(playground, thread, reply.text, sent.mark).conversation_id == thread
    assert playground.bot_messages(channel, since=sent.mark) == []  # nothing at the channel's top level

    # A mentioned reply inside the thread is answered in the thread too.
    follow_up = playground.send(thread, HELP, mention_bot=True)
    assert follow_up.conversation_id == thread
    [second] = playground.wait_for_replies(follow_up)
    assert second.activity["conversation"]["id"] == thread
    assert help_marker(delivered) in second.text, playground.explain(second)


@pytest.mark.usefixtures("require_browser")
def test_personal_chat_in_the_web_ui(playground: Playground) -> None:
    from playwright.sync_api import expect

    E2E_OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    screenshot = E2E_OUTPUT_DIR / "personal-help.png"
    screenshot.unlink(missing_ok=True)
    chat = playground.personal_chat_id

    with open_ui(playground) as ui:
        page, blocked, left_loopback = ui.page, ui.blocked, ui.left_loopback
        mark = playground.mark()
        stream = "/_ws_conversation/v1/conversations/stream"
        with page.expect_websocket(lambda ws: ws.url.endswith(stream)):  # where replies reach the UI
            page.goto(playground.base_url + "/", wait_until="domcontentloaded")
        # The UI is up once it has (re-)installed the app in the personal chat.
        playground.wait_for_exchange("installationUpdate", chat, since=mark)
        page.get_by_role("treeitem", name="Personal Chat").click()
        compose = page.get_by_role("textbox")  # a Lexical contenteditable
        compose.click()
        compose.press_sequentially(HELP)
        compose.press("Enter")

        delivered = playground.wait_for_delivery(chat, HELP, since=mark)
        [reply] = playground.wait_for_replies_to(delivered.id or "", chat, since=mark)
        assert help_marker(delivered) in reply.text, playground.explain(reply)

        # The reply is Markdown: its first line becomes a paragraph, the commands a bullet list.
        # (.last: opening the page may make the bot post a welcome message above it.)
        lines = [rendered(line) for line in reply.text.splitlines()]
        expect(page.get_by_text(lines[0], exact=True)).to_be_visible(timeout=30_000)
        for item in [line[2:] for line in lines if line.startswith("- ")]:
            expect(page.get_by_role("listitem").filter(has_text=item).last).to_be_visible()
        author = page.get_by_label("Message author").filter(has_text=playground.bot["name"])
        expect(author.last).to_be_visible()
        page.screenshot(path=str(screenshot))

    assert left_loopback == [], f"requests left loopback: {left_loopback}"
    assert all(not is_loopback_url(url) for url in blocked)
    assert screenshot.stat().st_size > 10_000
    # Opening the page re-sends installationUpdate and conversationUpdate: the bot must take them
    # without an error (its error message starts like this in both languages).
    for exchange in playground.delivered(chat, since=mark):
        assert_2xx(exchange)
    errors = [m.text for m in playground.bot_messages(chat, since=mark) if m.text.startswith(BOT_ERROR)]
    assert errors == [], f"the bot failed a turn when the UI opened the chat: {errors}\n" + (
        playground.diagnostics()
    )
