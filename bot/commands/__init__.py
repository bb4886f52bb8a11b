"""Slash-commands: declared arguments → one application-service call → a rendered reply."""

from bot.commands import answers, governance, help, models, sources, specialists, tests
from bot.commands.registry import Arg, Command, CommandContext, CommandRegistry, parse_command


def default_registry() -> CommandRegistry:
    """Every command the bot knows; a new command is one module plus one entry here."""
    return CommandRegistry(
        [
            help.HELP,
            *specialists.COMMANDS,
            *sources.COMMANDS,
            *answers.COMMANDS,
            *governance.COMMANDS,
            *tests.COMMANDS,
            *models.COMMANDS,
        ]
    )


__all__ = ["Arg", "Command", "CommandContext", "CommandRegistry", "default_registry", "parse_command"]
