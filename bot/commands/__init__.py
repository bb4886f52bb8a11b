"""Slash-commands: parsing, the registry, and the handlers. Plain Python, testable without Teams."""

from bot.commands.registry import Command, CommandContext, CommandRegistry, parse_command

__all__ = ["Command", "CommandContext", "CommandRegistry", "parse_command"]
