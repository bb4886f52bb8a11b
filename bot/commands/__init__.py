"""Slash-commands: declared arguments → one application-service call → a rendered reply."""

from bot.commands import (
    answers,
    channels,
    checklist,
    connections,
    experts,
    governance,
    help,
    insights,
    models,
    sources,
    specialists,
    starters,
    tests,
)
from bot.commands.registry import Arg, Command, CommandContext, CommandRegistry, parse_command


def default_registry() -> CommandRegistry:
    """Every command the bot knows; a new command is one module plus one entry here. Builder commands
    that change a specialist reply with its checklist (``checklist.after``)."""
    commands = [
        help.HELP,
        *specialists.COMMANDS,
        *channels.COMMANDS,
        *starters.COMMANDS,
        *sources.COMMANDS,
        *connections.COMMANDS,
        *answers.COMMANDS,
        *governance.COMMANDS,
        *tests.COMMANDS,
        *models.COMMANDS,
        *checklist.COMMANDS,
        *insights.COMMANDS,
        *experts.COMMANDS,
    ]
    return CommandRegistry([checklist.after(c) for c in commands])


__all__ = ["Arg", "Command", "CommandContext", "CommandRegistry", "default_registry", "parse_command"]
