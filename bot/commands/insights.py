"""/indsigt (English /insights): what a Builder should fix, as a card of themes per specialist.

``/indsigt [specialist]``: the themes of the last two weeks (this week's count, the change since the
week before), each with buttons: make its central question a ``/test`` case, see its questions, and
(when the verified-answer command is there) write a verified answer. ``/indsigt spørgsmål <n>`` and
``/indsigt test <n>`` are what the buttons send (``n``: the id of a question the card showed); the
service checks the reader may see that question's specialist, as for a typed command.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.commands.registry import Command, CommandContext
from bot.conversation.types import Reply
from bot.governance.insights import SpecialistThemes, Theme
from bot.llm.output import LinkPolicy, sanitise
from bot.messages import t
from bot.services.insights import change_text

QUESTIONS, TEST, VERIFY = ("spørgsmål", "questions", "sporgsmal"), ("test",), ("verificer", "verify")
SHOWN_THEMES = 8  # per specialist on the card
NO_LINKS = LinkPolicy()
# The "write a verified answer" button opens a form with the theme's (masked) question, submitted to
# ``verified_submitted`` (``bot.commands.forms.SUBMITTED["insights_verified"]``) and saved by
# ``app.verified`` (the feedback loop's verified answers).
VERIFIED_ACTION = "insights_verified"


def _safe(text: str, locale: str) -> str:
    """What people wrote, shown to a Builder: made safe like an answer (no link, image or HTML)."""
    return sanitise(text, NO_LINKS, locale)


async def insights_command(ctx: CommandContext) -> Reply:
    sub, _, rest = ctx.args.strip().partition(" ")
    rest = rest.strip()
    if sub.casefold() in QUESTIONS + TEST + VERIFY and rest.isdigit():
        if sub.casefold() in VERIFY:
            return await _verify_form(ctx, int(rest))
        if sub.casefold() in TEST:
            spec, number, question = await ctx.app.insights.atest_from(ctx.actor, int(rest))
            return ctx.reply(
                "insights_test_added", number=number, name=spec.name, question=_safe(question, ctx.locale)
            )
        spec, theme = await ctx.app.insights.atheme(ctx.actor, int(rest))
        lines = [
            t("insights_questions_title", ctx.locale, label=_safe(theme.label, ctx.locale), name=spec.name)
        ]
        lines += [t("insights_question", ctx.locale, question=_safe(q, ctx.locale)) for q in theme.questions]
        return Reply("\n".join(lines), kind="command")
    found = await ctx.app.insights.athemes(ctx.actor, ctx.args.strip() or None)
    return render(found, ctx, ctx.args.strip() or None)


def _theme_line(theme: Theme, locale: str) -> str:
    reasons = ", ".join(f"{r or t('insights_no_reason', locale)} {n}" for r, n in theme.reasons.items())
    return t(
        "insights_theme",
        locale,
        label=_safe(theme.label, locale),
        count=theme.count,
        change=change_text(theme.change),
        no_source=theme.no_source,
        disliked=theme.disliked,
        reasons=t("insights_reasons", locale, reasons=_safe(reasons, locale)) if reasons else "",
    )


def _buttons(theme: Theme, ctx: CommandContext) -> list[dict[str, str]]:
    locale, command = ctx.locale, "indsigt" if ctx.locale == "da" else "insights"
    buttons = [
        {"title": t("insights_test_button", locale), "command": command, "args": f"test {theme.message_id}"},
        {
            "title": t("insights_questions_button", locale),
            "command": command,
            "args": f"{QUESTIONS[0] if locale == 'da' else QUESTIONS[1]} {theme.message_id}",
        },
    ]
    buttons.append(
        {
            "title": t("insights_verified_button", locale),
            "command": command,
            "args": f"{VERIFY[0] if locale == 'da' else VERIFY[1]} {theme.message_id}",
        }
    )
    return buttons


async def _verify_form(ctx: CommandContext, message_id: int) -> Reply:
    """A form for a verified answer to a theme's question (masked; the Builder may reword it)."""
    spec, question = await ctx.app.insights.aquestion(ctx.actor, message_id)
    locale = ctx.locale
    card = {
        "type": "form",
        "title": t("insights_verified_title", locale, name=spec.name),
        "fields": [
            {
                "kind": "text",
                "id": "question",
                "label": t("insights_verified_question", locale),
                "value": question,
                "max": 1000,
            },
            {
                "kind": "text",
                "id": "answer",
                "label": t("insights_verified_answer", locale),
                "multiline": True,
                "max": 4000,
            },
            {"kind": "text", "id": "review", "label": t("insights_verified_review", locale), "max": 10},
        ],
        "submit": {
            "title": t("insights_verified_save", locale),
            "data": {"aarhusai": VERIFIED_ACTION, "slug": spec.slug},
        },
    }
    return Reply(t("insights_verified_title", locale, name=spec.name), kind="command", card=card)


async def verified_submitted(ctx: CommandContext, form: dict[str, object]) -> Reply:
    """The form above, submitted: saved by the verified-answer service (which checks who may)."""
    question, answer = str(form.get("question") or "").strip(), str(form.get("answer") or "").strip()
    if not question or not answer:
        return ctx.reply("insights_verified_empty", "notice")
    review: date | None = None
    if str(form.get("review") or "").strip():
        try:
            review = date.fromisoformat(str(form["review"]).strip())
        except ValueError:
            return ctx.reply("insights_verified_date", "notice")
    slug = str(form.get("slug") or "")
    saved = await ctx.app.verified.save_verified(ctx.actor, slug, question, answer, review)
    return ctx.reply("insights_verified_saved", name=slug, date=saved.review_at.date().isoformat())


def render(found: list[SpecialistThemes], ctx: CommandContext, ref: str | None) -> Reply:
    locale = ctx.locale
    name = found[0].name if ref and found else t("all_specialists", locale)
    title = t("insights_title", locale, name=name)
    shown = [st for st in found if st.themes]
    if not shown:
        return Reply(f"{title}\n\n{t('insights_none', locale)}", kind="command")
    lines = [title, t("insights_intro", locale)]
    sections: list[dict[str, Any]] = []
    for st in shown:
        heading = t(
            "insights_specialist",
            locale,
            name=st.name,
            count=st.count,
            change=change_text(st.count - st.before),
        )
        lines += ["", heading]
        themes = []
        for theme in st.themes[:SHOWN_THEMES]:
            line = _theme_line(theme, locale)
            lines.append(f"- {line} (/{'indsigt' if locale == 'da' else 'insights'} test {theme.message_id})")
            themes.append({"text": line, "buttons": _buttons(theme, ctx)})
        if len(st.themes) > SHOWN_THEMES:
            more = t("insights_more", locale, count=len(st.themes) - SHOWN_THEMES)
            lines.append(more)
            themes.append({"text": more, "buttons": []})
        sections.append({"title": heading, "themes": themes})
    card = {"type": "insights", "title": title, "intro": t("insights_intro", locale), "sections": sections}
    return Reply("\n".join(lines), kind="command", card=card)


COMMANDS = [Command("indsigt", insights_command, ("insights",), usage_key="usage_indsigt", builder=True)]
