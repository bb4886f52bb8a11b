"""Command parsing and lookup. A command has a Danish name, English aliases and help in both."""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.conversation.types import Incoming, Reply

if TYPE_CHECKING:
    from bot.conversation.core import ConversationCore


@dataclass(frozen=True)
class CommandContext:
    """What a handler gets: the message, its arguments and the core's services."""

    incoming: Incoming
    args: str
    core: ConversationCore

    @property
    def locale(self) -> str:
        return self.incoming.locale

    @property
    def actor(self) -> str:
        return self.incoming.user_key


Handler = Callable[[CommandContext], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    help: dict[str, str]
    aliases: tuple[str, ...] = ()
    usage: str = ""
    hidden: bool = field(default=False)
    permission: str | None = None  # checked by the core before the handler runs (see governance.access)

    def help_line(self, locale: str) -> str:
        names = " / ".join(f"/{n}" for n in (self.name, *self.aliases))
        usage = f" {self.usage}" if self.usage else ""
        return f"{names}{usage}: {self.help.get(locale, self.help['da'])}"


def parse_command(text: str) -> tuple[str, str] | None:
    """``"/Hjælp  mere"`` → ``("hjælp", "mere")``; ``None`` when the text is not a command."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2 or stripped[1].isspace():
        return None
    name, _, args = stripped[1:].partition(" ")
    return unicodedata.normalize("NFC", name).casefold(), args.strip()


class CommandRegistry:
    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._by_name: dict[str, Command] = {}

    def register(self, command: Command) -> None:
        for name in (command.name, *command.aliases):
            key = unicodedata.normalize("NFC", name).casefold()
            if key in self._by_name:
                raise ValueError(f"command name /{name} is already registered")
            self._by_name[key] = command
        self._commands.append(command)

    def get(self, name: str) -> Command | None:
        return self._by_name.get(name)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._commands)
