"""``/startere`` (``/starters``): the questions a specialist offers its users when it is chosen."""

from __future__ import annotations

from bot.commands.registry import Command, CommandContext
from bot.conversation.types import Reply
from bot.services import starters as rules

CLEAR = ("ryd", "clear")


async def starters_command(ctx: CommandContext) -> Reply:
    """``/startere`` shows them; ``/startere <spørgsmål> | <spørgsmål> …`` (or one a line) replaces them;
    ``/startere ryd`` removes them."""
    service = ctx.app.specialists
    args = ctx.args.strip()
    if not args:
        shown = await service.astarters(ctx.actor)
        if not shown.starters:
            return ctx.reply("starters_none", name=shown.spec.name, most=rules.MAX_STARTERS)
        listing = "\n".join(f"{n}. {s}" for n, s in enumerate(shown.starters, 1))
        reply = ctx.reply("starters_shown", name=shown.spec.name, listing=listing)
        reply.suggestions = list(shown.starters)  # the Builder sees them as their users will
        return reply
    items = [] if args.casefold() in CLEAR else rules.parse(args)
    saved = await service.aset_starters(ctx.actor, items)
    if not saved.starters:
        return ctx.reply("starters_cleared", name=saved.spec.name)
    key = "starters_saved" if saved.changed else "starters_unchanged"
    return ctx.reply(key, name=saved.spec.name, count=len(saved.starters))


COMMANDS = [Command("startere", starters_command, ("starters",), usage_key="usage_startere", builder=True)]
