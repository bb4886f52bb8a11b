"""``/hjælp`` (``/help``): what the bot can do, in the user's language, generated from the registry."""

from __future__ import annotations

from bot.commands.registry import Command, CommandContext, CommandRegistry
from bot.conversation.types import Reply
from bot.messages import t


def help_text(
    registry: CommandRegistry, locale: str, builds: bool, model: str | None, administers: bool = False
) -> str:
    """Everyone's commands; the Builders' and the administrators' only to those who hold the role."""
    lines = [t("help_intro", locale, assistant=t("assistant_name", locale)), ""]
    visible = [c for c in registry if not c.hidden]
    lines += [f"- {c.help_line(locale)}" for c in visible if not (c.builder or c.admin)]
    if builds:
        lines += ["", t("help_for_builders", locale)]
        lines += [f"- {c.help_line(locale)}" for c in visible if c.builder]
        lines.append("- " + t("help_send_files", locale))
    if administers:
        lines += ["", t("help_for_admins", locale)]
        lines += [f"- {c.help_line(locale)}" for c in visible if c.admin]
    lines.append("")
    lines.append(t("help_model", locale, model=model) if model else t("help_no_model", locale))
    return "\n".join(lines)


async def show_help(ctx: CommandContext) -> Reply:
    builds = await ctx.app.specialists.abuilds(ctx.actor)
    administers = await ctx.app.specialists.aadministers(ctx.actor)
    text = help_text(ctx.registry, ctx.locale, builds, ctx.app.default_model, administers)
    return Reply(text, kind="command")


HELP = Command("hjælp", show_help, ("help", "hjaelp"))
