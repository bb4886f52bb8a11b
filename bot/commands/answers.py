"""About answers: /kilde (a cited passage in full) and /statistik (usage and feedback)."""

from __future__ import annotations

from bot.commands.registry import Arg, Command, CommandContext
from bot.conversation.types import Reply
from bot.governance import stats
from bot.governance.insights import Figures
from bot.llm.links import document_url
from bot.llm.output import LinkPolicy, sanitise
from bot.messages import t

NO_LINKS = LinkPolicy()


async def show_passage(ctx: CommandContext) -> Reply:
    """Teams' citation hover shows 160 characters; a caseworker often needs the whole passage."""
    citation = await ctx.app.feedback.acited(ctx.actor, ctx.args)
    page = t("page_part", ctx.locale, page=citation.page) if citation.page else ""
    head = f"[{citation.n}] **{citation.source}{page}**"
    if citation.heading:  # where in the document: its heading path (made safe with the passage)
        head += f"\n{t('passage_section', ctx.locale, heading=citation.heading)}"
    if url := document_url(citation.url):  # a connected document: where it lives, when it last changed
        head += "\n" + t("source_origin", ctx.locale, url=url, modified=citation.modified or "–")
    return Reply(f"{head}\n\n{citation.text}", kind="command")


async def statistics(ctx: CommandContext) -> Reply:
    name, usage = await ctx.app.stats.ausage(ctx.actor, ctx.args or None, 30)
    text = render_usage(usage, name or t("all_specialists", ctx.locale), ctx.locale)
    figures = await ctx.app.insights.afigures(ctx.actor, ctx.args or None, 30)
    return Reply(with_figures(text, figures, ctx.locale), kind="command")


def with_figures(text: str, f: Figures, locale: str) -> str:
    """The report's figures ``render_usage`` does not show (``aarhusai insights``): 👎 by reason and the
    busiest day, under the feedback line."""
    extra = []
    if f.reasons:
        none = t("insights_no_reason", locale)
        reasons = ", ".join(f"{_quoted(r, locale) if r else none} {n}" for r, n in f.reasons.items())
        extra.append(t("stats_reasons", locale, reasons=reasons))
    if f.questions:
        day, count = max(f.per_day, key=lambda d: (d[1], d[0]))
        extra.append(t("stats_busiest", locale, count=count, day=f"{day:%Y-%m-%d}"))
    if not extra:
        return text
    lines = text.split("\n")
    at = next((i for i, line in enumerate(lines) if "👍" in line), len(lines) - 1) + 1
    return "\n".join([*lines[:at], *extra, *lines[at:]])


def _quoted(text: str, locale: str) -> str:
    """What a person wrote, shown to a Builder: made safe like an answer (no link, image or HTML)."""
    return sanitise(text, NO_LINKS, locale)


def render_usage(u: stats.Usage, name: str, locale: str) -> str:
    lines = [
        t("stats_title", locale, name=name, days=u.days),
        t("stats_questions", locale, questions=u.questions, users=u.users),
        t("stats_returning", locale, r7=u.returning_7, r30=u.returning_30),
        t("stats_no_answer", locale, share=u.no_answer_share),
        t("stats_feedback", locale, likes=u.likes, dislikes=u.dislikes),
    ]
    if u.top_unanswered:
        top = "; ".join(f"«{q}» ({n})" for q, n in u.top_unanswered)
        lines.append(t("stats_top_unanswered", locale, top=top))
    if u.comments:
        lines += ["", t("stats_comments_title", locale)]
        lines += [
            t(
                "stats_comment",
                locale,
                text=_quoted(c.text, locale),
                question=_quoted(c.question, locale),
                at=f"{c.at:%Y-%m-%d}",
            )
            for c in u.comments
        ]
    if u.latest_unanswered:
        lines += ["", t("stats_unanswered_title", locale)]
        lines += [t("stats_unanswered", locale, question=_quoted(q, locale)) for q in u.latest_unanswered]
    return "\n".join(lines)


COMMANDS = [
    Command("kilde", show_passage, ("source",), args=(Arg("number"),)),
    Command("statistik", statistics, ("stats",), args=(Arg("specialist", optional=True),), builder=True),
]
