"""Replies as Teams activities: Markdown text split under the size limit, citations, AI label,
feedback buttons and cards."""

from __future__ import annotations

import re

from microsoft_agents.activity import ActionTypes, Activity, ActivityTypes, CardAction, SuggestedActions
from microsoft_agents.activity.entity.ai_entity import (
    ClientCitation,
    ClientCitationAppearance,
    SensitivityUsageInfo,
)

from bot.conversation.types import Citation, Label, Reply
from bot.llm.links import document_url
from bot.llm.output import LinkPolicy, sanitise
from bot.llm.safe_markdown import plain_text
from bot.messages import t
from bot.teams.cards import render as render_card

MAX_MESSAGE_BYTES = 27 * 1024  # Teams rejects messages over ~28 KB; keep room for entities
MAX_CITATIONS = 20
TITLE_CHARS = 80
ABSTRACT_CHARS = 160
MAX_SUGGESTIONS = 6  # a specialist's prompt starters; follow-ups after an answer are fewer
SUGGESTION_CHARS = 120  # what a button can show and what is sent as the question


_NO_LINKS = LinkPolicy()


def _cut(text: str, limit: int) -> str:
    """Shortened to one line of ``limit`` characters, then made safe again: joining lines and cutting
    can turn safe Markdown into something else (an indented line into raw HTML, say)."""
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    return sanitise(text, _NO_LINKS)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def citation_title(c: Citation, locale: str = "da") -> str:
    """``pas.pdf › Priser › Børn (s. 3)`` (``p. 3`` for an English reader), as plain text within Teams'
    80 characters: the outer sections give way first (``pas.pdf › … › Børn``), then the name's end."""
    page = f" ({t('citation_page', locale, page=c.page)})" if c.page else ""
    source = plain_text(c.source) or "?"
    sections = [s for s in (plain_text(part) for part in (c.heading or "").split("›")) if s]
    parts = [source, *sections]
    title = " › ".join(parts) + page
    while len(title) > TITLE_CHARS and len(sections) > 1:
        sections = sections[1:]
        title = " › ".join([source, "…", *sections]) + page
    if len(title) > TITLE_CHARS:  # one section, or none, left: the name gives way, then the section
        lead = " › …" if len(parts) > 2 else ""
        section = f"{lead} › {sections[0]}" if sections else ""
        name_room = max(24, TITLE_CHARS - len(page) - len(section))
        title = _short(source, name_room) + section
        title = _short(title, TITLE_CHARS - len(page)) + page
    return title


def client_citations(
    text: str, citations: list[Citation], locale: str = "da", usage: SensitivityUsageInfo | None = None
) -> list[ClientCitation]:
    """Teams' Claim citations for the [n] markers the text uses (all of them if it uses none), each
    with the specialist's sensitivity label. Title and snippet are plain text (Teams shows them as
    written); two passages of one file are told apart by their section, else by their number."""
    used = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    chosen = ([c for c in citations if c.n in used] or citations)[:MAX_CITATIONS]
    titles: list[str] = []
    for c in chosen:
        title = citation_title(c, locale)
        if title in titles:  # the same file, section and page: the passage's number tells them apart
            title = _short(title, TITLE_CHARS - len(f" [{c.n}]")) + f" [{c.n}]"
        titles.append(title)
    return [
        ClientCitation(
            position=c.n,
            appearance=ClientCitationAppearance(
                name=title,
                abstract=_short(plain_text(c.text), ABSTRACT_CHARS),
                usage_info=usage,
                # a connected document: Teams opens it from the citation. Only when there is one: the SDK
                # writes what was set, and Teams (the Playground) refuses a null url with HTTP 400
                **({"url": url} if (url := document_url(c.url)) else {}),
            ),
        )
        for c, title in zip(chosen, titles, strict=True)
    ]


def usage_info(label: Label | None) -> SensitivityUsageInfo | None:
    """The specialist's classification as Teams' sensitivity label (``usageInfo``)."""
    if label is None:
        return None
    return SensitivityUsageInfo(name=_cut(label.name, TITLE_CHARS), description=_cut(label.description, 200))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def byline_text(byline: str) -> str:
    """The model's name and where it runs, in italics under the answer (catalogue text, escaped)."""
    return "_" + _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(byline.split())) + "_"


def split_text(text: str, limit: int = MAX_MESSAGE_BYTES) -> list[str]:
    """Split at paragraph, then line, then word boundaries so every part is under ``limit`` bytes."""
    if len(text.encode()) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in re.split(r"(\n\n|\n| )", text):
        if len((current + piece).encode()) > limit and current:
            parts.append(current.rstrip())
            current = piece.lstrip()
        else:
            current += piece
        while len(current.encode()) > limit:  # one "word" longer than the limit
            cut = limit
            while len(current[:cut].encode()) > limit:
                cut -= 1
            parts.append(current[:cut])
            current = current[cut:]
    if current.strip():
        parts.append(current.rstrip())
    return parts


