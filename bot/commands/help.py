"""``/hjælp`` (``/help``): what the bot can do, in the user's language."""

from __future__ import annotations

from bot.commands.registry import Command, CommandContext
from bot.conversation.types import Reply
from bot.i18n import t


async def show_help(ctx: CommandContext) -> Reply:
    locale = ctx.locale
    lines = [t("help_intro", locale, assistant=t("assistant_name", locale)), ""]
    visible = [c for c in ctx.core.commands if not c.hidden]
    lines += [f"- {c.help_line(locale)}" for c in visible if c.permission is None]
    if (await ctx.core.roles_for(ctx.incoming)).builds:
        lines += ["", "For Buildere:" if locale == "da" else "For Builders:"]
        lines += [f"- {c.help_line(locale)}" for c in visible if c.permission is not None]
        lines.append(
            "- "
            + (
                "Send filer her i chatten for at give den specialist, du redigerer, kilder."
                if locale == "da"
                else "Send files in this chat to add sources to the specialist you edit."
            )
        )
    lines.append("")
    router = ctx.core.router
    if router.has_models:
        lines.append(t("help_model", locale, model=router.catalogue.default))
    else:
        lines.append(t("help_no_model", locale))
    return Reply(text="\n".join(lines), kind="command")


HELP = Command(
    name="hjælp",
    aliases=("help", "hjaelp"),
    handler=show_help,
    help={"da": "vis denne hjælp", "en": "show this help"},
)
