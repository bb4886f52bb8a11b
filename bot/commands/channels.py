"""``/kanal`` (``/channel``): a channel's default specialist and when the bot answers there; ``/om``
(``/about``): the facts about a specialist ("Om specialisten")."""

from __future__ import annotations

from typing import Any

from bot.commands.registry import Arg, Command, CommandContext
from bot.conversation.types import Reply
from bot.domain import SpecialistKind
from bot.messages import t, t_enum
from bot.services.about import About
from bot.services.channels import ChannelView

SPECIALIST_WORDS = ("specialist",)
ANSWER_WORDS = ("svar", "answer")
ALL_WORDS = ("alle", "all", "til", "on")
MENTIONED_WORDS = ("nævnt", "naevnt", "nævnes", "mentioned", "mention", "fra", "off")


async def channel(ctx: CommandContext) -> Reply:
    service = ctx.app.channels
    sub, _, rest = ctx.args.partition(" ")
    word, rest = sub.casefold(), rest.strip()
    if not word:
        return render_channel(await service.aview(ctx.actor), ctx.locale)
    if word in SPECIALIST_WORDS:
        view = await service.aset_specialist(ctx.actor, rest)
        return ctx.reply("now_answering_channel", name=view.specialist.name)
    if word in ANSWER_WORDS:
        choice = rest.casefold()
        if choice not in ALL_WORDS + MENTIONED_WORDS:
            return ctx.reply("channel_answer_which", "notice")
        view = await service.aset_answer_all(ctx.actor, choice in ALL_WORDS)
        if view.answer_all:
            return ctx.reply("channel_answer_all_set", name=view.specialist.name)
        return ctx.reply("channel_answer_mentioned_set")
    return ctx.reply("channel_unknown", "notice")


def render_channel(view: ChannelView, locale: str) -> Reply:
    name = view.specialist.name
    if view.specialist.kind == SpecialistKind.GENERAL:
        name = t("general_name", locale)
    lines = [
        t("channel_title", locale),
        "- "
        + t("channel_specialist", locale, name=name)
        + ("" if view.chosen else " " + t("channel_not_chosen", locale)),
        "- " + t("channel_mode_all" if view.answer_all else "channel_mode_mentioned", locale),
        "- " + t("channel_in_thread", locale),
    ]
    if view.set_by and view.set_at:
        lines.append(t("channel_changed_by", locale, who=view.set_by, when=f"{view.set_at:%Y-%m-%d %H:%M}"))
    lines += ["", t("channel_how" if view.may_change else "channel_how_readonly", locale)]
    return Reply("\n".join(lines), kind="command")


async def about(ctx: CommandContext) -> Reply:
    facts = await ctx.app.about.aabout(ctx.actor, ctx.args or None)
    return render_about(facts, ctx.locale)


def about_facts(facts: About, locale: str) -> list[tuple[str, str]]:
    """The facts as (label, value) lines in ``locale``: the card's and the text's."""
    unknown = t("about_unknown", locale)
    general = facts.kind == SpecialistKind.GENERAL
    purpose = t("general_description", locale) if general else facts.purpose
    if facts.sources:
        date = f"{facts.newest_source:%Y-%m-%d}" if facts.newest_source else unknown
        sources = t("about_sources_value", locale, count=facts.sources, date=date)
    else:
        sources = t("about_no_sources", locale)
    if facts.model_name:
        where = facts.model_location
        model = (
            t("about_model_where", locale, model=facts.model_name, where=where) if where else facts.model_name
        )
    else:
        model = t("about_no_model", locale)
    screened = f"{facts.screened_at:%Y-%m-%d}" if facts.screened_at else t("about_not_screened", locale)
    label = t(f"label_{facts.classification.value}", locale)
    lines = [
        (t("about_purpose", locale), purpose or unknown),
        (t("about_owner", locale), facts.owner or unknown),
        (t("about_department", locale), facts.department or unknown),
        (t("about_sources", locale), sources),
        (t("about_classification", locale), f"{t_enum(facts.classification, locale).capitalize()}: {label}"),
        (t("about_model", locale), model),
        (t("about_screened", locale), screened),
    ]
    if facts.responsible:
        lines.insert(2, (t("about_responsible", locale), facts.responsible))
    return lines


def render_about(facts: About, locale: str) -> Reply:
    name = t("general_name", locale) if facts.kind == SpecialistKind.GENERAL else facts.name
    title = t("about_title", locale, name=name)
    shown = about_facts(facts, locale)
    text = "\n".join([f"**{title}**", *(f"- {label}: {value}" for label, value in shown)])
    card: dict[str, Any] = {"type": "about", "title": title, "facts": shown}
    return Reply(text, kind="command", card=card)


COMMANDS = [
    Command("kanal", channel, ("channel",), usage_key="usage_kanal"),
    Command("om", about, ("about",), args=(Arg("specialist", optional=True),)),
]
