"""Commands: a Danish name, English aliases, declared arguments (usage is generated from them), help
from the message catalogue, and a handler that calls one application service and renders its result.

A new command is one module with its handler and ``Command(...)`` plus one line in
``bot.commands.default_registry``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.conversation.types import Incoming, Reply, ReplyKind
from bot.messages import t
from bot.services.actor import Actor

if TYPE_CHECKING:
    from bot.services import Application

Notify = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class CommandContext:
    """What a handler gets: who asks, the arguments, the services, and a way to say things early."""

    actor: Actor
    args: str
    app: Application
    registry: CommandRegistry
    incoming: Incoming
    notify: Notify | None = None

    @property
    def locale(self) -> str:
        return self.actor.locale

    def reply(self, key: str, kind: ReplyKind = "command", /, **values: Any) -> Reply:
        return Reply(t(key, self.locale, **values), kind=kind)


Handler = Callable[[CommandContext], Awaitable[Reply]]


@dataclass(frozen=True)
class Arg:
    """One declared argument; ``name`` is a message key (``arg_<name>``) so usage reads in each language."""

    name: str
    optional: bool = False
    literal: bool = False  # a fixed word the user types, e.g. "kanal" ("channel" in English)

    def usage(self, locale: str) -> str:
        word = t(f"arg_{self.name}", locale)
        text = word if self.literal else f"<{word}>"
        return f"[{text}]" if self.optional else text


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    args: tuple[Arg, ...] = ()
    usage_key: str | None = None  # a free-form usage from the catalogue, for sub-commands
    builder: bool = False  # listed under "For Builders" in /hjælp (the services decide who may)
    admin: bool = False  # listed in /hjælp to administrators and department owners only
    hidden: bool = field(default=False)

    def usage(self, locale: str) -> str:
        if self.usage_key:
            return t(self.usage_key, locale)
        return " ".join(a.usage(locale) for a in self.args)

    def help_line(self, locale: str) -> str:
        names = " / ".join(f"/{n}" for n in (self.name, *self.aliases))
        usage = self.usage(locale)
        return f"{names}{' ' + usage if usage else ''}: {t(f'help_{self.name}', locale)}"


def parse_command(text: str) -> tuple[str, str] | None:
    """``"/Hjælp  mere"`` → ``("hjælp", "mere")``; ``None`` when the text is not a command."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2 or stripped[1].isspace():
        return None
    # the name ends at the first space or line break (a Builder's list may start on the next line)
    name, *rest = stripped[1:].split(None, 1)
    return unicodedata.normalize("NFC", name).casefold(), rest[0].strip() if rest else ""


class CommandRegistry:
    def __init__(self, commands: list[Command] | None = None) -> None:
        self._commands: list[Command] = []
        self._by_name: dict[str, Command] = {}
        for command in commands or []:
            self.register(command)

    def register(self, command: Command) -> None:
        for name in (command.name, *command.aliases):
            key = unicodedata.normalize("NFC", name).casefold()
            if key in self._by_name:
                raise ValueError(f"command name /{name} is already registered")
            self._by_name[key] = command
        self._commands.append(command)

    def get(self, name: str) -> Command | None:
        return self._by_name.get(name)

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands)