_PLACEHOLDER = re.compile(r"<([^<>\n]{1,60})>")


def visible_placeholders(text: str) -> str:
    """Teams reads ``<spørgsmål>`` in a message as an HTML tag and drops it, so usage lines lost their
    placeholders: show them as ``‹spørgsmål›``. Only for the bot's own texts (commands, notices); an
    answer is made safe by ``sanitise`` instead."""
    return _PLACEHOLDER.sub(r"‹\1›", text)


def decorate(activity: Activity, reply: Reply, *, feedback: bool = True) -> Activity:
    """Add the AI label + citations and the feedback buttons to the message carrying an answer."""
    if reply.kind == "answer" and (reply.generated or reply.citations):
        usage = usage_info(reply.label)
        shown = client_citations(activity.text or "", reply.citations, reply.locale, usage)
        activity.add_ai_metadata(shown or None, usage)
        if not reply.generated:  # passages quoted verbatim: cited, but not "AI generated"
            activity.entities[-1].additional_type = []  # type: ignore[index, union-attr]
    if feedback and reply.kind == "answer":
        data = dict(activity.channel_data or {}) if isinstance(activity.channel_data, dict) else {}
        data["feedbackLoopEnabled"] = True  # older clients
        data["feedbackLoop"] = {"type": "custom"}  # the bot's own form (message/fetchTask)
        activity.channel_data = data
    return activity


def suggestion_texts(suggestions: list[str]) -> list[str]:
    """The questions as a button may show and send them: one line, at most ``SUGGESTION_CHARS``, never
    a command (pressing a button sends its text as the reader's message), each once."""
    shown: list[str] = []
    for raw in suggestions:
        text = " ".join(raw.split()).lstrip("/").strip()
        if len(text) > SUGGESTION_CHARS:
            text = text[: SUGGESTION_CHARS - 1].rstrip() + "…"
        if text and text not in shown:
            shown.append(text)
    return shown[:MAX_SUGGESTIONS]


def suggested_actions(suggestions: list[str], reader: str | None = None) -> SuggestedActions | None:
    """Teams' suggested actions: an ``imBack`` button per question, which sends it as the reader's own
    message (so pressing one asks it), shown to ``reader`` (their channel id; none: whoever reads).
    ``to`` is always sent: the Playground refuses suggested actions without it."""
    texts = suggestion_texts(suggestions)
    if not texts:
        return None
    return SuggestedActions(
        to=[reader] if reader else [],
        actions=[CardAction(type=ActionTypes.im_back, title=text, value=text) for text in texts],
    )


def examples_line(suggestions: list[str], locale: str) -> str:
    """Where Teams shows no suggested actions (group chats, channels): the questions as a line of text."""
    texts = suggestion_texts(suggestions)
    if not texts:
        return ""
    return t("suggestions_examples", locale, examples=" · ".join(f"»{x}«" for x in texts))


def to_activities(reply: Reply, personal: bool = True, reader: str | None = None) -> list[Activity]:
    """One or more message activities; the last one carries citations, labels, feedback, the card and
    the suggested questions: buttons for ``reader`` in a personal chat (``personal``), the only place
    Teams shows them, else a line of examples (a reply's suggestions are never lost in a team)."""
    text = reply.text if reply.kind == "answer" else visible_placeholders(reply.text)
    if reply.byline and text:
        text = f"{text}\n\n{byline_text(reply.byline)}"
    buttons = suggested_actions(reply.suggestions, reader) if personal else None
    if reply.suggestions and not personal:
        line = examples_line(reply.suggestions, reply.locale)
        text = f"{text}\n\n{line}" if text and line else text or line
    parts = split_text(text) if text else [""]
    activities = [Activity(type=ActivityTypes.message, text=part, text_format="markdown") for part in parts]
    last = activities[-1]
    if reply.card:
        attachment = render_card(reply.text, reply.card)
        if attachment is not None:
            last.attachments = [attachment]
            if len(activities) == 1 and reply.kind != "answer":  # an answer's card holds only buttons
                # the card says it all; an empty text, never null: the connector (and the Playground in a
                # channel thread) refuses a message whose text is null when it is sent or replaced
                last.text = ""
    if buttons is not None:
        # on the message itself, never on a typing activity, and with text: Teams (and the Playground,
        # which answers 400 to a null text) wants a message to carry the buttons
        last.suggested_actions = buttons
        if not last.text:
            last.text = t("suggestions_intro", reply.locale)
    decorate(last, reply)
    return activities
